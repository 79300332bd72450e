package task

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func taskIDs(items []TaskItem) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}

// recentTaskIDs reads an object's recentTask list through govmomi.
func (e *env) recentTaskIDs(ref types.ManagedObjectReference) []string {
	e.T.Helper()
	var me mo.ManagedEntity
	if err := object.NewCommon(e.Vim, ref).Properties(e.Ctx, ref, []string{"recentTask"}, &me); err != nil {
		e.T.Fatal(err)
	}
	var ids []string
	for _, r := range me.RecentTask {
		ids = append(ids, r.Value)
	}
	slices.Sort(ids)
	return ids
}

// TestTaskListAndGet: the tasks our own calls made show up, filtered by
// object (any identifier kind) and state, paged, and each in detail.
func TestTaskListAndGet(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "operator", nil, nil)
	e := newPolicyEnv(t, p, nil)
	const vm, offVM = "/DC0/vm/DC0_H0_VM0", "/DC0/vm/DC0_C0_RP1_VM2"
	vmID := e.VMRef(vm).Value

	created := e.CreateSnapshot(vm, "base", nil)
	var reset params.BulkResult
	// The reset of the VM that is off runs a task that fails.
	e.OK("vm_reset", map[string]any{"vms": []string{offVM, "/DC0/vm/DC0_H0_VM2"}}, &reset)
	if reset.Failed != 1 || reset.Results[0].Outcome != "failed" || reset.Results[0].Task == "" {
		t.Fatalf("reset of a powered-off VM: %+v", reset)
	}
	failedTask := reset.Results[0].Task

	// By object: name, path and ID give the same tasks, exactly the VM's
	// own as vCenter lists them.
	var byName, byPath, byID TaskList
	text := e.OK("task_list", map[string]any{"object": "DC0_H0_VM0"}, &byName)
	e.OK("task_list", map[string]any{"object": vm}, &byPath)
	e.OK("task_list", map[string]any{"object": vmID, "object_kind": "vm"}, &byID)
	ids := taskIDs(byName.Items)
	if !slices.Equal(ids, taskIDs(byPath.Items)) || !slices.Equal(ids, taskIDs(byID.Items)) {
		t.Errorf("same VM, different tasks: %v / %v / %v", ids, taskIDs(byPath.Items), taskIDs(byID.Items))
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	if want := e.recentTaskIDs(e.VMRef(vm)); !slices.Equal(sorted, want) {
		t.Errorf("task_list object=%s lists %v; the VM's recentTask is %v", vm, sorted, want)
	}
	if byName.Total != len(ids) || len(ids) < 2 || ids[0] != created.Task {
		t.Fatalf("tasks of %s, newest first, want %s first: %+v", vm, created.Task, byName)
	}
	first := byName.Items[0]
	if first.Operation != "Create virtual machine snapshot" || first.Entity != "DC0_H0_VM0" || first.EntityID != vmID ||
		first.State != "success" || first.User == "" || first.Queued == "" || first.Started == "" || first.Completed == "" || first.Error != "" {
		t.Errorf("snapshot task row: %+v", first)
	}
	for _, it := range byName.Items {
		if it.EntityID != vmID {
			t.Errorf("task of another object listed: %+v", it)
		}
	}
	toolstest.MustContain(t, text, "tasks\nid\toperation\tentity\tstate", created.Task+"\tCreate virtual machine snapshot\tDC0_H0_VM0 ("+vmID+")\tsuccess")

	// By state.
	var errs TaskList
	e.OK("task_list", map[string]any{"state": "error"}, &errs)
	if !slices.Contains(taskIDs(errs.Items), failedTask) {
		t.Errorf("state=error lacks %s: %v", failedTask, taskIDs(errs.Items))
	}
	for _, it := range errs.Items {
		if it.State != "error" || it.Error == "" {
			t.Errorf("state=error lists %+v", it)
		}
	}
	i := slices.Index(taskIDs(errs.Items), failedTask)
	if i >= 0 && !strings.Contains(errs.Items[i].Error, "InvalidPowerState") {
		t.Errorf("failed task's error: %q", errs.Items[i].Error)
	}
	var ok TaskList
	e.OK("task_list", map[string]any{"object": offVM, "state": "success"}, &ok)
	if slices.Contains(taskIDs(ok.Items), failedTask) {
		t.Error("state=success lists a failed task")
	}

	// A container: its own tasks only, or with include_children those of
	// everything in it.
	var folder, folderAll TaskList
	e.OK("task_list", map[string]any{"object": "/DC0/vm"}, &folder)
	e.OK("task_list", map[string]any{"object": "/DC0/vm", "include_children": true, "limit": 1000}, &folderAll)
	if slices.Contains(taskIDs(folder.Items), created.Task) {
		t.Error("a folder's own tasks include a VM's")
	}
	for _, id := range []string{created.Task, failedTask} {
		if !slices.Contains(taskIDs(folderAll.Items), id) {
			t.Errorf("include_children on /DC0/vm lacks %s", id)
		}
	}
	e.OK("task_list", map[string]any{"object": "DC0_H0", "object_kind": "host"}, nil)

	// Paging: pages of two cover the whole listing once, in order.
	var all TaskList
	e.OK("task_list", map[string]any{"limit": 1000}, &all)
	var paged []string
	cursor := ""
	for n := 0; ; n++ {
		var page TaskList
		args := map[string]any{"limit": 2}
		if cursor != "" {
			args["cursor"] = cursor
		}
		e.OK("task_list", args, &page)
		if page.Total != all.Total {
			t.Fatalf("page total %d, listing total %d", page.Total, all.Total)
		}
		paged = append(paged, taskIDs(page.Items)...)
		if cursor = page.NextCursor; cursor == "" || n > 5 {
			break
		}
	}
	if !slices.Equal(paged, taskIDs(all.Items)[:len(paged)]) || len(paged) < 6 {
		t.Errorf("paged %v, listing starts %v", paged, taskIDs(all.Items)[:min(len(all.Items), 8)])
	}
	var page TaskList
	e.OK("task_list", map[string]any{"limit": 1, "state": "success"}, &page)
	toolstest.MustContain(t, e.Fails("task_list", map[string]any{"cursor": page.NextCursor, "state": "error"}), "invalid cursor", "other filters")
	toolstest.MustContain(t, e.Fails("task_list", map[string]any{"cursor": "xyz"}), "invalid cursor", "not a cursor this server issued")

	// task_get: a success with its result, a failure with its fault.
	var d TaskDetail
	text = e.OK("task_get", map[string]any{"task": created.Task}, &d)
	if d.ID != created.Task || d.State != "success" || d.Result != created.SnapshotID || d.ResultType != "VirtualMachineSnapshot" ||
		d.EntityID != vmID || d.EntityType != "VirtualMachine" || d.Entity != "DC0_H0_VM0" || d.Cancelable || d.Fault != "" {
		t.Errorf("task_get of the snapshot task: %+v", d)
	}
	info := e.TaskInfo(created.Task)
	if d.Completed != info.CompleteTime.UTC().Format(time.RFC3339) || d.DescriptionID != info.DescriptionId {
		t.Errorf("task_get %+v, simulator %+v", d, info)
	}
	toolstest.MustContain(t, text, "Task "+created.Task+": Create virtual machine snapshot", "state: success", "result: VirtualMachineSnapshot "+created.SnapshotID)
	d = TaskDetail{}
	text = e.OK("task_get", map[string]any{"task": failedTask}, &d)
	if d.State != "error" || d.Fault != "InvalidPowerState" || !strings.Contains(d.Error, "InvalidPowerState") || !strings.Contains(d.Error, "power state that allows this") {
		t.Errorf("task_get of the failed reset: %+v", d)
	}
	toolstest.MustContain(t, text, "fault: InvalidPowerState")

	// Errors say what is wrong.
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"task_get", map[string]any{"task": "task-999999"}, `no task "task-999999"`},
		{"task_get", map[string]any{"task": "task 1; drop"}, "is not a task ID"},
		{"task_get", map[string]any{}, "task is required"},
		{"task_list", map[string]any{"state": "done"}, `state "done" is not a vSphere task state`},
		{"task_list", map[string]any{"include_children": true}, "pass object too"},
		{"task_list", map[string]any{"object": "x", "object_kind": "vApp"}, `object_kind "vApp" is not one of`},
		{"task_list", map[string]any{"object": "no-such-thing"}, `no object matches "no-such-thing"`},
		{"task_list", map[string]any{"object": "/DC0/datastore/LocalDS_0", "object_kind": "vm"}, "no VM matches"},
		{"task_cancel", map[string]any{"task": created.Task}, "has already finished (success at"},
		{"task_cancel", map[string]any{"task": failedTask}, "has already finished (error at"},
	} {
		toolstest.MustContain(t, e.Fails(tc.tool, tc.args), tc.want)
	}
}

