package device

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// runVM is powered on in the demo model.
const runVM = "/DC0/vm/DC0_H0_VM0"

// idleVM finds a powered-off VM of DC0 that is not a template.
func (e *env) idleVM() string {
	e.T.Helper()
	for _, v := range toolstest.RetrieveIn[mo.VirtualMachine](e.Env, e.DatacenterRef("DC0"), "VirtualMachine", "runtime.powerState", "config.template") {
		if v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff && !v.Config.Template {
			return e.InventoryPath(v.Self)
		}
	}
	e.T.Fatal("no powered-off VM in DC0")
	return ""
}

func newNICEnv(t *testing.T) *env {
	t.Helper()
	return newPolicyEnv(t, toolstest.Policy(t, "vm-admin", nil, nil), nil)
}

// card returns the VM's adapter with key, read through govmomi.
func (e *env) card(vm string, key int32) *types.VirtualEthernetCard {
	e.T.Helper()
	d := e.devices(vm).List.FindByKey(key)
	if d == nil {
		e.T.Fatalf("%s has no device %d", vm, key)
	}
	c, ok := d.(types.BaseVirtualEthernetCard)
	if !ok {
		e.T.Fatalf("device %d of %s is a %T", key, vm, d)
	}
	return c.GetVirtualEthernetCard()
}

// netRef finds the network called name in datacenter dc.
func (e *env) netRef(dc, name string) types.ManagedObjectReference {
	e.T.Helper()
	for _, n := range toolstest.RetrieveIn[mo.Network](e.Env, e.DatacenterRef(dc), "Network", "name") {
		if n.Name == name {
			return n.Self
		}
	}
	e.T.Fatalf("no network %s in %s", name, dc)
	return types.ManagedObjectReference{}
}

// pgKey reads a distributed port group's key.
func (e *env) pgKey(ref types.ManagedObjectReference) string {
	e.T.Helper()
	var pg mo.DistributedVirtualPortgroup
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, ref, []string{"key"}, &pg); err != nil {
		e.T.Fatal(err)
	}
	return pg.Key
}

// nicKeys lists the VM's adapter keys.
func (e *env) nicKeys(vm string) []int32 {
	var out []int32
	for _, in := range e.devices(vm).OfKind(params.KindNIC) {
		out = append(out, in.Key)
	}
	return out
}

func TestNICList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := e.devices(runVM).OfKind(params.KindNIC)
	var got NICList
	text := e.OK("vm_nic_list", map[string]any{"vm": runVM}, &got)
	if len(got.NICs) != len(want) || len(want) == 0 {
		t.Fatalf("listed %d NICs, the VM has %d", len(got.NICs), len(want))
	}
	n := got.NICs[0]
	card := e.card(runVM, want[0].Key)
	b := card.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
	if n.MAC != card.MacAddress || n.Label != "Network adapter 1" || n.NetworkKind != "distributed" || n.Network != "DC0_DVPG0" || n.Switch != "DVS0" ||
		e.pgKey(e.netRef("DC0", n.Network)) != b.Port.PortgroupKey || n.MACType != "generated" {
		t.Errorf("NIC = %+v; card %+v backing %+v", n, card, b.Port)
	}
	toolstest.MustContain(t, text, "Network adapter 1", card.MacAddress, "DC0_DVPG0 (distributed)", "DVS0")
}

