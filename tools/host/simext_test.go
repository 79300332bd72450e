package host

import (
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// esxHost is a simulator host that does what vcsim's does not, the way
// vCenter and ESXi do (DESIGN.md §6):
//   - RebootHost_Task and ShutdownHost_Task, which vcsim lacks: refused
//     with InvalidState outside maintenance mode unless forced; a reboot
//     sets a new boot time, a shutdown leaves the host notResponding with
//     an unknown power state;
//   - EnterMaintenanceMode_Task that moves VMs: with DRS fully automated
//     vCenter vMotions the powered-on VMs (and with evacuatePoweredOffVms
//     the others) to the cluster's other hosts; otherwise the task waits
//     until no powered-on VM runs on the host, failing with Timedout after
//     the request's timeout. vcsim enters at once whatever runs.
type esxHost struct {
	*simulator.HostSystem
}

// esxVM is a simulator VM whose RelocateVM_Task to another host or pool
// moves it in the host's and the pool's vm lists, as vCenter does; vcsim
// changes only the VM's runtime.host and resourcePool, so a host's vm
// property goes stale.
type esxVM struct {
	*simulator.VirtualMachine
}

// extendHosts creates the demo inventory and routes the methods above to
// esxHost. The registry's handler picks the wrapper; it is also put into
// the caller's session so the dispatcher, which prefers the session's
// view of an object, uses it for logged-in clients.
func extendHosts(t *testing.T) *simulator.Model {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	m.Map().Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if method.This.Type == "VirtualMachine" && method.Name == "RelocateVM_Task" {
			return toolstest.Wrap(ctx, method.This, func(vm *simulator.VirtualMachine) *esxVM { return &esxVM{vm} })
		}
		if method.This.Type != "HostSystem" {
			return nil, nil
		}
		switch method.Name {
		case "RebootHost_Task", "ShutdownHost_Task", "EnterMaintenanceMode_Task":
		default:
			return nil, nil
		}
		return toolstest.Wrap(ctx, method.This, func(h *simulator.HostSystem) *esxHost { return &esxHost{h} })
	}
	return m
}

// newExtEnv serves this toolset on the extended simulator under p.
func newExtEnv(t *testing.T, p *guard.Policy, elicit client.ElicitationHandler) *env {
	t.Helper()
	return &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p, Elicit: elicit}, extendHosts(t))}
}

func (h *esxHost) power(ctx *simulator.Context, name string, force bool, after func()) types.ManagedObjectReference {
	task := simulator.CreateTask(h.HostSystem, name, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		if h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
			return nil, &types.HostNotConnected{}
		}
		if !h.Runtime.InMaintenanceMode && !force {
			return nil, &types.InvalidState{}
		}
		after()
		return nil, nil
	})
	return task.Run(ctx)
}

func (h *esxHost) RebootHostTask(ctx *simulator.Context, req *types.RebootHost_Task) soap.HasFault {
	ref := h.power(ctx, "rebootHost", req.Force, func() {
		now := time.Now()
		ctx.Update(h.HostSystem, []types.PropertyChange{{Name: "runtime.bootTime", Val: &now}})
	})
	return &methods.RebootHost_TaskBody{Res: &types.RebootHost_TaskResponse{Returnval: ref}}
}

func (h *esxHost) ShutdownHostTask(ctx *simulator.Context, req *types.ShutdownHost_Task) soap.HasFault {
	ref := h.power(ctx, "shutdownHost", req.Force, func() {
		ctx.Update(h.HostSystem, []types.PropertyChange{
			{Name: "runtime.connectionState", Val: types.HostSystemConnectionStateNotResponding},
			{Name: "runtime.powerState", Val: types.HostSystemPowerStateUnknown},
		})
	})
	return &methods.ShutdownHost_TaskBody{Res: &types.ShutdownHost_TaskResponse{Returnval: ref}}
}

// vmsOn lists the VMs that run on h by their runtime.host (vcsim's
// host.vm goes stale after a relocation), with their power states.
func (h *esxHost) vmsOn(ctx *simulator.Context) map[*simulator.VirtualMachine]types.VirtualMachinePowerState {
	out := map[*simulator.VirtualMachine]types.VirtualMachinePowerState{}
	for _, e := range ctx.Map.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		ctx.WithLock(vm, func() {
			if vm.Runtime.Host != nil && *vm.Runtime.Host == h.Self {
				out[vm] = vm.Runtime.PowerState
			}
		})
	}
	return out
}