// TestTaskCancelRunning: a snapshot task made slow in the simulator runs
// while task_cancel first refuses (the simulator's tasks are not
// cancelable), then, once vCenter marks it cancelable, cancels it.
func TestTaskCancelRunning(t *testing.T) {
	// Not parallel: it sets simulator.TaskDelay, a package global (see below).
	p := toolstest.Policy(t, "operator", nil, nil)
	e := newPolicyEnv(t, p, nil)
	const vm = "/DC0/vm/DC0_H0_VM0"
	vmRef := e.VMRef(vm)

	// simulator.TaskDelay is a package global: this test runs before the
	// package's parallel tests, and the slow task is waited for before the
	// delay is reset.
	simulator.TaskDelay.MethodDelay = map[string]int{"CreateSnapshotEx": 4000, "LockHandoff": 0}
	var slowTask string
	t.Cleanup(func() {
		if slowTask != "" {
			// The simulator finishes the delayed task after its delay, even
			// once cancelled: wait for it before resetting the delay.
			deadline := time.Now().Add(15 * time.Second)
			for time.Now().Before(deadline) && e.TaskInfo(slowTask).State != types.TaskInfoStateSuccess {
				time.Sleep(100 * time.Millisecond)
			}
		}
		simulator.TaskDelay.MethodDelay = nil
	})

	type callResult struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan callResult, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "snapshot_create"
		req.Params.Arguments = map[string]any{"vm": vm, "name": "slow"}
		res, err := e.Client.CallTool(context.WithoutCancel(e.Ctx), req)
		done <- callResult{res, err}
	}()

	// Find the running task through govmomi. (task_list with
	// state=running is not polled here: vcsim's TaskHistoryCollector reads a
	// running task's state without its lock, which the race detector
	// reports; TestTaskListAndGet covers the state filter on finished tasks.)
	deadline := time.Now().Add(3 * time.Second)
	for slowTask == "" && time.Now().Before(deadline) {
		for _, id := range e.recentTaskIDs(vmRef) {
			if info := e.TaskInfo(id); info.State == types.TaskInfoStateRunning && strings.Contains(info.DescriptionId, "createSnapshot") {
				slowTask = id
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if slowTask == "" {
		t.Fatal("no running task appeared")
	}

	var d TaskDetail
	e.OK("task_get", map[string]any{"task": slowTask}, &d)
	if d.State != "running" || d.Cancelable {
		t.Fatalf("slow task: %+v", d)
	}
	msg := e.Fails("task_cancel", map[string]any{"task": slowTask})
	toolstest.MustContain(t, msg, "does not allow cancelling task "+slowTask, "Create virtual machine snapshot on DC0_H0_VM0", "cancelable is false")
	if info := e.TaskInfo(slowTask); info.Cancelled || info.State != types.TaskInfoStateRunning {
		t.Fatalf("refused cancel touched the task: %+v", info)
	}

	// vCenter marks long tasks such as snapshot creation cancelable; the
	// simulator never does, so the test does it the way vCenter would.
	reg := e.Sim.Model.Map()
	st, ok := reg.Get(types.ManagedObjectReference{Type: "Task", Value: slowTask}).(*simulator.Task)
	if !ok {
		t.Fatalf("simulator has no task %s", slowTask)
	}
	reg.AtomicUpdate(e.Sim.Model.Service.Context, st, []types.PropertyChange{{Name: "info.cancelable", Val: true}})

	var res TaskCancelResult
	text := e.OK("task_cancel", map[string]any{"task": slowTask}, &res)
	info := e.TaskInfo(slowTask)
	if !info.Cancelled {
		t.Fatalf("task not cancelled in the simulator: %+v", info)
	}
	if res.Task.ID != slowTask || !res.Task.Cancelled || res.Task.State != "error" || res.Task.Fault != "RequestCanceled" {
		t.Errorf("cancel result: %+v", res)
	}
	toolstest.MustContain(t, text, "Cancelled task "+slowTask+" (Create virtual machine snapshot on DC0_H0_VM0)")
	// The cancelled snapshot_create may log its line first or after.
	var rec audit.Record
	for _, r := range toolstest.AuditLines(t, p) {
		if r.Tool == "task_cancel" {
			rec = r
		}
	}
	if rec.Tool != "task_cancel" || rec.Decision != audit.DecisionAllowed || rec.Outcome != audit.OutcomeOK ||
		!slices.Contains(rec.TaskIDs, slowTask) || len(rec.Targets) != 1 || rec.Targets[0].ID != vmRef.Value {
		t.Errorf("audit of the cancel: %+v", rec)
	}

	// The call that started the task learns it was cancelled.
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("snapshot_create: %v", r.err)
		}
		if !r.res.IsError {
			t.Errorf("cancelled snapshot_create succeeded: %s", toolstest.ResultText(r.res))
		}
		toolstest.MustContain(t, toolstest.ResultText(r.res), slowTask, "RequestCanceled")
	case <-time.After(10 * time.Second):
		t.Fatal("snapshot_create did not return after its task was cancelled")
	}
	toolstest.MustContain(t, e.Fails("task_cancel", map[string]any{"task": slowTask}), "has already finished (error, cancelled at")
}

