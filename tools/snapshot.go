package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// This file holds the snapshot tools: snapshot_list, snapshot_create,
// snapshot_revert, snapshot_delete and snapshot_delete_all. A snapshot is
// named by its name, by its path in the VM's tree ("base/after-patch": the
// names from the root down, joined by "/"), or by its ID (snapshot-12). A
// name that several snapshots carry is an error listing their paths.

// ---- the tree ----

// SnapEntry is one snapshot of a VM's tree, with where it sits.
type SnapEntry struct {
	Tree   *types.VirtualMachineSnapshotTree
	Path   string
	Parent *types.ManagedObjectReference
}

func (e SnapEntry) ID() string { return e.Tree.Snapshot.Value }

// FlattenSnapshots lists a tree depth-first, parents before children.
func FlattenSnapshots(tree []types.VirtualMachineSnapshotTree) []SnapEntry {
	var out []SnapEntry
	var walk func([]types.VirtualMachineSnapshotTree, string, *types.ManagedObjectReference)
	walk = func(nodes []types.VirtualMachineSnapshotTree, prefix string, parent *types.ManagedObjectReference) {
		for i := range nodes {
			n := &nodes[i]
			p := n.Name
			if prefix != "" {
				p = prefix + "/" + n.Name
			}
			out = append(out, SnapEntry{Tree: n, Path: p, Parent: parent})
			walk(n.ChildSnapshotList, p, &n.Snapshot)
		}
	}
	walk(tree, "", nil)
	return out
}

// SnapshotTree returns the VM's snapshots and its current one (nil: none).
func SnapshotTree(vm *mo.VirtualMachine) ([]SnapEntry, *types.ManagedObjectReference) {
	if vm.Snapshot == nil {
		return nil, nil
	}
	return FlattenSnapshots(vm.Snapshot.RootSnapshotList), vm.Snapshot.CurrentSnapshot
}

// Descendants lists the snapshots below e (children first, then theirs).
func Descendants(e SnapEntry) []SnapEntry {
	return FlattenSnapshots(e.Tree.ChildSnapshotList)
}

// SnapshotNotFoundError says a VM has no snapshot answering to a name.
type SnapshotNotFoundError struct {
	VM, Ident string
	Paths     []string
}

func (e *SnapshotNotFoundError) Error() string {
	if len(e.Paths) == 0 {
		return fmt.Sprintf("VM %s has no snapshots", e.VM)
	}
	shown := e.Paths
	more := ""
	if len(shown) > 20 {
		shown, more = shown[:20], fmt.Sprintf(" and %d more", len(e.Paths)-20)
	}
	return fmt.Sprintf("VM %s has no snapshot %q (snapshot names are case-sensitive; pass a name, a path like base/after-patch, or an ID like snapshot-12). Its snapshots: %s%s",
		e.VM, e.Ident, strings.Join(shown, ", "), more)
}

// AmbiguousSnapshotError says a name matched several snapshots.
type AmbiguousSnapshotError struct {
	VM, Ident  string
	Candidates []SnapEntry
}

