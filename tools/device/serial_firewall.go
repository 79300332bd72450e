package device

import (
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// A network serial port in server mode listens on the VM's host, on the
// host's management address, behind the host firewall's remote serial
// port rule set (remoteSerialPort), which ESXi ships closed.

const serialRuleset = "remoteSerialPort"

// hostChangeTool stands for "changes a host" when the device tools ask
// the policy whether a role may open a host's firewall: the role must be
// allowed a write of the host toolset, as host_service_start is.
var hostChangeTool = policy.ToolInfo{Name: "host_service_start", Toolset: "host", Risk: policy.RiskWrite}

// serialHost is what a server serial port needs to know of its host.
type serialHost struct {
	Host     vcenter.Object
	MgmtIP   string // the management VMkernel adapter's address
	Firewall *types.ManagedObjectReference
	Open     bool // the remoteSerialPort rule set is enabled
	Known    bool // the rule set exists on the host
}

// readSerialHost reads the VM's host's management address and firewall.
func readSerialHost(ctx context.Context, c *vcenter.Conn, host *types.ManagedObjectReference) (serialHost, error) {
	if host == nil {
		return serialHost{}, &toolkit.PlainError{Msg: "the VM has no host, so a server serial port has nowhere to listen"}
	}
	h, err := c.Describe(ctx, *host)
	if err != nil {
		return serialHost{}, fmt.Errorf("read the VM's host: %w", err)
	}
	var mh mo.HostSystem
	if err := c.ReadRef(ctx, *host, []string{"config.network.vnic", "config.virtualNicManagerInfo", "configManager.firewallSystem"}, &mh); err != nil {
		return serialHost{}, fmt.Errorf("read host %s: %w", toolkit.Name(h.Name), err)
	}
	out := serialHost{Host: h, Firewall: mh.ConfigManager.FirewallSystem}
	if cfg := mh.Config; cfg != nil {
		var mgmt []string
		var candidates []types.HostVirtualNic
		if m := cfg.VirtualNicManagerInfo; m != nil {
			for _, nc := range m.NetConfig {
				if nc.NicType == string(types.HostVirtualNicManagerNicTypeManagement) {
					mgmt, candidates = nc.SelectedVnic, nc.CandidateVnic
				}
			}
		}
		for _, v := range candidates {
			if slices.Contains(mgmt, v.Key) && v.Spec.Ip != nil && v.Spec.Ip.IpAddress != "" {
				out.MgmtIP = v.Spec.Ip.IpAddress
				break
			}
		}
		if out.MgmtIP == "" && cfg.Network != nil {
			for _, v := range cfg.Network.Vnic {
				if v.Spec.Ip != nil && v.Spec.Ip.IpAddress != "" {
					out.MgmtIP = v.Spec.Ip.IpAddress
					break
				}
			}
		}
	}
	if out.Firewall != nil {
		var fw mo.HostFirewallSystem
		if err := c.ReadRef(ctx, *out.Firewall, []string{"firewallInfo"}, &fw); err != nil {
			return out, fmt.Errorf("read the firewall of host %s: %w", toolkit.Name(h.Name), err)
		}
		if fw.FirewallInfo != nil {
			for _, r := range fw.FirewallInfo.Ruleset {
				if r.Key == serialRuleset {
					out.Known, out.Open = true, r.Enabled
				}
			}
		}
	}
	return out, nil
}

// mayOpenFirewall refuses open_firewall for a role that may not change
// hosts, before anything changes.
func mayOpenFirewall(ctx context.Context, host vcenter.Object) error {
	if guard.Allows(ctx, hostChangeTool) {
		return nil
	}
	return &toolkit.PlainError{Msg: fmt.Sprintf("open_firewall changes the firewall of host %s, and role %s may not change hosts; nothing was changed. Call again without open_firewall and ask an administrator to enable the %s rule set on that host", toolkit.Name(host.Name), guard.RoleName(ctx), serialRuleset)}
}

// openSerialFirewall enables the rule set on the host and reads it back.
func openSerialFirewall(ctx context.Context, c *vcenter.Conn, sh serialHost) error {
	if sh.Firewall == nil {
		return &toolkit.PlainError{Msg: fmt.Sprintf("host %s has no firewall system to open", toolkit.Name(sh.Host.Name))}
	}
	if err := object.NewHostFirewallSystem(c.Client, *sh.Firewall).EnableRuleset(ctx, serialRuleset); err != nil {
		return fmt.Errorf("open the %s rule set on host %s: %w", serialRuleset, toolkit.Name(sh.Host.Name), err)
	}
	return nil
}

// connectNotes say how to reach a server port, and about the firewall.
func connectNotes(u serialURI, sh serialHost, opened bool) []string {
	ip := sh.MgmtIP
	var out []string
	switch {
	case u.Host != "":
		out = append(out, fmt.Sprintf("connect with %s://%s:%d (the address the port listens on, on host %s)", u.Scheme, toolkit.Name(u.Host), u.Port, toolkit.Name(sh.Host.Name)))
	case ip != "":
		out = append(out, fmt.Sprintf("connect with %s://%s:%d (host %s's management address)", u.Scheme, toolkit.Name(ip), u.Port, toolkit.Name(sh.Host.Name)))
	default:
		out = append(out, fmt.Sprintf("connect to port %d of host %s's management address (not found in its configuration)", u.Port, toolkit.Name(sh.Host.Name)))
	}
	switch {
	case opened:
		out = append(out, fmt.Sprintf("the host firewall's %s rule set was closed and is now open on host %s", serialRuleset, toolkit.Name(sh.Host.Name)))
	case sh.Open:
		out = append(out, fmt.Sprintf("the host firewall's %s rule set is open on host %s", serialRuleset, toolkit.Name(sh.Host.Name)))
	case sh.Known:
		out = append(out, fmt.Sprintf("the host firewall's %s rule set is closed on host %s, so connections are refused; call again with open_firewall: true to open it (a host change), or ask an administrator", serialRuleset, toolkit.Name(sh.Host.Name)))
	}
	return out
}
