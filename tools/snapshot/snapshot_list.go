package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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

type snapshotNodeFields SnapshotNode

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
