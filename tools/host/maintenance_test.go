package host

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// setDRS sets a cluster's DRS automation level through govmomi.
func (e *env) setDRS(cluster string, behavior types.DrsBehavior) {
	e.T.Helper()
	cl, err := find.NewFinder(e.Vim).ClusterComputeResource(e.Ctx, cluster)
	if err != nil {
		e.T.Fatal(err)
	}
	spec := &types.ClusterConfigSpecEx{DrsConfig: &types.ClusterDrsConfigInfo{Enabled: types.NewBool(true), DefaultVmBehavior: behavior}}
	task, err := cl.Reconfigure(e.Ctx, spec, true)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		e.T.Fatal(err)
	}
}

// hostRuntime reads a host's runtime through govmomi.
func (e *env) hostRuntime(name string) types.HostRuntimeInfo {
	e.T.Helper()
	var h mo.HostSystem
	if err := e.hostObj(name).Properties(e.Ctx, e.hostObj(name).Reference(), []string{"runtime"}, &h); err != nil {
		e.T.Fatal(err)
	}
	return h.Runtime
}

// vmsRunningOn maps the VMs whose runtime.host is the named host to their
// power state, through govmomi.
func (e *env) vmsRunningOn(name string) map[string]types.VirtualMachinePowerState {
	e.T.Helper()
	ref := e.hostObj(name).Reference()
	out := map[string]types.VirtualMachinePowerState{}
	for _, vm := range e.AllVMs("name", "runtime.host", "runtime.powerState") {
		if vm.Runtime.Host != nil && *vm.Runtime.Host == ref {
			out[vm.Name] = vm.Runtime.PowerState
		}
	}
	return out
}

// runningVMOn makes sure a powered-on VM runs on host name: the
// simulator places the demo's VMs on random hosts of their cluster, so a
// test that needs one there moves (and powers on) one of the cluster's
// VMs through govmomi first.
func (e *env) runningVMOn(name string) {
	e.T.Helper()
	if len(poweredOnNames(e.vmsRunningOn(name))) > 0 {
		return
	}
	h := e.hostObj(name)
	var mh mo.HostSystem
	if err := h.Properties(e.Ctx, h.Reference(), []string{"parent"}, &mh); err != nil {
		e.T.Fatal(err)
	}
	var cluster mo.ClusterComputeResource
	if err := h.Properties(e.Ctx, *mh.Parent, []string{"host", "resourcePool"}, &cluster); err != nil {
		e.T.Fatal(err)
	}
	for _, vm := range e.AllVMs("name", "runtime.host", "config.template") {
		if vm.Runtime.Host == nil || !slices.Contains(cluster.Host, *vm.Runtime.Host) || (vm.Config != nil && vm.Config.Template) {
			continue
		}
		o := object.NewVirtualMachine(e.Vim, vm.Self)
		// Relocate rather than Migrate: the simulator has no MigrateVM_Task.
		hostRef, poolRef := h.Reference(), *cluster.ResourcePool
		task, err := o.Relocate(e.Ctx, types.VirtualMachineRelocateSpec{Host: &hostRef, Pool: &poolRef}, types.VirtualMachineMovePriorityDefaultPriority)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			e.T.Fatalf("move %s to %s: %v", vm.Name, name, err)
		}
		if e.PowerState(e.InventoryPath(vm.Self)) != types.VirtualMachinePowerStatePoweredOn {
			task, err := o.PowerOn(e.Ctx)
			if err == nil {
				err = task.Wait(e.Ctx)
			}
			if err != nil {
				e.T.Fatalf("power on %s: %v", vm.Name, err)
			}
		}
		return
	}
	e.T.Fatalf("no VM in the cluster of %s to run on it", name)
}

func poweredOnNames(m map[string]types.VirtualMachinePowerState) []string {
	var out []string
	for n, p := range m {
		if p == types.VirtualMachinePowerStatePoweredOn {
			out = append(out, n)
		}
	}
	return toolstest.Sorted(out)
}