func TestNICAdd(t *testing.T) {
	t.Parallel()
	e := newNICEnv(t)
	t.Run("standard port group, manual MAC, name shared by two datacenters", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_nic_add", map[string]any{"vm": runVM, "network": "VM Network", "mac": "00-50-56-3F-01-02", "adapter": "e1000e"}, &got)
		c := e.card(runVM, got.Device.Key)
		b, ok := c.Backing.(*types.VirtualEthernetCardNetworkBackingInfo)
		if !ok || b.DeviceName != "VM Network" || c.MacAddress != "00:50:56:3f:01:02" || c.AddressType != "manual" || !c.Connectable.Connected || !c.Connectable.StartConnected {
			t.Fatalf("card %+v backing %+v", c, c.Backing)
		}
		if _, ok := e.devices(runVM).List.FindByKey(got.Device.Key).(*types.VirtualE1000e); !ok {
			t.Errorf("adapter is not an e1000e")
		}
		if got.NIC == nil || got.NIC.MAC != c.MacAddress || got.NIC.NetworkKind != "standard" || got.Action != "added" {
			t.Errorf("result %+v", got)
		}
		toolstest.MustContain(t, text, "Added Network adapter 2", "00:50:56:3f:01:02", "VM Network (standard)")
	})
	t.Run("distributed port group, generated MAC, powered-off VM", func(t *testing.T) {
		vmOff := e.at(t).idleVM()
		var got DeviceEdit
		e.at(t).OK("vm_nic_add", map[string]any{"vm": vmOff, "network": "DC0_DVPG1"}, &got)
		c := e.card(vmOff, got.Device.Key)
		b, ok := c.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		if !ok || b.Port.PortgroupKey != e.pgKey(e.netRef("DC0", "DC0_DVPG1")) || c.MacAddress == "" || c.Connectable.Connected || !c.Connectable.StartConnected {
			t.Fatalf("card %+v backing %+v", c, c.Backing)
		}
		if _, ok := e.devices(vmOff).List.FindByKey(got.Device.Key).(*types.VirtualVmxnet3); !ok {
			t.Errorf("default adapter is not vmxnet3")
		}
		if got.NIC.Switch != "DVS0" || !strings.Contains(strings.Join(got.Notes, " "), "connects when it powers on") {
			t.Errorf("result %+v", got)
		}
	})
	t.Run("network by managed object ID and by inventory path", func(t *testing.T) {
		ref := e.netRef("DC0", "DC0_DVPG1")
		for _, net := range []string{ref.Value, e.InventoryPath(ref)} {
			var got DeviceEdit
			e.at(t).OK("vm_nic_add", map[string]any{"vm": runVM, "network": net, "adapter": "e1000"}, &got)
			b, ok := e.card(runVM, got.Device.Key).Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
			if !ok || b.Port.PortgroupKey != e.pgKey(ref) {
				t.Errorf("%s: backing %+v", net, b)
			}
			e.at(t).OK("vm_nic_remove", map[string]any{"vm": runVM, "nic": fmt.Sprint(got.Device.Key)}, nil)
		}
	})
	t.Run("snapshot_first", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_nic_add", map[string]any{"vm": "/DC0/vm/DC0_H0_VM2", "network": "DC0_DVPG0", "snapshot_first": true}, &got)
		if got.Snapshot == nil || !strings.HasPrefix(got.Snapshot.Name, "before vm_nic_add ") {
			t.Fatalf("no snapshot in %+v", got)
		}
		var m mo.VirtualMachine
		if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, e.VMRef("/DC0/vm/DC0_H0_VM2"), []string{"snapshot"}, &m); err != nil {
			t.Fatal(err)
		}
		if m.Snapshot == nil || m.Snapshot.RootSnapshotList[0].Name != got.Snapshot.Name {
			t.Errorf("snapshot on the VM: %+v", m.Snapshot)
		}
		toolstest.MustContain(t, text, "snapshot_revert undoes")
	})
	t.Run("refusals leave the VM as it was", func(t *testing.T) {
		before := e.nicKeys(runVM)
		for _, tc := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{"vm": runVM}, "network is required"},
			{map[string]any{"vm": runVM, "network": "DC1_DVPG0"}, "not reachable from host"},
			{map[string]any{"vm": runVM, "network": "no-such-net"}, "no network matches"},
			{map[string]any{"vm": runVM, "network": "VM Network", "mac": "00:0c:29:01:02:03"}, "outside VMware's range"},
			{map[string]any{"vm": runVM, "network": "VM Network", "mac": "01:50:56:01:02:03"}, "multicast"},
			{map[string]any{"vm": runVM, "network": "VM Network", "mac": "00:50:56:40:00:00"}, "outside VMware's range"},
			{map[string]any{"vm": runVM, "network": "VM Network", "mac": "00:50:56:3f:01:02"}, "already Network adapter 2"},
			{map[string]any{"vm": runVM, "network": "VM Network", "adapter": "rtl8139"}, "use one of vmxnet3"},
			{map[string]any{"vm": runVM, "network": "VM Network", "adapter": "sriov"}, "no active SR-IOV"},
		} {
			toolstest.MustContain(t, e.at(t).Fails("vm_nic_add", tc.args), tc.want)
		}
		// A missing network's hint is a network's, not a VM's.
		msg := e.at(t).Fails("vm_nic_add", map[string]any{"vm": runVM, "network": "no-such-net"})
		toolstest.MustContain(t, msg, "a managed object ID like network-12 or dvportgroup-34", "list them with network_list")
		if strings.Contains(msg, "vm-42") || strings.Contains(msg, "*_list") {
			t.Errorf("network hint %q names a VM's or no tool", msg)
		}
		if after := e.nicKeys(runVM); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("NICs %v → %v", before, after)
		}
	})
}

