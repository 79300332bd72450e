package guest

import (
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestProcessListAndKill(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{policy: toolstest.Policy(t, "vm-admin", nil, nil)})
	var l ProcessList
	text := e.ok("guest_process_list", map[string]any{}, &l)
	if l.Total != 3 || len(l.Processes) != 3 || l.Processes[0].PID != 1 || !l.Untrusted {
		t.Fatalf("list %+v", l)
	}
	toolstest.MustContain(t, text, "3 processes", "===== begin guest data", "process list from VM "+e.vm, "/usr/sbin/nginx")

	l = ProcessList{}
	e.ok("guest_process_list", map[string]any{"name": "ng*"}, &l)
	if len(l.Processes) != 1 || l.Processes[0].Name != "nginx" {
		t.Fatalf("by name %+v", l)
	}
	pid := l.Processes[0].PID

	l = ProcessList{}
	e.ok("guest_process_list", map[string]any{"limit": 2}, &l)
	if len(l.Processes) != 2 || l.NextCursor == "" {
		t.Fatalf("page %+v", l)
	}
	next := ProcessList{}
	e.ok("guest_process_list", map[string]any{"limit": 2, "cursor": l.NextCursor}, &next)
	if len(next.Processes) != 1 || next.Processes[0].PID != 3 || next.NextCursor != "" {
		t.Fatalf("next page %+v", next)
	}

	var k ProcessKillResult
	text = e.ok("guest_process_kill", map[string]any{"pid": pid}, &k)
	toolstest.MustContain(t, text, "Ended process 3 (nginx)")
	l = ProcessList{}
	e.ok("guest_process_list", map[string]any{"pids": []any{pid}}, &l)
	if len(l.Processes) != 1 || l.Processes[0].End == nil || l.Processes[0].ExitCode == nil {
		t.Fatalf("killed process %+v", l.Processes)
	}
	e.fails("guest_process_kill", map[string]any{"pid": pid}, "already ended")
	e.fails("guest_process_kill", map[string]any{"pid": 4242}, "no process 4242")
	e.fails("guest_process_kill", map[string]any{"pid": 0}, "positive")
	if rec := toolstest.LastAudit(t, e.policy); !strings.Contains(rec.Error, "positive") {
		t.Errorf("audit %+v", rec)
	}
}
