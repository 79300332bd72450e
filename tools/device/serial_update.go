package device

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// SerialUpdateArgs name the port and what to change.
type SerialUpdateArgs struct {
	VM     string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Serial string `json:"serial" jsonschema:"The serial port: label (Serial port 1) or device key (9000)"`
	// A new backing, when backing is given (VM powered off).
	SerialBacking
	YieldOnPoll    *bool `json:"yield_on_poll,omitempty" jsonschema:"Let the guest yield the CPU while polling the port"`
	Connected      *bool `json:"connected,omitempty" jsonschema:"Connect or disconnect it now (the VM must be running)"`
	StartConnected *bool `json:"start_connected,omitempty" jsonschema:"Connect it at power on"`
	OpenFirewall   bool  `json:"open_firewall,omitempty" jsonschema:"With a new network server backing: open the host firewall's remote serial port rule set if it is closed (a host change)"`
	params.SnapshotFirst
}

func (a *SerialUpdateArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.Serial) == "" {
		return errors.New("serial is required: the port's label (Serial port 1) or key; vm_device_list kind serial shows them")
	}
	if err := a.SerialBacking.check(false); err != nil {
		return err
	}
	if !a.given() && a.YieldOnPoll == nil && a.Connected == nil && a.StartConnected == nil {
		return errors.New("nothing to change: pass connected, start_connected, yield_on_poll or a new backing")
	}
	if _, server := a.serverPort(); a.OpenFirewall && !server {
		return errors.New("open_firewall applies with a new network server backing (backing network, direction server) only")
	}
	return nil
}

func vmSerialUpdate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_serial_update",
		Title: "Change a VM's serial port",
		Description: "Change a VM's serial port (by label or key): connect or disconnect it (VM running), connect at power on, yield_on_poll, " +
			"or a new backing (network URI, file, pipe, host device; VM powered off). Says before → after, read back. snapshot_first takes a restore point first.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a SerialUpdateArgs) (DeviceEdit, error) {
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
			dev, info, err := before.Devices.Find(o.Name, params.KindSerial, "serial", a.Serial)
			if err != nil {
				return err
			}
			port := dev.(*types.VirtualSerialPort)
			old := *describeSerial(port)
			info = detached(info) // port is changed below; info must keep the old state
			on := before.poweredOn()
			if a.Connected != nil && *a.Connected && !on {
				return &toolkit.ArgError{Msg: fmt.Sprintf("connected: VM %s is %s, and a port connects only while the VM runs; pass start_connected: true to connect it at power on", toolkit.Name(o.Name), before.VM.Runtime.PowerState)}
			}
			if (a.given() || a.YieldOnPoll != nil) && before.VM.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s, and vCenter changes a serial port's backing or yield_on_poll only while the VM is powered off (InvalidPowerState); shut it down first; nothing was changed", toolkit.Name(o.Name), before.VM.Runtime.PowerState)}
			}
			var plan []string
			var touched []vcenter.Object
			var sh *serialHost
			if a.given() {
				backing, t, h, err := prepareSerialBacking(ctx, c, o, before, a.SerialBacking, a.OpenFirewall, info.Key)
				if err != nil {
					return err
				}
				port.Backing, touched, sh = backing, t, h
				plan = append(plan, fmt.Sprintf("backing %s → %s", toolkit.Path(info.Backing), serialBackingText(a.SerialBacking)))
			}
			if a.YieldOnPoll != nil && port.YieldOnPoll != *a.YieldOnPoll {
				plan = append(plan, fmt.Sprintf("yield on poll %s → %s", yn(port.YieldOnPoll), yn(*a.YieldOnPoll)))
				port.YieldOnPoll = *a.YieldOnPoll
			}
			if port.Connectable == nil {
				port.Connectable = &types.VirtualDeviceConnectInfo{AllowGuestControl: true}
			}
			conn := port.Connectable
			if a.Connected != nil && conn.Connected != *a.Connected {
				plan = append(plan, fmt.Sprintf("connected %s → %s", yn(conn.Connected), yn(*a.Connected)))
				conn.Connected = *a.Connected
			}
			if a.StartConnected != nil && conn.StartConnected != *a.StartConnected {
				plan = append(plan, fmt.Sprintf("connect at power on %s → %s", yn(conn.StartConnected), yn(*a.StartConnected)))
				conn.StartConnected = *a.StartConnected
			}
			out = DeviceEdit{Action: "unchanged", VM: o.Name, ID: o.ID(), Device: info, Serial: &old}
			if len(plan) == 0 {
				out.Notes = []string{"the port already is as asked; nothing was changed"}
				return nil
			}
			what := fmt.Sprintf("Change %s of VM %s: %s", toolkit.Name(info.Label), toolkit.Path(o.Path), strings.Join(plan, "; "))
			if a.OpenFirewall && sh != nil && !sh.Open {
				what += fmt.Sprintf("; and open the %s rule set of host %s's firewall", serialRuleset, toolkit.Name(sh.Host.Name))
			}
			if err := guard.ActOn(ctx, what, o, touched...); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_serial_update", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out.Snapshot = snap
			spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: port}
			out.Task, err = sendDeviceChange(ctx, c, o, "change "+toolkit.Name(info.Label)+" of "+toolkit.Name(o.Name), spec)
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			after, _, err := params.ReadDevices(ctx, c, o)
			if err != nil {
				return err
			}
			now := after.List.FindByKey(info.Key)
			if now == nil {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but %s of VM %s is gone; check vm_device_list", out.Task, toolkit.Name(info.Label), toolkit.Name(o.Name))}, o.Name, snap)
			}
			out.Action = "changed"
			out.Device, _ = after.Info(info.Key)
			out.Serial = describeSerial(now)
			out.Changes = serialChanges(info, out.Device, old, *out.Serial)
			if a.given() {
				return finishServerPort(ctx, c, &out, a.SerialBacking, sh, a.OpenFirewall)
			}
			return nil
		})
		return out, err
	})
}

