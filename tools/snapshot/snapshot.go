package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// This file holds the snapshot tools: snapshot_list, snapshot_create,
// snapshot_revert, snapshot_delete and snapshot_delete_all. A snapshot is
// named by its name, by its path in the VM's tree ("base/after-patch": the
// names from the root down, joined by "/"), or by its ID (snapshot-12). A
// name that several snapshots carry is an error listing their paths.

// ---- the tree ----

// snapshotFaults explain the faults of snapshot operations and what to do.
var snapshotFaults = []struct {
	fault  types.BaseMethodFault
	advice string
}{
	{&types.SnapshotDisabled{}, "snapshots are disabled for this VM (by its configuration, or by a backup or replication product that manages it); ask your vSphere administrator"},
	{&types.TooManySnapshotLevels{}, "the VM's snapshot chain has reached its limit (32 levels); delete old snapshots with snapshot_delete first"},
	{&types.SnapshotLocked{}, "the VM's snapshot files are locked by another operation; wait for it (task_list with object set to the VM) and retry"},
	{&types.MemorySnapshotOnIndependentDisk{}, "a memory snapshot is not possible while the VM has independent disks; retry with memory=false"},
	{&types.ApplicationQuiesceFault{}, "the guest applications could not be quiesced; retry with quiesce=false for a crash-consistent snapshot, or check VSS and VMware Tools in the guest"},
	{&types.FilesystemQuiesceFault{}, "the guest file systems could not be quiesced; retry with quiesce=false for a crash-consistent snapshot, or check VMware Tools in the guest"},
	{&types.ToolsUnavailable{}, "VMware Tools is not running in the guest; retry with quiesce=false, or start VMware Tools"},
	{&types.SnapshotIncompatibleDeviceInVm{}, "a device of the VM (a physical-mode RDM or a passthrough device, say) does not allow snapshots; see vm_get for its devices"},
	{&types.NoDiskSpace{}, "the datastore is out of space; free space on it (snapshot_delete of old snapshots helps) and retry"},
	{&types.FileLocked{}, "a file of the VM is locked, often by a backup in progress; wait for it and retry"},
	{&types.SnapshotNoChange{}, "nothing changed since the last snapshot, so vCenter made none"},
	{&types.NotFound{}, "the snapshot no longer exists; list the VM's snapshots again with snapshot_list"},
	{&types.InvalidPowerState{}, "the VM's power state does not allow this; check it with vm_get"},
}

// explainFault names the fault of a failed snapshot operation and says
// what to do; other errors pass through vcenter.Explain.
func explainFault(err error) string {
	msg := vcenter.ErrorText(err)
	for _, f := range snapshotFaults {
		if fault.Is(err, f.fault) {
			name := toolkit.FaultTypeName(f.fault)
			if !strings.Contains(msg, name) {
				msg += " (" + name + ")"
			}
			return msg + ": " + f.advice
		}
	}
	return toolkit.ExplainNamed(err)
}

// ---- snapshot_list ----

// SnapshotNode is one snapshot of snapshot_list's tree.
type SnapshotNode struct {
	Name        string `json:"name"`
	Path        string `json:"path" jsonschema:"Names from the root down, joined by /; names the snapshot when its name alone is ambiguous"`
	ID          string `json:"id" jsonschema:"Managed object ID, e.g. snapshot-12"`
	Description string `json:"description,omitempty"`
	Created     string `json:"created" jsonschema:"Creation time, RFC 3339 UTC"`
	AgeSeconds  int64  `json:"age_s"`
	Current     bool   `json:"current,omitempty" jsonschema:"The VM runs on top of this snapshot; a revert without snapshot returns here"`
	PowerState  string `json:"power_state" jsonschema:"The VM's power state when the snapshot was taken"`
	Memory      bool   `json:"memory" jsonschema:"The snapshot holds the VM's memory: a revert resumes the VM where it was"`
	Quiesced    bool   `json:"quiesced" jsonschema:"The guest file systems were quiesced"`
	SizeBytes   *int64 `json:"size_bytes,omitempty" jsonschema:"Space the snapshot's own files take on the datastore, when vCenter reports its file layout"`
	// Children are the snapshots taken on top of this one. The schema
	// generator rejects recursive types, so the field is hidden from it;
	// the JSON methods below write and read it as "children" (and make the
	// node opaque to the generator, which is all the output schema
	// declares of nested objects anyway).
	Children []SnapshotNode `json:"-"`
}

