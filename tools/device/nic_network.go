package device

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// nicNetwork is a network a NIC can be put on, resolved and checked to be
// reachable from the VM's host: vCenter (and the simulator, which panics)
// must never see a backing naming a network the host does not have.
type nicNetwork struct {
	Obj  vcenter.Object
	Kind string // standard, distributed, opaque
	// Distributed port groups.
	Switch, SwitchUUID, PortgroupKey string
	// Opaque networks.
	OpaqueID, OpaqueType string
}

// backing is the NIC backing that puts a card on n.
func (n nicNetwork) backing() types.BaseVirtualDeviceBackingInfo {
	switch n.Kind {
	case "distributed":
		return &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
			Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: n.SwitchUUID, PortgroupKey: n.PortgroupKey},
		}
	case "opaque":
		return &types.VirtualEthernetCardOpaqueNetworkBackingInfo{OpaqueNetworkId: n.OpaqueID, OpaqueNetworkType: n.OpaqueType}
	}
	ref := n.Obj.Ref
	return &types.VirtualEthernetCardNetworkBackingInfo{
		VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: n.Obj.Name},
		Network:                        &ref,
	}
}

func (n nicNetwork) text() string {
	s := toolkit.Name(n.Obj.Name) + " (" + n.Kind
	if n.Switch != "" {
		s += ", switch " + toolkit.Name(n.Switch)
	}
	return s + ")"
}

// hostNetworks reads the networks the VM's host reaches, without the
// distributed switches' uplink port groups (which VMs cannot use).
func hostNetworks(ctx context.Context, c *vcenter.Conn, host *types.ManagedObjectReference) (vcenter.Object, []types.ManagedObjectReference, error) {
	if host == nil {
		return vcenter.Object{}, nil, &toolkit.PlainError{Msg: "the VM has no host (it is not registered on one), so no network can be checked for it; register it first"}
	}
	h, err := c.Describe(ctx, *host)
	if err != nil {
		return h, nil, fmt.Errorf("read the VM's host: %w", err)
	}
	var mh mo.HostSystem
	if err := c.ReadRef(ctx, *host, []string{"network"}, &mh); err != nil {
		return h, nil, fmt.Errorf("read the networks of host %s: %w", toolkit.Name(h.Name), err)
	}
	var out []types.ManagedObjectReference
	for _, r := range mh.Network {
		if !params.IsUplink(ctx, c, r) {
			out = append(out, r)
		}
	}
	return h, out, nil
}

// resolveNICNetwork resolves ident (any identifier kind; "" takes the
// profile's default network, then the host's only network) to a network
// the VM's host reaches. A name that several datacenters use resolves to
// the one the host has. The note says which default was taken.
func resolveNICNetwork(ctx context.Context, c *vcenter.Conn, host *types.ManagedObjectReference, ident, def string) (nicNetwork, string, error) {
	h, candidates, err := hostNetworks(ctx, c, host)
	if err != nil {
		return nicNetwork{}, "", err
	}
	where := "host " + toolkit.Name(h.Name)
	note := ""
	if ident == "" && def != "" {
		ident = def
		note = fmt.Sprintf("network %s: the profile's default network", toolkit.Quote(def, toolkit.NameMax))
	}
	var obj vcenter.Object
	if ident == "" {
		var usable []vcenter.Object
		for _, r := range candidates {
			o, err := c.Resolve(ctx, "Network", r.Value) // applies the scope
			if err != nil {
				if vcenter.IsNotFound(err) {
					continue
				}
				return nicNetwork{}, "", err
			}
			usable = append(usable, o)
		}
		switch len(usable) {
		case 0:
			return nicNetwork{}, "", &toolkit.PlainError{Msg: fmt.Sprintf("no network is available on %s, the VM's host; pass network", where)}
		case 1:
			obj = usable[0]
			note = fmt.Sprintf("network %s: the only one %s has", toolkit.Name(obj.Name), where)
		default:
			names := make([]string, len(usable))
			for i, u := range usable {
				names[i] = u.Path
			}
			return nicNetwork{}, "", &toolkit.ArgError{Msg: fmt.Sprintf("network is required: %s, the VM's host, has %d networks and the profile sets no default network; pass one of %s", where, len(usable), toolkit.Names(names))}
		}
	} else {
		obj, err = c.Resolve(ctx, "Network", ident)
		var amb *vcenter.AmbiguousError
		if errors.As(err, &amb) {
			// The same port group name in several datacenters: the host's.
			var onHost []vcenter.Object
			for _, cand := range amb.Candidates {
				if slices.Contains(candidates, cand.Ref) {
					onHost = append(onHost, cand)
				}
			}
			if len(onHost) == 1 {
				obj, err = onHost[0], nil
			}
		}
		if err != nil {
			return nicNetwork{}, "", err
		}
		if !slices.Contains(candidates, obj.Ref) {
			if params.IsUplink(ctx, c, obj.Ref) {
				return nicNetwork{}, "", &toolkit.PlainError{Msg: fmt.Sprintf("network %s is a distributed switch uplink port group, which VMs cannot use; choose one of %s", toolkit.Path(obj.Path), params.RefNames(ctx, c, candidates))}
			}
			return nicNetwork{}, "", &toolkit.PlainError{Msg: fmt.Sprintf("network %s is not reachable from %s, the VM's host; choose one it has (%s), or move the VM", toolkit.Path(obj.Path), where, params.RefNames(ctx, c, candidates))}
		}
	}
	n := nicNetwork{Obj: obj, Kind: "standard"}
	switch obj.Ref.Type {
	case "DistributedVirtualPortgroup":
		n.Kind = "distributed"
		var pg mo.DistributedVirtualPortgroup
		if err := c.ReadRef(ctx, obj.Ref, []string{"key", "config.distributedVirtualSwitch"}, &pg); err != nil {
			return n, "", fmt.Errorf("read distributed port group %s: %w", toolkit.Path(obj.Path), err)
		}
		n.PortgroupKey = pg.Key
		if n.PortgroupKey == "" {
			n.PortgroupKey = obj.Ref.Value
		}
		if pg.Config.DistributedVirtualSwitch == nil {
			return n, "", fmt.Errorf("distributed port group %s belongs to no switch", toolkit.Path(obj.Path))
		}
		var sw mo.DistributedVirtualSwitch
		if err := c.ReadRef(ctx, *pg.Config.DistributedVirtualSwitch, []string{"name", "uuid"}, &sw); err != nil {
			return n, "", fmt.Errorf("read the switch of %s: %w", toolkit.Path(obj.Path), err)
		}
		n.Switch, n.SwitchUUID = sw.Name, sw.Uuid
	case "OpaqueNetwork":
		n.Kind = "opaque"
		var on mo.OpaqueNetwork
		if err := c.ReadRef(ctx, obj.Ref, []string{"summary"}, &on); err != nil {
			return n, "", fmt.Errorf("read opaque network %s: %w", toolkit.Path(obj.Path), err)
		}
		if s, ok := on.Summary.(*types.OpaqueNetworkSummary); ok {
			n.OpaqueID, n.OpaqueType = s.OpaqueNetworkId, s.OpaqueNetworkType
		}
		if n.OpaqueID == "" {
			return n, "", fmt.Errorf("opaque network %s has no network ID", toolkit.Path(obj.Path))
		}
	}
	return n, note, nil
}

// isOf reports whether the NIC is on n already.
func (n nicNetwork) isOf(nic NICInfo) bool {
	return nic.NetworkID == n.Obj.Ref.Value || (n.Kind == "opaque" && strings.EqualFold(nic.Network, n.OpaqueID))
}