// TestTaskToolsInScope: a scoped role sees no tasks on objects outside
// its scope, and cannot read or cancel them by ID.
func TestTaskToolsInScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0-ops": {Inherits: "operator", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	p := toolstest.Policy(t, "dc0-ops", custom, nil)
	e := newPolicyEnv(t, p, nil)
	// A task on a DC1 VM, started outside vsphere-mcp.
	task, err := object.NewVirtualMachine(e.Vim, e.VMRef("/DC1/vm/DC1_H0_VM0")).PowerOff(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(e.Ctx); err != nil {
		t.Fatal(err)
	}
	outside := task.Reference().Value
	e.CreateSnapshot("/DC0/vm/DC0_H0_VM0", "mine", nil)

	var l TaskList
	e.OK("task_list", map[string]any{"limit": 1000}, &l)
	if len(l.Items) == 0 {
		t.Fatal("scoped task list is empty")
	}
	for _, it := range l.Items {
		if strings.HasPrefix(it.Entity, "DC1") || it.ID == outside {
			t.Errorf("out-of-scope task listed: %+v", it)
		}
	}
	toolstest.MustContain(t, e.Fails("task_get", map[string]any{"task": outside}), `no task "`+outside+`"`)
	toolstest.MustContain(t, e.Fails("task_cancel", map[string]any{"task": outside}), `no task "`+outside+`"`)
	toolstest.MustContain(t, e.Fails("task_list", map[string]any{"object": "DC1_H0_VM0"}), "within this profile's scope")
}

// TestTaskListESX: a bare ESXi host has no task history; the recent tasks
// serve.
func TestTaskListESX(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcenter.DemoModel(vcenter.SimESX))
	vms := e.AllVMs("name")
	if len(vms) == 0 {
		t.Fatal("no VMs on the ESXi model")
	}
	task, err := object.NewVirtualMachine(e.Vim, vms[0].Self).PowerOff(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(e.Ctx); err != nil {
		t.Fatal(err)
	}
	var l TaskList
	e.OK("task_list", map[string]any{"object": vms[0].Name}, &l)
	if !slices.Contains(taskIDs(l.Items), task.Reference().Value) {
		t.Errorf("ESXi task list lacks %s: %+v", task.Reference().Value, l)
	}
	for _, it := range l.Items {
		if it.EntityID != vms[0].Self.Value {
			t.Errorf("task of another object: %+v", it)
		}
	}
	var d TaskDetail
	e.OK("task_get", map[string]any{"task": task.Reference().Value}, &d)
	if d.State != "success" || d.Entity != vms[0].Name {
		t.Errorf("ESXi task_get: %+v", d)
	}
	toolstest.MustContain(t, e.Fails("task_list", map[string]any{"object": vms[0].Name, "include_children": true}), "needs vCenter's task history")
}
