package vm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMMoveArgs name a VM and a folder.
type VMMoveArgs struct {
	VM     string `json:"vm" jsonschema:"The VM or template: name, inventory path, ID or UUID"`
	Folder string `json:"folder" jsonschema:"The VM folder to move it into (same datacenter), e.g. /DC0/vm/web"`
}

func (a *VMMoveArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.Folder) == "" {
		return errors.New("folder is required: the VM folder to move into, e.g. /DC0/vm/web (folder_list shows them)")
	}
	return nil
}

func vmMove() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_move",
		Title:       "Move a VM to a folder",
		Description: "Move a VM or template into another VM folder of the same datacenter. Changes only the inventory folder, not host or storage (for those, vm_migrate).",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a VMMoveArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			folder, err := c.Resolve(ctx, "Folder", a.Folder)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Moved", ID: vm.ID(), Path: vm.Path}
			if err := params.CheckVMFolder(ctx, c, folder); err != nil {
				return err
			}
			m, err := readVMProps(ctx, c, vm, []string{"parent"})
			if err != nil {
				return err
			}
			if m.Parent != nil && *m.Parent == folder.Ref {
				out.Action, out.Detail = "Unchanged", "it is already in "+toolkit.Path(folder.Path)
				return nil
			}
			vdc, err := params.DatacenterOf(ctx, c, vm.Ref)
			if err != nil {
				return err
			}
			fdc, err := params.DatacenterOf(ctx, c, folder.Ref)
			if err != nil {
				return err
			}
			if vdc.Ref != fdc.Ref {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is in datacenter %s and folder %s in %s; vm_move moves within one datacenter (a VM changes datacenter by migration or clone)", toolkit.Path(vm.Path), toolkit.Name(vdc.Name), toolkit.Path(folder.Path), toolkit.Name(fdc.Name))}
			}
			if err := params.CheckFreeName(ctx, c, folder, vm.Name); err != nil {
				return err
			}
			from := describeRef(ctx, c, m.Parent)
			if err := guard.ActOn(ctx, "Move VM into folder "+toolkit.Path(folder.Path), vm, folder); err != nil {
				return err
			}
			task, err := object.NewFolder(c.Client, folder.Ref).MoveInto(ctx, []types.ManagedObjectReference{vm.Ref})
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("move %s: %w", toolkit.Path(vm.Path), err), vm.Name, folder.Path)
			}
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, "move "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return params.SessionSafe(params.ExplainVMFault(err, vm.Name, folder.Path), true)
			}
			out.Detail = fmt.Sprintf("from folder %s to %s", toolkit.Path(from), toolkit.Path(folder.Path))
			if o, err := c.Describe(ctx, vm.Ref); err == nil {
				out.Path = o.Path
			}
			return nil
		})
		return out, err
	})
}
