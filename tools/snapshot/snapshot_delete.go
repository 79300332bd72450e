package snapshot

import (
	"context"
	"fmt"
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
