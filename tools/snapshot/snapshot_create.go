package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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
