package vm

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// powerOp is one power action.
type powerOp struct {
	name, title, action, verb string
	risk                      policy.Risk
	// already reports the power state in which the action has nothing to do.
	already types.VirtualMachinePowerState
	// guest actions need VMware Tools running and start no vCenter task.
	guest bool
	run   func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error)
}

var powerOps = []powerOp{
	{"vm_power_on", "Power on VMs", "Power on", "Power on VMs", policy.RiskWrite, types.VirtualMachinePowerStatePoweredOn, false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.PowerOn(ctx) }},
	{"vm_power_off", "Power off VMs", "Power off", "Power off VMs at once, like pulling the plug (no guest shutdown; unsaved guest data is lost)", policy.RiskDestructive, types.VirtualMachinePowerStatePoweredOff, false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.PowerOff(ctx) }},
	{"vm_reset", "Reset VMs", "Reset", "Hard-reset running VMs, like pressing the reset button", policy.RiskDestructive, "", false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.Reset(ctx) }},
	{"vm_suspend", "Suspend VMs", "Suspend", "Suspend running VMs to disk", policy.RiskDestructive, types.VirtualMachinePowerStateSuspended, false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.Suspend(ctx) }},
	{"vm_shutdown_guest", "Shut down guests", "Guest shutdown", "Ask the guest OS to shut down cleanly (needs VMware Tools running)", policy.RiskDestructive, types.VirtualMachinePowerStatePoweredOff, true,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) {
			return nil, vm.ShutdownGuest(ctx)
		}},
	{"vm_reboot_guest", "Reboot guests", "Guest reboot", "Ask the guest OS to reboot cleanly (needs VMware Tools running)", policy.RiskDestructive, "", true,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) {
			return nil, vm.RebootGuest(ctx)
		}},
}

func powerTools() []toolkit.Tool {
	out := make([]toolkit.Tool, 0, len(powerOps))
	for _, op := range powerOps {
		out = append(out, powerTool(op))
	}
	return out
}

func powerTool(op powerOp) toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        op.name,
		Title:       op.title,
		Description: op.verb + ". Takes vm, a vms list, or a vm_list-style filter; reports each VM's outcome.",
		Risk:        op.risk,
		Idempotent:  op.already != "",
		Background:  true,
	}, func(ctx context.Context, d toolkit.Deps, a params.VMTargets) (params.BulkResult, error) {
		targets, err := params.ResolveVMs(ctx, d.Session, a)
		if err != nil {
			return params.BulkResult{}, err
		}
		if err := guard.Act(ctx, op.action+" VM", targets...); err != nil {
			return params.BulkResult{}, err
		}
		res := params.RunBulk(ctx, op.action, targets, func(t vcenter.Object, p *guard.Progress) params.TargetResult {
			return powerOne(ctx, d.Session, op, t, p)
		})
		if res.Failed > 0 && res.Failed == len(targets) {
			return res, res.Failure()
		}
		return res, nil
	})
}

// powerOne runs op on one VM; p is nil in a bulk of several, whose
// progress is counted per VM instead.
func powerOne(ctx context.Context, s *vcenter.Session, op powerOp, t vcenter.Object, p *guard.Progress) params.TargetResult {
	r := params.TargetResult{VM: t.Name, ID: t.ID()}
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		vm := object.NewVirtualMachine(c.Client, t.Ref)
		var mvm mo.VirtualMachine
		if err := vm.Properties(ctx, t.Ref, []string{"runtime.powerState", "guest.toolsRunningStatus"}, &mvm); err != nil {
			return err
		}
		state := mvm.Runtime.PowerState
		if op.already != "" && state == op.already {
			r.Outcome, r.PowerState = "unchanged", string(state)
			return nil
		}
		if op.guest {
			if state != types.VirtualMachinePowerStatePoweredOn {
				return fmt.Errorf("%s is %s; a %s needs it powered on", toolkit.Name(t.Name), state, strings.ToLower(op.action))
			}
			if mvm.Guest == nil || mvm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
				return fmt.Errorf("VMware Tools is not running in %s, so the guest cannot be asked; use vm_power_off or vm_reset for a hard action", toolkit.Name(t.Name))
			}
		}
		task, err := op.run(ctx, vm)
		if err != nil {
			return err
		}
		if task != nil {
			r.Task = task.Reference().Value
			if _, err := guard.WaitTask(ctx, task, op.action+" "+toolkit.Name(t.Name), p, 0, 100); err != nil {
				return err
			}
		}
		if err := vm.Properties(ctx, t.Ref, []string{"runtime.powerState"}, &mvm); err == nil {
			r.PowerState = string(mvm.Runtime.PowerState)
		}
		r.Outcome = "done"
		return nil
	})
	if err != nil {
		r.Outcome = "failed"
		r.Error = explainPower(err, t.Name)
	}
	return r
}

// explainPower names the fault and says what to do, e.g. "web-01 is
// already powered off".
func explainPower(err error, name string) string {
	var ips *types.InvalidPowerState
	if _, ok := fault.As(err, &ips); ok && ips != nil {
		return fmt.Sprintf("%s is %s, which does not allow this (InvalidPowerState); check it with vm_get", toolkit.Name(name), ips.ExistingState)
	}
	return vcenter.Explain(err)
}
