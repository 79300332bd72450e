package tools_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	snapshotts "github.com/vsphere-mcp/vsphere-mcp/tools/snapshot"
)

// snapTree is a VM's snapshot state read straight from the simulator.
type snapTree struct {
	// paths maps each snapshot's path in the tree onto its ID.
	paths   map[string]string
	current string // path of the current snapshot, "" for none
	order   []string
}

func (s snapTree) String() string {
	return strings.Join(s.order, ",") + " current=" + s.current
}

func (s snapTree) equal(o snapTree) bool {
	return slices.Equal(s.order, o.order) && s.current == o.current
}

// snapshots reads a VM's snapshot tree through govmomi.
func (e *env) snapshots(path string) snapTree {
	e.t.Helper()
	vm, err := find.NewFinder(e.vim).VirtualMachine(e.ctx, path)
	if err != nil {
		e.t.Fatalf("find %s: %v", path, err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.ctx, vm.Reference(), []string{"snapshot"}, &mvm); err != nil {
		e.t.Fatal(err)
	}
	out := snapTree{paths: map[string]string{}}
	if mvm.Snapshot == nil {
		return out
	}
	var walk func([]types.VirtualMachineSnapshotTree, string)
	walk = func(nodes []types.VirtualMachineSnapshotTree, prefix string) {
		for _, n := range nodes {
			p := prefix + n.Name
			out.paths[p] = n.Snapshot.Value
			out.order = append(out.order, p)
			if mvm.Snapshot.CurrentSnapshot != nil && *mvm.Snapshot.CurrentSnapshot == n.Snapshot {
				out.current = p
			}
			walk(n.ChildSnapshotList, p+"/")
		}
	}
	walk(mvm.Snapshot.RootSnapshotList, "")
	return out
}

func (e *env) snapshotState(path, snapPath string) types.VirtualMachineSnapshotTree {
	e.t.Helper()
	vm, err := find.NewFinder(e.vim).VirtualMachine(e.ctx, path)
	if err != nil {
		e.t.Fatal(err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.ctx, vm.Reference(), []string{"snapshot"}, &mvm); err != nil || mvm.Snapshot == nil {
		e.t.Fatalf("read snapshots of %s: %v", path, err)
	}
	nodes := mvm.Snapshot.RootSnapshotList
	var found *types.VirtualMachineSnapshotTree
	for _, name := range strings.Split(snapPath, "/") {
		found = nil
		for i := range nodes {
			if nodes[i].Name == name {
				found = &nodes[i]
				break
			}
		}
		if found == nil {
			e.t.Fatalf("%s has no snapshot %s", path, snapPath)
		}
		nodes = found.ChildSnapshotList
	}
	return *found
}

func (e *env) createSnapshot(vm, name string, extra map[string]any) params.TargetResult {
	e.t.Helper()
	args := map[string]any{"vm": vm, "name": name}
	for k, v := range extra {
		args[k] = v
	}
	var res params.BulkResult
	e.ok("snapshot_create", args, &res)
	if len(res.Results) != 1 || res.Results[0].Outcome != "done" {
		e.t.Fatalf("snapshot_create %s on %s: %+v", name, vm, res)
	}
	return res.Results[0]
}

// TestSnapshotLifecycle runs every snapshot tool on one VM as an admin
// whose person confirms, and checks each effect through govmomi.
func TestSnapshotLifecycle(t *testing.T) {
	p := testPolicy(t, "admin", nil, nil)
	h := &person{action: mcp.ElicitationResponseActionAccept, confirm: true}
	e := newPolicyEnv(t, p, h)
	const vm = "/DC0/vm/DC0_H0_VM0" // powered on

	var list snapshotts.SnapshotList
	text := e.ok("snapshot_list", map[string]any{"vm": vm}, &list)
	if list.Count != 0 || len(list.Snapshots) != 0 {
		t.Fatalf("fresh VM has snapshots: %+v", list)
	}
	mustContain(t, text, "VM DC0_H0_VM0 (vm-", ": no snapshots")

	// Create: base, then after-patch with memory on top, then a second
	// "base" further down (allowed: its path differs).
	base := e.createSnapshot(vm, "base", map[string]any{"description": "before patching"})
	if base.Snapshot != "base" || !strings.HasPrefix(base.SnapshotID, "snapshot-") || !strings.HasPrefix(base.Task, "task-") {
		t.Errorf("create base: %+v", base)
	}
	after := e.createSnapshot(vm, "after-patch", map[string]any{"memory": true})
	deep := e.createSnapshot(vm, "base", nil)
	if after.Snapshot != "base/after-patch" || deep.Snapshot != "base/after-patch/base" {
		t.Errorf("paths of new snapshots: %q, %q", after.Snapshot, deep.Snapshot)
	}
	tree := e.snapshots(vm)
	if got := strings.Join(tree.order, ","); got != "base,base/after-patch,base/after-patch/base" || tree.current != "base/after-patch/base" {
		t.Fatalf("tree after creates: %s", tree)
	}
	if tree.paths["base"] != base.SnapshotID || tree.paths["base/after-patch"] != after.SnapshotID {
		t.Errorf("IDs reported %s/%s, simulator has %v", base.SnapshotID, after.SnapshotID, tree.paths)
	}
	if st := e.snapshotState(vm, "base"); st.Description != "before patching" || st.State != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("base snapshot in the simulator: %+v", st)
	}
	if st := e.snapshotState(vm, "base/after-patch"); st.State != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("memory snapshot has state %s", st.State)
	}

	// List: a nested tree with the current marker, in text and structure.
	text = e.ok("snapshot_list", map[string]any{"vm": "DC0_H0_VM0"}, &list)
	if list.Count != 3 || list.Current != "base/after-patch/base" || list.CurrentID != deep.SnapshotID || len(list.Snapshots) != 1 {
		t.Fatalf("list: %+v", list)
	}
	root := list.Snapshots[0]
	if root.Name != "base" || root.Description != "before patching" || root.Memory || root.Current || len(root.Children) != 1 {
		t.Errorf("root node: %+v", root)
	}
	mid := root.Children[0]
	if mid.Path != "base/after-patch" || !mid.Memory || mid.PowerState != "poweredOn" || len(mid.Children) != 1 {
		t.Errorf("middle node: %+v", mid)
	}
	leaf := mid.Children[0]
	if leaf.Path != "base/after-patch/base" || !leaf.Current || leaf.ID != deep.SnapshotID || len(leaf.Children) != 0 {
		t.Errorf("leaf node: %+v", leaf)
	}
	if root.Created == "" || root.AgeSeconds < 0 || root.SizeBytes == nil {
		t.Errorf("created/age/size missing: %+v", root)
	}
	mustContain(t, text, "3 snapshots, current: base/after-patch/base",
		"\nbase ("+base.SnapshotID+") ", ": before patching\n",
		"\n  after-patch ("+after.SnapshotID+") ", "powered on, memory",
		"\n    base ("+deep.SnapshotID+") ", "[current]")

	// An ambiguous name is refused before anyone is asked, listing paths.
	for _, tool := range []string{"snapshot_revert", "snapshot_delete"} {
		msg := e.fails(tool, map[string]any{"vm": vm, "snapshot": "base"})
		mustContain(t, msg, `"base" matches 2 snapshots of VM /DC0/vm/DC0_H0_VM0`,
			"\n  base ("+base.SnapshotID, "\n  base/after-patch/base ("+deep.SnapshotID)
	}
	msg := e.fails("snapshot_revert", map[string]any{"vm": vm, "snapshot": "nope"})
	mustContain(t, msg, `has no snapshot "nope"`, "base/after-patch/base")
	if len(h.asked) != 0 {
		t.Fatalf("person asked about an unresolved snapshot: %q", h.asked)
	}
	if !e.snapshots(vm).equal(tree) {
		t.Fatal("a refused call changed the tree")
	}

	// Revert by path, confirmed by the person.
	var rev snapshotts.SnapshotActionResult
	text = e.ok("snapshot_revert", map[string]any{"vm": vm, "snapshot": "base/after-patch"}, &rev)
	if len(h.asked) != 1 || !strings.Contains(h.asked[0], "Revert VM /DC0/vm/DC0_H0_VM0 to snapshot base/after-patch (current state is lost") {
		t.Errorf("person was asked %q", h.asked)
	}
	if got := e.snapshots(vm); got.current != "base/after-patch" || len(got.order) != 3 {
		t.Errorf("after revert: %s", got)
	}
	if rev.Current != "base/after-patch" || rev.SnapshotID != after.SnapshotID || rev.Remaining != 3 {
		t.Errorf("revert result: %+v", rev)
	}
	if ps := e.powerState(vm); string(ps) != rev.PowerState {
		t.Errorf("revert reported power %s, simulator has %s", rev.PowerState, ps)
	}
	mustContain(t, text, "Reverted: VM /DC0/vm/DC0_H0_VM0", "snapshot base/after-patch ("+after.SnapshotID+")", "task task-")
	rec := lastAudit(t, p)
	if rec.Tool != "snapshot_revert" || rec.Decision != audit.DecisionConfirmed || rec.Outcome != audit.OutcomeOK ||
		len(rec.Targets) != 2 || rec.Targets[0].Path != vm || rec.Targets[1].ID != after.SnapshotID ||
		rec.Targets[1].Path != vm+"@base/after-patch" || len(rec.TaskIDs) != 1 || rec.TaskIDs[0] != rev.Task {
		t.Errorf("audit of the revert: %+v", rec)
	}

	// Revert by ID, then to the current snapshot (the default).
	e.ok("snapshot_revert", map[string]any{"vm": vm, "snapshot": base.SnapshotID, "suppress_power_on": true}, &rev)
	if got := e.snapshots(vm); got.current != "base" {
		t.Errorf("after revert by ID: %s", got)
	}
	e.ok("snapshot_revert", map[string]any{"vm": vm}, &rev)
	if rev.Snapshot != "base" || e.snapshots(vm).current != "base" {
		t.Errorf("revert to current: %+v", rev)
	}

	// A sibling of the same name would make paths ambiguous: refused.
	msg = e.fails("snapshot_create", map[string]any{"vm": vm, "name": "after-patch"})
	mustContain(t, msg, "already has a snapshot base/after-patch ("+after.SnapshotID+") where the new one would go")

	// Delete a leaf, without children.
	var del snapshotts.SnapshotActionResult
	e.ok("snapshot_delete", map[string]any{"vm": vm, "snapshot": "base/after-patch/base"}, &del)
	if got := e.snapshots(vm); strings.Join(got.order, ",") != "base,base/after-patch" || got.current != "base" {
		t.Errorf("after deleting the leaf: %s", got)
	}
	if del.Remaining != 2 || !slices.Equal(del.Removed, []string{"base/after-patch/base"}) {
		t.Errorf("delete result: %+v", del)
	}

	// Delete a middle snapshot without its children: they move up.
	e.ok("snapshot_revert", map[string]any{"vm": vm, "snapshot": "after-patch"}, nil)
	e.createSnapshot(vm, "leaf", nil)
	e.ok("snapshot_revert", map[string]any{"vm": vm, "snapshot": "base"}, nil)
	e.createSnapshot(vm, "x", nil)
	if got := strings.Join(e.snapshots(vm).order, ","); got != "base,base/after-patch,base/after-patch/leaf,base/x" {
		t.Fatalf("tree before deletes: %s", got)
	}
	h.asked = nil
	e.ok("snapshot_delete", map[string]any{"vm": vm, "snapshot": "after-patch"}, &del)
	got := e.snapshots(vm)
	if _, ok := got.paths["base/leaf"]; !ok || len(got.order) != 3 || got.paths["base/after-patch"] != "" {
		t.Errorf("after deleting after-patch alone: %s", got)
	}
	if len(h.asked) != 1 || !strings.Contains(h.asked[0], "Delete snapshot base/after-patch of VM /DC0/vm/DC0_H0_VM0 (the 1 snapshots below it stay)") {
		t.Errorf("person was asked %q", h.asked)
	}

	// Delete with children: the whole subtree goes.
	del = snapshotts.SnapshotActionResult{}
	e.ok("snapshot_delete", map[string]any{"vm": vm, "snapshot": "base", "children": true}, &del)
	if got := e.snapshots(vm); len(got.order) != 0 || got.current != "" {
		t.Errorf("after deleting base with children: %s", got)
	}
	if len(del.Removed) != 3 || del.Remaining != 0 || del.Current != "" {
		t.Errorf("delete with children result: %+v", del)
	}
	e.ok("snapshot_list", map[string]any{"vm": vm}, &list)
	if list.Count != 0 {
		t.Errorf("list after deleting all: %+v", list)
	}

	// Delete all, on two VMs, one of which has no snapshots.
	e.createSnapshot(vm, "a", nil)
	e.createSnapshot(vm, "b", nil)
	const other = "/DC0/vm/DC0_H0_VM2"
	var bulk params.BulkResult
	h.asked = nil
	text = e.ok("snapshot_delete_all", map[string]any{"vms": []string{vm, other}}, &bulk)
	if bulk.Succeeded != 1 || bulk.Unchanged != 1 || len(bulk.Results) != 2 || bulk.Results[0].Removed != 2 || bulk.Results[1].Outcome != "unchanged" {
		t.Errorf("delete all: %+v", bulk)
	}
	if got := e.snapshots(vm); len(got.order) != 0 {
		t.Errorf("snapshots left after delete all: %s", got)
	}
	if len(h.asked) != 1 || !strings.Contains(h.asked[0], "Delete all 2 snapshots of 1 VM(s)") || strings.Contains(h.asked[0], other) {
		t.Errorf("person was asked %q", h.asked)
	}
	mustContain(t, text, "Delete all snapshots: 1 done, 1 unchanged, 0 failed")
	rec = lastAudit(t, p)
	if len(rec.Targets) != 1 || rec.Targets[0].Path != vm || rec.Decision != audit.DecisionConfirmed {
		t.Errorf("audit of delete all: %+v", rec)
	}
	// Nothing to delete: no question, nothing changes.
	h.asked = nil
	e.ok("snapshot_delete_all", map[string]any{"vm": vm}, &bulk)
	if bulk.Unchanged != 1 || len(h.asked) != 0 {
		t.Errorf("delete all without snapshots: %+v, asked %q", bulk, h.asked)
	}

	// Arguments are checked before anything is read.
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"snapshot_create", map[string]any{"vm": vm}, "name is required"},
		{"snapshot_create", map[string]any{"vm": vm, "name": "a/b"}, "contains /"},
		{"snapshot_create", map[string]any{"name": "a"}, "exactly one of vm, vms or filter"},
		{"snapshot_delete", map[string]any{"vm": vm}, "snapshot is required"},
		{"snapshot_revert", map[string]any{"snapshot": "x"}, "vm is required"},
		{"snapshot_delete", map[string]any{"vm": vm, "snapshot": "x", "children": "yes"}, `argument "children" must be true or false`},
		{"snapshot_list", map[string]any{"vm": "no-such-vm"}, `no VM matches "no-such-vm"`},
		{"snapshot_revert", map[string]any{"vm": vm}, "VM /DC0/vm/DC0_H0_VM0 has no snapshots"},
	} {
		mustContain(t, e.fails(tc.tool, tc.args), tc.want)
	}
}

