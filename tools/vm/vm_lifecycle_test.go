package vm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	taskts "github.com/vsphere-mcp/vsphere-mcp/tools/task"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

var lcProps = []string{"name", "parent", "config", "runtime.powerState", "runtime.host", "resourcePool", "datastore", "snapshot"}

// lcVM reads a VM by inventory path through the independent client.
func (e *env) lcVM(path string) mo.VirtualMachine {
	e.T.Helper()
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	if err != nil {
		e.T.Fatalf("find %s: %v", path, err)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), lcProps, &m); err != nil {
		e.T.Fatalf("read %s: %v", path, err)
	}
	return m
}

// lcName reads an object's name.
func (e *env) lcName(ref *types.ManagedObjectReference) string {
	e.T.Helper()
	if ref == nil {
		return ""
	}
	var me mo.ManagedEntity
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, *ref, []string{"name"}, &me); err != nil {
		e.T.Fatalf("read name of %s: %v", ref, err)
	}
	return me.Name
}

// lcRef finds an object by inventory path.
func (e *env) lcRef(path string) types.ManagedObjectReference {
	e.T.Helper()
	ref, err := object.NewSearchIndex(e.Vim).FindByInventoryPath(e.Ctx, path)
	if err != nil || ref == nil {
		e.T.Fatalf("find %s: %v", path, err)
	}
	return ref.Reference()
}

// lcFolder creates a VM folder below /DC0/vm.
func (e *env) lcFolder(parent, name string) {
	e.T.Helper()
	f := object.NewFolder(e.Vim, e.lcRef(parent))
	if _, err := f.CreateFolder(e.Ctx, name); err != nil {
		e.T.Fatalf("create folder %s/%s: %v", parent, name, err)
	}
}

// lcTask reads a vCenter task.
func (e *env) lcTask(id string) types.TaskInfo {
	e.T.Helper()
	var t mo.Task
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, types.ManagedObjectReference{Type: "Task", Value: id}, []string{"info"}, &t); err != nil {
		e.T.Fatalf("read task %s: %v", id, err)
	}
	return t.Info
}

func newAdminEnv(t *testing.T) (*env, *guard.Policy) {
	p := toolstest.Policy(t, "admin", nil, nil)
	return newPolicyEnv(t, p, nil), p
}

