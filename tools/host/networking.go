package host

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- host_networking ----

// PortGroup is a standard port group of a vSwitch.
type PortGroup struct {
	Name   string `json:"name"`
	VLANID int32  `json:"vlan_id" jsonschema:"0: untagged; 4095: all VLANs (trunk)"`
}

// VSwitch is a standard virtual switch of the host.
type VSwitch struct {
	Name       string      `json:"name"`
	MTU        int32       `json:"mtu"`
	Ports      int32       `json:"ports"`
	Uplinks    []string    `json:"uplinks" jsonschema:"Physical NICs (vmnic0, …)"`
	PortGroups []PortGroup `json:"port_groups"`
}

// DistributedSwitch is a distributed switch the host is a member of.
type DistributedSwitch struct {
	Name    string   `json:"name"`
	MTU     int32    `json:"mtu,omitempty"`
	Uplinks []string `json:"uplinks,omitempty" jsonschema:"The host's physical NICs on it, when the host reports them"`
}

// VMKernelAdapter is a VMkernel network adapter (vmk0, …).
type VMKernelAdapter struct {
	Device    string   `json:"device"`
	PortGroup string   `json:"port_group,omitempty" jsonschema:"Its standard port group; empty when on a distributed port"`
	IP        string   `json:"ip,omitempty"`
	Netmask   string   `json:"netmask,omitempty"`
	DHCP      bool     `json:"dhcp"`
	MTU       int32    `json:"mtu"`
	MAC       string   `json:"mac,omitempty"`
	Services  []string `json:"services" jsonschema:"Enabled services: management, vMotion, vSAN, FT, provisioning, replication, …"`
}

// PhysicalNIC is a physical network adapter.
type PhysicalNIC struct {
	Device    string `json:"device"`
	MAC       string `json:"mac,omitempty"`
	Driver    string `json:"driver,omitempty"`
	Up        bool   `json:"up"`
	SpeedMbps int32  `json:"speed_mbps,omitempty"`
	Duplex    string `json:"duplex,omitempty" jsonschema:"full or half; empty when the link is down"`
}

// HostNetworking is host_networking's result.
type HostNetworking struct {
	Host        string              `json:"host"`
	ID          string              `json:"id"`
	VSwitches   []VSwitch           `json:"vswitches"`
	DVSwitches  []DistributedSwitch `json:"distributed_switches"`
	VMKernel    []VMKernelAdapter   `json:"vmkernel_adapters"`
	PhysicalNIC []PhysicalNIC       `json:"physical_nics"`
}

// Text renders four small tables.
func (n HostNetworking) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Host %s (%s) networking\n", toolkit.Name(n.Host), n.ID)
	fmt.Fprintf(&b, "%d standard vSwitches\n", len(n.VSwitches))
	if len(n.VSwitches) > 0 {
		t := toolkit.NewTable("vswitch", "mtu", "ports", "uplinks", "port_group", "vlan")
		for _, s := range n.VSwitches {
			if len(s.PortGroups) == 0 {
				t.Row(s.Name, toolkit.Itoa(int(s.MTU)), toolkit.Itoa(int(s.Ports)), strings.Join(s.Uplinks, ","), "", "")
			}
			for _, pg := range s.PortGroups {
				t.Row(s.Name, toolkit.Itoa(int(s.MTU)), toolkit.Itoa(int(s.Ports)), strings.Join(s.Uplinks, ","), pg.Name, toolkit.Itoa(int(pg.VLANID)))
			}
		}
		b.WriteString(t.String())
	}
	fmt.Fprintf(&b, "%d distributed switches\n", len(n.DVSwitches))
	if len(n.DVSwitches) > 0 {
		t := toolkit.NewTable("dvswitch", "mtu", "uplinks")
		for _, s := range n.DVSwitches {
			mtu := ""
			if s.MTU > 0 {
				mtu = toolkit.Itoa(int(s.MTU))
			}
			t.Row(s.Name, mtu, strings.Join(s.Uplinks, ","))
		}
		b.WriteString(t.String())
	}
	fmt.Fprintf(&b, "%d VMkernel adapters\n", len(n.VMKernel))
	if len(n.VMKernel) > 0 {
		t := toolkit.NewTable("device", "port_group", "ip", "netmask", "mtu", "services")
		for _, v := range n.VMKernel {
			ip := v.IP
			if v.DHCP {
				ip += " (dhcp)"
			}
			t.Row(v.Device, v.PortGroup, ip, v.Netmask, toolkit.Itoa(int(v.MTU)), strings.Join(v.Services, ","))
		}
		b.WriteString(t.String())
	}
	fmt.Fprintf(&b, "%d physical NICs\n", len(n.PhysicalNIC))
	if len(n.PhysicalNIC) > 0 {
		t := toolkit.NewTable("device", "link", "mac", "driver")
		for _, p := range n.PhysicalNIC {
			link := "down"
			if p.Up {
				link = fmt.Sprintf("%d Mb/s %s", p.SpeedMbps, p.Duplex)
			}
			t.Row(p.Device, link, p.MAC, p.Driver)
		}
		b.WriteString(t.String())
	}
	return b.String()
}

