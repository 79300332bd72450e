package params

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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
		return fmt.Sprintf("VM %s has no snapshots", toolkit.Path(e.VM))
	}
	shown := e.Paths
	more := ""
	if len(shown) > 20 {
		shown, more = shown[:20], fmt.Sprintf(" and %d more", len(e.Paths)-20)
	}
	return fmt.Sprintf("VM %s has no snapshot %s (snapshot names are case-sensitive; pass a name, a path like base/after-patch, or an ID like snapshot-12). Its snapshots: %s%s",
		toolkit.Path(e.VM), toolkit.Quote(e.Ident, toolkit.NameMax), toolkit.Names(shown), more)
}

// AmbiguousSnapshotError says a name matched several snapshots.
type AmbiguousSnapshotError struct {
	VM, Ident  string
	Candidates []SnapEntry
}

func (e *AmbiguousSnapshotError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s matches %d snapshots of VM %s; name one by its path or ID instead:", toolkit.Quote(e.Ident, toolkit.NameMax), len(e.Candidates), toolkit.Path(e.VM))
	for _, c := range e.Candidates {
		fmt.Fprintf(&b, "\n  %s (%s, created %s)", toolkit.Path(c.Path), c.ID(), c.Tree.CreateTime.UTC().Format(time.RFC3339))
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
	err := c.ReadOne(ctx, o, props, &vm)
	return vm, err
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
