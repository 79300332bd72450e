package guest

import (
	"os"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// TestProtectedGuest: every guest write tool refuses a protected VM, and
// nothing changes inside it.
func TestProtectedGuest(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"guarded": {Inherits: "vm-admin", Protect: []string{"*_VM0"}}}
	p := toolstest.Policy(t, "guarded", custom, nil)
	e := newEnv(t, opts{policy: p})
	if !strings.HasSuffix(e.vm, "_VM0") {
		t.Fatalf("the guest VM %s is not the protected one", e.vm)
	}
	_ = os.WriteFile(e.file("/tmp/keep"), []byte("keep"), 0o644)
	_ = os.Mkdir(e.file("/tmp/dir"), 0o755)
	started := len(e.guest.started)
	for tool, args := range map[string]map[string]any{
		"vm_tools_upgrade":   {},
		"guest_run":          {"program": "/bin/echo"},
		"guest_process_kill": {"pid": 3},
		"guest_file_write":   {"path": "/tmp/new", "content": "x"},
		"guest_dir_create":   {"path": "/tmp/newdir"},
		"guest_file_move":    {"source": "/tmp/keep", "destination": "/tmp/moved"},
		"guest_file_delete":  {"path": "/tmp/keep"},
	} {
		e.fails(tool, args, "is protected by policy")
		if rec := toolstest.LastAudit(t, p); rec.Tool != tool || rec.Decision != audit.DecisionDenied {
			t.Errorf("%s refused but audited as %s", tool, rec.Decision)
		}
	}
	for _, f := range []string{"/tmp/new", "/tmp/newdir", "/tmp/moved"} {
		if _, err := os.Stat(e.file(f)); err == nil {
			t.Errorf("%s appeared", f)
		}
	}
	if _, err := os.Stat(e.file("/tmp/keep")); err != nil {
		t.Error("the protected VM's file went")
	}
	e.guest.mu.Lock()
	defer e.guest.mu.Unlock()
	if len(e.guest.started) != started || !e.guest.procs[3].end.IsZero() {
		t.Error("a program ran or a process ended in the protected VM")
	}
}