// serviceNames are the vSphere client's names of VMkernel services.
var serviceNames = map[string]string{
	"management": "management", "vmotion": "vMotion", "vsan": "vSAN", "faultToleranceLogging": "FT",
	"vSphereProvisioning": "provisioning", "vSphereReplication": "replication", "vSphereReplicationNFC": "replication-NFC",
	"vsanWitness": "vSAN-witness", "nvmeTcp": "NVMe/TCP", "nvmeRdma": "NVMe/RDMA", "ptp": "PTP",
}

func hostNetworking() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "host_networking",
		Title: "Show an ESXi host's networking",
		Description: "Show one ESXi host's networking: standard vSwitches (MTU, uplinks, port groups with VLAN IDs), the distributed switches " +
			"it is on, VMkernel adapters (IP, netmask, MTU, enabled services such as management, vMotion, vSAN, FT, provisioning) and " +
			"physical NICs (link speed and duplex, or down; MAC; driver).",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a HostArgs) (HostNetworking, error) {
		var out HostNetworking
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "HostSystem", a.Host)
			if err != nil {
				return err
			}
			var h mo.HostSystem
			if err := c.ReadOne(ctx, o, []string{"config.network", "config.virtualNicManagerInfo", "network"}, &h); err != nil {
				return err
			}
			out = HostNetworking{Host: o.Name, ID: o.ID(), VSwitches: []VSwitch{}, DVSwitches: []DistributedSwitch{},
				VMKernel: []VMKernelAdapter{}, PhysicalNIC: []PhysicalNIC{}}
			if h.Config == nil || h.Config.Network == nil {
				return nil // disconnected: vCenter has no configuration to show
			}
			net := h.Config.Network
			pnicName := map[string]string{}
			for _, p := range net.Pnic {
				pnicName[p.Key] = p.Device
				nic := PhysicalNIC{Device: p.Device, MAC: p.Mac, Driver: p.Driver}
				if p.LinkSpeed != nil && p.LinkSpeed.SpeedMb > 0 {
					nic.Up, nic.SpeedMbps = true, p.LinkSpeed.SpeedMb
					nic.Duplex = map[bool]string{true: "full", false: "half"}[p.LinkSpeed.Duplex]
				}
				out.PhysicalNIC = append(out.PhysicalNIC, nic)
			}
			pgs := map[string]PortGroup{}
			for _, pg := range net.Portgroup {
				pgs[pg.Key] = PortGroup{Name: pg.Spec.Name, VLANID: pg.Spec.VlanId}
			}
			for _, s := range net.Vswitch {
				vs := VSwitch{Name: s.Name, MTU: s.Mtu, Ports: s.NumPorts, Uplinks: []string{}, PortGroups: []PortGroup{}}
				for _, k := range s.Pnic {
					vs.Uplinks = append(vs.Uplinks, nameOr(pnicName, k))
				}
				for _, k := range s.Portgroup {
					if pg, ok := pgs[k]; ok {
						vs.PortGroups = append(vs.PortGroups, pg)
					}
				}
				out.VSwitches = append(out.VSwitches, vs)
			}
			out.VMKernel = vmkernelAdapters(net, h.Config.VirtualNicManagerInfo)
			out.DVSwitches, err = distributedSwitches(ctx, c, net, h.Network, pnicName)
			return err
		})
		return out, err
	})
}

func nameOr(m map[string]string, key string) string {
	if n, ok := m[key]; ok {
		return n
	}
	return key
}