func TestVMCreate(t *testing.T) {
	t.Parallel()
	e, p := newAdminEnv(t)

	// Defaults from the inventory: the cluster's root pool, the datastore
	// with the most free space, the first network, the datacenter's folder.
	var res VMCreateResult
	text := e.OK("vm_create", map[string]any{"name": "web-01", "cpus": 2, "memory_mb": 2048, "disk_gb": 20, "guest_os": "ubuntu64Guest", "cluster": "DC0_C0"}, &res)
	toolstest.MustContain(t, text, "Created VM web-01", "/DC0/vm/web-01", "2 vCPU, 2048 MB, 20 GB thin disk on pvscsi, vmxnet3 NIC on VM Network",
		"default: resource pool /DC0/host/DC0_C0/Resources: the root pool of /DC0/host/DC0_C0",
		"default: folder /DC0/vm: the vm folder of datacenter DC0",
		"default: datastore LocalDS_1: the most free space",
		// vcsim does not flag its uplink port group (config.uplink), so it
		// counts here; vCenter's is skipped.
		"default: network VM Network: the first of 4 networks cluster DC0_C0 has")
	if res.ID == "" || res.Path != "/DC0/vm/web-01" || len(res.Tasks) != 1 || res.PowerState != "poweredOff" {
		t.Fatalf("result: %+v", res)
	}
	m := e.lcVM("/DC0/vm/web-01")
	if m.Self.Value != res.ID || m.Config.Hardware.NumCPU != 2 || m.Config.Hardware.MemoryMB != 2048 || m.Config.GuestId != "ubuntu64Guest" {
		t.Errorf("new VM's hardware: id %s cpus %d memory %d guest %s", m.Self.Value, m.Config.Hardware.NumCPU, m.Config.Hardware.MemoryMB, m.Config.GuestId)
	}
	if e.lcName(m.Parent) != "vm" || e.lcName(m.ResourcePool) != "Resources" || len(m.Datastore) != 1 || e.lcName(&m.Datastore[0]) != "LocalDS_1" {
		t.Errorf("new VM's placement: folder %s pool %s datastores %v", e.lcName(m.Parent), e.lcName(m.ResourcePool), m.Datastore)
	}
	if h := e.lcName(m.Runtime.Host); !strings.HasPrefix(h, "DC0_C0_H") || res.Host != "/DC0/host/DC0_C0/"+h {
		t.Errorf("new VM's host %q (result %q), want one of DC0_C0", h, res.Host)
	}
	var disks, pvscsi, vmxnet3 int
	for _, dev := range m.Config.Hardware.Device {
		switch d := dev.(type) {
		case *types.VirtualDisk:
			disks++
			b, _ := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			if d.CapacityInKB != 20<<20 || b == nil || b.ThinProvisioned == nil || !*b.ThinProvisioned {
				t.Errorf("disk: %d KB, backing %+v; want 20 GB thin", d.CapacityInKB, b)
			}
		case *types.ParaVirtualSCSIController:
			pvscsi++
		case *types.VirtualVmxnet3:
			vmxnet3++
			if b, ok := d.Backing.(*types.VirtualEthernetCardNetworkBackingInfo); !ok || b.DeviceName != "VM Network" {
				t.Errorf("NIC backing %#v, want VM Network", d.Backing)
			}
		}
	}
	if disks != 1 || pvscsi != 1 || vmxnet3 != 1 {
		t.Errorf("devices: %d disks, %d pvscsi, %d vmxnet3; want one each", disks, pvscsi, vmxnet3)
	}
	if rec := toolstest.LastAudit(t, p); rec.Tool != "vm_create" || rec.Outcome != audit.OutcomeOK || len(rec.TaskIDs) != 1 || len(rec.Targets) < 2 || rec.Targets[0].Path != "/DC0/vm" {
		t.Errorf("audit: %+v", rec)
	}

	// Everything explicit: host, datastore, a distributed port group,
	// lsilogic, a sub-folder.
	e.lcFolder("/DC0/vm", "web")
	text = e.OK("vm_create", map[string]any{"name": "web-02", "host": "DC0_C1_H1", "datastore": "/DC0/datastore/LocalDS_0",
		"network": "DC0_DVPG1", "disk_controller": "lsilogic", "folder": "/DC0/vm/web", "annotation": "made by a test"}, &res)
	toolstest.MustContain(t, text, "default: resource pool /DC0/host/DC0_C1/Resources", "default: cpus 1", "default: memory_mb 1024", "default: disk_gb 16", "default: guest_os otherGuest64")
	if strings.Contains(text, "default: datastore") || strings.Contains(text, "default: network") || strings.Contains(text, "default: folder") {
		t.Errorf("explicit values reported as defaults:\n%s", text)
	}
	m = e.lcVM("/DC0/vm/web/web-02")
	if e.lcName(m.Runtime.Host) != "DC0_C1_H1" || e.lcName(&m.Datastore[0]) != "LocalDS_0" || m.Config.Annotation != "made by a test" {
		t.Errorf("web-02: host %s datastore %s annotation %q", e.lcName(m.Runtime.Host), e.lcName(&m.Datastore[0]), m.Config.Annotation)
	}
	var lsi, dvpg bool
	for _, dev := range m.Config.Hardware.Device {
		switch d := dev.(type) {
		case *types.VirtualLsiLogicController:
			lsi = true
		case *types.VirtualVmxnet3:
			_, dvpg = d.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		}
	}
	if !lsi || !dvpg {
		t.Errorf("web-02: lsilogic %v, distributed port group NIC %v", lsi, dvpg)
	}

	// Wrong calls get clear errors and change nothing.
	before := len(e.AllVMs("name"))
	for _, tc := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"name": "x"}, []string{"no default placement: pass cluster, host or resource_pool", "/DC0/host/DC0_C0", "/DC1/host/DC1_C1"}},
		{map[string]any{"name": "web-01", "cluster": "DC0_C0"}, []string{`a VM or template named "web-01" already exists in folder /DC0/vm (DuplicateName)`}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "host": "DC0_C1_H0"}, []string{"host /DC0/host/DC0_C1/DC0_C1_H0 is not part of /DC0/host/DC0_C0"}},
		{map[string]any{"name": "x", "resource_pool": "/DC0/host/DC0_C0/Resources", "cluster": "DC0_C1"}, []string{"belongs to /DC0/host/DC0_C0, not to cluster /DC0/host/DC0_C1"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "datastore": "/DC1/datastore/LocalDS_0"}, []string{"datastore /DC1/datastore/LocalDS_0 is not mounted on cluster DC0_C0", "LocalDS_0, LocalDS_1"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "network": "DC1_DVPG0"}, []string{"network /DC1/network/DC1_DVPG0 is not available on cluster DC0_C0"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "folder": "/DC1/vm"}, []string{"folder /DC1/vm is in datacenter DC1 but /DC0/host/DC0_C0 is in DC0"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "folder": "/DC0/host"}, []string{"/DC0/host is not a VM folder"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "guest_os": "ubuntu"}, []string{`guest_os "ubuntu" is not a guest OS ID that cluster DC0_C0 supports`, "did you mean", "ubuntu64Guest"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "memory_mb": 1001, "cpus": 2}, []string{"multiple of 4 MB"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "cpus": 1000}, []string{"cpus must be between 1 and 768"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "disk_gb": -1}, []string{"disk_gb must be between 1"}},
		{map[string]any{"name": "a/b", "cluster": "DC0_C0"}, []string{"contains / or \\"}},
		{map[string]any{"name": "", "cluster": "DC0_C0"}, []string{"name is required"}},
		{map[string]any{"name": "x", "cluster": "DC0_C0", "disk_controller": "ide"}, []string{`disk_controller "ide" is not supported`}},
		{map[string]any{"name": "x", "cluster": "nope"}, []string{`no cluster matches "nope"`}},
	} {
		toolstest.MustContain(t, e.Fails("vm_create", tc.args), tc.want...)
	}
	if after := len(e.AllVMs("name")); after != before {
		t.Errorf("failed creates left %d new VMs", after-before)
	}
}

