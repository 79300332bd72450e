package guest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestToolsStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{}) // viewer
	var s ToolsStatus
	text := e.ok("vm_tools_status", map[string]any{}, &s)
	if !s.GuestOpsReady || !s.UpgradeAvailable || s.Family != "linuxGuest" || len(s.NICs) != 1 || s.NICs[0].IPs[0] != "192.0.2.10" {
		t.Fatalf("status %+v", s)
	}
	toolstest.MustContain(t, text, "guestToolsRunning", "upgrade is available", "host name: "+e.vm+".lab", "192.0.2.10", "guest operations: ready")

	s = ToolsStatus{}
	text = e.ok("vm_tools_status", map[string]any{"vm": e.bare}, &s)
	if s.GuestOpsReady || !strings.Contains(s.NotReady, "not installed") {
		t.Fatalf("bare VM status %+v", s)
	}
	toolstest.MustContain(t, text, "guest operations: not ready (VMware Tools is not installed)")
	s = ToolsStatus{}
	e.ok("vm_tools_status", map[string]any{"vm": e.off}, &s)
	if s.GuestOpsReady || !strings.Contains(s.NotReady, "poweredOff") {
		t.Fatalf("powered-off VM status %+v", s)
	}
}

func TestToolsWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	var w WaitResult
	e.ok("vm_tools_wait", map[string]any{"until": "guest_ops"}, &w)
	if w.Until != "guest_ops" || !w.Status.GuestOpsReady {
		t.Fatalf("wait %+v", w)
	}
	e.fails("vm_tools_wait", map[string]any{"vm": e.off}, "poweredOff", "vm_power_on")
	e.fails("vm_tools_wait", map[string]any{"vm": e.bare, "until": "ip", "timeout_s": 1}, "did not reach ip within 1s")
	e.fails("vm_tools_wait", map[string]any{"until": "soon"}, "running, ip or guest_ops")
	e.fails("vm_tools_wait", map[string]any{"timeout_s": 1801}, "1800")

	// Tools starts while the call waits.
	reg := e.Sim.Model.Map()
	vm := reg.Get(e.VMRef("/DC0/vm/" + e.bare)).(*simulator.VirtualMachine)
	go func() {
		time.Sleep(500 * time.Millisecond)
		reg.WithLock(&simulator.Context{}, vm, func() {
			vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		})
	}()
	w = WaitResult{}
	e.ok("vm_tools_wait", map[string]any{"vm": e.bare, "timeout_s": 20}, &w)
	if w.WaitedMS < 400 || w.Status.Running != "guestToolsRunning" {
		t.Fatalf("wait %+v", w)
	}
}

func TestToolsUpgrade(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, opts{policy: p})
	// vcsim has no UpgradeTools_Task: the call is authorized and reaches
	// vCenter, which answers that it does not implement the method.
	e.fails("vm_tools_upgrade", map[string]any{}, "upgrade VMware Tools in "+e.vm)
	rec := toolstest.LastAudit(t, p)
	if len(rec.Targets) != 1 || rec.Decision != "allowed" {
		t.Errorf("audit %+v", rec)
	}
	e.fails("vm_tools_upgrade", map[string]any{"vm": e.off}, "poweredOff")
}

// TestRunAsTask: guest_run as an MCP background task; cancelling the task
// ends the guest process.
func TestRunAsTask(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, opts{policy: p})
	c := e.Connect(toolstest.Options{Policy: p, Protocol: mcp.ProtocolVersion20251125, Tasks: true, Guest: e.creds()})

	task := callAsTask(t, e.Ctx, c, "guest_run", map[string]any{"vm": e.vm, "program": "/bin/echo", "args": []any{"bg"}})
	got, err := c.WaitForTask(e.Ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: task.TaskId}}, 50*time.Millisecond)
	if err != nil || got.Status != mcp.TaskStatusCompleted {
		t.Fatalf("task %+v %v", got, err)
	}
	res, err := c.TaskResult(e.Ctx, mcp.TaskResultRequest{Params: mcp.TaskResultParams{TaskId: task.TaskId}})
	if err != nil || res.IsError {
		t.Fatalf("task result %+v %v", res, err)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var r RunResult
	_ = json.Unmarshal(b, &r)
	if r.Stdout == nil || r.Stdout.Text != "bg\n" {
		t.Fatalf("background run %s", b)
	}

	task = callAsTask(t, e.Ctx, c, "guest_run", map[string]any{"vm": e.vm, "program": "/bin/sleep", "args": []any{"60"}, "timeout_s": 120})
	var pid int64
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		e.guest.mu.Lock()
		for _, pr := range e.guest.procs {
			if pr.name == "sleep" && pr.end.IsZero() {
				pid = pr.pid
			}
		}
		e.guest.mu.Unlock()
	}
	if pid == 0 {
		t.Fatal("the program never started")
	}
	if _, err := c.CancelTask(e.Ctx, mcp.CancelTaskRequest{Params: mcp.CancelTaskParams{TaskId: task.TaskId}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		e.guest.mu.Lock()
		ended := !e.guest.procs[pid].end.IsZero()
		e.guest.mu.Unlock()
		if ended {
			return
		}
	}
	t.Fatal("cancelling the task left the guest process running")
}

// callAsTask starts a task-augmented tools/call (the client's CallTool
// expects a CallToolResult, so the request goes through the transport).
func callAsTask(t *testing.T, ctx context.Context, c *client.Client, name string, args map[string]any) mcp.Task {
	t.Helper()
	params := mcp.CallToolParams{Name: name, Arguments: args, Task: &mcp.TaskParams{}}
	resp, err := c.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(time.Now().UnixNano()), Method: string(mcp.MethodToolsCall), Params: params,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error != nil {
		t.Fatalf("%s as a task: %s", name, resp.Error.Message)
	}
	var created mcp.CreateTaskResult
	if err := json.Unmarshal(resp.Result, &created); err != nil || created.Task.TaskId == "" {
		t.Fatalf("%s as a task: no task in %s (%v)", name, resp.Result, err)
	}
	return created.Task
}

// TestRunProgress: a waiting guest_run reports progress.
func TestRunProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{policy: toolstest.Policy(t, "vm-admin", nil, nil)})
	var mu sync.Mutex
	var messages []string
	e.Client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" || n.Params.AdditionalFields["progressToken"] != "run-1" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if m, ok := n.Params.AdditionalFields["message"].(string); ok {
			messages = append(messages, m)
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "guest_run"
	req.Params.Arguments = map[string]any{"vm": e.vm, "program": "/bin/sleep", "args": []any{"1"}}
	req.Params.Meta = &mcp.Meta{ProgressToken: "run-1"}
	res, err := e.Client.CallTool(e.Ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("guest_run: %v %s", err, toolstest.ResultText(res))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(messages) < 2 || !strings.Contains(messages[0], "/bin/sleep running in "+e.vm) {
		t.Errorf("progress messages %q", messages)
	}
}
