package guest

import (
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// vcsim has no UpgradeTools_Task. toolsSim gives the VMs of a test's
// simulator what vCenter answers, so vm_tools_upgrade's real request path
// runs: a registry handler hands the method to a wrapper embedding vcsim's
// VirtualMachine, put into the caller's session registry (which the
// dispatcher prefers; see DESIGN.md §6).
//
// As vCenter does, the upgrade is a task on the VM: it fails with
// InvalidPowerState unless the VM is powered on and with ToolsUnavailable
// unless Tools runs in it; on success the guest reports the version the
// host offers, guestToolsCurrent and toolsOk.

// hostToolsVersion is the Tools version the simulated hosts offer (12.5.0).
const hostToolsVersion = "12448"

// toolsSim records the upgrades the simulated vCenter was asked for.
type toolsSim struct {
	mu       sync.Mutex
	upgrades []upgradeCall
}

type upgradeCall struct {
	vm   string // ID
	args string
}

func (s *toolsSim) calls() []upgradeCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]upgradeCall(nil), s.upgrades...)
}

func installToolsUpgrade(m *simulator.Model) *toolsSim {
	s := &toolsSim{}
	m.Map().Handler = func(ctx *simulator.Context, meth *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if meth.This.Type != "VirtualMachine" || meth.Name != "UpgradeTools_Task" || ctx.Session == nil {
			return nil, nil
		}
		return toolstest.Wrap(ctx, meth.This, func(vm *simulator.VirtualMachine) *vmTools { return &vmTools{VirtualMachine: vm, sim: s} })
	}
	return s
}

// vmTools is a vcsim VM whose Tools can be upgraded.
type vmTools struct {
	*simulator.VirtualMachine
	sim *toolsSim
}

// UpgradeToolsTask upgrades Tools in the guest, as a task.
func (vm *vmTools) UpgradeToolsTask(ctx *simulator.Context, req *types.UpgradeTools_Task) soap.HasFault {
	task := simulator.CreateTask(req.This, "upgradeTools", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		vm.sim.mu.Lock()
		vm.sim.upgrades = append(vm.sim.upgrades, upgradeCall{vm: req.This.Value, args: req.InstallerOptions})
		vm.sim.mu.Unlock()
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			return nil, &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: vm.Runtime.PowerState}
		}
		if vm.Guest == nil || vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
			return nil, &types.ToolsUnavailable{}
		}
		g := *vm.Guest
		g.ToolsVersion = hostToolsVersion
		g.ToolsVersionStatus = string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)
		g.ToolsVersionStatus2 = string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)
		g.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		ctx.Update(vm.VirtualMachine, []types.PropertyChange{{Name: "guest", Val: &g}})
		return nil, nil
	})
	return &methods.UpgradeTools_TaskBody{Res: &types.UpgradeTools_TaskResponse{Returnval: task.Run(ctx)}}
}
