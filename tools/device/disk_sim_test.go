package device

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// The simulator extended the way vCenter behaves, for the disk tests:
//   - RevertToSnapshot_Task restores the snapshot's hardware (vcsim only
//     moves the current-snapshot pointer; vCenter brings back the devices
//     and hardware version the VM had when the snapshot was taken);
//   - a reconfigure of a chosen VM fails with a chosen fault (a locked
//     disk file, a full datastore), as vCenter's task does, changing
//     nothing: to test failures after snapshot_first and their explanations.
// Both are wrappers embedding vcsim's own types, chosen by the registry's
// Handler hook and put into the caller's session registry (which the
// dispatcher prefers over the handler's choice), so the real request
// path runs.

// diskSimExtras holds what the tests switch at run time.
type diskSimExtras struct {
	mu       sync.Mutex
	failVM   string // VM moref whose reconfigure fails
	fault    types.BaseMethodFault
	reverted int
}

// failReconfigure makes the VM's reconfigures fail with f ("": none).
func (x *diskSimExtras) failReconfigure(vm string, f types.BaseMethodFault) {
	x.mu.Lock()
	x.failVM, x.fault = vm, f
	x.mu.Unlock()
}

// failing is the fault the VM's reconfigure fails with, or nil.
func (x *diskSimExtras) failing(vm string) types.BaseMethodFault {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.failVM != "" && x.failVM == vm {
		return x.fault
	}
	return nil
}

// diskSimModel is the demo model, created, with the extensions
// installed before its server starts.
func diskSimModel(t *testing.T) (*simulator.Model, *diskSimExtras) {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	x := &diskSimExtras{}
	m.Map().Handler = func(ctx *simulator.Context, meth *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		switch meth.Name {
		case "RevertToSnapshot_Task":
			if s, ok := ctx.Map.Get(meth.This).(*simulator.VirtualMachineSnapshot); ok {
				x.mu.Lock()
				x.reverted++
				x.mu.Unlock()
				return inSimSession(ctx, &hwRevertingSnapshot{s}), nil
			}
		case "ReconfigVM_Task":
			if vm, ok := ctx.Map.Get(meth.This).(*simulator.VirtualMachine); ok && x.failing(meth.This.Value) != nil {
				return inSimSession(ctx, &failingReconfigVM{vm, x}), nil
			}
		}
		return nil, nil
	}
	return m, x
}

// inSimSession puts w into the caller's session registry.
func inSimSession(ctx *simulator.Context, w mo.Reference) mo.Reference {
	if ctx.Session != nil {
		ctx.Session.Put(w)
	}
	return w
}

// hwRevertingSnapshot reverts as vCenter does: the VM gets the snapshot's
// devices and hardware version back.
type hwRevertingSnapshot struct {
	*simulator.VirtualMachineSnapshot
}

func (s *hwRevertingSnapshot) RevertToSnapshotTask(ctx *simulator.Context, req *types.RevertToSnapshot_Task) soap.HasFault {
	task := simulator.CreateTask(s.Vm, "revertToSnapshot", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		vm := ctx.Map.Get(s.Vm).(*simulator.VirtualMachine)
		cfg := types.MustDeepCopy(s.Config)
		ctx.WithLock(vm, func() {
			ctx.Update(vm, []types.PropertyChange{
				{Name: "config.hardware.device", Val: cfg.Hardware.Device},
				{Name: "config.version", Val: cfg.Version},
				{Name: "snapshot.currentSnapshot", Val: s.Self},
			})
		})
		return nil, nil
	})
	return &methods.RevertToSnapshot_TaskBody{Res: &types.RevertToSnapshot_TaskResponse{Returnval: task.Run(ctx)}}
}

// failingReconfigVM fails reconfigures with the test's fault, changing nothing,
// while the test wants them to fail.
type failingReconfigVM struct {
	*simulator.VirtualMachine
	x *diskSimExtras
}

func (vm *failingReconfigVM) ReconfigVMTask(ctx *simulator.Context, req *types.ReconfigVM_Task) soap.HasFault {
	f := vm.x.failing(vm.Self.Value)
	if f == nil {
		return vm.VirtualMachine.ReconfigVMTask(ctx, req)
	}
	task := simulator.CreateTask(vm, "reconfigVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, f
	})
	return &methods.ReconfigVM_TaskBody{Res: &types.ReconfigVM_TaskResponse{Returnval: task.Run(ctx)}}
}

