package device

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// The NIC tools (vm_nic_list, vm_nic_add, vm_nic_update, vm_nic_remove)
// model a network adapter as NICInfo: its adapter type, MAC and network
// by name and kind (a standard port group, a distributed port group with
// its switch, an opaque network), read through params.ReadDevices so a
// label means what vm_device_list says.

// NICInfo is one network adapter as the NIC tools show it.
type NICInfo struct {
	Label   string `json:"label"`
	Key     int32  `json:"key"`
	Adapter string `json:"adapter" jsonschema:"vmxnet3, e1000e, e1000, sriov, vmxnet2, vmxnet, pcnet32"`
	MAC     string `json:"mac,omitempty"`
	// MACType is vCenter's addressType: manual, generated or assigned.
	MACType string `json:"mac_type,omitempty" jsonschema:"manual (set by a person), generated (by ESXi) or assigned (by vCenter)"`
	Network string `json:"network,omitempty"`
	// NetworkID is the network's managed object ID, when known.
	NetworkID   string `json:"network_id,omitempty"`
	NetworkKind string `json:"network_kind,omitempty" jsonschema:"standard (a standard switch port group), distributed (a distributed port group) or opaque"`
	// Switch is the distributed switch of a distributed port group.
	Switch         string   `json:"switch,omitempty"`
	Connected      bool     `json:"connected"`
	StartConnected bool     `json:"start_connected"`
	IPs            []string `json:"ips,omitempty" jsonschema:"The guest's IP addresses on this adapter (from VMware Tools)"`
}

// adapterNames names the adapter types as the tools take and show them.
var adapterNames = []string{"vmxnet3", "e1000e", "e1000", "sriov"}

// adapterOf names a card's type.
func adapterOf(d types.BaseVirtualDevice) string {
	switch d.(type) {
	case *types.VirtualVmxnet3, *types.VirtualVmxnet3Vrdma:
		return "vmxnet3"
	case *types.VirtualE1000e:
		return "e1000e"
	case *types.VirtualE1000:
		return "e1000"
	case *types.VirtualSriovEthernetCard:
		return "sriov"
	case *types.VirtualVmxnet2:
		return "vmxnet2"
	case *types.VirtualVmxnet:
		return "vmxnet"
	case *types.VirtualPCNet32:
		return "pcnet32"
	}
	return "ethernet"
}

// netNames resolves the networks a VM's adapters are on: names by
// reference, distributed port groups by key with their switch's name.
type netNames struct {
	byRef map[types.ManagedObjectReference]string
	// pgs: distributed port group key → its reference and switch name.
	pgs map[string]pgInfo
}

type pgInfo struct {
	ref        types.ManagedObjectReference
	name       string
	switchName string
}

// readNetNames reads the names of refs (a VM's network property) and the
// switches of the distributed port groups among them.
func readNetNames(ctx context.Context, c *vcenter.Conn, refs []types.ManagedObjectReference) (netNames, error) {
	nn := netNames{byRef: map[types.ManagedObjectReference]string{}, pgs: map[string]pgInfo{}}
	if len(refs) == 0 {
		return nn, nil
	}
	names, err := c.Names(ctx, refs)
	if err != nil {
		return nn, err
	}
	nn.byRef = names
	var pgRefs []types.ManagedObjectReference
	for _, r := range refs {
		if r.Type == "DistributedVirtualPortgroup" {
			pgRefs = append(pgRefs, r)
		}
	}
	if len(pgRefs) == 0 {
		return nn, nil
	}
	var pgs []mo.DistributedVirtualPortgroup
	if err := property.DefaultCollector(c.Client).Retrieve(ctx, pgRefs, []string{"key", "config.distributedVirtualSwitch"}, &pgs); err != nil {
		return nn, err
	}
	var switches []types.ManagedObjectReference
	for _, pg := range pgs {
		if s := pg.Config.DistributedVirtualSwitch; s != nil && !slices.Contains(switches, *s) {
			switches = append(switches, *s)
		}
	}
	swNames := map[types.ManagedObjectReference]string{}
	if len(switches) > 0 {
		if swNames, err = c.Names(ctx, switches); err != nil {
			return nn, err
		}
	}
	for _, pg := range pgs {
		info := pgInfo{ref: pg.Self, name: names[pg.Self]}
		if s := pg.Config.DistributedVirtualSwitch; s != nil {
			info.switchName = swNames[*s]
		}
		key := pg.Key
		if key == "" {
			key = pg.Self.Value
		}
		nn.pgs[key] = info
	}
	return nn, nil
}