// TestSnapshotBulkCreateOneFailing: one of three VMs refuses the snapshot
// (a fault vCenter returns for a VM whose snapshots are disabled); the
// others get theirs, and the result says which is which.
func TestSnapshotBulkCreateOneFailing(t *testing.T) {
	p := testPolicy(t, "operator", nil, nil)
	e := newPolicyEnv(t, p, nil)
	e.sim.Model.Service.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName:  "CreateSnapshot_Task",
		ObjectType:  "VirtualMachine",
		ObjectName:  "DC0_H0_VM3",
		Probability: 1,
		FaultType:   simulator.FaultTypeCustom,
		Fault:       &types.SnapshotDisabled{},
		Message:     "Snapshots are disabled for this virtual machine.",
		Enabled:     true,
	})
	vms := []string{"DC0_H0_VM0", "/DC0/vm/DC0_H0_VM3", "DC0_C0_RP1_VM2"}
	var res params.BulkResult
	text := e.ok("snapshot_create", map[string]any{"vms": vms, "name": "pre-upgrade", "description": "bulk"}, &res)
	if res.Succeeded != 2 || res.Failed != 1 || len(res.Results) != 3 {
		t.Fatalf("bulk create: %+v", res)
	}
	failed := res.Results[1]
	if failed.VM != "DC0_H0_VM3" || failed.Outcome != "failed" || failed.SnapshotID != "" {
		t.Errorf("failed row: %+v", failed)
	}
	mustContain(t, failed.Error, "SnapshotDisabled", "snapshots are disabled for this VM")
	mustContain(t, text, `Snapshot "pre-upgrade": 2 done, 0 unchanged, 1 failed`)
	for i, path := range []string{"/DC0/vm/DC0_H0_VM0", "/DC0/vm/DC0_H0_VM3", "/DC0/vm/DC0_C0_RP1_VM2"} {
		tree := e.snapshots(path)
		if i == 1 {
			if len(tree.order) != 0 {
				t.Errorf("failed VM got snapshots: %s", tree)
			}
			continue
		}
		if tree.current != "pre-upgrade" || tree.paths["pre-upgrade"] != res.Results[i].SnapshotID {
			t.Errorf("%s: %s, result %+v", path, tree, res.Results[i])
		}
	}
	rec := lastAudit(t, p)
	if len(rec.Targets) != 3 || rec.Decision != audit.DecisionAllowed || len(rec.TaskIDs) != 2 {
		t.Errorf("audit of the bulk create: %+v", rec)
	}

	// All targets failing is a tool error that still lists each VM.
	msg := e.fails("snapshot_create", map[string]any{"vm": "DC0_H0_VM3", "name": "again"})
	mustContain(t, msg, "0 done, 0 unchanged, 1 failed", "SnapshotDisabled")
	// Quiescing needs VMware Tools, which the simulator's VMs do not run.
	msg = e.fails("snapshot_create", map[string]any{"vm": "DC0_H0_VM2", "name": "q", "quiesce": true})
	mustContain(t, msg, "VMware Tools is not running in DC0_H0_VM2", "quiesce=false")
	// Templates have no snapshots.
	msg = e.fails("snapshot_create", map[string]any{"vm": "DC0_H0_VM1", "name": "t"})
	mustContain(t, msg, "is a template")

	// By filter, within max_targets.
	e.ok("snapshot_create", map[string]any{"filter": map[string]any{"name": "DC1_H0_VM*", "power_state": "poweredOn"}, "name": "nightly"}, &res)
	if res.Succeeded != 3 || res.Failed != 0 {
		t.Errorf("filtered create: %+v", res)
	}
	// The operator lists snapshots and reverts (confirmed), but cannot delete.
	got := e.listedTools()
	for _, name := range []string{"snapshot_list", "snapshot_create", "snapshot_revert"} {
		if !slices.Contains(got, name) {
			t.Errorf("operator lacks %s", name)
		}
	}
	for _, name := range []string{"snapshot_delete", "snapshot_delete_all"} {
		if slices.Contains(got, name) {
			t.Errorf("operator has %s", name)
		}
	}
}