func TestVMClone(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	e.lcFolder("/DC0/vm", "web")

	// A full clone of a powered-off VM into another folder and datastore,
	// powered on after.
	const src = "/DC0/vm/DC0_C0_RP1_VM2"
	var res VMCloneResult
	text := e.OK("vm_clone", map[string]any{"vm": src, "name": "c1", "folder": "/DC0/vm/web", "datastore": "/DC0/datastore/LocalDS_1", "host": "DC0_C0_H1", "power_on": true}, &res)
	toolstest.MustContain(t, text, "Cloned c1", "/DC0/vm/web/c1", "full clone of "+src, "poweredOn", "host /DC0/host/DC0_C0/DC0_C0_H1")
	if len(res.Tasks) != 2 || res.ID == "" || res.Linked {
		t.Fatalf("result: %+v", res)
	}
	m := e.lcVM("/DC0/vm/web/c1")
	if m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || e.lcName(m.Runtime.Host) != "DC0_C0_H1" || e.lcName(&m.Datastore[0]) != "LocalDS_1" || e.lcName(m.Parent) != "web" {
		t.Errorf("clone: %s on %s, datastore %s, folder %s", m.Runtime.PowerState, e.lcName(m.Runtime.Host), e.lcName(&m.Datastore[0]), e.lcName(m.Parent))
	}
	for _, id := range res.Tasks {
		if info := e.lcTask(id); info.State != types.TaskInfoStateSuccess {
			t.Errorf("task %s: %s", id, info.State)
		}
	}

	// A linked clone needs a snapshot, and says so.
	toolstest.MustContain(t, e.Fails("vm_clone", map[string]any{"vm": src, "name": "c2", "linked": true}),
		"a linked clone shares the disks of a snapshot, and "+src+" has none", "snapshot_create")
	srcVM := object.NewVirtualMachine(e.Vim, e.lcRef(src))
	for _, name := range []string{"base", "patched"} {
		task, err := srcVM.CreateSnapshot(e.Ctx, name, "", false, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(e.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	text = e.OK("vm_clone", map[string]any{"vm": src, "name": "c2", "linked": true}, &res)
	toolstest.MustContain(t, text, "linked clone of "+src, "at snapshot base/patched", "default: snapshot base/patched: the current snapshot",
		"default: folder /DC0/vm: the source's folder", "default: placement: the source's resource pool and host")
	if m := e.lcVM("/DC0/vm/c2"); e.lcName(m.ResourcePool) != "DC0_C0_RP1" || m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("linked clone: pool %s, %s", e.lcName(m.ResourcePool), m.Runtime.PowerState)
	}
	e.OK("vm_clone", map[string]any{"vm": src, "name": "c3", "linked": true, "snapshot": "base"}, &res)
	if !res.Linked || res.Snapshot != "base" {
		t.Errorf("linked clone from a named snapshot: %+v", res)
	}
	// The snapshot resolver is snapshot_list's and snapshot_revert's: an ID
	// or a path in the tree works too.
	patched := e.lcVM(src).Snapshot.RootSnapshotList[0].ChildSnapshotList[0].Snapshot.Value
	for i, ident := range []string{patched, "base/patched"} {
		res = VMCloneResult{}
		e.OK("vm_clone", map[string]any{"vm": src, "name": fmt.Sprintf("c3-%d", i), "linked": true, "snapshot": ident}, &res)
		if !res.Linked || res.Snapshot != "base/patched" {
			t.Errorf("linked clone from snapshot %s: %+v", ident, res)
		}
	}
	toolstest.MustContain(t, e.Fails("vm_clone", map[string]any{"vm": src, "name": "c4", "snapshot": "nope"}),
		`has no snapshot "nope"`, "Its snapshots: base, base/patched")

	// A template has no pool: the clone defaults to its host's root pool;
	// and a stored customization spec is applied.
	const tmpl = "/DC0/vm/DC0_H0_VM1"
	if !e.lcVM(tmpl).Config.Template {
		t.Fatal("demo inventory changed: DC0_H0_VM1 is no template")
	}
	text = e.OK("vm_clone", map[string]any{"vm": tmpl, "name": "from-tmpl", "customization": "vcsim-linux"}, &res)
	toolstest.MustContain(t, text, "default: resource pool /DC0/host/DC0_H0/Resources: the root pool of /DC0/host/DC0_H0, where template DC0_H0_VM1 is registered",
		"customization: vcsim-linux")
	if m := e.lcVM("/DC0/vm/from-tmpl"); m.Config.Template || e.lcName(m.ResourcePool) != "Resources" {
		t.Errorf("clone of a template: template %v pool %s", m.Config.Template, e.lcName(m.ResourcePool))
	}
	toolstest.MustContain(t, e.Fails("vm_clone", map[string]any{"vm": tmpl, "name": "x", "customization": "nope"}),
		`no customization spec named "nope"; it has: vcsim-linux`)

	// Duplicate names and conflicts are refused before any task.
	toolstest.MustContain(t, e.Fails("vm_clone", map[string]any{"vm": src, "name": "DC0_H0_VM0"}), `a VM or template named "DC0_H0_VM0" already exists in folder /DC0/vm (DuplicateName)`)
	toolstest.MustContain(t, e.Fails("vm_clone", map[string]any{"vm": src, "name": "x", "cluster": "DC0_C0", "resource_pool": "DC0_C0_RP1"}), "pass cluster or resource_pool, not both")
	toolstest.MustContain(t, e.Fails("vm_clone", map[string]any{"vm": "", "name": "x"}), "vm is required")
}

// TestVMCloneHalfDone: the clone succeeds, the power-on fails; the error
// says exactly that, with the task IDs, and the clone exists.
func TestVMCloneHalfDone(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	const src = "/DC0/vm/DC0_C0_RP1_VM2"
	// The clone's power-on fails for want of CPU.
	ref := e.lcRef(src)
	reg := e.Sim.Model.Map()
	obj := reg.Get(ref).(*simulator.VirtualMachine)
	reg.Put(&powerFailsClone{VirtualMachine: obj})
	res := e.Call("vm_clone", map[string]any{"vm": src, "name": "half", "power_on": true})
	text := toolstest.ResultText(res)
	if !res.IsError {
		t.Fatalf("clone with a failing power-on succeeded: %s", text)
	}
	toolstest.MustContain(t, text, "Cloned "+src+" as /DC0/vm/half", "task task-", "but powering it on failed", "The clone exists and is poweredOff", "vm_power_on")
	if !e.Exists("/DC0/vm/half") || e.PowerState("/DC0/vm/half") != types.VirtualMachinePowerStatePoweredOff {
		t.Error("the clone should exist, powered off")
	}
}

// powerFailsClone clones normally but gives its clones a power-on that
// fails, by wrapping each new VM as it appears.
type powerFailsClone struct {
	*simulator.VirtualMachine
}

func (vm *powerFailsClone) CloneVMTask(ctx *simulator.Context, req *types.CloneVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "cloneVm", func(t *simulator.Task) (types.AnyType, types.BaseMethodFault) {
		res := vm.VirtualMachine.CloneVMTask(ctx, req).(*methods.CloneVM_TaskBody)
		inner := ctx.Map.Get(res.Res.Returnval).(*simulator.Task)
		inner.Wait()
		if inner.Info.Error != nil {
			return nil, inner.Info.Error.Fault
		}
		ref := inner.Info.Result.(types.ManagedObjectReference)
		ctx.Map.Put(&noPowerOn{ctx.Map.Get(ref).(*simulator.VirtualMachine)})
		return ref, nil
	})
	return &methods.CloneVM_TaskBody{Res: &types.CloneVM_TaskResponse{Returnval: task.Run(ctx)}}
}

type noPowerOn struct {
	*simulator.VirtualMachine
}

func (vm *noPowerOn) PowerOnVMTask(ctx *simulator.Context, req *types.PowerOnVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "powerOn", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, &types.InsufficientCpuResourcesFault{Unreserved: 0, Requested: 1000}
	})
	return &methods.PowerOnVM_TaskBody{Res: &types.PowerOnVM_TaskResponse{Returnval: task.Run(ctx)}}
}