func (h *esxHost) EnterMaintenanceModeTask(ctx *simulator.Context, req *types.EnterMaintenanceMode_Task) soap.HasFault {
	task := simulator.CreateTask(h.HostSystem, "enterMaintenanceMode", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		var inMaint bool
		var parent *types.ManagedObjectReference
		ctx.WithLock(h.HostSystem, func() { inMaint, parent = h.Runtime.InMaintenanceMode, h.Parent })
		if inMaint {
			return nil, nil
		}
		var others []*simulator.HostSystem
		auto := false
		if parent != nil && parent.Type == "ClusterComputeResource" {
			if cl, ok := ctx.Map.Get(*parent).(*simulator.ClusterComputeResource); ok {
				cfg := cl.ConfigurationEx.(*types.ClusterConfigInfoEx)
				auto = cfg.DrsConfig.Enabled != nil && *cfg.DrsConfig.Enabled &&
					(cfg.DrsConfig.DefaultVmBehavior == "" || cfg.DrsConfig.DefaultVmBehavior == types.DrsBehaviorFullyAutomated)
				for _, r := range cl.Host {
					if o, ok := ctx.Map.Get(r).(*simulator.HostSystem); ok && r != h.Self &&
						o.Runtime.ConnectionState == types.HostSystemConnectionStateConnected && !o.Runtime.InMaintenanceMode {
						others = append(others, o)
					}
				}
			}
		}
		if auto && len(others) > 0 {
			i := 0
			for vm, power := range h.vmsOn(ctx) {
				if power != types.VirtualMachinePowerStatePoweredOn && !isTrue(req.EvacuatePoweredOffVms) {
					continue
				}
				dst := others[i%len(others)]
				i++
				ref := dst.Self
				ctx.WithLock(vm, func() {
					ctx.Update(vm, []types.PropertyChange{{Name: "runtime.host", Val: &ref}, {Name: "summary.runtime.host", Val: &ref}})
				})
				ctx.Map.RemoveReference(ctx, h.HostSystem, &h.Vm, vm.Self)
				ctx.Map.AddReference(ctx, dst, &dst.Vm, vm.Self)
			}
		}
		// What is left: vCenter waits for someone to move or power off
		// the powered-on VMs.
		limit := time.Minute
		if req.Timeout > 0 {
			limit = time.Duration(req.Timeout) * time.Second
		}
		deadline := time.Now().Add(limit)
		for {
			running := 0
			for _, power := range h.vmsOn(ctx) {
				if power == types.VirtualMachinePowerStatePoweredOn {
					running++
				}
			}
			if running == 0 {
				break
			}
			if time.Now().After(deadline) {
				return nil, &types.Timedout{}
			}
			time.Sleep(20 * time.Millisecond)
		}
		ctx.WithLock(h.HostSystem, func() {
			ctx.Update(h.HostSystem, []types.PropertyChange{{Name: "runtime.inMaintenanceMode", Val: true}})
		})
		return nil, nil
	})
	// vcsim's task holds its entity's lock until it ends, so waiting for
	// manual moves would block every call on the host (a VM's power-off
	// among them): the task runs under a lock of its own and names the
	// host once started.
	host := *task.Info.Entity
	task.Info.Entity = &types.ManagedObjectReference{Type: "HostSystem", Value: host.Value + "-maintenance"}
	ref := task.Run(ctx)
	ctx.WithLock(task, func() { task.Info.Entity = &host })
	return &methods.EnterMaintenanceMode_TaskBody{Res: &types.EnterMaintenanceMode_TaskResponse{Returnval: ref}}
}

func isTrue(b *bool) bool { return b != nil && *b }

// RelocateVMTask moves the VM to the spec's host and pool, keeping the
// vm lists of the hosts and pools on both sides current; a relocation
// that also names a datastore, folder or devices goes to vcsim's.
func (vm *esxVM) RelocateVMTask(ctx *simulator.Context, req *types.RelocateVM_Task) soap.HasFault {
	spec := req.Spec
	if spec.Host == nil || spec.Datastore != nil || spec.Folder != nil || len(spec.DeviceChange) > 0 {
		return vm.VirtualMachine.RelocateVMTask(ctx, req)
	}
	task := simulator.CreateTask(vm.VirtualMachine, "relocateVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		dst, ok := ctx.Map.Get(*spec.Host).(*simulator.HostSystem)
		if !ok {
			return nil, &types.ManagedObjectNotFound{Obj: *spec.Host}
		}
		var pool *simulator.ResourcePool
		if spec.Pool != nil {
			if pool, ok = ctx.Map.Get(*spec.Pool).(*simulator.ResourcePool); !ok {
				return nil, &types.ManagedObjectNotFound{Obj: *spec.Pool}
			}
		}
		if old, ok := ctx.Map.Get(*vm.Runtime.Host).(*simulator.HostSystem); ok {
			ctx.Map.RemoveReference(ctx, old, &old.Vm, vm.Self)
		}
		ctx.Map.AddReference(ctx, dst, &dst.Vm, vm.Self)
		host := dst.Self
		changes := []types.PropertyChange{{Name: "runtime.host", Val: &host}, {Name: "summary.runtime.host", Val: &host}}
		if pool != nil {
			if vm.ResourcePool != nil {
				if old, ok := ctx.Map.Get(*vm.ResourcePool).(*simulator.ResourcePool); ok {
					ctx.Map.RemoveReference(ctx, old, &old.Vm, vm.Self)
				}
			}
			ctx.Map.AddReference(ctx, pool, &pool.Vm, vm.Self)
			ref := pool.Self
			changes = append(changes, types.PropertyChange{Name: "resourcePool", Val: &ref})
		}
		ctx.Update(vm.VirtualMachine, changes)
		return nil, nil
	})
	return &methods.RelocateVM_TaskBody{Res: &types.RelocateVM_TaskResponse{Returnval: task.Run(ctx)}}
}