// describeNIC models one adapter of the VM m.
func describeNIC(d types.BaseVirtualDevice, in params.DeviceInfo, nn netNames, guest []types.GuestNicInfo) NICInfo {
	card := d.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
	n := NICInfo{Label: in.Label, Key: in.Key, Adapter: adapterOf(d), MAC: card.MacAddress, MACType: card.AddressType}
	if n.MACType == "" && n.MAC != "" {
		n.MACType = string(types.VirtualEthernetCardMacTypeGenerated)
	}
	if c := card.Connectable; c != nil {
		n.Connected, n.StartConnected = c.Connected, c.StartConnected
	}
	switch b := card.Backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		n.NetworkKind, n.Network = "standard", b.DeviceName
		if b.Network != nil {
			n.NetworkID = b.Network.Value
			if name := nn.byRef[*b.Network]; name != "" {
				n.Network = name
			}
		}
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		n.NetworkKind, n.Network = "distributed", b.Port.PortgroupKey
		if pg, ok := nn.pgs[b.Port.PortgroupKey]; ok {
			n.Network, n.NetworkID, n.Switch = pg.name, pg.ref.Value, pg.switchName
		}
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		n.NetworkKind, n.Network = "opaque", b.OpaqueNetworkId
		for ref, name := range nn.byRef {
			if ref.Type == "OpaqueNetwork" && (name == b.OpaqueNetworkId || ref.Value == b.OpaqueNetworkId) {
				n.Network, n.NetworkID = name, ref.Value
			}
		}
	}
	for _, g := range guest {
		if n.MAC != "" && strings.EqualFold(g.MacAddress, n.MAC) {
			n.IPs = append(n.IPs, g.IpAddress...)
		}
	}
	return n
}

// vmNICs reads the VM's devices and its adapters modelled.
type vmNICs struct {
	Devices params.Devices
	VM      mo.VirtualMachine
	NICs    []NICInfo
	names   netNames
}

func readNICs(ctx context.Context, c *vcenter.Conn, vm vcenter.Object) (vmNICs, error) {
	ds, m, err := params.ReadDevices(ctx, c, vm, "guest.net", "runtime.powerState", "runtime.host")
	if err != nil {
		return vmNICs{}, err
	}
	nn, err := readNetNames(ctx, c, m.Network)
	if err != nil {
		return vmNICs{}, fmt.Errorf("read the networks of %s: %w", toolkit.Path(vm.Path), err)
	}
	out := vmNICs{Devices: ds, VM: m, names: nn}
	var guest []types.GuestNicInfo
	if m.Guest != nil {
		guest = m.Guest.Net
	}
	for _, in := range ds.OfKind(params.KindNIC) {
		out.NICs = append(out.NICs, describeNIC(ds.List.FindByKey(in.Key), in, nn, guest))
	}
	return out, nil
}

// nic returns the modelled adapter with key.
func (v vmNICs) nic(key int32) (NICInfo, bool) {
	for _, n := range v.NICs {
		if n.Key == key {
			return n, true
		}
	}
	return NICInfo{}, false
}

func (v vmNICs) poweredOn() bool {
	return v.VM.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
}

// networkText renders a NIC's network for a line: "DC0_DVPG0 (distributed, switch DVS0)".
func (n NICInfo) networkText() string {
	if n.Network == "" {
		return "no network"
	}
	s := toolkit.Name(n.Network) + " (" + n.NetworkKind
	if n.Switch != "" {
		s += ", switch " + toolkit.Name(n.Switch)
	}
	return s + ")"
}

// connText renders the connection state.
func connText(connected, start bool) string {
	s := "disconnected"
	if connected {
		s = "connected"
	}
	if start {
		return s + ", connects at power on"
	}
	return s + ", stays disconnected at power on"
}