// slowClone makes CloneVM_Task take steps×step, report its progress as a
// real vCenter does, and honour CancelTask (the stock simulator marks a
// cancelled task but still finishes its work).
type slowClone struct {
	*simulator.VirtualMachine
	steps int
	step  time.Duration
	// quiet skips the progress updates: vcsim's WaitForUpdatesEx reads a
	// task without the task's lock, so frequent updates race under -race.
	quiet bool
	// started, if set, is closed when vCenter receives the first clone.
	started     chan struct{}
	startedOnce sync.Once
}

func (vm *slowClone) CloneVMTask(ctx *simulator.Context, req *types.CloneVM_Task) soap.HasFault {
	if vm.started != nil {
		vm.startedOnce.Do(func() { close(vm.started) })
	}
	task := simulator.CreateTask(vm, "cloneVm", func(t *simulator.Task) (types.AnyType, types.BaseMethodFault) {
		for i := 1; i <= vm.steps; i++ {
			time.Sleep(vm.step)
			cancelled := false
			ctx.Map.WithLock(&simulator.Context{}, t, func() { cancelled = t.Info.Cancelled })
			if cancelled {
				return nil, &types.RequestCanceled{}
			}
			if !vm.quiet {
				ctx.Map.AtomicUpdate(ctx, t, []types.PropertyChange{{Name: "info.progress", Val: int32(100 * i / (vm.steps + 1))}})
			}
		}
		res := vm.VirtualMachine.CloneVMTask(ctx, req).(*methods.CloneVM_TaskBody)
		inner := ctx.Map.Get(res.Res.Returnval).(*simulator.Task)
		inner.Wait()
		if inner.Info.Error != nil {
			return nil, inner.Info.Error.Fault
		}
		return inner.Info.Result, nil
	})
	return &methods.CloneVM_TaskBody{Res: &types.CloneVM_TaskResponse{Returnval: task.Run(ctx)}}
}

// slowClones makes cloning the VM at path slow.
func (e *env) slowClones(path string, steps int, step time.Duration) {
	e.T.Helper()
	e.putSlowClone(path, &slowClone{steps: steps, step: step})
}

// quietSlowClones is slowClones without progress updates, for tests that
// only need the clone to take long.
func (e *env) quietSlowClones(path string, steps int, step time.Duration) {
	e.T.Helper()
	e.putSlowClone(path, &slowClone{steps: steps, step: step, quiet: true})
}

func (e *env) putSlowClone(path string, sc *slowClone) {
	reg := e.Sim.Model.Map()
	sc.VirtualMachine = reg.Get(e.lcRef(path)).(*simulator.VirtualMachine)
	reg.Put(sc)
}

// progressLog records the progress notifications of one token.
type progressLog struct {
	mu    sync.Mutex
	items []map[string]any
}

func (l *progressLog) listen(c *client.Client, token string) {
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		params := map[string]any{}
		for k, v := range n.Params.AdditionalFields {
			params[k] = v
		}
		if params["progressToken"] != token {
			return
		}
		l.mu.Lock()
		l.items = append(l.items, params)
		l.mu.Unlock()
	})
}

func (l *progressLog) snapshot() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.items)
}

// waitDone waits until a notification at 100% arrived (notifications are
// delivered asynchronously) and returns them all.
func (l *progressLog) waitDone(t *testing.T) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		items := l.snapshot()
		if n := len(items); n > 0 && num(items[n-1]["progress"]) == 100 {
			return items
		}
		time.Sleep(10 * time.Millisecond)
	}
	return l.snapshot()
}

// TestVMCloneProgress: a clone with a progress token sends a start, vCenter's
// own progress as it moves, and a done, never going backwards. Not parallel:
// it listens to notifications.
func TestVMCloneProgress(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	const src = "/DC0/vm/DC0_C0_RP1_VM2"
	e.slowClones(src, 4, 100*time.Millisecond)
	var log progressLog
	log.listen(e.Client, "p1")

	req := mcp.CallToolRequest{}
	req.Params.Name = "vm_clone"
	req.Params.Arguments = map[string]any{"vm": src, "name": "with-progress"}
	req.Params.Meta = &mcp.Meta{ProgressToken: "p1"}
	res, err := e.Client.CallTool(e.Ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("clone: %v %s", err, toolstest.ResultText(res))
	}
	items := log.waitDone(t)
	if len(items) < 3 {
		t.Fatalf("%d progress notifications, want a start, some progress and a done: %v", len(items), items)
	}
	last := -1.0
	var middle bool
	for _, it := range items {
		p := num(it["progress"])
		if p < last {
			t.Errorf("progress went back from %v to %v: %v", last, p, items)
		}
		if p > 0 && p < 100 {
			middle = true
		}
		last = p
		if num(it["total"]) != 100 {
			t.Errorf("total %v, want 100", it["total"])
		}
	}
	first, done := items[0], items[len(items)-1]
	if num(first["progress"]) != 0 || !strings.Contains(first["message"].(string), "started (task task-") {
		t.Errorf("first notification %v, want 0%% started", first)
	}
	if !middle {
		t.Errorf("no progress between start and done: %v", items)
	}
	if !strings.Contains(done["message"].(string), "done") {
		t.Errorf("last notification %v, want done", done)
	}
	if !e.Exists("/DC0/vm/with-progress") {
		t.Error("clone missing")
	}
}