func TestNICAddUplink(t *testing.T) {
	t.Parallel()
	// vCenter marks a switch's uplink port group (config.uplink); the
	// simulator does not, so the model is marked before it starts.
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Map().All("DistributedVirtualPortgroup") {
		if pg := o.(*simulator.DistributedVirtualPortgroup); strings.Contains(pg.Name, "-DVUplinks") {
			pg.Config.Uplink = types.NewBool(true)
		}
	}
	// And the guest reports an address on its adapter (VMware Tools).
	var vm0 *simulator.VirtualMachine
	for _, o := range m.Map().All("VirtualMachine") {
		if v := o.(*simulator.VirtualMachine); v.Name == "DC0_H0_VM0" {
			vm0 = v
			v.Guest.Net[0].IpAddress = []string{"10.0.0.7", "fe80::7"}
		}
	}
	if vm0 == nil {
		t.Fatal("no DC0_H0_VM0")
	}
	e := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, "vm-admin", nil, nil)}, m)}
	before := e.nicKeys(runVM)
	toolstest.MustContain(t, e.Fails("vm_nic_add", map[string]any{"vm": runVM, "network": "DVS0-DVUplinks-8"}), "uplink port group")
	if after := e.nicKeys(runVM); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("NICs %v → %v", before, after)
	}
	var got NICList
	text := e.OK("vm_nic_list", map[string]any{"vm": runVM}, &got)
	if len(got.NICs) != 1 || strings.Join(got.NICs[0].IPs, " ") != "10.0.0.7 fe80::7" {
		t.Errorf("NICs %+v", got.NICs)
	}
	toolstest.MustContain(t, text, "10.0.0.7 fe80::7")
}

func TestNICAddDefaultNetwork(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, toolstest.Options{Policy: toolstest.Policy(t, "vm-admin", nil, nil), Defaults: vcenter.Defaults{Network: "DC0_DVPG1"}})
	var got DeviceEdit
	text := e.OK("vm_nic_add", map[string]any{"vm": runVM}, &got)
	b, ok := e.card(runVM, got.Device.Key).Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
	if !ok || b.Port.PortgroupKey != e.pgKey(e.netRef("DC0", "DC0_DVPG1")) {
		t.Fatalf("backing %+v", b)
	}
	toolstest.MustContain(t, text, "profile's default network")
}