// TestSnapshotIrreversibleNeedConfirmation: revert, delete and delete-all
// change nothing when the person declines, or when the client cannot ask.
func TestSnapshotIrreversibleNeedConfirmation(t *testing.T) {
	tests := []struct {
		name     string
		person   *person
		decision audit.Decision
		want     string
	}{
		{"declined", &person{action: mcp.ElicitationResponseActionDecline}, audit.DecisionDeclined, "did not confirm (decline)"},
		{"unticked", &person{action: mcp.ElicitationResponseActionAccept, confirm: false}, audit.DecisionDeclined, "did not confirm"},
		{"no elicitation", nil, audit.DecisionDenied, "cannot ask for it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPolicy(t, "admin", nil, func(p *tools.Policy) { p.Fallback = policy.FallbackDeny })
			var e *env
			if tc.person != nil {
				e = newPolicyEnv(t, p, tc.person)
			} else {
				e = newPolicyEnv(t, p, nil)
			}
			const vm = "/DC0/vm/DC0_H0_VM0"
			e.createSnapshot(vm, "base", nil)
			e.createSnapshot(vm, "child", nil)
			before := e.snapshots(vm)
			power := e.powerState(vm)
			for _, call := range []struct {
				tool string
				args map[string]any
			}{
				{"snapshot_revert", map[string]any{"vm": vm, "snapshot": "base"}},
				{"snapshot_delete", map[string]any{"vm": vm, "snapshot": "base", "children": true}},
				{"snapshot_delete_all", map[string]any{"vm": vm}},
			} {
				msg := e.fails(call.tool, call.args)
				mustContain(t, msg, tc.want)
				if got := e.snapshots(vm); !got.equal(before) {
					t.Errorf("%s changed the tree without confirmation: %s, was %s", call.tool, got, before)
				}
				if e.powerState(vm) != power {
					t.Errorf("%s changed the power state without confirmation", call.tool)
				}
				rec := lastAudit(t, p)
				// The VM, and the snapshot a revert or delete would have touched.
				targets := 2
				if call.tool == "snapshot_delete_all" {
					targets = 1
				}
				if rec.Tool != call.tool || rec.Decision != tc.decision || len(rec.TaskIDs) != 0 || len(rec.Targets) != targets {
					t.Errorf("audit of %s: %+v", call.tool, rec)
				}
			}
			if tc.person != nil && len(tc.person.asked) != 3 {
				t.Errorf("person asked %d times: %q", len(tc.person.asked), tc.person.asked)
			}
		})
	}
}

