package vm

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func vmMarkTemplate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_mark_template",
		Title:       "Turn a VM into a template",
		Description: "Mark a powered-off VM as a template, to clone new VMs from it with vm_clone. A template cannot be powered on (vm_mark_vm turns it back).",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a params.VMArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Marked as template", ID: vm.ID(), Path: vm.Path}
			m, err := readVMProps(ctx, c, vm, []string{"config.template", "runtime.powerState", "snapshot"})
			if err != nil {
				return err
			}
			if isTemplate(m) {
				out.Action, out.Detail = "Unchanged", "it is already a template"
				return nil
			}
			if m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is %s; only a powered-off VM can become a template: shut it down (vm_shutdown_guest) or power it off (vm_power_off), then retry", toolkit.Path(vm.Path), m.Runtime.PowerState)}
			}
			if err := guard.Act(ctx, "Mark VM as template", vm); err != nil {
				return err
			}
			if err := object.NewVirtualMachine(c.Client, vm.Ref).MarkAsTemplate(ctx); err != nil {
				return params.ExplainVMFault(fmt.Errorf("mark %s as template: %w", toolkit.Path(vm.Path), err), vm.Name, "")
			}
			out.Detail = "clone VMs from it with vm_clone; vm_mark_vm turns it back into a VM"
			return nil
		})
		return out, err
	})
}

// VMMarkVMArgs name a template and where the VM it becomes will run.
type VMMarkVMArgs struct {
	VM           string `json:"vm" jsonschema:"The template: name, inventory path, ID or UUID"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"Resource pool the VM will run in; default the root pool of the template's host"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"Cluster the VM will run in (its root resource pool)"`
	Host         string `json:"host,omitempty" jsonschema:"Host the VM will run on; must belong to the pool's cluster or be its standalone host"`
}

func (a *VMMarkVMArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "template"); err != nil {
		return err
	}
	if a.Cluster != "" && a.ResourcePool != "" {
		return errors.New("pass cluster or resource_pool, not both: a cluster means its root resource pool")
	}
	return nil
}

func vmMarkVM() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_mark_vm",
		Title:       "Turn a template into a VM",
		Description: "Turn a template back into a VM that can be powered on. The VM needs a resource pool (and optionally a host); by default the root pool of the host the template is registered on.",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a VMMarkVMArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Marked as VM", ID: vm.ID(), Path: vm.Path}
			m, err := readVMProps(ctx, c, vm, []string{"config.template", "runtime.host"})
			if err != nil {
				return err
			}
			if !isTemplate(m) {
				out.Action, out.Detail = "Unchanged", "it is already a VM, not a template"
				return nil
			}
			pl, err := params.ResolvePlacement(ctx, c, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
			}
			var defaults []string
			if pl == nil {
				if m.Runtime.Host == nil {
					return fmt.Errorf("template %s is registered on no host, so there is no default resource pool; pass resource_pool, cluster or host", toolkit.Path(vm.Path))
				}
				if pl, err = params.ResolvePlacement(ctx, c, params.PlaceArgs{Host: m.Runtime.Host.Value}); err != nil {
					return err
				}
				defaults = append(defaults, fmt.Sprintf("resource pool %s and host %s: where the template is registered", toolkit.Path(pl.Pool.Path), toolkit.Name(pl.Host.Name)))
			} else if pl.PoolDefaulted {
				defaults = append(defaults, fmt.Sprintf("resource pool %s: the root pool of %s", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path)))
			}
			touches := []vcenter.Object{pl.Pool}
			var host *object.HostSystem
			if pl.Host != nil {
				touches = append(touches, *pl.Host)
				host = object.NewHostSystem(c.Client, pl.Host.Ref)
			}
			if err := guard.ActOn(ctx, "Turn template into VM", vm, touches...); err != nil {
				return err
			}
			if err := object.NewVirtualMachine(c.Client, vm.Ref).MarkAsVirtualMachine(ctx, *object.NewResourcePool(c.Client, pl.Pool.Ref), host); err != nil {
				return params.ExplainVMFault(fmt.Errorf("turn template %s into a VM: %w", toolkit.Path(vm.Path), err), vm.Name, "")
			}
			detail := "resource pool " + toolkit.Path(pl.Pool.Path)
			if pl.Host != nil {
				detail += ", host " + toolkit.Path(pl.Host.Path)
			}
			for _, d := range defaults {
				detail += "\ndefault: " + toolkit.Line(d, 0)
			}
			out.Detail = detail
			return nil
		})
		return out, err
	})
}
