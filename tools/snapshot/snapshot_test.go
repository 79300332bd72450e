package snapshot

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
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
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
	e.T.Helper()
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	if err != nil {
		e.T.Fatalf("find %s: %v", path, err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"snapshot"}, &mvm); err != nil {
		e.T.Fatal(err)
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
	e.T.Helper()
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	if err != nil {
		e.T.Fatal(err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"snapshot"}, &mvm); err != nil || mvm.Snapshot == nil {
		e.T.Fatalf("read snapshots of %s: %v", path, err)
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
			e.T.Fatalf("%s has no snapshot %s", path, snapPath)
		}
		nodes = found.ChildSnapshotList
	}
	return *found
}

// TestSnapshotLifecycle runs every snapshot tool on one VM as an admin
// whose person confirms, and checks each effect through govmomi.
func TestSnapshotLifecycle(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "admin", nil, nil)
	h := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := newPolicyEnv(t, p, h)
	const vm = "/DC0/vm/DC0_H0_VM0" // powered on

	var list SnapshotList
	text := e.OK("snapshot_list", map[string]any{"vm": vm}, &list)
	if list.Count != 0 || len(list.Snapshots) != 0 {
		t.Fatalf("fresh VM has snapshots: %+v", list)
	}
	toolstest.MustContain(t, text, "VM DC0_H0_VM0 (vm-", ": no snapshots")

	// Create: base, then after-patch with memory on top, then a second
	// "base" further down (allowed: its path differs).
	base := e.CreateSnapshot(vm, "base", map[string]any{"description": "before patching"})
	if base.Snapshot != "base" || !strings.HasPrefix(base.SnapshotID, "snapshot-") || !strings.HasPrefix(base.Task, "task-") {
		t.Errorf("create base: %+v", base)
	}
	after := e.CreateSnapshot(vm, "after-patch", map[string]any{"memory": true})
	deep := e.CreateSnapshot(vm, "base", nil)
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
	text = e.OK("snapshot_list", map[string]any{"vm": "DC0_H0_VM0"}, &list)
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
	toolstest.MustContain(t, text, "3 snapshots, current: base/after-patch/base",
		"\nbase ("+base.SnapshotID+") ", ": before patching\n",
		"\n  after-patch ("+after.SnapshotID+") ", "powered on, memory",
		"\n    base ("+deep.SnapshotID+") ", "[current]")

	// An ambiguous name is refused before anyone is asked, listing paths.
	for _, tool := range []string{"snapshot_revert", "snapshot_delete"} {
		msg := e.Fails(tool, map[string]any{"vm": vm, "snapshot": "base"})
		toolstest.MustContain(t, msg, `"base" matches 2 snapshots of VM /DC0/vm/DC0_H0_VM0`,
			"\n  base ("+base.SnapshotID, "\n  base/after-patch/base ("+deep.SnapshotID)
	}
	msg := e.Fails("snapshot_revert", map[string]any{"vm": vm, "snapshot": "nope"})
	toolstest.MustContain(t, msg, `has no snapshot "nope"`, "base/after-patch/base")
	if len(h.Asked()) != 0 {
		t.Fatalf("person asked about an unresolved snapshot: %q", h.Asked())
	}
	if !e.snapshots(vm).equal(tree) {
		t.Fatal("a refused call changed the tree")
	}

	// Revert by path, confirmed by the person.
	var rev SnapshotActionResult
	text = e.OK("snapshot_revert", map[string]any{"vm": vm, "snapshot": "base/after-patch"}, &rev)
	if len(h.Asked()) != 1 || !strings.Contains(h.Asked()[0], "Revert VM /DC0/vm/DC0_H0_VM0 to snapshot base/after-patch (current state is lost") {
		t.Errorf("person was asked %q", h.Asked())
	}
	if got := e.snapshots(vm); got.current != "base/after-patch" || len(got.order) != 3 {
		t.Errorf("after revert: %s", got)
	}
	if rev.Current != "base/after-patch" || rev.SnapshotID != after.SnapshotID || rev.Remaining != 3 {
		t.Errorf("revert result: %+v", rev)
	}
	if ps := e.PowerState(vm); string(ps) != rev.PowerState {
		t.Errorf("revert reported power %s, simulator has %s", rev.PowerState, ps)
	}
	toolstest.MustContain(t, text, "Reverted: VM /DC0/vm/DC0_H0_VM0", "snapshot base/after-patch ("+after.SnapshotID+")", "task task-")
	rec := toolstest.LastAudit(t, p)
	if rec.Tool != "snapshot_revert" || rec.Decision != audit.DecisionConfirmed || rec.Outcome != audit.OutcomeOK ||
		len(rec.Targets) != 2 || rec.Targets[0].Path != vm || rec.Targets[1].ID != after.SnapshotID ||
		rec.Targets[1].Path != vm+"@base/after-patch" || len(rec.TaskIDs) != 1 || rec.TaskIDs[0] != rev.Task {
		t.Errorf("audit of the revert: %+v", rec)
	}

	// Revert by ID, then to the current snapshot (the default).
	e.OK("snapshot_revert", map[string]any{"vm": vm, "snapshot": base.SnapshotID, "suppress_power_on": true}, &rev)
	if got := e.snapshots(vm); got.current != "base" {
		t.Errorf("after revert by ID: %s", got)
	}
	e.OK("snapshot_revert", map[string]any{"vm": vm}, &rev)
	if rev.Snapshot != "base" || e.snapshots(vm).current != "base" {
		t.Errorf("revert to current: %+v", rev)
	}

	// A sibling of the same name would make paths ambiguous: refused.
	msg = e.Fails("snapshot_create", map[string]any{"vm": vm, "name": "after-patch"})
	toolstest.MustContain(t, msg, "already has a snapshot base/after-patch ("+after.SnapshotID+") where the new one would go")

	// Delete a leaf, without children.
	var del SnapshotActionResult
	e.OK("snapshot_delete", map[string]any{"vm": vm, "snapshot": "base/after-patch/base"}, &del)
	if got := e.snapshots(vm); strings.Join(got.order, ",") != "base,base/after-patch" || got.current != "base" {
		t.Errorf("after deleting the leaf: %s", got)
	}
	if del.Remaining != 2 || !slices.Equal(del.Removed, []string{"base/after-patch/base"}) {
		t.Errorf("delete result: %+v", del)
	}

	// Delete a middle snapshot without its children: they move up.
	e.OK("snapshot_revert", map[string]any{"vm": vm, "snapshot": "after-patch"}, nil)
	e.CreateSnapshot(vm, "leaf", nil)
	e.OK("snapshot_revert", map[string]any{"vm": vm, "snapshot": "base"}, nil)
	e.CreateSnapshot(vm, "x", nil)
	if got := strings.Join(e.snapshots(vm).order, ","); got != "base,base/after-patch,base/after-patch/leaf,base/x" {
		t.Fatalf("tree before deletes: %s", got)
	}
	h.Forget()
	e.OK("snapshot_delete", map[string]any{"vm": vm, "snapshot": "after-patch"}, &del)
	got := e.snapshots(vm)
	if _, ok := got.paths["base/leaf"]; !ok || len(got.order) != 3 || got.paths["base/after-patch"] != "" {
		t.Errorf("after deleting after-patch alone: %s", got)
	}
	if len(h.Asked()) != 1 || !strings.Contains(h.Asked()[0], "Delete snapshot base/after-patch of VM /DC0/vm/DC0_H0_VM0 (the 1 snapshots below it stay)") {
		t.Errorf("person was asked %q", h.Asked())
	}

	// Delete with children: the whole subtree goes.
	del = SnapshotActionResult{}
	e.OK("snapshot_delete", map[string]any{"vm": vm, "snapshot": "base", "children": true}, &del)
	if got := e.snapshots(vm); len(got.order) != 0 || got.current != "" {
		t.Errorf("after deleting base with children: %s", got)
	}
	if len(del.Removed) != 3 || del.Remaining != 0 || del.Current != "" {
		t.Errorf("delete with children result: %+v", del)
	}
	e.OK("snapshot_list", map[string]any{"vm": vm}, &list)
	if list.Count != 0 {
		t.Errorf("list after deleting all: %+v", list)
	}

	// Delete all, on two VMs, one of which has no snapshots.
	e.CreateSnapshot(vm, "a", nil)
	e.CreateSnapshot(vm, "b", nil)
	const other = "/DC0/vm/DC0_H0_VM2"
	var bulk params.BulkResult
	h.Forget()
	text = e.OK("snapshot_delete_all", map[string]any{"vms": []string{vm, other}}, &bulk)
	if bulk.Succeeded != 1 || bulk.Unchanged != 1 || len(bulk.Results) != 2 || bulk.Results[0].Removed != 2 || bulk.Results[1].Outcome != "unchanged" {
		t.Errorf("delete all: %+v", bulk)
	}
	if got := e.snapshots(vm); len(got.order) != 0 {
		t.Errorf("snapshots left after delete all: %s", got)
	}
	if len(h.Asked()) != 1 || !strings.Contains(h.Asked()[0], "Delete all 2 snapshots of 1 VM(s)") || strings.Contains(h.Asked()[0], other) {
		t.Errorf("person was asked %q", h.Asked())
	}
	toolstest.MustContain(t, text, "Delete all snapshots: 1 done, 1 unchanged, 0 failed")
	rec = toolstest.LastAudit(t, p)
	if len(rec.Targets) != 1 || rec.Targets[0].Path != vm || rec.Decision != audit.DecisionConfirmed {
		t.Errorf("audit of delete all: %+v", rec)
	}
	// Nothing to delete: no question, nothing changes.
	h.Forget()
	e.OK("snapshot_delete_all", map[string]any{"vm": vm}, &bulk)
	if bulk.Unchanged != 1 || len(h.Asked()) != 0 {
		t.Errorf("delete all without snapshots: %+v, asked %q", bulk, h.Asked())
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
		toolstest.MustContain(t, e.Fails(tc.tool, tc.args), tc.want)
	}
}