type snapshotNodeFields SnapshotNode // SnapshotNode without its JSON methods

// MarshalJSON writes the node with its children.
func (n SnapshotNode) MarshalJSON() ([]byte, error) {
	children := n.Children
	if children == nil {
		children = []SnapshotNode{}
	}
	return json.Marshal(struct {
		snapshotNodeFields
		Children []SnapshotNode `json:"children"`
	}{snapshotNodeFields(n), children})
}

// UnmarshalJSON reads a node with its children.
func (n *SnapshotNode) UnmarshalJSON(b []byte) error {
	var v struct {
		snapshotNodeFields
		Children []SnapshotNode `json:"children"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = SnapshotNode(v.snapshotNodeFields)
	n.Children = v.Children
	return nil
}

// SnapshotList is snapshot_list's result.
type SnapshotList struct {
	VM        string         `json:"vm"`
	ID        string         `json:"id"`
	Path      string         `json:"path"`
	Count     int            `json:"count"`
	Current   string         `json:"current,omitempty" jsonschema:"Path of the current snapshot"`
	CurrentID string         `json:"current_id,omitempty"`
	Snapshots []SnapshotNode `json:"snapshots" jsonschema:"The root snapshots, each with its children"`
}

// Text renders the tree, indented two spaces per level. Names are quoted
// unless plain, so "[current]" after one is always the marker; the
// description, free text, ends its line labelled as data.
func (l SnapshotList) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "VM %s (%s) %s: ", toolkit.Name(l.VM), l.ID, toolkit.Path(l.Path))
	switch l.Count {
	case 0:
		b.WriteString("no snapshots\n")
		return b.String()
	case 1:
		b.WriteString("1 snapshot")
	default:
		fmt.Fprintf(&b, "%d snapshots", l.Count)
	}
	if l.Current != "" {
		fmt.Fprintf(&b, ", current: %s", toolkit.Path(l.Current))
	}
	b.WriteByte('\n')
	var walk func([]SnapshotNode, int)
	walk = func(nodes []SnapshotNode, depth int) {
		for _, n := range nodes {
			b.WriteString(strings.Repeat("  ", depth))
			fmt.Fprintf(&b, "%s (%s) %s, %s ago, %s", toolkit.Name(n.Name), n.ID, n.Created, toolkit.HumanAge(time.Duration(n.AgeSeconds)*time.Second), powerWord(n.PowerState))
			if n.Memory {
				b.WriteString(", memory")
			}
			if n.Quiesced {
				b.WriteString(", quiesced")
			}
			if n.SizeBytes != nil {
				b.WriteString(", " + toolkit.HumanBytes(*n.SizeBytes))
			}
			if n.Current {
				b.WriteString(" [current]")
			}
			if n.Description != "" {
				b.WriteString(", " + toolkit.FreeTextN("description", n.Description, 200))
			}
			b.WriteByte('\n')
			walk(n.Children, depth+1)
		}
	}
	walk(l.Snapshots, 0)
	return b.String()
}

func powerWord(state string) string {
	switch types.VirtualMachinePowerState(state) {
	case types.VirtualMachinePowerStatePoweredOn:
		return "powered on"
	case types.VirtualMachinePowerStatePoweredOff:
		return "powered off"
	case types.VirtualMachinePowerStateSuspended:
		return "suspended"
	}
	return state
}

// snapshotSize is the space a snapshot's own files take: govmomi's
// accounting (its .vmsn and the delta disks it owns, plus for the current
// snapshot the disk growth since), and its memory file. nil when the VM's
// file layout does not mention the snapshot.
func snapshotSize(layout *types.VirtualMachineFileLayoutEx, e params.SnapEntry, current bool) *int64 {
	if layout == nil {
		return nil
	}
	i := slices.IndexFunc(layout.Snapshot, func(s types.VirtualMachineFileLayoutExSnapshotLayout) bool {
		return s.Key == e.Tree.Snapshot
	})
	if i < 0 {
		return nil
	}
	size := int64(object.SnapshotSize(e.Tree.Snapshot, e.Parent, layout, current))
	if mk := layout.Snapshot[i].MemoryKey; mk >= 0 && mk != layout.Snapshot[i].DataKey {
		for _, f := range layout.File {
			if f.Key == mk {
				size += f.Size
			}
		}
	}
	return &size
}

func snapshotList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "snapshot_list",
		Title: "List a VM's snapshots",
		Description: "Show a VM's snapshot tree: each snapshot's name, path, ID, creation time and age, description, " +
			"whether it holds memory or was quiesced, its size where vCenter reports it, and which one is current.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a params.VMArgs) (SnapshotList, error) {
		var out SnapshotList
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			vm, err := params.SnapshotVM(ctx, c, o, "snapshot", "layoutEx")
			if err != nil {
				return err
			}
			out = snapshotListOf(o, &vm, time.Now())
			return nil
		})
		return out, err
	})
}

func snapshotListOf(o vcenter.Object, vm *mo.VirtualMachine, now time.Time) SnapshotList {
	out := SnapshotList{VM: o.Name, ID: o.ID(), Path: o.Path, Snapshots: []SnapshotNode{}}
	all, cur := params.SnapshotTree(vm)
	out.Count = len(all)
	nodes := make(map[types.ManagedObjectReference]*SnapshotNode, len(all))
	// Parents come before children in all: build the tree bottom-up by
	// collecting each node's children first, then assembling.
	children := map[types.ManagedObjectReference][]types.ManagedObjectReference{}
	var roots []types.ManagedObjectReference
	for _, e := range all {
		t := e.Tree
		isCur := cur != nil && *cur == t.Snapshot
		n := &SnapshotNode{
			Name: t.Name, Path: e.Path, ID: e.ID(), Description: t.Description,
			Created:    t.CreateTime.UTC().Format(time.RFC3339),
			AgeSeconds: int64(now.Sub(t.CreateTime).Seconds()),
			Current:    isCur,
			PowerState: string(t.State),
			Memory:     t.State != "" && t.State != types.VirtualMachinePowerStatePoweredOff,
			Quiesced:   t.Quiesced,
			SizeBytes:  snapshotSize(vm.LayoutEx, e, isCur),
		}
		if n.AgeSeconds < 0 {
			n.AgeSeconds = 0
		}
		nodes[t.Snapshot] = n
		if isCur {
			out.Current, out.CurrentID = e.Path, e.ID()
		}
		if e.Parent == nil {
			roots = append(roots, t.Snapshot)
		} else {
			children[*e.Parent] = append(children[*e.Parent], t.Snapshot)
		}
	}
	var build func(types.ManagedObjectReference) SnapshotNode
	build = func(r types.ManagedObjectReference) SnapshotNode {
		n := *nodes[r]
		for _, ch := range children[r] {
			n.Children = append(n.Children, build(ch))
		}
		return n
	}
	for _, r := range roots {
		out.Snapshots = append(out.Snapshots, build(r))
	}
	return out
}

// ---- snapshot_create, snapshot_delete_all: bulk results ----

// ---- snapshot_create ----

// SnapshotCreateArgs names the VMs and the snapshot to take.
type SnapshotCreateArgs struct {
	params.VMTargets
	Name        string `json:"name" jsonschema:"Name of the new snapshot (no /, which separates paths)"`
	Description string `json:"description,omitempty" jsonschema:"What the snapshot is for, e.g. before patching"`
	Memory      bool   `json:"memory,omitempty" jsonschema:"Include the VM's memory so a revert resumes it running (powered-on VMs only; slower and larger); default false"`
	Quiesce     bool   `json:"quiesce,omitempty" jsonschema:"Have VMware Tools quiesce the guest file systems first (VM powered on, Tools running); default false"`
}

const maxSnapshotName = 255

func (a *SnapshotCreateArgs) Validate() error {
	if err := a.VMTargets.Validate(); err != nil {
		return err
	}
	name := strings.TrimSpace(a.Name)
	switch {
	case name == "":
		return errors.New("name is required: the new snapshot's name, e.g. before-patch")
	case len([]rune(name)) > maxSnapshotName:
		return fmt.Errorf("name is %d characters long; the limit is %d", len([]rune(name)), maxSnapshotName)
	case strings.Contains(name, "/"):
		return fmt.Errorf("name %q contains /, which separates the names of a snapshot path (base/after-patch); choose a name without it", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("name contains control characters")
	case name != a.Name:
		return fmt.Errorf("name %q starts or ends with spaces; pass it without them", a.Name)
	case len(a.Description) > 8192:
		return fmt.Errorf("description is %d characters long; the limit is 8192", len(a.Description))
	}
	return nil
}

func snapshotCreate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "snapshot_create",
		Title: "Take snapshots",
		Description: "Take a snapshot of one or more VMs (vm, a vms list, or a vm_list-style filter), optionally with memory or quiesced; " +
			"reports each VM's new snapshot or its error. The new snapshot becomes the VM's current one. Snapshots cost disk space and " +
			"slow the VM as they grow: delete them when done.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a SnapshotCreateArgs) (params.BulkResult, error) {
		targets, err := params.ResolveVMs(ctx, d.Session, a.VMTargets)
		if err != nil {
			return params.BulkResult{}, err
		}
		if err := guard.Act(ctx, fmt.Sprintf("Take snapshot %q of VM", a.Name), targets...); err != nil {
			return params.BulkResult{}, err
		}
		res := params.RunBulk(ctx, fmt.Sprintf("Snapshot %q", a.Name), targets, func(t vcenter.Object, p *guard.Progress) params.TargetResult {
			return createOne(ctx, d.Session, a, t, p)
		})
		if res.Failed > 0 && res.Failed == len(targets) {
			return res, res.Failure()
		}
		return res, nil
	})
}

func createOne(ctx context.Context, s *vcenter.Session, a SnapshotCreateArgs, t vcenter.Object, p *guard.Progress) params.TargetResult {
	r := params.TargetResult{VM: t.Name, ID: t.ID()}
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		vm, err := params.SnapshotVM(ctx, c, t, "snapshot", "runtime.powerState", "guest.toolsRunningStatus", "config.template")
		if err != nil {
			return err
		}
		if vm.Config != nil && vm.Config.Template {
			return &toolkit.ExplainedError{Msg: fmt.Sprintf("%s is a template, and templates have no snapshots; convert it to a VM first", toolkit.Path(t.Path))}
		}
		if a.Quiesce {
			if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
				return &toolkit.ExplainedError{Msg: fmt.Sprintf("%s is %s; quiescing needs it powered on: take the snapshot with quiesce=false", toolkit.Name(t.Name), vm.Runtime.PowerState)}
			}
			if vm.Guest == nil || vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
				return &toolkit.ExplainedError{Msg: fmt.Sprintf("VMware Tools is not running in %s, so its file systems cannot be quiesced: take the snapshot with quiesce=false (crash-consistent), or start VMware Tools", toolkit.Name(t.Name))}
			}
		}
		// The new snapshot becomes a child of the current one: a sibling of
		// the same name would make its path ambiguous.
		all, cur := params.SnapshotTree(&vm)
		for _, e := range all {
			sibling := (cur == nil && e.Parent == nil) || (cur != nil && e.Parent != nil && *e.Parent == *cur)
			if sibling && e.Tree.Name == a.Name {
				return &toolkit.ExplainedError{Msg: fmt.Sprintf("%s already has a snapshot %s (%s) where the new one would go; a second one would make the path ambiguous: choose another name, or delete the old one with snapshot_delete", toolkit.Name(t.Name), toolkit.Path(e.Path), e.ID())}
			}
		}
		task, err := object.NewVirtualMachine(c.Client, t.Ref).CreateSnapshot(ctx, a.Name, a.Description, a.Memory, a.Quiesce)
		if err != nil {
			return err
		}
		r.Task = task.Reference().Value
		info, err := guard.WaitTask(ctx, task, "snapshot "+toolkit.Name(t.Name), p, 0, 100)
		if err != nil {
			return err
		}
		if ref, ok := info.Result.(types.ManagedObjectReference); ok {
			r.SnapshotID = ref.Value
			if vm, err := params.SnapshotVM(ctx, c, t, "snapshot"); err == nil {
				all, _ := params.SnapshotTree(&vm)
				if i := slices.IndexFunc(all, func(e params.SnapEntry) bool { return e.Tree.Snapshot == ref }); i >= 0 {
					r.Snapshot = all[i].Path
				}
			}
		}
		r.Outcome = "done"
		return nil
	})
	if err != nil {
		r.Outcome = "failed"
		r.Error = ExplainTarget(err)
	}
	return r
}

// Explained turns a failed single-VM action's error into its explanation,
// leaving a question for the person (needsInput) as it is.
func Explained(err error) error {
	var re toolkit.ResultError
	if err == nil || errors.As(err, &re) {
		return err
	}
	return &toolkit.ExplainedError{Msg: ExplainTarget(err)}
}

func ExplainTarget(err error) string {
	var ee *toolkit.ExplainedError
	if errors.As(err, &ee) {
		return ee.Msg
	}
	return explainFault(err)
}

// ---- snapshot_revert ----

// SnapshotRevertArgs names the VM and the snapshot to go back to.
type SnapshotRevertArgs struct {
	VM              string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Snapshot        string `json:"snapshot,omitempty" jsonschema:"The snapshot: name, path in the tree (base/after-patch) or ID (snapshot-12); default the current snapshot"`
	SuppressPowerOn bool   `json:"suppress_power_on,omitempty" jsonschema:"Do not power the VM on after reverting to a snapshot taken with memory of a running VM"`
}

func (a *SnapshotRevertArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return params.ValidSnapshotIdent("snapshot", a.Snapshot, false)
}

// SnapshotActionResult reports a revert or a delete on one VM.
type SnapshotActionResult struct {
	Action     string   `json:"action"`
	VM         string   `json:"vm"`
	ID         string   `json:"id"`
	Path       string   `json:"path"`
	Snapshot   string   `json:"snapshot" jsonschema:"Path of the snapshot acted on"`
	SnapshotID string   `json:"snapshot_id"`
	Removed    []string `json:"removed,omitempty" jsonschema:"Paths of the snapshots removed"`
	Current    string   `json:"current_snapshot,omitempty" jsonschema:"Path of the VM's current snapshot afterwards"`
	Remaining  int      `json:"snapshots_left"`
	PowerState string   `json:"power_state,omitempty"`
	Task       string   `json:"task,omitempty"`
}

// Text renders the action in a few lines.
func (r SnapshotActionResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: VM %s (%s), snapshot %s (%s)", r.Action, toolkit.Path(r.Path), r.ID, toolkit.Path(r.Snapshot), r.SnapshotID)
	if r.Task != "" {
		fmt.Fprintf(&b, ", task %s", r.Task)
	}
	b.WriteByte('\n')
	if len(r.Removed) > 0 {
		fmt.Fprintf(&b, "removed: %s\n", toolkit.Names(r.Removed))
	}
	if r.PowerState != "" {
		fmt.Fprintf(&b, "power: %s\n", r.PowerState)
	}
	cur := toolkit.Path(r.Current)
	if cur == "" {
		cur = "none"
	}
	fmt.Fprintf(&b, "snapshots left: %d, current: %s\n", r.Remaining, cur)
	return b.String()
}

// after fills in the VM's state once the action is done.
func (r *SnapshotActionResult) after(ctx context.Context, c *vcenter.Conn, o vcenter.Object) {
	vm, err := params.SnapshotVM(ctx, c, o, "snapshot", "runtime.powerState")
	if err != nil {
		return // the action is done; its result stands without the read-back
	}
	all, cur := params.SnapshotTree(&vm)
	r.Remaining = len(all)
	r.PowerState = string(vm.Runtime.PowerState)
	if cur != nil {
		if i := slices.IndexFunc(all, func(e params.SnapEntry) bool { return e.Tree.Snapshot == *cur }); i >= 0 {
			r.Current = all[i].Path
		}
	}
}

func snapshotRevert() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "snapshot_revert",
		Title: "Revert a VM to a snapshot",
		Description: "Revert a VM to one of its snapshots (default: the current one). The VM's present state since that snapshot is lost: " +
			"irreversible, a person confirms first. A snapshot without memory leaves the VM powered off; one with memory resumes it " +
			"unless suppress_power_on.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, d toolkit.Deps, a SnapshotRevertArgs) (SnapshotActionResult, error) {
		var out SnapshotActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			vm, err := params.SnapshotVM(ctx, c, o, "snapshot", "runtime.powerState")
			if err != nil {
				return err
			}
			all, cur := params.SnapshotTree(&vm)
			var target params.SnapEntry
			if a.Snapshot == "" {
				if cur == nil {
					if len(all) == 0 {
						return &params.SnapshotNotFoundError{VM: o.Path}
					}
					return fmt.Errorf("VM %s has no current snapshot; name the snapshot to revert to (see snapshot_list)", toolkit.Path(o.Path))
				}
				i := slices.IndexFunc(all, func(e params.SnapEntry) bool { return e.Tree.Snapshot == *cur })
				if i < 0 {
					return fmt.Errorf("VM %s names %s as its current snapshot, but it is not in the tree; name the snapshot to revert to (see snapshot_list)", toolkit.Path(o.Path), cur.Value)
				}
				target = all[i]
			} else if target, err = params.FindSnapshot(o.Path, all, a.Snapshot); err != nil {
				return err
			}

			what := fmt.Sprintf("Revert VM %s to snapshot %s (current state is lost", toolkit.Path(o.Path), toolkit.Path(target.Path))
			switch {
			case target.Tree.State == types.VirtualMachinePowerStatePoweredOff && vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff:
				what += "; the snapshot has no memory, so the VM will be powered off"
			case target.Tree.State == types.VirtualMachinePowerStatePoweredOn && !a.SuppressPowerOn:
				what += "; the VM resumes running from the snapshot's memory"
			}
			what += ")"
			// Confirmation comes before anything happens, and is bound to
			// this snapshot: if the current one changes meanwhile, the
			// person is asked again.
			if err := guard.ActOn(ctx, what, o, params.SnapshotObject(o, target)); err != nil {
				return err
			}
			out = SnapshotActionResult{Action: "Reverted", VM: o.Name, ID: o.ID(), Path: o.Path, Snapshot: target.Path, SnapshotID: target.ID()}
			req := types.RevertToSnapshot_Task{This: target.Tree.Snapshot, SuppressPowerOn: types.NewBool(a.SuppressPowerOn)}
			res, err := methods.RevertToSnapshot_Task(ctx, c.Client, &req)
			if err != nil {
				return fmt.Errorf("revert %s to snapshot %s: %w; nothing was changed", toolkit.Path(o.Path), toolkit.Path(target.Path), err)
			}
			task := object.NewTask(c.Client, res.Returnval)
			out.Task = task.Reference().Value
			if _, err := guard.WaitTask(ctx, task, "revert "+toolkit.Name(o.Name)+" to "+toolkit.Path(target.Path), guard.NewProgress(ctx), 0, 100); err != nil {
				return err
			}
			out.after(ctx, c, o)
			return nil
		})
		return out, Explained(err)
	})
}

// ---- snapshot_delete ----

// SnapshotDeleteArgs names the snapshot to delete.
type SnapshotDeleteArgs struct {
	VM          string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Snapshot    string `json:"snapshot" jsonschema:"The snapshot: name, path in the tree (base/after-patch) or ID (snapshot-12)"`
	Children    bool   `json:"children,omitempty" jsonschema:"Also delete every snapshot below it; by default they stay, attached to its parent"`
	Consolidate *bool  `json:"consolidate,omitempty" jsonschema:"Merge the snapshot's delta disks into their parents; default true"`
}

func (a *SnapshotDeleteArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return params.ValidSnapshotIdent("snapshot", a.Snapshot, true)
}

func consolidate(b *bool) bool { return b == nil || *b }

func snapshotDelete() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "snapshot_delete",
		Title: "Delete a snapshot",
		Description: "Delete one snapshot of a VM, or with children=true it and every snapshot below it. The VM's present state stays; " +
			"the restore points go. Irreversible: a person confirms first. Removing a large snapshot merges its disks and can take long: " +
			"progress is reported.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, d toolkit.Deps, a SnapshotDeleteArgs) (SnapshotActionResult, error) {
		var out SnapshotActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			vm, err := params.SnapshotVM(ctx, c, o, "snapshot")
			if err != nil {
				return err
			}
			all, _ := params.SnapshotTree(&vm)
			target, err := params.FindSnapshot(o.Path, all, a.Snapshot)
			if err != nil {
				return err
			}
			below := params.Descendants(target)
			removed := []string{target.Path}
			what := fmt.Sprintf("Delete snapshot %s of VM %s", toolkit.Path(target.Path), toolkit.Path(o.Path))
			if a.Children {
				for _, e := range below {
					removed = append(removed, target.Path+"/"+e.Path)
				}
				if len(below) > 0 {
					what += fmt.Sprintf(" and the %d snapshots below it (%s)", len(below), toolkit.Names(removed[1:]))
				}
			} else if len(below) > 0 {
				what += fmt.Sprintf(" (the %d snapshots below it stay)", len(below))
			}
			if !consolidate(a.Consolidate) {
				what += " without consolidating its disks"
			}
			if err := guard.ActOn(ctx, what, o, params.SnapshotObject(o, target)); err != nil {
				return err
			}
			out = SnapshotActionResult{Action: "Deleted", VM: o.Name, ID: o.ID(), Path: o.Path, Snapshot: target.Path, SnapshotID: target.ID(), Removed: removed}
			req := types.RemoveSnapshot_Task{This: target.Tree.Snapshot, RemoveChildren: a.Children, Consolidate: types.NewBool(consolidate(a.Consolidate))}
			res, err := methods.RemoveSnapshot_Task(ctx, c.Client, &req)
			if err != nil {
				return fmt.Errorf("delete snapshot %s of %s: %w; nothing was deleted", toolkit.Path(target.Path), toolkit.Path(o.Path), err)
			}
			task := object.NewTask(c.Client, res.Returnval)
			out.Task = task.Reference().Value
			if _, err := guard.WaitTask(ctx, task, "delete snapshot "+toolkit.Path(target.Path)+" of "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return err
			}
			out.after(ctx, c, o)
			return nil
		})
		return out, Explained(err)
	})
}

// ---- snapshot_delete_all ----

// SnapshotDeleteAllArgs names the VMs whose snapshots all go.
type SnapshotDeleteAllArgs struct {
	params.VMTargets
	Consolidate *bool `json:"consolidate,omitempty" jsonschema:"Merge the delta disks into the base disks; default true"`
}

func snapshotDeleteAll() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "snapshot_delete_all",
		Title: "Delete all snapshots of VMs",
		Description: "Delete every snapshot of one or more VMs (vm, a vms list, or a vm_list-style filter), consolidating their disks; " +
			"each VM keeps its present state. Irreversible: a person confirms first. Can take long on large snapshots: progress is reported.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, d toolkit.Deps, a SnapshotDeleteAllArgs) (params.BulkResult, error) {
		targets, err := params.ResolveVMs(ctx, d.Session, a.VMTargets)
		if err != nil {
			return params.BulkResult{}, err
		}
		// Count first: VMs without snapshots are not touched (nor asked about).
		counts := map[types.ManagedObjectReference]int{}
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			for _, t := range targets {
				vm, err := params.SnapshotVM(ctx, c, t, "snapshot")
				if err != nil {
					return err
				}
				all, _ := params.SnapshotTree(&vm)
				counts[t.Ref] = len(all)
			}
			return nil
		})
		if err != nil {
			return params.BulkResult{}, err
		}
		var withSnaps []vcenter.Object
		total := 0
		for _, t := range targets {
			if n := counts[t.Ref]; n > 0 {
				withSnaps = append(withSnaps, t)
				total += n
			}
		}
		action := "Delete all snapshots"
		res := params.BulkResult{Action: action}
		if len(withSnaps) > 0 {
			what := fmt.Sprintf("Delete all %d snapshots of %d VM(s) (each VM keeps its present state; the restore points are lost)", total, len(withSnaps))
			if !consolidate(a.Consolidate) {
				what = strings.TrimSuffix(what, ")") + "; disks are not consolidated)"
			}
			if err := guard.Act(ctx, what, withSnaps...); err != nil {
				return params.BulkResult{}, err
			}
			res = params.RunBulk(ctx, action, withSnaps, func(t vcenter.Object, p *guard.Progress) params.TargetResult {
				return deleteAllOne(ctx, d.Session, t, counts[t.Ref], consolidate(a.Consolidate), p)
			})
		}
		byRef := map[types.ManagedObjectReference]params.TargetResult{}
		for _, r := range res.Results {
			byRef[types.ManagedObjectReference{Type: "VirtualMachine", Value: r.ID}] = r
		}
		res.Results = res.Results[:0:0]
		for _, t := range targets {
			if r, ok := byRef[t.Ref]; ok {
				res.Results = append(res.Results, r)
			} else {
				res.Results = append(res.Results, params.TargetResult{VM: t.Name, ID: t.ID(), Outcome: "unchanged"})
			}
		}
		res.Count()
		if len(withSnaps) > 0 && res.Failed == len(withSnaps) {
			return res, res.Failure()
		}
		return res, nil
	})
}

func deleteAllOne(ctx context.Context, s *vcenter.Session, t vcenter.Object, n int, cons bool, p *guard.Progress) params.TargetResult {
	r := params.TargetResult{VM: t.Name, ID: t.ID()}
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		task, err := object.NewVirtualMachine(c.Client, t.Ref).RemoveAllSnapshot(ctx, types.NewBool(cons))
		if err != nil {
			return err
		}
		r.Task = task.Reference().Value
		if _, err := guard.WaitTask(ctx, task, "delete all snapshots of "+toolkit.Name(t.Name), p, 0, 100); err != nil {
			return err
		}
		r.Removed = n
		if vm, err := params.SnapshotVM(ctx, c, t, "snapshot"); err == nil {
			if left := len(params.FlattenOf(&vm)); left > 0 {
				r.Removed = max(n-left, 0)
				return &toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished the task but %d snapshots of %s remain; check them with snapshot_list", left, toolkit.Name(t.Name))}
			}
		}
		r.Outcome = "done"
		return nil
	})
	if err != nil {
		r.Outcome = "failed"
		r.Error = ExplainTarget(err)
	}
	return r
}
