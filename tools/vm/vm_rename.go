package vm

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMRenameArgs name a VM and its new name.
type VMRenameArgs struct {
	VM   string `json:"vm" jsonschema:"The VM or template: name, inventory path, ID or UUID"`
	Name string `json:"name" jsonschema:"The new name: at most 80 characters, no / or \\"`
}

func (a *VMRenameArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return params.CheckVMName("name", a.Name)
}

func vmRename() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_rename",
		Title:       "Rename a VM",
		Description: "Rename a VM or template in vCenter's inventory (its files on the datastore keep their names).",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a VMRenameArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Renamed", ID: vm.ID(), Path: vm.Path}
			if vm.Name == a.Name {
				out.Action, out.Detail = "Unchanged", "it is already called "+toolkit.Name(a.Name)
				return nil
			}
			m, err := readVMProps(ctx, c, vm, []string{"parent"})
			if err != nil {
				return err
			}
			folder := ""
			if m.Parent != nil {
				parent, err := c.Describe(ctx, *m.Parent)
				if err != nil {
					return err
				}
				folder = parent.Path
				if err := params.CheckFreeName(ctx, c, parent, a.Name); err != nil {
					return err
				}
			}
			if err := guard.Act(ctx, fmt.Sprintf("Rename VM to %q", a.Name), vm); err != nil {
				return err
			}
			task, err := object.NewVirtualMachine(c.Client, vm.Ref).Rename(ctx, a.Name)
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("rename %s: %w", toolkit.Path(vm.Path), err), vm.Name, folder)
			}
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, "rename "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return params.SessionSafe(params.ExplainVMFault(err, vm.Name, folder), true)
			}
			out.Detail = fmt.Sprintf("%s → %s", toolkit.Name(vm.Name), toolkit.Name(a.Name))
			if o, err := c.Describe(ctx, vm.Ref); err == nil {
				out.Path = o.Path
			}
			return nil
		})
		return out, err
	})
}
