package device

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// NICAddArgs describe the adapter to add.
type NICAddArgs struct {
	VM        string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Network   string `json:"network,omitempty" jsonschema:"The network: port group name, inventory path or ID (standard, distributed or opaque); must be reachable from the VM's host. Default: the profile's default network, else the host's only network"`
	Adapter   string `json:"adapter,omitempty" jsonschema:"Adapter type: vmxnet3 (default), e1000e, e1000, or sriov (hosts with an SR-IOV physical adapter)"`
	MAC       string `json:"mac,omitempty" jsonschema:"A manual MAC in VMware's range 00:50:56:00:00:00-00:50:56:3f:ff:ff; default: generated"`
	Connected *bool  `json:"connected,omitempty" jsonschema:"Connect the adapter (now, when the VM runs, and at power on); default true"`
	params.SnapshotFirst
}

func (a *NICAddArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.Adapter != "" && !slices.Contains(adapterNames, strings.ToLower(a.Adapter)) {
		return fmt.Errorf("adapter %s is not an adapter type; use one of %s", toolkit.Quote(a.Adapter, 40), strings.Join(adapterNames, ", "))
	}
	if a.MAC != "" {
		if _, err := parseManualMAC(a.MAC); err != nil {
			return err
		}
	}
	return nil
}

func vmNICAdd() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_nic_add",
		Title: "Add a network adapter to a VM",
		Description: "Add a network adapter to a VM on a network its host reaches (standard, distributed or opaque; default: the profile's " +
			"default network, else the host's only one), of type vmxnet3 (default), e1000e, e1000 or sriov, with a generated or manual MAC. " +
			"The result is read back from vCenter: label, MAC, network, connection. snapshot_first takes a restore point first.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a NICAddArgs) (DeviceEdit, error) {
		var out DeviceEdit
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			before, err := readNICs(ctx, c, o)
			if err != nil {
				return err
			}
			net, note, err := resolveNICNetwork(ctx, c, before.VM.Runtime.Host, a.Network, d.Defaults.Network)
			if err != nil {
				return err
			}
			adapter := strings.ToLower(a.Adapter)
			if adapter == "" {
				adapter = "vmxnet3"
			}
			card, err := newCard(ctx, c, adapter, before.VM.Runtime.Host)
			if err != nil {
				return err
			}
			v := card.GetVirtualEthernetCard()
			v.Key = -1
			v.Backing = net.backing()
			v.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
			if a.MAC != "" {
				mac, _ := parseManualMAC(a.MAC)
				for _, n := range before.NICs {
					if strings.EqualFold(n.MAC, mac) {
						return &toolkit.ArgError{Msg: fmt.Sprintf("mac %s is already %s of VM %s; choose another", mac, toolkit.Name(n.Label), toolkit.Name(o.Name))}
					}
				}
				v.AddressType, v.MacAddress = string(types.VirtualEthernetCardMacTypeManual), mac
			}
			connect := a.Connected == nil || *a.Connected
			v.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: connect, Connected: connect && before.poweredOn(), AllowGuestControl: true}

			what := fmt.Sprintf("Add a %s network adapter on network %s to VM %s", adapter, net.text(), toolkit.Path(o.Path))
			if err := guard.ActOn(ctx, what, o, net.Obj); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_nic_add", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out = DeviceEdit{Action: "added", VM: o.Name, ID: o.ID(), Snapshot: snap}
			if note != "" {
				out.Notes = append(out.Notes, note)
			}
			spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: card.(types.BaseVirtualDevice)}
			out.Task, err = sendDeviceChange(ctx, c, o, "add a network adapter to "+toolkit.Name(o.Name), spec)
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			after, err := readNICs(ctx, c, o)
			if err != nil {
				return err
			}
			info, ok := addedDevice(before.Devices, after.Devices, params.KindNIC)
			if !ok {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but VM %s shows no new network adapter; check vm_nic_list", out.Task, toolkit.Name(o.Name))}, o.Name, snap)
			}
			nic, _ := after.nic(info.Key)
			out.Device, out.NIC = info, &nic
			if !before.poweredOn() && connect {
				out.Notes = append(out.Notes, "the VM is not running: the adapter connects when it powers on")
			}
			return nil
		})
		return out, err
	})
}

// newCard makes an adapter of the type named; sriov needs a host with an
// SR-IOV enabled physical adapter, whose first one backs it.
func newCard(ctx context.Context, c *vcenter.Conn, adapter string, host *types.ManagedObjectReference) (types.BaseVirtualEthernetCard, error) {
	switch adapter {
	case "e1000e":
		return &types.VirtualE1000e{}, nil
	case "e1000":
		return &types.VirtualE1000{}, nil
	case "sriov":
		if host == nil {
			return nil, &toolkit.PlainError{Msg: "the VM has no host, so SR-IOV support cannot be checked; use vmxnet3"}
		}
		var mh mo.HostSystem
		if err := c.ReadRef(ctx, *host, []string{"name", "config.pciPassthruInfo"}, &mh); err != nil {
			return nil, fmt.Errorf("read the PCI devices of the VM's host: %w", err)
		}
		if mh.Config != nil {
			for _, p := range mh.Config.PciPassthruInfo {
				if s, ok := p.(*types.HostSriovInfo); ok && s.SriovEnabled && s.SriovActive {
					return &types.VirtualSriovEthernetCard{SriovBacking: &types.VirtualSriovEthernetCardSriovBackingInfo{
						PhysicalFunctionBacking: &types.VirtualPCIPassthroughDeviceBackingInfo{Id: s.Id},
					}}, nil
				}
			}
		}
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("adapter sriov is not supported here: host %s has no active SR-IOV physical adapter; use vmxnet3 (or enable SR-IOV on a host adapter and move the VM there)", toolkit.Name(mh.Name))}
	}
	return &types.VirtualVmxnet3{}, nil
}
