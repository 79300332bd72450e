package folder

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// env is this toolset's server on its own simulator, which destroys a
// folder's contents with it as vCenter does.
type env struct {
	*toolstest.Env
	person *toolstest.Person
}

func served() []toolkit.Tool { return toolstest.Tools(Toolset()) }

// newEnv starts the demo inventory (power states as created: all on) with
// role and a person who confirms.
func newEnv(t *testing.T, role string, custom map[string]policy.RoleSpec) *env {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	m.Map().Handler = destroyingFolders
	p := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, role, custom, nil), Elicit: p}, m)
	return &env{Env: e, person: p}
}

func (e *env) at(t *testing.T) *env { c := *e; c.Env = e.At(t); return &c }

// vcFolder is a simulator folder whose Destroy_Task destroys what it holds
// first, as vCenter's does (vcsim's only unlinks the folder, leaving its
// VMs and subfolders in the registry). A VM that cannot be destroyed
// (powered on) fails the task with its fault, as in vCenter.
type vcFolder struct{ *simulator.Folder }

// destroyingFolders is the registry's handler hook: the dispatcher prefers
// the caller's session registry over the handler's answer for logged-in
// clients, so the wrapper goes there.
func destroyingFolders(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	if m.Name != "Destroy_Task" || m.This.Type != "Folder" || ctx.Session == nil {
		return nil, nil
	}
	folder, ok := ctx.Map.Get(m.This).(*simulator.Folder)
	if !ok {
		return nil, nil
	}
	w := &vcFolder{folder}
	ctx.Session.Put(w)
	return w, nil
}

func (f *vcFolder) DestroyTask(ctx *simulator.Context, req *types.Destroy_Task) soap.HasFault {
	defer ctx.Session.Remove(ctx, f.Self) // swept: the object goes
	if fault := destroyContents(ctx, f.Folder); fault != nil {
		task := simulator.CreateTask(f.Folder, "destroy", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) { return nil, fault })
		return &methods.Destroy_TaskBody{Res: &types.Destroy_TaskResponse{Returnval: task.Run(ctx)}}
	}
	return f.Folder.DestroyTask(ctx, req)
}

// destroyContents destroys the VMs and subfolders of f, depth first, one
// step at a time: every task it starts is waited for before the next step
// (vcsim's locks belong to the request's context, which all of them share).
func destroyContents(ctx *simulator.Context, f *simulator.Folder) types.BaseMethodFault {
	for _, c := range append([]types.ManagedObjectReference(nil), f.ChildEntity...) {
		switch obj := ctx.Map.Get(c).(type) {
		case *simulator.Folder:
			if fault := destroyContents(ctx, obj); fault != nil {
				return fault
			}
			if fault := wait(ctx, obj.DestroyTask(ctx, &types.Destroy_Task{This: c})); fault != nil {
				return fault
			}
		case *simulator.VirtualMachine:
			var fault types.BaseMethodFault
			ctx.WithLock(obj, func() { fault = destroyVM(ctx, obj) })
			if fault != nil {
				return fault
			}
		}
	}
	return nil
}

// destroyVM does what vcsim's VM Destroy_Task does, but waits for the
// deletion of the VM's files (vcsim's leaves it running).
func destroyVM(ctx *simulator.Context, vm *simulator.VirtualMachine) types.BaseMethodFault {
	dc := datacenterOf(ctx, vm.Parent)
	if r := vm.UnregisterVM(ctx, &types.UnregisterVM{This: vm.Self}); r.Fault() != nil {
		return r.Fault().VimFault().(types.BaseMethodFault)
	}
	if dc == nil || vm.Config == nil || vm.Config.Files.LogDirectory == "" {
		return nil
	}
	m := ctx.Map.FileManager()
	body := m.DeleteDatastoreFileTask(ctx, &types.DeleteDatastoreFile_Task{This: m.Reference(), Name: vm.Config.Files.LogDirectory, Datacenter: dc})
	ctx.Map.Get(body.(*methods.DeleteDatastoreFile_TaskBody).Res.Returnval).(*simulator.Task).Wait()
	return nil // vcsim ignores this result too
}

func datacenterOf(ctx *simulator.Context, ref *types.ManagedObjectReference) *types.ManagedObjectReference {
	for depth := 0; ref != nil && depth < 64; depth++ {
		if ref.Type == "Datacenter" {
			return ref
		}
		e, ok := ctx.Map.Get(*ref).(mo.Entity)
		if !ok {
			return nil
		}
		ref = e.Entity().Parent
	}
	return nil
}

// wait waits for the task a Destroy_Task call started and returns its
// fault.
func wait(ctx *simulator.Context, body soap.HasFault) types.BaseMethodFault {
	t := ctx.Map.Get(body.(*methods.Destroy_TaskBody).Res.Returnval).(*simulator.Task)
	t.Wait()
	if t.Info.Error != nil {
		return t.Info.Error.Fault
	}
	return nil
}