// TestSnapshotDeleteProgress: snapshot removal reports MCP progress from
// vCenter's task, through the person's confirmation round trip.
func TestSnapshotDeleteProgress(t *testing.T) {
	p := testPolicy(t, "admin", nil, nil)
	e := newPolicyEnv(t, p, &person{action: mcp.ElicitationResponseActionAccept, confirm: true})
	const vm = "/DC0/vm/DC0_H0_VM2"
	e.createSnapshot(vm, "base", nil)

	var mu sync.Mutex
	var progress []float64
	var messages []string
	e.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" || n.Params.AdditionalFields["progressToken"] != "del-1" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if v, ok := n.Params.AdditionalFields["progress"].(float64); ok {
			progress = append(progress, v)
		}
		if m, ok := n.Params.AdditionalFields["message"].(string); ok {
			messages = append(messages, m)
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "snapshot_delete"
	req.Params.Arguments = map[string]any{"vm": vm, "snapshot": "base"}
	req.Params.Meta = &mcp.Meta{ProgressToken: "del-1"}
	res, err := e.client.CallTool(e.ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("snapshot_delete: %v %s", err, resultText(res))
	}
	if len(e.snapshots(vm).order) != 0 {
		t.Fatal("snapshot not deleted")
	}
	// Notifications may trail the result a little.
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		n := len(progress)
		last := 0.0
		if n > 0 {
			last = progress[n-1]
		}
		mu.Unlock()
		if (n >= 2 && last == 100) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(progress) < 2 || progress[0] != 0 || progress[len(progress)-1] != 100 || !slices.IsSorted(progress) {
		t.Errorf("progress %v (%q)", progress, messages)
	}
	if len(messages) == 0 || !strings.Contains(messages[0], "delete snapshot base of DC0_H0_VM2: started (task task-") {
		t.Errorf("progress messages %q", messages)
	}
}