// TestSnapshotBulkCreateOneFailing: one of three VMs refuses the snapshot
// (a fault vCenter returns for a VM whose snapshots are disabled); the
// others get theirs, and the result says which is which.
func TestSnapshotBulkCreateOneFailing(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "operator", nil, nil)
	e := newPolicyEnv(t, p, nil)
	e.Sim.Model.Service.AddFaultRule(&simulator.FaultInjectionRule{
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
	text := e.OK("snapshot_create", map[string]any{"vms": vms, "name": "pre-upgrade", "description": "bulk"}, &res)
	if res.Succeeded != 2 || res.Failed != 1 || len(res.Results) != 3 {
		t.Fatalf("bulk create: %+v", res)
	}
	failed := res.Results[1]
	if failed.VM != "DC0_H0_VM3" || failed.Outcome != "failed" || failed.SnapshotID != "" {
		t.Errorf("failed row: %+v", failed)
	}
	toolstest.MustContain(t, failed.Error, "SnapshotDisabled", "snapshots are disabled for this VM")
	toolstest.MustContain(t, text, `Snapshot "pre-upgrade": 2 done, 0 unchanged, 1 failed`)
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
	rec := toolstest.LastAudit(t, p)
	if len(rec.Targets) != 3 || rec.Decision != audit.DecisionAllowed || len(rec.TaskIDs) != 2 {
		t.Errorf("audit of the bulk create: %+v", rec)
	}

	// All targets failing is a tool error that still lists each VM.
	msg := e.Fails("snapshot_create", map[string]any{"vm": "DC0_H0_VM3", "name": "again"})
	toolstest.MustContain(t, msg, "0 done, 0 unchanged, 1 failed", "SnapshotDisabled")
	// Quiescing needs VMware Tools, which the simulator's VMs do not run.
	msg = e.Fails("snapshot_create", map[string]any{"vm": "DC0_H0_VM2", "name": "q", "quiesce": true})
	toolstest.MustContain(t, msg, "VMware Tools is not running in DC0_H0_VM2", "quiesce=false")
	// Templates have no snapshots.
	msg = e.Fails("snapshot_create", map[string]any{"vm": "DC0_H0_VM1", "name": "t"})
	toolstest.MustContain(t, msg, "is a template")

	// By filter, within max_targets.
	e.OK("snapshot_create", map[string]any{"filter": map[string]any{"name": "DC1_H0_VM*", "power_state": "poweredOn"}, "name": "nightly"}, &res)
	if res.Succeeded != 3 || res.Failed != 0 {
		t.Errorf("filtered create: %+v", res)
	}
	// The operator lists snapshots and reverts (confirmed), but cannot delete.
	got := e.ListedTools()
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
	t.Parallel()
	tests := []struct {
		name     string
		person   *toolstest.Person
		decision audit.Decision
		want     string
	}{
		{"declined", &toolstest.Person{Action: mcp.ElicitationResponseActionDecline}, audit.DecisionDeclined, "did not confirm (decline)"},
		{"unticked", &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: false}, audit.DecisionDeclined, "did not confirm"},
		{"no elicitation", nil, audit.DecisionDenied, "cannot ask for it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := toolstest.Policy(t, "admin", nil, func(p *guard.Policy) { p.Fallback = policy.FallbackDeny })
			var e *env
			if tc.person != nil {
				e = newPolicyEnv(t, p, tc.person)
			} else {
				e = newPolicyEnv(t, p, nil)
			}
			const vm = "/DC0/vm/DC0_H0_VM0"
			e.CreateSnapshot(vm, "base", nil)
			e.CreateSnapshot(vm, "child", nil)
			before := e.snapshots(vm)
			power := e.PowerState(vm)
			for _, call := range []struct {
				tool string
				args map[string]any
			}{
				{"snapshot_revert", map[string]any{"vm": vm, "snapshot": "base"}},
				{"snapshot_delete", map[string]any{"vm": vm, "snapshot": "base", "children": true}},
				{"snapshot_delete_all", map[string]any{"vm": vm}},
			} {
				msg := e.Fails(call.tool, call.args)
				toolstest.MustContain(t, msg, tc.want)
				if got := e.snapshots(vm); !got.equal(before) {
					t.Errorf("%s changed the tree without confirmation: %s, was %s", call.tool, got, before)
				}
				if e.PowerState(vm) != power {
					t.Errorf("%s changed the power state without confirmation", call.tool)
				}
				rec := toolstest.LastAudit(t, p)
				// The VM, and the snapshot a revert or delete would have touched.
				targets := 2
				if call.tool == "snapshot_delete_all" {
					targets = 1
				}
				if rec.Tool != call.tool || rec.Decision != tc.decision || len(rec.TaskIDs) != 0 || len(rec.Targets) != targets {
					t.Errorf("audit of %s: %+v", call.tool, rec)
				}
			}
			if tc.person != nil && len(tc.person.Asked()) != 3 {
				t.Errorf("person asked %d times: %q", len(tc.person.Asked()), tc.person.Asked())
			}
		})
	}
}