// ---- reading the simulator back ----

// disk is the VM's disk with key, read straight from the simulator.
func (e *env) disk(vm string, key int32) *types.VirtualDisk {
	e.T.Helper()
	d, _ := e.devices(vm).List.FindByKey(key).(*types.VirtualDisk)
	return d
}

// diskKeys lists the keys of the VM's disks.
func (e *env) diskKeys(vm string) []int32 {
	e.T.Helper()
	var out []int32
	for _, in := range e.devices(vm).OfKind(params.KindDisk) {
		out = append(out, in.Key)
	}
	return out
}

// dsFileExists asks the datastore's browser whether file ([ds] path) is
// on the datastore dsPath (an inventory path such as /DC0/datastore/LocalDS_0).
func (e *env) dsFileExists(dsPath, file string) bool {
	e.T.Helper()
	ds, err := find.NewFinder(e.Vim).Datastore(e.Ctx, dsPath)
	if err != nil {
		e.T.Fatal(err)
	}
	var p object.DatastorePath
	if !p.FromString(file) {
		e.T.Fatalf("not a datastore path: %s", file)
	}
	_, err = ds.Stat(e.Ctx, p.Path)
	if err == nil {
		return true
	}
	var nf object.DatastoreNoSuchFileError
	if errors.As(err, &nf) || toolkit.HasFault[*types.FileNotFound](err) {
		return false
	}
	e.T.Fatalf("stat %s: %v", file, err)
	return false
}

// setPowerSim puts the VM into state through govmomi.
func (e *env) setPowerSim(vm string, state types.VirtualMachinePowerState) {
	e.T.Helper()
	if e.PowerState(vm) == state {
		return
	}
	o := object.NewVirtualMachine(e.Vim, e.VMRef(vm))
	var task *object.Task
	var err error
	if state == types.VirtualMachinePowerStatePoweredOn {
		task, err = o.PowerOn(e.Ctx)
	} else {
		task, err = o.PowerOff(e.Ctx)
	}
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		e.T.Fatalf("power %s %s: %v", vm, state, err)
	}
}

// snapshotSim takes a snapshot of the VM behind the server's back.
func (e *env) snapshotSim(vm, name string) {
	e.T.Helper()
	task, err := object.NewVirtualMachine(e.Vim, e.VMRef(vm)).CreateSnapshot(e.Ctx, name, "", false, false)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		e.T.Fatalf("snapshot %s: %v", vm, err)
	}
}

// vmPropsSim reads props of the VM from the simulator.
func (e *env) vmPropsSim(vm string, props ...string) mo.VirtualMachine {
	e.T.Helper()
	var m mo.VirtualMachine
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, e.VMRef(vm), props, &m); err != nil {
		e.T.Fatal(err)
	}
	return m
}

// hwVersion reads the VM's hardware version from the simulator.
func (e *env) hwVersion(vm string) string {
	e.T.Helper()
	return e.vmPropsSim(vm, "config.version").Config.Version
}

// reconfigureSim changes the VM behind the server's back.
func (e *env) reconfigureSim(vm string, spec types.VirtualMachineConfigSpec) {
	e.T.Helper()
	task, err := object.NewVirtualMachine(e.Vim, e.VMRef(vm)).Reconfigure(e.Ctx, spec)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		e.T.Fatalf("reconfigure %s: %v", vm, err)
	}
}

// hwDigest is the VM's devices as one comparable string: kind, label, key,
// bus, backing and, for disks, capacity.
func (e *env) hwDigest(vm string) string {
	e.T.Helper()
	ds := e.devices(vm)
	var b strings.Builder
	for _, in := range ds.Infos {
		fmt.Fprintf(&b, "%s|%s|%d|%s|%s", in.Kind, in.Label, in.Key, in.Bus, in.Backing)
		if d, ok := ds.List.FindByKey(in.Key).(*types.VirtualDisk); ok {
			fmt.Fprintf(&b, "|%d", diskBytes(d))
		}
		b.WriteString("\n")
	}
	return b.String()
}