// serialChanges says what differs between two readings of a port.
func serialChanges(a, b params.DeviceInfo, sa, sb SerialInfo) []string {
	var out []string
	if a.Backing != b.Backing {
		out = append(out, fmt.Sprintf("backing: %s → %s", toolkit.Path(a.Backing), toolkit.Path(b.Backing)))
	}
	if sa.YieldOnPoll != sb.YieldOnPoll {
		out = append(out, fmt.Sprintf("yield on poll: %s → %s", yn(sa.YieldOnPoll), yn(sb.YieldOnPoll)))
	}
	if a.Connected != nil && b.Connected != nil && *a.Connected != *b.Connected {
		out = append(out, fmt.Sprintf("connected: %s → %s", yn(*a.Connected), yn(*b.Connected)))
	}
	if a.StartConnected != nil && b.StartConnected != nil && *a.StartConnected != *b.StartConnected {
		out = append(out, fmt.Sprintf("connect at power on: %s → %s", yn(*a.StartConnected), yn(*b.StartConnected)))
	}
	return out
}

// SerialRemoveArgs name the port to remove.
type SerialRemoveArgs struct {
	VM     string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Serial string `json:"serial" jsonschema:"The serial port: label (Serial port 1) or device key (9000)"`
	params.SnapshotFirst
}

func (a *SerialRemoveArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.Serial) == "" {
		return errors.New("serial is required: the port's label (Serial port 1) or key; vm_device_list kind serial shows them")
	}
	return nil
}

func vmSerialRemove() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_serial_remove",
		Title:       "Remove a serial port from a VM",
		Description: "Remove a serial port (by label or key) from a powered-off VM; whatever was connected to it is cut off. snapshot_first takes a restore point first.",
		Risk:        policy.RiskDestructive,
	}, func(ctx context.Context, d toolkit.Deps, a SerialRemoveArgs) (DeviceEdit, error) {
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
			dev, info, err := before.Devices.Find(o.Name, params.KindSerial, "serial", a.Serial)
			if err != nil {
				return err
			}
			if before.VM.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s, and vCenter removes a serial port only from a powered-off VM (InvalidPowerState); shut it down first; nothing was changed", toolkit.Name(o.Name), before.VM.Runtime.PowerState)}
			}
			if err := guard.Act(ctx, fmt.Sprintf("Remove %s (%s) from VM %s", toolkit.Name(info.Label), toolkit.Path(info.Backing), toolkit.Path(o.Path)), o); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_serial_remove", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out = DeviceEdit{Action: "removed", VM: o.Name, ID: o.ID(), Device: info, Serial: describeSerial(dev), Snapshot: snap}
			spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: dev}
			out.Task, err = sendDeviceChange(ctx, c, o, "remove "+toolkit.Name(info.Label)+" of "+toolkit.Name(o.Name), spec)
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			after, _, err := params.ReadDevices(ctx, c, o)
			if err != nil {
				return err
			}
			if _, still := after.Info(info.Key); still {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but %s is still on VM %s; check vm_device_list", out.Task, toolkit.Name(info.Label), toolkit.Name(o.Name))}, o.Name, snap)
			}
			return nil
		})
		return out, err
	})
}