func (e *AmbiguousSnapshotError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q matches %d snapshots of VM %s; name one by its path or ID instead:", e.Ident, len(e.Candidates), e.VM)
	for _, c := range e.Candidates {
		fmt.Fprintf(&b, "\n  %s (%s, created %s)", c.Path, c.ID(), c.Tree.CreateTime.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// FindSnapshot resolves a snapshot identifier in a VM's tree: an ID, a path
// (when it holds a "/"), or a name, which must be unique.
func FindSnapshot(vmPath string, all []SnapEntry, ident string) (SnapEntry, error) {
	ident = strings.TrimSpace(ident)
	for _, e := range all {
		if e.ID() == ident {
			return e, nil
		}
	}
	var matches []SnapEntry
	if strings.Contains(ident, "/") {
		p := strings.Trim(ident, "/")
		for _, e := range all {
			if e.Path == p {
				matches = append(matches, e)
			}
		}
	} else {
		for _, e := range all {
			if e.Tree.Name == ident {
				matches = append(matches, e)
			}
		}
	}
	switch len(matches) {
	case 0:
		paths := make([]string, len(all))
		for i, e := range all {
			paths[i] = e.Path
		}
		return SnapEntry{}, &SnapshotNotFoundError{VM: vmPath, Ident: ident, Paths: paths}
	case 1:
		return matches[0], nil
	}
	return SnapEntry{}, &AmbiguousSnapshotError{VM: vmPath, Ident: ident, Candidates: matches}
}

// ValidSnapshotIdent checks a snapshot argument before anything is read.
func ValidSnapshotIdent(arg, s string, required bool) error {
	switch {
	case strings.TrimSpace(s) == "" && required:
		return fmt.Errorf("%s is required: the snapshot's name, its path in the tree (base/after-patch) or its ID (snapshot-12); see snapshot_list", arg)
	case len(s) > 4096:
		return fmt.Errorf("%s is %d characters long; the limit is 4096", arg, len(s))
	}
	return nil
}

// SnapshotVM reads props of one resolved VM.
func SnapshotVM(ctx context.Context, c *vcenter.Conn, o vcenter.Object, props ...string) (mo.VirtualMachine, error) {
	var vm mo.VirtualMachine
	if err := object.NewVirtualMachine(c.Client, o.Ref).Properties(ctx, o.Ref, props, &vm); err != nil {
		return vm, fmt.Errorf("read VM %s: %w", o.Path, err)
	}
	return vm, nil
}

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
	msg := err.Error()
	for _, f := range snapshotFaults {
		if fault.Is(err, f.fault) {
			name := FaultTypeName(f.fault)
			if !strings.Contains(msg, name) {
				msg += " (" + name + ")"
			}
			return msg + ": " + f.advice
		}
	}
	return ExplainNamed(err)
}

// ExplainNamed is vcenter.Explain, plus the fault's type name when the
// message does not carry it, so every vCenter fault comes back named.
func ExplainNamed(err error) string {
	msg := vcenter.Explain(err)
	if name := FaultName(err); name != "" && !strings.Contains(msg, name) {
		msg += " (" + name + ")"
	}
	return msg
}

// FaultName is the type name of the vCenter fault in err, or "".
func FaultName(err error) string {
	if err == nil {
		return ""
	}
	var f types.BaseMethodFault
	if _, ok := fault.As(err, &f); ok && f != nil {
		return FaultTypeName(f)
	}
	return ""
}

func FaultTypeName(f any) string {
	name := fmt.Sprintf("%T", f)
	return name[strings.LastIndex(name, ".")+1:]
}

// ExplainedError carries a message already explained for the model.
type ExplainedError struct{ Msg string }

func (e *ExplainedError) Error() string { return e.Msg }

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

// Text renders the tree, indented two spaces per level.
func (l SnapshotList) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "VM %s (%s) %s: ", l.VM, l.ID, l.Path)
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
		fmt.Fprintf(&b, ", current: %s", l.Current)
	}
	b.WriteByte('\n')
	var walk func([]SnapshotNode, int)
	walk = func(nodes []SnapshotNode, depth int) {
		for _, n := range nodes {
			b.WriteString(strings.Repeat("  ", depth))
			fmt.Fprintf(&b, "%s (%s) %s, %s ago, %s", n.Name, n.ID, n.Created, HumanAge(time.Duration(n.AgeSeconds)*time.Second), powerWord(n.PowerState))
			if n.Memory {
				b.WriteString(", memory")
			}
			if n.Quiesced {
				b.WriteString(", quiesced")
			}
			if n.SizeBytes != nil {
				b.WriteString(", " + HumanBytes(*n.SizeBytes))
			}
			if n.Current {
				b.WriteString(" [current]")
			}
			if n.Description != "" {
				b.WriteString(": " + cleanCell(Truncate(n.Description, 200)))
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

// HumanAge renders a duration the way a person says how long ago.
func HumanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// snapshotSize is the space a snapshot's own files take: govmomi's
// accounting (its .vmsn and the delta disks it owns, plus for the current
// snapshot the disk growth since), and its memory file. nil when the VM's
// file layout does not mention the snapshot.
func snapshotSize(layout *types.VirtualMachineFileLayoutEx, e SnapEntry, current bool) *int64 {
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

func snapshotList(d Deps) Tool {
	return Define(Spec{
		Name:    "snapshot_list",
		toolset: "snapshot",
		Title:   "List a VM's snapshots",
		Description: "Show a VM's snapshot tree: each snapshot's name, path, ID, creation time and age, description, " +
			"whether it holds memory or was quiesced, its size where vCenter reports it, and which one is current.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, a VMArgs) (SnapshotList, error) {
		var out SnapshotList
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			vm, err := SnapshotVM(ctx, c, o, "snapshot", "layoutEx")
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
	all, cur := SnapshotTree(vm)
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

// SnapshotTargetResult is the outcome of a bulk snapshot action on one VM.
type SnapshotTargetResult struct {
	VM         string `json:"vm"`
	ID         string `json:"id"`
	Outcome    string `json:"outcome" jsonschema:"done, unchanged or failed"`
	Snapshot   string `json:"snapshot,omitempty" jsonschema:"The snapshot created: its path in the VM's tree"`
	SnapshotID string `json:"snapshot_id,omitempty"`
	Removed    int    `json:"removed,omitempty" jsonschema:"How many snapshots were removed"`
	Task       string `json:"task,omitempty"`
	Error      string `json:"error,omitempty"`
}

// SnapshotBulkResult reports a bulk snapshot action per VM; a partial
// failure is reported, never hidden.
type SnapshotBulkResult struct {
	Action    string                 `json:"action"`
	Results   []SnapshotTargetResult `json:"results"`
	Succeeded int                    `json:"succeeded"`
	Unchanged int                    `json:"unchanged"`
	Failed    int                    `json:"failed"`
}

// Text renders the outcome line and a row per VM.
func (r SnapshotBulkResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d done, %d unchanged, %d failed\n", r.Action, r.Succeeded, r.Unchanged, r.Failed)
	t := NewTable("vm", "id", "outcome", "snapshot", "snapshot_id", "removed", "task", "error")
	for _, x := range r.Results {
		removed := ""
		if x.Removed > 0 {
			removed = Itoa(x.Removed)
		}
		t.Row(x.VM, x.ID, x.Outcome, x.Snapshot, x.SnapshotID, removed, x.Task, x.Error)
	}
	b.WriteString(t.String())
	return b.String()
}

func (r *SnapshotBulkResult) count() {
	r.Succeeded, r.Unchanged, r.Failed = 0, 0, 0
	for _, x := range r.Results {
		switch x.Outcome {
		case "done":
			r.Succeeded++
		case "unchanged":
			r.Unchanged++
		default:
			r.Failed++
		}
	}
}

// snapshotBulkFailed is a bulk action where every target failed: a tool
// error that still carries the per-target detail.
type snapshotBulkFailed struct{ res SnapshotBulkResult }

func (b *snapshotBulkFailed) Error() string { return b.res.Text() }

// EachTarget runs one per VM, four at a time (vCenter queues tasks
// anyway), reporting progress per finished VM; with one VM, that VM's task
// reports the progress itself.
func EachTarget(ctx context.Context, action string, targets []vcenter.Object, one func(t vcenter.Object, p *Progress) SnapshotTargetResult) SnapshotBulkResult {
	res := SnapshotBulkResult{Action: action, Results: make([]SnapshotTargetResult, len(targets))}
	p := NewProgress(ctx)
	p.Report(0, fmt.Sprintf("%s: %d VMs", action, len(targets)))
	var taskP *Progress
	if len(targets) == 1 {
		taskP = p
	}
	var finished atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res.Results[i] = one(t, taskP)
			n := finished.Add(1)
			p.Report(100*float64(n)/float64(len(targets)), fmt.Sprintf("%s: %d of %d VMs", action, n, len(targets)))
		}()
	}
	wg.Wait()
	res.count()
	return res
}

// ---- snapshot_create ----

// SnapshotCreateArgs names the VMs and the snapshot to take.
type SnapshotCreateArgs struct {
	VMTargets
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

func snapshotCreate(d Deps) Tool {
	return Define(Spec{
		Name:    "snapshot_create",
		toolset: "snapshot",
		Title:   "Take snapshots",
		Description: "Take a snapshot of one or more VMs (vm, a vms list, or a vm_list-style filter), optionally with memory or quiesced; " +
			"reports each VM's new snapshot or its error. The new snapshot becomes the VM's current one. Snapshots cost disk space and " +
			"slow the VM as they grow: delete them when done.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, a SnapshotCreateArgs) (SnapshotBulkResult, error) {
		targets, err := ResolveVMs(ctx, d.Session, a.VMTargets)
		if err != nil {
			return SnapshotBulkResult{}, err
		}
		if err := Act(ctx, fmt.Sprintf("Take snapshot %q of VM", a.Name), targets...); err != nil {
			return SnapshotBulkResult{}, err
		}
		res := EachTarget(ctx, fmt.Sprintf("Snapshot %q", a.Name), targets, func(t vcenter.Object, p *Progress) SnapshotTargetResult {
			return createOne(ctx, d.Session, a, t, p)
		})
		if res.Failed > 0 && res.Failed == len(targets) {
			return res, &snapshotBulkFailed{res}
		}
		return res, nil
	})
}

func createOne(ctx context.Context, s *vcenter.Session, a SnapshotCreateArgs, t vcenter.Object, p *Progress) SnapshotTargetResult {
	r := SnapshotTargetResult{VM: t.Name, ID: t.ID()}
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		vm, err := SnapshotVM(ctx, c, t, "snapshot", "runtime.powerState", "guest.toolsRunningStatus", "config.template")
		if err != nil {
			return err
		}
		if vm.Config != nil && vm.Config.Template {
			return &ExplainedError{fmt.Sprintf("%s is a template, and templates have no snapshots; convert it to a VM first", t.Path)}
		}
		if a.Quiesce {
			if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
				return &ExplainedError{fmt.Sprintf("%s is %s; quiescing needs it powered on: take the snapshot with quiesce=false", t.Name, vm.Runtime.PowerState)}
			}
			if vm.Guest == nil || vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
				return &ExplainedError{fmt.Sprintf("VMware Tools is not running in %s, so its file systems cannot be quiesced: take the snapshot with quiesce=false (crash-consistent), or start VMware Tools", t.Name)}
			}
		}
		// The new snapshot becomes a child of the current one: a sibling of
		// the same name would make its path ambiguous.
		all, cur := SnapshotTree(&vm)
		for _, e := range all {
			sibling := (cur == nil && e.Parent == nil) || (cur != nil && e.Parent != nil && *e.Parent == *cur)
			if sibling && e.Tree.Name == a.Name {
				return &ExplainedError{fmt.Sprintf("%s already has a snapshot %s (%s) where the new one would go; a second one would make the path ambiguous: choose another name, or delete the old one with snapshot_delete", t.Name, e.Path, e.ID())}
			}
		}
		task, err := object.NewVirtualMachine(c.Client, t.Ref).CreateSnapshot(ctx, a.Name, a.Description, a.Memory, a.Quiesce)
		if err != nil {
			return err
		}
		r.Task = task.Reference().Value
		info, err := WaitTask(ctx, task, "snapshot "+t.Name, p, 0, 100)
		if err != nil {
			return err
		}
		if ref, ok := info.Result.(types.ManagedObjectReference); ok {
			r.SnapshotID = ref.Value
			if vm, err := SnapshotVM(ctx, c, t, "snapshot"); err == nil {
				all, _ := SnapshotTree(&vm)
				if i := slices.IndexFunc(all, func(e SnapEntry) bool { return e.Tree.Snapshot == ref }); i >= 0 {
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
	var ni *needsInput
	if err == nil || errors.As(err, &ni) {
		return err
	}
	return &ExplainedError{ExplainTarget(err)}
}

func ExplainTarget(err error) string {
	var ee *ExplainedError
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
	if err := RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return ValidSnapshotIdent("snapshot", a.Snapshot, false)
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
	fmt.Fprintf(&b, "%s: VM %s (%s), snapshot %s (%s)", r.Action, r.Path, r.ID, r.Snapshot, r.SnapshotID)
	if r.Task != "" {
		fmt.Fprintf(&b, ", task %s", r.Task)
	}
	b.WriteByte('\n')
	if len(r.Removed) > 0 {
		fmt.Fprintf(&b, "removed: %s\n", strings.Join(r.Removed, ", "))
	}
	if r.PowerState != "" {
		fmt.Fprintf(&b, "power: %s\n", r.PowerState)
	}
	cur := r.Current
	if cur == "" {
		cur = "none"
	}
	fmt.Fprintf(&b, "snapshots left: %d, current: %s\n", r.Remaining, cur)
	return b.String()
}

// after fills in the VM's state once the action is done.
func (r *SnapshotActionResult) after(ctx context.Context, c *vcenter.Conn, o vcenter.Object) {
	vm, err := SnapshotVM(ctx, c, o, "snapshot", "runtime.powerState")
	if err != nil {
		return // the action is done; its result stands without the read-back
	}
	all, cur := SnapshotTree(&vm)
	r.Remaining = len(all)
	r.PowerState = string(vm.Runtime.PowerState)
	if cur != nil {
		if i := slices.IndexFunc(all, func(e SnapEntry) bool { return e.Tree.Snapshot == *cur }); i >= 0 {
			r.Current = all[i].Path
		}
	}
}

func snapshotRevert(d Deps) Tool {
	return Define(Spec{
		Name:    "snapshot_revert",
		toolset: "snapshot",
		Title:   "Revert a VM to a snapshot",
		Description: "Revert a VM to one of its snapshots (default: the current one). The VM's present state since that snapshot is lost: " +
			"irreversible, a person confirms first. A snapshot without memory leaves the VM powered off; one with memory resumes it " +
			"unless suppress_power_on.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, a SnapshotRevertArgs) (SnapshotActionResult, error) {
		var out SnapshotActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			vm, err := SnapshotVM(ctx, c, o, "snapshot", "runtime.powerState")
			if err != nil {
				return err
			}
			all, cur := SnapshotTree(&vm)
			var target SnapEntry
			if a.Snapshot == "" {
				if cur == nil {
					if len(all) == 0 {
						return &SnapshotNotFoundError{VM: o.Path}
					}
					return fmt.Errorf("VM %s has no current snapshot; name the snapshot to revert to (see snapshot_list)", o.Path)
				}
				i := slices.IndexFunc(all, func(e SnapEntry) bool { return e.Tree.Snapshot == *cur })
				if i < 0 {
					return fmt.Errorf("VM %s names %s as its current snapshot, but it is not in the tree; name the snapshot to revert to (see snapshot_list)", o.Path, cur.Value)
				}
				target = all[i]
			} else if target, err = FindSnapshot(o.Path, all, a.Snapshot); err != nil {
				return err
			}

			what := fmt.Sprintf("Revert VM %s to snapshot %s (current state is lost", o.Path, target.Path)
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
			if err := ActOn(ctx, what, o, SnapshotObject(o, target)); err != nil {
				return err
			}
			out = SnapshotActionResult{Action: "Reverted", VM: o.Name, ID: o.ID(), Path: o.Path, Snapshot: target.Path, SnapshotID: target.ID()}
			req := types.RevertToSnapshot_Task{This: target.Tree.Snapshot, SuppressPowerOn: types.NewBool(a.SuppressPowerOn)}
			res, err := methods.RevertToSnapshot_Task(ctx, c.Client, &req)
			if err != nil {
				return fmt.Errorf("revert %s to snapshot %s: %w; nothing was changed", o.Path, target.Path, err)
			}
			task := object.NewTask(c.Client, res.Returnval)
			out.Task = task.Reference().Value
			if _, err := WaitTask(ctx, task, "revert "+o.Name+" to "+target.Path, NewProgress(ctx), 0, 100); err != nil {
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
	if err := RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return ValidSnapshotIdent("snapshot", a.Snapshot, true)
}

func consolidate(b *bool) bool { return b == nil || *b }

func snapshotDelete(d Deps) Tool {
	return Define(Spec{
		Name:    "snapshot_delete",
		toolset: "snapshot",
		Title:   "Delete a snapshot",
		Description: "Delete one snapshot of a VM, or with children=true it and every snapshot below it. The VM's present state stays; " +
			"the restore points go. Irreversible: a person confirms first. Removing a large snapshot merges its disks and can take long: " +
			"progress is reported.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, a SnapshotDeleteArgs) (SnapshotActionResult, error) {
		var out SnapshotActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			vm, err := SnapshotVM(ctx, c, o, "snapshot")
			if err != nil {
				return err
			}
			all, _ := SnapshotTree(&vm)
			target, err := FindSnapshot(o.Path, all, a.Snapshot)
			if err != nil {
				return err
			}
			below := Descendants(target)
			removed := []string{target.Path}
			what := fmt.Sprintf("Delete snapshot %s of VM %s", target.Path, o.Path)
			if a.Children {
				for _, e := range below {
					removed = append(removed, target.Path+"/"+e.Path)
				}
				if len(below) > 0 {
					what += fmt.Sprintf(" and the %d snapshots below it (%s)", len(below), strings.Join(removed[1:], ", "))
				}
			} else if len(below) > 0 {
				what += fmt.Sprintf(" (the %d snapshots below it stay)", len(below))
			}
			if !consolidate(a.Consolidate) {
				what += " without consolidating its disks"
			}
			if err := ActOn(ctx, what, o, SnapshotObject(o, target)); err != nil {
				return err
			}
			out = SnapshotActionResult{Action: "Deleted", VM: o.Name, ID: o.ID(), Path: o.Path, Snapshot: target.Path, SnapshotID: target.ID(), Removed: removed}
			req := types.RemoveSnapshot_Task{This: target.Tree.Snapshot, RemoveChildren: a.Children, Consolidate: types.NewBool(consolidate(a.Consolidate))}
			res, err := methods.RemoveSnapshot_Task(ctx, c.Client, &req)
			if err != nil {
				return fmt.Errorf("delete snapshot %s of %s: %w; nothing was deleted", target.Path, o.Path, err)
			}
			task := object.NewTask(c.Client, res.Returnval)
			out.Task = task.Reference().Value
			if _, err := WaitTask(ctx, task, "delete snapshot "+target.Path+" of "+o.Name, NewProgress(ctx), 0, 100); err != nil {
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
	VMTargets
	Consolidate *bool `json:"consolidate,omitempty" jsonschema:"Merge the delta disks into the base disks; default true"`
}

func snapshotDeleteAll(d Deps) Tool {
	return Define(Spec{
		Name:    "snapshot_delete_all",
		toolset: "snapshot",
		Title:   "Delete all snapshots of VMs",
		Description: "Delete every snapshot of one or more VMs (vm, a vms list, or a vm_list-style filter), consolidating their disks; " +
			"each VM keeps its present state. Irreversible: a person confirms first. Can take long on large snapshots: progress is reported.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, a SnapshotDeleteAllArgs) (SnapshotBulkResult, error) {
		targets, err := ResolveVMs(ctx, d.Session, a.VMTargets)
		if err != nil {
			return SnapshotBulkResult{}, err
		}
		// Count first: VMs without snapshots are not touched (nor asked about).
		counts := map[types.ManagedObjectReference]int{}
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			for _, t := range targets {
				vm, err := SnapshotVM(ctx, c, t, "snapshot")
				if err != nil {
					return err
				}
				all, _ := SnapshotTree(&vm)
				counts[t.Ref] = len(all)
			}
			return nil
		})
		if err != nil {
			return SnapshotBulkResult{}, err
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
		res := SnapshotBulkResult{Action: action}
		if len(withSnaps) > 0 {
			what := fmt.Sprintf("Delete all %d snapshots of %d VM(s) (each VM keeps its present state; the restore points are lost)", total, len(withSnaps))
			if !consolidate(a.Consolidate) {
				what = strings.TrimSuffix(what, ")") + "; disks are not consolidated)"
			}
			if err := Act(ctx, what, withSnaps...); err != nil {
				return SnapshotBulkResult{}, err
			}
			res = EachTarget(ctx, action, withSnaps, func(t vcenter.Object, p *Progress) SnapshotTargetResult {
				return deleteAllOne(ctx, d.Session, t, counts[t.Ref], consolidate(a.Consolidate), p)
			})
		}
		byRef := map[types.ManagedObjectReference]SnapshotTargetResult{}
		for _, r := range res.Results {
			byRef[types.ManagedObjectReference{Type: "VirtualMachine", Value: r.ID}] = r
		}
		res.Results = res.Results[:0:0]
		for _, t := range targets {
			if r, ok := byRef[t.Ref]; ok {
				res.Results = append(res.Results, r)
			} else {
				res.Results = append(res.Results, SnapshotTargetResult{VM: t.Name, ID: t.ID(), Outcome: "unchanged"})
			}
		}
		res.count()
		if len(withSnaps) > 0 && res.Failed == len(withSnaps) {
			return res, &snapshotBulkFailed{res}
		}
		return res, nil
	})
}

func deleteAllOne(ctx context.Context, s *vcenter.Session, t vcenter.Object, n int, cons bool, p *Progress) SnapshotTargetResult {
	r := SnapshotTargetResult{VM: t.Name, ID: t.ID()}
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		task, err := object.NewVirtualMachine(c.Client, t.Ref).RemoveAllSnapshot(ctx, types.NewBool(cons))
		if err != nil {
			return err
		}
		r.Task = task.Reference().Value
		if _, err := WaitTask(ctx, task, "delete all snapshots of "+t.Name, p, 0, 100); err != nil {
			return err
		}
		r.Removed = n
		if vm, err := SnapshotVM(ctx, c, t, "snapshot"); err == nil {
			if left := len(FlattenOf(&vm)); left > 0 {
				r.Removed = max(n-left, 0)
				return &ExplainedError{fmt.Sprintf("vCenter finished the task but %d snapshots of %s remain; check them with snapshot_list", left, t.Name)}
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

func FlattenOf(vm *mo.VirtualMachine) []SnapEntry {
	all, _ := SnapshotTree(vm)
	return all
}

// SnapshotObject names a snapshot for confirmation binding and the audit
// trail: its ID, and VMPATH@SNAPSHOTPATH.
func SnapshotObject(vm vcenter.Object, e SnapEntry) vcenter.Object {
	return vcenter.Object{Ref: e.Tree.Snapshot, Name: e.Tree.Name, Path: vm.Path + "@" + e.Path}
}
