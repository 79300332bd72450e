package snapshot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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
