package device

import (
	"context"
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// NICListArgs names the VM.
type NICListArgs struct {
	VM string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
}

func (a *NICListArgs) Validate() error { return toolkit.RequireIdent("vm", a.VM, "VM") }

// NICList is vm_nic_list's result.
type NICList struct {
	VM   string    `json:"vm"`
	ID   string    `json:"id"`
	NICs []NICInfo `json:"nics"`
}

func (l NICList) Text() string {
	t := toolkit.NewTable("label", "key", "adapter", "mac", "network", "switch", "connected", "at power on", "guest IPs")
	for _, n := range l.NICs {
		mac := n.MAC
		if n.MACType != "" {
			mac += " (" + n.MACType + ")"
		}
		t.Row(n.Label, fmt.Sprint(n.Key), n.Adapter, mac, n.Network+" ("+n.NetworkKind+")", n.Switch,
			toolkit.YesNo(n.Connected), toolkit.YesNo(n.StartConnected), strings.Join(n.IPs, " "))
	}
	return fmt.Sprintf("VM %s (%s): %d network adapters\n%s", toolkit.Name(l.VM), l.ID, len(l.NICs), t.String())
}

func vmNICList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_nic_list",
		Title: "List a VM's network adapters",
		Description: "List a VM's network adapters: label (Network adapter 1), key, adapter type (vmxnet3, e1000e…), MAC and whether it was set " +
			"by hand, network (standard port group, distributed port group with its switch, opaque network), connected and connect at power on, " +
			"and the guest's IPs on each (from VMware Tools). NIC tools take the label, key or MAC.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a NICListArgs) (NICList, error) {
		var out NICList
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			v, err := readNICs(ctx, c, o)
			if err != nil {
				return err
			}
			out = NICList{VM: o.Name, ID: o.ID(), NICs: v.NICs}
			if out.NICs == nil {
				out.NICs = []NICInfo{}
			}
			return nil
		})
		return out, err
	})
}