// switcher is a person who, while being asked, sees the VM's current
// snapshot change (another admin reverts it), then says yes.
type switcher struct {
	person
	once   sync.Once
	change func()
}

func (s *switcher) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	s.once.Do(s.change)
	return s.person.Elicit(ctx, req)
}

// TestRevertConfirmationBoundToSnapshot: a yes about reverting to one
// snapshot does not revert to another. When the current snapshot changes
// between the question and the answer, the person is asked again, about
// the new one.
func TestRevertConfirmationBoundToSnapshot(t *testing.T) {
	p := testPolicy(t, "admin", nil, nil)
	h := &switcher{person: person{action: mcp.ElicitationResponseActionAccept, confirm: true}}
	e := newPolicyEnv(t, p, h)
	const vm = "/DC0/vm/DC0_H0_VM0"
	first := e.createSnapshot(vm, "first", nil)
	e.createSnapshot(vm, "second", nil) // current
	h.change = func() {
		snap := object.NewVirtualMachine(e.vim, e.vmRef(vm))
		task, err := snap.RevertToSnapshot(e.ctx, first.SnapshotID, true)
		if err == nil {
			err = task.Wait(e.ctx)
		}
		if err != nil {
			t.Errorf("revert behind the server's back: %v", err)
		}
	}
	e.ok("snapshot_revert", map[string]any{"vm": vm}, nil)
	if len(h.asked) != 2 || !strings.Contains(h.asked[0], "to snapshot first/second (") || !strings.Contains(h.asked[1], "to snapshot first (") {
		t.Fatalf("questions: %q; want a second question naming the new current snapshot", h.asked)
	}
	rec := lastAudit(t, p)
	if rec.Decision != audit.DecisionConfirmed || len(rec.Targets) != 2 || rec.Targets[1].ID != first.SnapshotID {
		t.Errorf("audit: %+v", rec)
	}
}