// TestSnapshotDeleteProgress: snapshot removal reports MCP progress from
// vCenter's task, through the person's confirmation round trip.
func TestSnapshotDeleteProgress(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "admin", nil, nil)
	e := newPolicyEnv(t, p, &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true})
	const vm = "/DC0/vm/DC0_H0_VM2"
	e.CreateSnapshot(vm, "base", nil)

	var mu sync.Mutex
	var progress []float64
	var messages []string
	e.Client.OnNotification(func(n mcp.JSONRPCNotification) {
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
	res, err := e.Client.CallTool(e.Ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("snapshot_delete: %v %s", err, toolstest.ResultText(res))
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
	toolstest.Person
	once   sync.Once
	change func()
}

func (s *switcher) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	s.once.Do(s.change)
	return s.Person.Elicit(ctx, req)
}

// TestRevertConfirmationBoundToSnapshot: a yes about reverting to one
// snapshot does not revert to another. When the current snapshot changes
// between the question and the answer, the person is asked again, about
// the new one.
func TestRevertConfirmationBoundToSnapshot(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "admin", nil, nil)
	h := &switcher{Person: toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}}
	e := newPolicyEnv(t, p, h)
	const vm = "/DC0/vm/DC0_H0_VM0"
	first := e.CreateSnapshot(vm, "first", nil)
	e.CreateSnapshot(vm, "second", nil) // current
	h.change = func() {
		snap := object.NewVirtualMachine(e.Vim, e.VMRef(vm))
		task, err := snap.RevertToSnapshot(e.Ctx, first.SnapshotID, true)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			t.Errorf("revert behind the server's back: %v", err)
		}
	}
	e.OK("snapshot_revert", map[string]any{"vm": vm}, nil)
	if len(h.Asked()) != 2 || !strings.Contains(h.Asked()[0], "to snapshot first/second (") || !strings.Contains(h.Asked()[1], "to snapshot first (") {
		t.Fatalf("questions: %q; want a second question naming the new current snapshot", h.Asked())
	}
	rec := toolstest.LastAudit(t, p)
	if rec.Decision != audit.DecisionConfirmed || len(rec.Targets) != 2 || rec.Targets[1].ID != first.SnapshotID {
		t.Errorf("audit: %+v", rec)
	}
}