// TestHostMaintenance enters and leaves maintenance mode through the MCP
// client on a simulator extended to move VMs as DRS does, checking the
// host's state and where its VMs run through govmomi.
func TestHostMaintenance(t *testing.T) {
	t.Parallel()
	person := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := newExtEnv(t, toolstest.Policy(t, "admin", nil, nil), person)

	t.Run("refused up front when DRS is manual", func(t *testing.T) {
		e := e.at(t)
		e.setDRS("/DC0/host/DC0_C0", types.DrsBehaviorManual)
		const h = "DC0_C0_H0"
		e.runningVMOn(h)
		before := e.vmsRunningOn(h)
		on := poweredOnNames(before)
		if len(on) == 0 {
			t.Fatal("no powered-on VMs to block maintenance")
		}
		person.Forget()
		text := e.Fails("host_maintenance_enter", map[string]any{"host": h})
		toolstest.MustContain(t, text, "would not enter maintenance mode by itself", "DRS of cluster DC0_C0 is manual",
			"wait_for_manual_moves=true", "Nothing was changed")
		for _, n := range on {
			toolstest.MustContain(t, text, n)
		}
		if len(person.Asked()) != 0 {
			t.Errorf("a refused call asked the person: %v", person.Asked())
		}
		if e.hostRuntime(h).InMaintenanceMode || len(e.vmsRunningOn(h)) != len(before) {
			t.Error("a refused call changed the host")
		}
		// A standalone host has no DRS at all.
		toolstest.MustContain(t, e.Fails("host_maintenance_enter", map[string]any{"host": "DC0_H0"}), "in no cluster")
	})

	t.Run("declined changes nothing", func(t *testing.T) {
		e := e.at(t)
		const h = "DC0_C1_H0"
		before := e.vmsRunningOn(h)
		person.Action = mcp.ElicitationResponseActionDecline
		defer func() { person.Action = mcp.ElicitationResponseActionAccept }()
		toolstest.MustContain(t, e.Fails("host_maintenance_enter", map[string]any{"host": h}), "did not confirm")
		if e.hostRuntime(h).InMaintenanceMode || len(e.vmsRunningOn(h)) != len(before) {
			t.Error("a declined call changed the host")
		}
	})

	t.Run("DRS moves the VMs; exit", func(t *testing.T) {
		e := e.at(t)
		const h, other = "DC0_C1_H0", "DC0_C1_H1"
		e.runningVMOn(h)
		on := poweredOnNames(e.vmsRunningOn(h))
		person.Forget()
		var res HostMaintenanceResult
		text := e.OK("host_maintenance_enter", map[string]any{"host": h, "timeout_s": 60}, &res)
		if asked := person.Asked(); len(asked) != 1 || !strings.Contains(asked[0], "with DRS moving its") {
			t.Errorf("asked %v", asked)
		}
		if !res.MaintenanceMode || res.Outcome != "done" || res.Task == "" {
			t.Errorf("result %+v", res)
		}
		if !e.hostRuntime(h).InMaintenanceMode {
			t.Fatal("govmomi: host not in maintenance mode")
		}
		if left := poweredOnNames(e.vmsRunningOn(h)); len(left) != 0 {
			t.Errorf("powered-on VMs still on the host: %v", left)
		}
		var moved []string
		now := e.vmsRunningOn(other)
		for _, m := range res.Moved {
			moved = append(moved, m.VM)
			if _, ok := now[m.VM]; !ok || m.ToHost != other || m.ToHostID != e.hostObj(other).Reference().Value {
				t.Errorf("move %+v: govmomi sees it elsewhere", m)
			}
		}
		if !slices.Equal(toolstest.Sorted(moved), on) {
			t.Errorf("moved %v, want %v", moved, on)
		}
		toolstest.MustContain(t, text, "Host "+h+" (host-", "in maintenance mode (done)", "VMs moved:\nvm\tid\tto_host\tto_host_id\n", "\t"+other+"\thost-")

		e.OK("host_maintenance_enter", map[string]any{"host": h}, &res)
		if res.Outcome != "unchanged" {
			t.Errorf("again: %+v", res)
		}
		e.OK("host_maintenance_exit", map[string]any{"host": h}, &res)
		if res.Outcome != "done" || res.MaintenanceMode || e.hostRuntime(h).InMaintenanceMode {
			t.Errorf("exit: %+v", res)
		}
		e.OK("host_maintenance_exit", map[string]any{"host": h}, &res)
		if res.Outcome != "unchanged" {
			t.Errorf("exit again: %+v", res)
		}
	})

	t.Run("waits for manual moves", func(t *testing.T) {
		e := e.at(t)
		const h = "DC0_C0_H1" // DRS manual since the first subtest
		e.runningVMOn(h)
		on := poweredOnNames(e.vmsRunningOn(h))
		type outcome struct {
			res  HostMaintenanceResult
			text string
		}
		done := make(chan outcome, 1)
		go func() {
			var res HostMaintenanceResult
			r := e.Call("host_maintenance_enter", map[string]any{"host": h, "wait_for_manual_moves": true, "timeout_s": 60})
			text := toolstest.ResultText(r)
			if !r.IsError {
				b, _ := jsonOf(r.StructuredContent)
				_ = jsonInto(b, &res)
			}
			done <- outcome{res, text}
		}()
		time.Sleep(200 * time.Millisecond)
		if e.hostRuntime(h).InMaintenanceMode {
			t.Fatal("entered although powered-on VMs run")
		}
		// Someone powers the VMs off by hand.
		for _, vm := range e.AllVMs("name") {
			if !slices.Contains(on, vm.Name) {
				continue
			}
			task, err := object.NewVirtualMachine(e.Vim, vm.Self).PowerOff(e.Ctx)
			if err == nil {
				err = task.Wait(e.Ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		got := <-done
		if !got.res.MaintenanceMode || !e.hostRuntime(h).InMaintenanceMode {
			t.Fatalf("not in maintenance after the manual moves: %s", got.text)
		}
		if !slices.Equal(got.res.Stayed, on) || len(got.res.Moved) != 0 {
			t.Errorf("stayed %v moved %v, want stayed %v", got.res.Stayed, got.res.Moved, on)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		e := e.at(t)
		const h = "DC0_C0_H0"
		e.runningVMOn(h)
		text := e.Fails("host_maintenance_enter", map[string]any{"host": h, "wait_for_manual_moves": true, "timeout_s": 1})
		toolstest.MustContain(t, text, "Timedout", "did not empty within timeout_s")
		if e.hostRuntime(h).InMaintenanceMode {
			t.Error("in maintenance mode after a timeout")
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		e := e.at(t)
		for _, tc := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{}, "host is required"},
			{map[string]any{"host": "DC0_C1_H1", "vsan_mode": "all"}, "vsan_mode must be one of ensureObjectAccessibility"},
			{map[string]any{"host": "DC0_C1_H1", "timeout_s": -1}, "timeout_s must be between 0"},
			{map[string]any{"host": "DC0_C0_H0", "evacuate_powered_off": true}, "evacuate_powered_off needs DRS"},
			{map[string]any{"host": "DC9_H9"}, `no host matches "DC9_H9"`},
		} {
			toolstest.MustContain(t, e.Fails("host_maintenance_enter", tc.args), tc.want)
		}
		if e.hostRuntime("DC0_C1_H1").InMaintenanceMode {
			t.Error("a refused call changed the host")
		}
	})
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }
