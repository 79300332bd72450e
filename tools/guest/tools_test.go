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
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
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
	e.fails("vm_tools_wait", map[string]any{"until": "soon"}, "running, ip or guest_ops")
	e.fails("vm_tools_wait", map[string]any{"timeout_s": 1801}, "1800")

	// Tools installed but not running yet, as a VM that is still booting
	// reports it: the wait goes on until the timeout.
	e.setGuest(e.bare, installedNotRunning)
	e.fails("vm_tools_wait", map[string]any{"vm": e.bare, "until": "ip", "timeout_s": 1}, "did not reach ip within 1s")

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

// TestToolsWaitEndsEarly: where VMware Tools cannot come (not installed;
// the VM off and nothing powering it on) vm_tools_wait says so at once
// instead of waiting out its 300 s.
func TestToolsWaitEndsEarly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	notInstalledStatus2 := func(g *types.GuestInfo) {
		installedNotRunning(g)
		g.ToolsVersionStatus2 = string(types.VirtualMachineToolsVersionStatusGuestToolsNotInstalled)
	}
	for _, c := range []struct {
		name  string
		vm    string
		guest func(*types.GuestInfo) // nil: as vcsim makes VMs (toolsStatus toolsNotInstalled)
		until string
		want  []string
	}{
		{"not installed (toolsStatus)", e.bare, nil, "", []string{"VMware Tools is not installed in VM " + e.bare, "open-vm-tools", "first"}},
		{"not installed (toolsVersionStatus2)", e.bare, notInstalledStatus2, "guest_ops", []string{"VMware Tools is not installed in VM " + e.bare}},
		{"off", e.off, installedNotRunning, "ip", []string{"VM " + e.off + " is poweredOff and nothing is powering it on", "power it on first (vm_power_on)"}},
		{"off and not installed", e.off, nil, "", []string{"is poweredOff and has no VMware Tools installed", "vm_power_on", "open-vm-tools"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.guest != nil {
				e.setGuest(c.vm, c.guest)
			} else {
				e.setGuest(c.vm, func(g *types.GuestInfo) {
					*g = types.GuestInfo{ToolsStatus: types.VirtualMachineToolsStatusToolsNotInstalled, ToolsVersion: "0", ToolsRunningStatus: string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)}
				})
			}
			start := time.Now()
			e.fails("vm_tools_wait", map[string]any{"vm": c.vm, "until": c.until}, c.want...)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the wait took %s: it should end at once", d)
			}
		})
	}
}

// TestToolsWaitPowerOn: a VM off while a power-on task of it runs is
// waited for (vm_power_on as a background task, or the caller asks for the
// wait before the power-on went through).
func TestToolsWaitPowerOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	e.setGuest(e.off, installedNotRunning)
	reg := e.Sim.Model.Map()
	ref := e.VMRef("/DC0/vm/" + e.off)
	vm := reg.Get(ref).(*simulator.VirtualMachine)
	// A queued power-on, as vCenter lists it in the VM's recentTask while
	// it waits for its host.
	task := simulator.CreateTask(vm, "powerOn", nil)
	task.Self = types.ManagedObjectReference{Type: "Task", Value: "task-test-poweron"}
	task.Info.Key, task.Info.Task = task.Self.Value, task.Self
	reg.Put(task)
	go func() {
		time.Sleep(time.Second)
		ctx := &simulator.Context{Map: reg}
		reg.WithLock(ctx, vm, func() {
			vm.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOn
			vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		})
		reg.AtomicUpdate(ctx, task, []types.PropertyChange{{Name: "info.state", Val: types.TaskInfoStateSuccess}})
	}()
	var w WaitResult
	e.ok("vm_tools_wait", map[string]any{"vm": e.off, "timeout_s": 20}, &w)
	if w.WaitedMS < 900 || w.Status.PowerState != "poweredOn" || w.Status.Running != "guestToolsRunning" {
		t.Fatalf("wait %+v", w)
	}
}

// installedNotRunning is the guest of a VM whose Tools are installed but
// do not run (yet).
func installedNotRunning(g *types.GuestInfo) {
	*g = types.GuestInfo{
		ToolsStatus:         types.VirtualMachineToolsStatusToolsNotRunning,
		ToolsVersion:        "12448",
		ToolsVersionStatus2: string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent),
		ToolsRunningStatus:  string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning),
	}
}

// setGuest changes the guest info of the simulator's VM called name.
func (e *env) setGuest(name string, change func(*types.GuestInfo)) {
	e.T.Helper()
	reg := e.Sim.Model.Map()
	vm := reg.Get(e.VMRef("/DC0/vm/" + name)).(*simulator.VirtualMachine)
	reg.WithLock(&simulator.Context{Map: reg}, vm, func() {
		if vm.Guest == nil {
			vm.Guest = &types.GuestInfo{}
		}
		change(vm.Guest)
	})
}

func TestToolsUpgrade(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, opts{policy: p})
	sim := installToolsUpgrade(e.Sim.Model)

	var u UpgradeResult
	text := e.ok("vm_tools_upgrade", map[string]any{"args": "/S /v/qn"}, &u)
	if u.VM != e.vm || u.Task == "" || u.Status.VersionStatus != "guestToolsCurrent" || u.Status.Version != hostToolsVersion || u.Status.UpgradeAvailable {
		t.Fatalf("upgrade %+v", u)
	}
	toolstest.MustContain(t, text, "Upgraded VMware Tools in VM "+e.vm, "task "+u.Task, "guestToolsCurrent")
	if calls := sim.calls(); len(calls) != 1 || calls[0].args != "/S /v/qn" {
		t.Errorf("upgrade calls %+v", calls)
	}
	// Read back through govmomi: the task succeeded, the guest reports
	// the host's version.
	var task mo.Task
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, types.ManagedObjectReference{Type: "Task", Value: u.Task}, []string{"info"}, &task); err != nil {
		t.Fatal(err)
	}
	if task.Info.State != types.TaskInfoStateSuccess || task.Info.DescriptionId != "VirtualMachine.upgradeTools" {
		t.Errorf("task %+v", task.Info)
	}
	if g := e.vmInfo(e.vm).Guest; g.ToolsVersion != hostToolsVersion || g.ToolsVersionStatus2 != "guestToolsCurrent" {
		t.Errorf("guest after the upgrade %+v", g)
	}
	rec := toolstest.LastAudit(t, p)
	if len(rec.Targets) != 1 || rec.Decision != "allowed" {
		t.Errorf("audit %+v", rec)
	}

	// Refusals change nothing: a VM that is off is refused before vCenter
	// is asked; one whose Tools does not run, vCenter refuses.
	e.fails("vm_tools_upgrade", map[string]any{"vm": e.off}, "is poweredOff", "vm_power_on first")
	e.setGuest(e.bare, installedNotRunning)
	e.setGuest(e.bare, func(g *types.GuestInfo) {
		g.ToolsVersion, g.ToolsVersionStatus2 = "12352", string(types.VirtualMachineToolsVersionStatusGuestToolsSupportedOld)
	})
	e.fails("vm_tools_upgrade", map[string]any{"vm": e.bare}, "cannot upgrade VMware Tools in VM "+e.bare, "does not run in the guest", "vm_tools_wait")
	if g := e.vmInfo(e.bare).Guest; g.ToolsVersion != "12352" || g.ToolsVersionStatus2 != "guestToolsSupportedOld" {
		t.Errorf("guest after a refused upgrade %+v", g)
	}
	// Tools not installed, or managed by the guest OS: vCenter is not asked.
	e.setGuest(e.win, func(g *types.GuestInfo) {
		g.ToolsVersionStatus2 = string(types.VirtualMachineToolsVersionStatusGuestToolsNotInstalled)
	})
	e.fails("vm_tools_upgrade", map[string]any{"vm": e.win}, "not installed in VM "+e.win, "open-vm-tools")
	e.setGuest(e.win, func(g *types.GuestInfo) {
		g.ToolsVersionStatus2 = string(types.VirtualMachineToolsVersionStatusGuestToolsUnmanaged)
	})
	e.fails("vm_tools_upgrade", map[string]any{"vm": e.win}, "managed by the guest OS", "update the package in the guest")
	if g := e.vmInfo(e.off).Guest; g.ToolsVersion == hostToolsVersion {
		t.Errorf("the powered-off VM was upgraded: %+v", g)
	}
	if calls := sim.calls(); len(calls) != 2 || calls[1].vm != e.VMRef("/DC0/vm/"+e.bare).Value {
		t.Errorf("upgrade calls %+v", calls)
	}
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