// num reads a JSON number that may still be a Go int (in-process
// notifications are not marshalled).
func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return -1
}

// newTaskClient connects a second MCP client to a server on e's simulator,
// speaking protocol 2025-11-25: in 2026-07-28 tasks/result is gone, and
// mcp-go v1.2.1 offers no other way to fetch a background task's result.
func newTaskClient(t *testing.T, e *env, p *guard.Policy) *client.Client {
	t.Helper()
	return e.At(t).Connect(toolstest.Options{Policy: p, Protocol: mcp.ProtocolVersion20251125, Tasks: true})
}

// callAsTask starts a task-augmented tools/call. The client's CallTool
// expects a CallToolResult, so the request goes through the transport.
func callAsTask(t *testing.T, ctx context.Context, c *client.Client, name string, args map[string]any) mcp.Task {
	t.Helper()
	params := mcp.CallToolParams{Name: name, Arguments: args, Task: &mcp.TaskParams{}}
	resp, err := c.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(time.Now().UnixNano()), Method: string(mcp.MethodToolsCall), Params: params,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error != nil {
		t.Fatalf("%s as a task: %s", name, resp.Error.Message)
	}
	var created mcp.CreateTaskResult
	if err := json.Unmarshal(resp.Result, &created); err != nil || created.Task.TaskId == "" {
		t.Fatalf("%s as a task: no task in %s (%v)", name, resp.Result, err)
	}
	return created.Task
}

func TestVMCloneAsBackgroundTask(t *testing.T) {
	t.Parallel()
	e, p := newAdminEnv(t)
	const src = "/DC0/vm/DC0_C0_RP1_VM2"
	e.slowClones(src, 3, 100*time.Millisecond)
	c := newTaskClient(t, e, p)

	task := callAsTask(t, e.Ctx, c, "vm_clone", map[string]any{"vm": src, "name": "bg-clone"})
	if task.Status != mcp.TaskStatusWorking {
		t.Errorf("new task is %s", task.Status)
	}
	got, err := c.WaitForTask(e.Ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: task.TaskId}}, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != mcp.TaskStatusCompleted {
		t.Fatalf("task ended %s: %s", got.Status, got.StatusMessage)
	}
	res, err := c.TaskResult(e.Ctx, mcp.TaskResultRequest{Params: mcp.TaskResultParams{TaskId: task.TaskId}})
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, ct := range res.Content {
		if tc, ok := ct.(mcp.TextContent); ok {
			text += tc.Text
		}
	}
	if res.IsError {
		t.Fatalf("background clone failed: %s", text)
	}
	toolstest.MustContain(t, text, "Cloned bg-clone", "/DC0/vm/bg-clone")
	m := e.lcVM("/DC0/vm/bg-clone")
	var out VMCloneResult
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil || out.ID != m.Self.Value || len(out.Tasks) != 1 {
		t.Errorf("structured result %s, clone %s (%v)", b, m.Self.Value, err)
	}
	if info := e.lcTask(out.Tasks[0]); info.State != types.TaskInfoStateSuccess {
		t.Errorf("vCenter task %s", info.State)
	}
	if rec := toolstest.LastAudit(t, p); rec.Tool != "vm_clone" || rec.Outcome != audit.OutcomeOK || !slices.Equal(rec.TaskIDs, out.Tasks) {
		t.Errorf("audit: %+v", rec)
	}
}

func TestVMCloneBackgroundTaskCancelled(t *testing.T) {
	t.Parallel()
	e, p := newAdminEnv(t)
	const src = "/DC0/vm/DC0_C0_RP1_VM2"
	e.quietSlowClones(src, 100, 50*time.Millisecond) // 5 s unless cancelled
	c := newTaskClient(t, e, p)
	srcRef := e.lcRef(src)

	task := callAsTask(t, e.Ctx, c, "vm_clone", map[string]any{"vm": src, "name": "never"})
	// Wait until the vCenter clone task runs.
	var vcTask string
	deadline := time.Now().Add(5 * time.Second)
	for vcTask == "" && time.Now().Before(deadline) {
		var tm mo.TaskManager
		if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, *e.Vim.ServiceContent.TaskManager, []string{"recentTask"}, &tm); err != nil {
			t.Fatal(err)
		}
		for _, r := range tm.RecentTask {
			if info := e.lcTask(r.Value); info.DescriptionId == "VirtualMachine.cloneVm" && info.Entity != nil && *info.Entity == srcRef && info.State == types.TaskInfoStateRunning {
				vcTask = r.Value
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if vcTask == "" {
		t.Fatal("the vCenter clone task never ran")
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := c.CancelTask(e.Ctx, mcp.CancelTaskRequest{Params: mcp.CancelTaskParams{TaskId: task.TaskId}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetTask(e.Ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: task.TaskId}})
	if err != nil || got.Status != mcp.TaskStatusCancelled {
		t.Fatalf("MCP task after cancel: %+v %v", got, err)
	}
	// The vCenter task ends cancelled, and no clone appears.
	var info types.TaskInfo
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if info = e.lcTask(vcTask); info.State == types.TaskInfoStateError {
			break
		}
	}
	if info.State != types.TaskInfoStateError || !info.Cancelled {
		t.Fatalf("vCenter task %s: state %s cancelled %v", vcTask, info.State, info.Cancelled)
	}
	if info.Error == nil || faultType(info.Error.Fault) != "RequestCanceled" {
		t.Errorf("vCenter task error %+v, want RequestCanceled", info.Error)
	}
	time.Sleep(200 * time.Millisecond)
	if e.Exists("/DC0/vm/never") {
		t.Error("a cancelled clone left a VM")
	}
	// The call's audit line records the task, and the cancellation.
	var rec audit.Record
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rec = toolstest.LastAudit(t, p); rec.Tool == "vm_clone" {
			break
		}
	}
	if rec.Tool != "vm_clone" || !slices.Equal(rec.TaskIDs, []string{vcTask}) || rec.Outcome != audit.OutcomeError || !strings.Contains(rec.Error, "cancelled by the client; vCenter task "+vcTask+" was cancelled") {
		t.Errorf("audit of the cancelled clone: %+v", rec)
	}
}

func faultType(f types.BaseMethodFault) string {
	n := fmt.Sprintf("%T", f)
	return n[strings.LastIndex(n, ".")+1:]
}

func TestVMReconfigure(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	const off, on = "/DC0/vm/DC0_C0_RP1_VM2", "/DC0/vm/DC0_C0_RP1_VM1"
	if e.PowerState(off) != types.VirtualMachinePowerStatePoweredOff || e.PowerState(on) != types.VirtualMachinePowerStatePoweredOn {
		t.Fatal("demo inventory changed; fix the test's VM choice")
	}
	var res VMReconfigureResult
	text := e.OK("vm_reconfigure", map[string]any{"vm": off, "cpus": 4, "cores_per_socket": 2, "memory_mb": 4096, "annotation": "db", "cpu_hot_add": true, "memory_hot_add": true}, &res)
	toolstest.MustContain(t, text, "Reconfigured: "+off, "cpus: 1 → 4", "cores_per_socket: 1 → 2", "memory_mb: 32 → 4096", `annotation: "" → "db"`, "cpu_hot_add: no → yes", "memory_hot_add: no → yes")
	m := e.lcVM(off)
	hw := m.Config.Hardware
	if hw.NumCPU != 4 || hw.NumCoresPerSocket == nil || *hw.NumCoresPerSocket != 2 || hw.MemoryMB != 4096 || m.Config.Annotation != "db" ||
		m.Config.CpuHotAddEnabled == nil || !*m.Config.CpuHotAddEnabled || m.Config.MemoryHotAddEnabled == nil || !*m.Config.MemoryHotAddEnabled {
		t.Errorf("after reconfigure: cpus %d cores %v memory %d annotation %q", hw.NumCPU, hw.NumCoresPerSocket, hw.MemoryMB, m.Config.Annotation)
	}
	if len(res.Tasks) != 1 || len(res.Changes) != 6 {
		t.Errorf("result %+v", res)
	}
	// The same values again: nothing to do, no task.
	text = e.OK("vm_reconfigure", map[string]any{"vm": off, "cpus": 4, "memory_mb": 4096}, &res)
	toolstest.MustContain(t, text, "Unchanged", "already has every value")
	if len(res.Tasks) != 0 {
		t.Errorf("an unchanged reconfigure ran tasks %v", res.Tasks)
	}
	// Clearing the annotation.
	e.OK("vm_reconfigure", map[string]any{"vm": off, "annotation": ""}, &res)
	if a := strings.TrimSpace(e.lcVM(off).Config.Annotation); a != "" {
		t.Errorf("annotation %q after clearing", a)
	}

	// A running VM: what needs it off is refused, by name, before vCenter.
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"memory_mb": 16}, "lowering memory from 32 to 16 MB needs it powered off"},
		{map[string]any{"memory_mb": 64}, "raising memory from 32 to 64 MB while it runs needs memory hot-add, which is off"},
		{map[string]any{"cpus": 2}, "raising CPUs from 1 to 2 while it runs needs CPU hot-add"},
		{map[string]any{"cpu_hot_add": true}, "turning CPU hot-add on or off needs it powered off"},
	} {
		tc.args["vm"] = on
		msg := e.Fails("vm_reconfigure", tc.args)
		toolstest.MustContain(t, msg, on+" is poweredOn", tc.want, "Power it off first", "nothing was changed")
	}
	if m := e.lcVM(on); m.Config.Hardware.MemoryMB != 32 || m.Config.Hardware.NumCPU != 1 {
		t.Error("a refused reconfigure changed the running VM")
	}
	// Notes may change while it runs.
	e.OK("vm_reconfigure", map[string]any{"vm": on, "annotation": "live"}, &res)
	if e.lcVM(on).Config.Annotation != "live" {
		t.Error("annotation of a running VM not changed")
	}

	// Argument errors.
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": off}), "nothing to change")
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": off, "cpus": 6, "cores_per_socket": 4}), "cpus 6 is not a multiple of cores_per_socket 4")
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": off, "cpus": 3}), "cpus 3 is not a multiple of the VM's 2 cores per socket")
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": off, "memory_mb": 2}), "memory_mb must be between 4")
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": "DC0_H0_VM1", "cpus": 2}), "is a template")
}