func TestNICUpdateRemove(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "nic-admin", map[string]policy.RoleSpec{"nic-admin": {Inherits: "vm-admin", Confirm: []string{"vm_nic_remove"}}}, nil)
	person := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept}
	e := newPolicyEnv(t, p, person)
	nic := e.devices(runVM).OfKind(params.KindNIC)[0]

	t.Run("move to a standard port group and disconnect, by MAC", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_nic_update", map[string]any{"vm": runVM, "nic": strings.ToUpper(nic.MAC), "network": "VM Network", "connected": false}, &got)
		c := e.card(runVM, nic.Key)
		b, ok := c.Backing.(*types.VirtualEthernetCardNetworkBackingInfo)
		if !ok || b.DeviceName != "VM Network" || c.Connectable.Connected || c.MacAddress != nic.MAC {
			t.Fatalf("card %+v backing %+v", c.Connectable, c.Backing)
		}
		toolstest.MustContain(t, text, "network: DC0_DVPG0 (distributed, switch DVS0) → VM Network (standard)", "connected: yes → no")
	})
	t.Run("start_connected and back to the distributed port group, by label", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_nic_update", map[string]any{"vm": runVM, "nic": "network adapter 1", "network": "DC0_DVPG0", "start_connected": false, "connected": true}, &got)
		c := e.card(runVM, nic.Key)
		if _, ok := c.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); !ok || !c.Connectable.Connected || c.Connectable.StartConnected {
			t.Fatalf("card %+v backing %+v", c.Connectable, c.Backing)
		}
		toolstest.MustContain(t, text, "connect at power on: yes → no", "connected: no → yes")
	})
	t.Run("nothing to change", func(t *testing.T) {
		var got DeviceEdit
		e.at(t).OK("vm_nic_update", map[string]any{"vm": runVM, "nic": fmt.Sprint(nic.Key), "start_connected": false}, &got)
		if got.Action != "unchanged" || got.Task != "" {
			t.Errorf("result %+v", got)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		before := e.card(runVM, nic.Key)
		vmOff := e.at(t).idleVM()
		offNIC := e.devices(vmOff).OfKind(params.KindNIC)[0]
		toolstest.MustContain(t, e.at(t).Fails("vm_nic_update", map[string]any{"vm": runVM, "nic": "Network adapter 9", "connected": true}), "has no such nic", "Network adapter 1 (key 4000")
		toolstest.MustContain(t, e.at(t).Fails("vm_nic_update", map[string]any{"vm": vmOff, "nic": offNIC.Label, "connected": true}), "start_connected: true")
		toolstest.MustContain(t, e.at(t).Fails("vm_nic_update", map[string]any{"vm": runVM, "nic": "Network adapter 1"}), "nothing to change")
		toolstest.MustContain(t, e.at(t).Fails("vm_nic_update", map[string]any{"vm": runVM, "nic": "Network adapter 1", "network": "DC1_DVPG1"}), "not reachable")
		after := e.card(runVM, nic.Key)
		if fmt.Sprintf("%+v%+v", before.Backing, *before.Connectable) != fmt.Sprintf("%+v%+v", after.Backing, *after.Connectable) {
			t.Errorf("card changed: %+v → %+v", before, after)
		}
	})
	t.Run("remove the last NIC of a running VM: said first; declined, then confirmed", func(t *testing.T) {
		person.Confirm = false
		e.at(t).Fails("vm_nic_remove", map[string]any{"vm": runVM, "nic": "Network adapter 1"})
		asked := person.Asked()
		if len(asked) == 0 || !strings.Contains(asked[len(asked)-1], "only network adapter and the VM is running") {
			t.Fatalf("asked %q", asked)
		}
		if len(e.nicKeys(runVM)) != 1 {
			t.Fatal("declined removal removed the NIC")
		}
		person.Confirm = true
		var got DeviceEdit
		text := e.at(t).OK("vm_nic_remove", map[string]any{"vm": runVM, "nic": "Network adapter 1"}, &got)
		if keys := e.nicKeys(runVM); len(keys) != 0 {
			t.Fatalf("NICs left: %v", keys)
		}
		toolstest.MustContain(t, text, "Removed Network adapter 1", "the guest has no network now")
	})
}

// TestDeviceFaultsExplained: vCenter refuses the reconfiguration; the
// error names the fault, says what to do and that the VM was left as it
// was (read back), and names the snapshot_first snapshot taken before.
func TestDeviceFaultsExplained(t *testing.T) {
	t.Parallel()
	e := newNICEnv(t)
	const vm = "/DC0/vm/DC0_H0_VM2"
	for _, tc := range []struct {
		fault types.BaseMethodFault
		want  string
	}{
		{&types.InvalidDeviceSpec{}, "no free unit on the controller"},
		{&types.InvalidPowerState{}, "power it off"},
		{&types.FileNotFound{}, "datastore_browse"},
	} {
		e.Sim.Model.Service.ClearFaultRules()
		e.Sim.Model.Service.AddFaultRule(&simulator.FaultInjectionRule{
			MethodName: "ReconfigVM_Task", ObjectType: "VirtualMachine", ObjectName: "DC0_H0_VM2",
			Probability: 1, FaultType: simulator.FaultTypeCustom, Fault: tc.fault, Message: "refused", Enabled: true,
		})
		before := e.nicKeys(vm)
		text := e.Fails("vm_nic_add", map[string]any{"vm": vm, "network": "DC0_DVPG0", "snapshot_first": true})
		name := fmt.Sprintf("%T", tc.fault)[len("*types."):]
		toolstest.MustContain(t, text, name, tc.want, "left as it was", "snapshot_first snapshot", "snapshot_revert")
		if after := e.nicKeys(vm); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("%s: NICs %v → %v", name, before, after)
		}
	}
	e.Sim.Model.Service.ClearFaultRules()
}
