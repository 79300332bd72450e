package vm

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMDeleteArgs names the VM to delete.
type VMDeleteArgs struct {
	VM    string `json:"vm" jsonschema:"The VM or template: name, inventory path, ID or UUID"`
	Force bool   `json:"force,omitempty" jsonschema:"Power the VM off first if it is running"`
}

func (a *VMDeleteArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return nil
}

// ActionResult reports a single-object action.
type ActionResult struct {
	Action string   `json:"action"`
	ID     string   `json:"id"`
	Path   string   `json:"path"`
	Tasks  []string `json:"tasks,omitempty"`
	Detail string   `json:"detail,omitempty"`
}

// Text renders the action in one or two lines; Detail was rendered (its
// vCenter strings escaped) by the action.
func (r ActionResult) Text() string {
	s := fmt.Sprintf("%s: %s (%s)", r.Action, toolkit.Path(r.Path), r.ID)
	if len(r.Tasks) > 0 {
		s += " tasks " + strings.Join(r.Tasks, ",")
	}
	if r.Detail != "" {
		s += "\n" + r.Detail
	}
	return s + "\n"
}

func vmDelete() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_delete",
		Title: "Delete a VM",
		Description: "Delete a VM or template and its disks from disk. Irreversible: a person confirms first. " +
			"Refuses a running VM unless force, which powers it off after the confirmation.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, d toolkit.Deps, a VMDeleteArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			vm := object.NewVirtualMachine(c.Client, o.Ref)
			var mvm mo.VirtualMachine
			if err := vm.Properties(ctx, o.Ref, []string{"runtime.powerState"}, &mvm); err != nil {
				return fmt.Errorf("read %s: %w", toolkit.Path(o.Path), err)
			}
			on := mvm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff
			if on && !a.Force {
				return fmt.Errorf("%s is %s; power it off first (vm_power_off or vm_shutdown_guest), or pass force=true to power it off and delete it", toolkit.Path(o.Path), mvm.Runtime.PowerState)
			}
			what := "Delete VM and its disks"
			if on {
				what = "Power off, then delete VM and its disks"
			}
			// Confirmation comes before anything happens: a declined delete
			// has not powered anything off.
			if err := guard.Act(ctx, what, o); err != nil {
				return err
			}
			out = ActionResult{Action: "Deleted", ID: o.ID(), Path: o.Path}
			p := guard.NewProgress(ctx)
			if on {
				task, err := vm.PowerOff(ctx)
				if err != nil {
					return fmt.Errorf("power off %s: %w; nothing was deleted", toolkit.Path(o.Path), err)
				}
				out.Tasks = append(out.Tasks, task.Reference().Value)
				if _, err := guard.WaitTask(ctx, task, "power off "+toolkit.Path(o.Path), p, 0, 30); err != nil {
					return fmt.Errorf("%w; nothing was deleted", err)
				}
			}
			task, err := vm.Destroy(ctx)
			if err != nil {
				return fmt.Errorf("delete %s: %w", toolkit.Path(o.Path), err)
			}
			out.Tasks = append(out.Tasks, task.Reference().Value)
			_, err = guard.WaitTask(ctx, task, "delete "+toolkit.Path(o.Path), p, 30, 100)
			return err
		})
		return out, err
	})
}