// vmkernelAdapters lists the host's VMkernel adapters with the services
// virtualNicManagerInfo selects them for.
func vmkernelAdapters(net *types.HostNetworkInfo, vnm *types.HostVirtualNicManagerInfo) []VMKernelAdapter {
	services := map[string][]string{} // device → services
	if vnm != nil {
		for _, nc := range vnm.NetConfig {
			keyDevice := map[string]string{}
			for _, v := range nc.CandidateVnic {
				keyDevice[v.Key] = v.Device
			}
			for _, sel := range nc.SelectedVnic {
				dev, ok := keyDevice[sel]
				if !ok {
					// A selection is "<nicType>.<vnic key>".
					dev = keyDevice[strings.TrimPrefix(sel, nc.NicType+".")]
				}
				if dev == "" {
					continue
				}
				name := serviceNames[nc.NicType]
				if name == "" {
					name = nc.NicType
				}
				if !slices.Contains(services[dev], name) {
					services[dev] = append(services[dev], name)
				}
			}
		}
	}
	out := []VMKernelAdapter{}
	for _, v := range net.Vnic {
		a := VMKernelAdapter{Device: v.Device, PortGroup: v.Portgroup, MTU: v.Spec.Mtu, MAC: v.Spec.Mac, Services: []string{}}
		if ip := v.Spec.Ip; ip != nil {
			a.IP, a.Netmask, a.DHCP = ip.IpAddress, ip.SubnetMask, ip.Dhcp
		}
		if s := services[v.Device]; s != nil {
			a.Services = s
		}
		out = append(out, a)
	}
	return out
}

// distributedSwitches lists the distributed switches the host is on: the
// proxy switches the host reports (with its uplinks), and the switches of
// the distributed port groups vCenter lists among its networks, as far as
// the caller's scope shows them.
func distributedSwitches(ctx context.Context, c *vcenter.Conn, net *types.HostNetworkInfo, networks []types.ManagedObjectReference, pnicName map[string]string) ([]DistributedSwitch, error) {
	out := []DistributedSwitch{}
	seen := map[string]int{}
	for _, p := range net.ProxySwitch {
		d := DistributedSwitch{Name: p.DvsName, MTU: p.Mtu, Uplinks: []string{}}
		for _, k := range p.Pnic {
			d.Uplinks = append(d.Uplinks, nameOr(pnicName, k))
		}
		seen[d.Name] = len(out)
		out = append(out, d)
	}
	var pgs []types.ManagedObjectReference
	for _, n := range networks {
		if n.Type == "DistributedVirtualPortgroup" {
			pgs = append(pgs, n)
		}
	}
	if len(pgs) == 0 {
		return out, nil
	}
	visible, err := c.VisibleSet(ctx, pgs)
	if err != nil {
		return out, err
	}
	objs, _, err := c.RetrieveMany(ctx, vcenter.InSet(pgs, visible), []string{"config.distributedVirtualSwitch"})
	if err != nil {
		return out, fmt.Errorf("read distributed port groups: %w", err)
	}
	var dvs []types.ManagedObjectReference
	for _, oc := range objs {
		if r, ok := vcenter.PropVal(oc, "config.distributedVirtualSwitch").(types.ManagedObjectReference); ok {
			dvs = append(dvs, r)
		}
	}
	dvs = vcenter.UniqueRefs(dvs)
	names, err := c.VisibleNames(ctx, dvs)
	if err != nil {
		return out, err
	}
	sobjs, _, err := c.RetrieveMany(ctx, vcenter.InSet(dvs, visibleKeys(names)), []string{"config"})
	if err != nil {
		return out, fmt.Errorf("read distributed switches: %w", err)
	}
	mtu := map[types.ManagedObjectReference]int32{}
	for _, oc := range sobjs {
		if cfg, ok := vcenter.PropVal(oc, "config").(*types.VMwareDVSConfigInfo); ok {
			mtu[oc.Obj] = cfg.MaxMtu
		}
	}
	for _, r := range dvs {
		n, ok := names[r]
		if !ok {
			continue
		}
		if i, ok := seen[n]; ok {
			if out[i].MTU == 0 {
				out[i].MTU = mtu[r]
			}
			continue
		}
		seen[n] = len(out)
		out = append(out, DistributedSwitch{Name: n, MTU: mtu[r]})
	}
	return out, nil
}

func visibleKeys(m map[types.ManagedObjectReference]string) map[types.ManagedObjectReference]bool {
	out := make(map[types.ManagedObjectReference]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