func TestVMRenameAndMove(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	var res ActionResult
	text := e.OK("vm_rename", map[string]any{"vm": "/DC0/vm/DC0_H0_VM0", "name": "web-01"}, &res)
	toolstest.MustContain(t, text, "Renamed: /DC0/vm/web-01", "DC0_H0_VM0 → web-01")
	if !e.Exists("/DC0/vm/web-01") || e.Exists("/DC0/vm/DC0_H0_VM0") || len(res.Tasks) != 1 {
		t.Fatalf("rename not in vCenter: %+v", res)
	}
	text = e.OK("vm_rename", map[string]any{"vm": "web-01", "name": "web-01"}, &res)
	toolstest.MustContain(t, text, "Unchanged", "already called web-01")
	toolstest.MustContain(t, e.Fails("vm_rename", map[string]any{"vm": "web-01", "name": "DC0_H0_VM2"}), `a VM or template named "DC0_H0_VM2" already exists in folder /DC0/vm (DuplicateName)`)
	toolstest.MustContain(t, e.Fails("vm_rename", map[string]any{"vm": "web-01", "name": strings.Repeat("x", 81)}), "at most 80")

	e.lcFolder("/DC0/vm", "web")
	text = e.OK("vm_move", map[string]any{"vm": "web-01", "folder": "/DC0/vm/web"}, &res)
	toolstest.MustContain(t, text, "Moved: /DC0/vm/web/web-01", "from folder /DC0/vm to /DC0/vm/web")
	if m := e.lcVM("/DC0/vm/web/web-01"); e.lcName(m.Parent) != "web" {
		t.Errorf("moved VM's folder is %s", e.lcName(m.Parent))
	}
	toolstest.MustContain(t, e.OK("vm_move", map[string]any{"vm": "web-01", "folder": "/DC0/vm/web"}, &res), "Unchanged", "already in /DC0/vm/web")
	toolstest.MustContain(t, e.Fails("vm_move", map[string]any{"vm": "web-01", "folder": "/DC1/vm"}), "is in datacenter DC0 and folder /DC1/vm in DC1")
	toolstest.MustContain(t, e.Fails("vm_move", map[string]any{"vm": "web-01", "folder": "/DC0/network"}), "/DC0/network is not a VM folder")
	toolstest.MustContain(t, e.Fails("vm_move", map[string]any{"vm": "web-01"}), "folder is required")
	// A template moves too.
	e.OK("vm_move", map[string]any{"vm": "DC0_H0_VM1", "folder": "web"}, &res)
	if !e.Exists("/DC0/vm/web/DC0_H0_VM1") {
		t.Error("template not moved")
	}
}

// TestVMWritesRespectProtection: a protected destination folder refuses a
// create and a move into it; a protected VM refuses a rename.
func TestVMWritesRespectProtection(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"ops": {Inherits: "admin", Protect: []string{"/DC0/vm/prod", "*-keep"}}}
	p := toolstest.Policy(t, "ops", custom, nil)
	e := newPolicyEnv(t, p, nil)
	e.lcFolder("/DC0/vm", "prod")
	toolstest.MustContain(t, e.Fails("vm_create", map[string]any{"name": "x", "cluster": "DC0_C0", "folder": "/DC0/vm/prod"}), "/DC0/vm/prod is protected by policy")
	toolstest.MustContain(t, e.Fails("vm_move", map[string]any{"vm": "DC0_H0_VM0", "folder": "/DC0/vm/prod"}), "/DC0/vm/prod is protected by policy")
	if rec := toolstest.LastAudit(t, p); rec.Decision != audit.DecisionDenied || len(rec.Targets) != 2 {
		t.Errorf("audit of a refused move: %+v", rec)
	}
	e.OK("vm_rename", map[string]any{"vm": "DC0_H0_VM0", "name": "db-keep"}, nil)
	toolstest.MustContain(t, e.Fails("vm_rename", map[string]any{"vm": "db-keep", "name": "y"}), "db-keep is protected by policy")
	if e.Exists("/DC0/vm/prod/DC0_H0_VM0") || e.Exists("/DC0/vm/prod/x") || !e.Exists("/DC0/vm/db-keep") {
		t.Error("a protected object was changed")
	}
}

func TestVMMarkTemplateAndBack(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	const on, off = "/DC0/vm/DC0_C0_RP1_VM1", "/DC0/vm/DC0_C0_RP1_VM2"
	toolstest.MustContain(t, e.Fails("vm_mark_template", map[string]any{"vm": on}), on+" is poweredOn; only a powered-off VM can become a template", "vm_shutdown_guest")
	var res ActionResult
	toolstest.MustContain(t, e.OK("vm_mark_template", map[string]any{"vm": off}, &res), "Marked as template: "+off)
	if m := e.lcVM(off); !m.Config.Template {
		t.Fatal("not a template in vCenter")
	}
	toolstest.MustContain(t, e.OK("vm_mark_template", map[string]any{"vm": off}, &res), "Unchanged", "already a template")
	toolstest.MustContain(t, e.Fails("vm_power_on", map[string]any{"vm": off}), "failed")

	// Back to a VM: by default the root pool of its host.
	host := e.lcName(e.lcVM(off).Runtime.Host) // vcsim picks hosts at random
	text := e.OK("vm_mark_vm", map[string]any{"vm": off}, &res)
	toolstest.MustContain(t, text, "Marked as VM: "+off, "resource pool /DC0/host/DC0_C0/Resources", "default: resource pool /DC0/host/DC0_C0/Resources and host "+host)
	m := e.lcVM(off)
	if m.Config.Template || e.lcName(m.ResourcePool) != "Resources" || e.lcName(m.Runtime.Host) != host {
		t.Errorf("after vm_mark_vm: template %v pool %s host %s", m.Config.Template, e.lcName(m.ResourcePool), e.lcName(m.Runtime.Host))
	}
	toolstest.MustContain(t, e.OK("vm_mark_vm", map[string]any{"vm": off}, &res), "Unchanged", "already a VM")

	// An explicit pool and host; a host outside the pool's cluster is refused.
	const tmpl = "/DC0/vm/DC0_H0_VM4"
	toolstest.MustContain(t, e.Fails("vm_mark_vm", map[string]any{"vm": tmpl, "resource_pool": "DC0_C1_RP1", "host": "DC0_C0_H0"}), "is not part of /DC0/host/DC0_C1")
	e.OK("vm_mark_vm", map[string]any{"vm": tmpl, "resource_pool": "DC0_C1_RP1", "host": "DC0_C1_H1"}, &res)
	if m := e.lcVM(tmpl); m.Config.Template || e.lcName(m.ResourcePool) != "DC0_C1_RP1" || e.lcName(m.Runtime.Host) != "DC0_C1_H1" {
		t.Errorf("after vm_mark_vm with a pool: template %v pool %s host %s", m.Config.Template, e.lcName(m.ResourcePool), e.lcName(m.Runtime.Host))
	}
}

