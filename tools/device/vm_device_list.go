package device

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DeviceListArgs names the VM and, optionally, a kind of device.
type DeviceListArgs struct {
	VM   string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Kind string `json:"kind,omitempty" jsonschema:"enum=disk,enum=nic,enum=cdrom,enum=serial,enum=controller,enum=usb,enum=other"`
}

func (a *DeviceListArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.Kind != "" && !slices.Contains(params.DeviceKinds, params.DeviceKind(a.Kind)) {
		kinds := make([]string, len(params.DeviceKinds))
		for i, k := range params.DeviceKinds {
			kinds[i] = string(k)
		}
		return fmt.Errorf("kind %s is not a device kind; use one of %s", toolkit.Quote(a.Kind, 40), strings.Join(kinds, ", "))
	}
	return nil
}

// DeviceList is vm_device_list's result.
type DeviceList struct {
	VM      string              `json:"vm"`
	ID      string              `json:"id"`
	Devices []params.DeviceInfo `json:"devices"`
}

// Text renders the devices as one table.
func (l DeviceList) Text() string {
	t := toolkit.NewTable("kind", "label", "key", "bus", "type", "backing", "connected")
	for _, d := range l.Devices {
		conn := ""
		if d.Connected != nil {
			conn = toolkit.YesNo(*d.Connected)
			if d.StartConnected != nil && *d.StartConnected {
				conn += " (at power on)"
			}
		}
		backing := d.Backing
		if d.MAC != "" {
			backing = strings.TrimSpace(backing + " " + d.MAC)
		}
		t.Row(string(d.Kind), d.Label, fmt.Sprint(d.Key), d.Bus, d.Type, backing, conn)
	}
	return fmt.Sprintf("VM %s (%s): %d devices\n%s", toolkit.Name(l.VM), l.ID, len(l.Devices), t.String())
}

func vmDeviceList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_device_list",
		Title: "List a VM's virtual devices",
		Description: "List a VM's virtual devices compactly: kind, label (Hard disk 1), key, bus position (scsi0:0), type, backing " +
			"(file, network, ISO, URI) and connection state; kind filters (disk, nic, cdrom, serial, controller, usb, other). " +
			"Device tools accept the label, key, bus position or, for NICs, the MAC.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a DeviceListArgs) (DeviceList, error) {
		var out DeviceList
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			ds, _, err := params.ReadDevices(ctx, c, o)
			if err != nil {
				return err
			}
			out = DeviceList{VM: o.Name, ID: o.ID(), Devices: ds.OfKind(params.DeviceKind(a.Kind))}
			if out.Devices == nil {
				out.Devices = []params.DeviceInfo{}
			}
			return nil
		})
		return out, err
	})
}