func TestVMMigrate(t *testing.T) {
	t.Parallel()
	e, p := newAdminEnv(t)
	const on, off = "/DC0/vm/DC0_C0_RP1_VM1", "/DC0/vm/DC0_C0_RP1_VM2"
	// vcsim places VMs on a random host of their cluster.
	from, to := "DC0_C0_H0", "DC0_C0_H1"
	if e.lcName(e.lcVM(on).Runtime.Host) == to {
		from, to = to, from
	}
	var res VMMigrateResult
	text := e.OK("vm_migrate", map[string]any{"vm": on, "host": to}, &res)
	toolstest.MustContain(t, text, "Migrated (vMotion): "+on, "from: host /DC0/host/DC0_C0/"+from, "to:   host /DC0/host/DC0_C0/"+to, "pool /DC0/host/DC0_C0/Resources/DC0_C0_RP1")
	if m := e.lcVM(on); e.lcName(m.Runtime.Host) != to || e.lcName(m.ResourcePool) != "DC0_C0_RP1" {
		t.Errorf("after vMotion: host %s pool %s (the pool must stay in the same cluster)", e.lcName(m.Runtime.Host), e.lcName(m.ResourcePool))
	}
	if len(res.Tasks) != 1 || toolstest.LastAudit(t, p).TaskIDs[0] != res.Tasks[0] {
		t.Errorf("tasks %v", res.Tasks)
	}

	text = e.OK("vm_migrate", map[string]any{"vm": on, "datastore": "/DC0/datastore/LocalDS_1"}, &res)
	toolstest.MustContain(t, text, "Migrated (storage vMotion)", "datastores /DC0/datastore/LocalDS_1")
	if m := e.lcVM(on); len(m.Datastore) != 1 || e.lcName(&m.Datastore[0]) != "LocalDS_1" {
		t.Errorf("after storage vMotion: datastores %v", m.Datastore)
	}
	toolstest.MustContain(t, e.OK("vm_migrate", map[string]any{"vm": on, "host": to, "datastore": "/DC0/datastore/LocalDS_1"}, &res), "Unchanged")

	// A powered-off VM to another cluster: cold migration into its root pool.
	text = e.OK("vm_migrate", map[string]any{"vm": off, "host": "DC0_C1_H0", "datastore": "/DC0/datastore/LocalDS_1"}, &res)
	toolstest.MustContain(t, text, "Migrated (cold migration of host and storage)", "default: resource pool /DC0/host/DC0_C1/Resources: the root pool of /DC0/host/DC0_C1")
	if m := e.lcVM(off); e.lcName(m.Runtime.Host) != "DC0_C1_H0" || e.lcName(m.ResourcePool) != "Resources" || e.lcName(&m.Datastore[0]) != "LocalDS_1" {
		t.Errorf("after cold migration: host %s pool %s", e.lcName(m.Runtime.Host), e.lcName(m.ResourcePool))
	}

	toolstest.MustContain(t, e.Fails("vm_migrate", map[string]any{"vm": on}), "say where to")
	toolstest.MustContain(t, e.Fails("vm_migrate", map[string]any{"vm": on, "datastore": "/DC1/datastore/LocalDS_0"}), "is not mounted on host "+to)
	toolstest.MustContain(t, e.Fails("vm_migrate", map[string]any{"vm": "DC0_H0_VM1", "cluster": "DC0_C0"}), "is a template, which has no resource pool")
}

// The cross-checks of vm_create's defaults against an inventory with one
// datacenter and one cluster: everything is unambiguous.
func TestVMCreateSingleCluster(t *testing.T) {
	t.Parallel()
	m := simulator.VPX()
	m.Datacenter, m.Cluster, m.ClusterHost, m.Host, m.Machine = 1, 1, 2, 0, 1
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	sim, err := vcenter.StartSimulator(ctx, m, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := newEnvOn(t, ctx, sim, toolstest.Policy(t, "admin", nil, nil))
	var res VMCreateResult
	text := e.OK("vm_create", map[string]any{"name": "solo"}, &res)
	toolstest.MustContain(t, text, "default: placement /DC0/host/DC0_C0: the only cluster or host in the inventory", "default: folder /DC0/vm")
	if !e.Exists("/DC0/vm/solo") {
		t.Error("solo not created")
	}
}

// TestVMCloneOutlivesImpatientClient: a plain (not background) call whose
// client gives up still finishes on vCenter, and shows in task_list.
func TestVMCloneOutlivesImpatientClient(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	const src = "/DC0/vm/DC0_C0_RP1_VM2"
	started := make(chan struct{})
	e.putSlowClone(src, &slowClone{steps: 10, step: 100 * time.Millisecond, started: started}) // about a second
	// The client gives up once vCenter has the clone: a fixed patience
	// could end before the request reached vCenter on a busy machine.
	ctx, cancel := context.WithCancel(e.Ctx)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "vm_clone"
	req.Params.Arguments = map[string]any{"vm": src, "name": "patient-clone"}
	type result struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := e.Client.CallTool(ctx, req)
		done <- result{res, err}
	}()
	select {
	case <-started:
	case r := <-done:
		t.Fatalf("the call ended before vCenter was asked to clone: %v %s", r.err, toolstest.ResultText(r.res))
	case <-time.After(30 * time.Second):
		t.Fatal("vCenter was not asked to clone within 30 s")
	}
	cancel()
	if r := <-done; r.err == nil && !r.res.IsError {
		t.Fatalf("the clone finished within the client's patience; make it slower: %s", toolstest.ResultText(r.res))
	}
	deadline := time.Now().Add(10 * time.Second)
	for !e.Exists("/DC0/vm/patient-clone") {
		if time.Now().After(deadline) {
			t.Fatal("the clone never finished on vCenter after the client gave up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var tasks taskts.TaskList
	e.OK("task_list", map[string]any{"object": src, "state": "success"}, &tasks)
	found := false
	for _, it := range tasks.Items {
		if strings.Contains(strings.ToLower(it.Operation), "clone") {
			found = true
		}
	}
	if !found {
		t.Errorf("task_list does not show the clone: %+v", tasks.Items)
	}
}
