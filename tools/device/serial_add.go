package device

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// SerialInfo details a serial port in a result.
type SerialInfo struct {
	Backing     string `json:"backing" jsonschema:"network, file, pipe, device or other"`
	URI         string `json:"uri,omitempty"`
	Direction   string `json:"direction,omitempty"`
	ProxyURI    string `json:"proxy_uri,omitempty"`
	File        string `json:"file,omitempty"`
	Pipe        string `json:"pipe,omitempty"`
	Endpoint    string `json:"endpoint,omitempty"`
	Device      string `json:"device,omitempty"`
	YieldOnPoll bool   `json:"yield_on_poll"`
	// ConnectWith is the URI to reach a network server port.
	ConnectWith string `json:"connect_with,omitempty"`
	// FirewallOpen: whether the host firewall lets connections in.
	FirewallOpen *bool `json:"firewall_open,omitempty"`
}

func describeSerial(d types.BaseVirtualDevice) *SerialInfo {
	p, ok := d.(*types.VirtualSerialPort)
	if !ok {
		return nil
	}
	s := &SerialInfo{Backing: "other", YieldOnPoll: p.YieldOnPoll}
	switch b := p.Backing.(type) {
	case *types.VirtualSerialPortURIBackingInfo:
		s.Backing, s.URI, s.Direction, s.ProxyURI = "network", b.ServiceURI, b.Direction, b.ProxyURI
	case *types.VirtualSerialPortFileBackingInfo:
		s.Backing, s.File = "file", b.FileName
	case *types.VirtualSerialPortPipeBackingInfo:
		s.Backing, s.Pipe, s.Endpoint = "pipe", b.PipeName, b.Endpoint
	case *types.VirtualSerialPortDeviceBackingInfo:
		s.Backing, s.Device = "device", b.DeviceName
	}
	return s
}

// SerialAddArgs describe the serial port to add.
type SerialAddArgs struct {
	VM string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	SerialBacking
	YieldOnPoll  *bool `json:"yield_on_poll,omitempty" jsonschema:"Let the guest yield the CPU while polling the port (default true; false only for guests that need it)"`
	Connected    *bool `json:"connected,omitempty" jsonschema:"Connect the port at power on; default true"`
	OpenFirewall bool  `json:"open_firewall,omitempty" jsonschema:"For a network server port: open the host firewall's remote serial port rule set on the VM's host if it is closed (a host change; roles that may not change hosts are refused)"`
	params.SnapshotFirst
}

func (a *SerialAddArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if err := a.SerialBacking.check(true); err != nil {
		return err
	}
	if _, server := a.serverPort(); a.OpenFirewall && !server {
		return errors.New("open_firewall applies to a network server port (backing network, direction server) only")
	}
	return nil
}

func vmSerialAdd() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_serial_add",
		Title: "Add a serial port to a VM",
		Description: "Add a serial port to a powered-off VM, backed by a network URI (telnet://:7001 as server: the result says how to connect " +
			"and whether the host firewall lets it in; open_firewall opens it, a host change), a file on a datastore, a named pipe or a host device. " +
			"Read back from vCenter. snapshot_first takes a restore point first.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a SerialAddArgs) (DeviceEdit, error) {
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
			if before.VM.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s, and vCenter adds a serial port only to a powered-off VM (InvalidPowerState); shut it down with vm_shutdown_guest first; nothing was changed", toolkit.Name(o.Name), before.VM.Runtime.PowerState)}
			}
			backing, touched, sh, err := prepareSerialBacking(ctx, c, o, before, a.SerialBacking, a.OpenFirewall, -1)
			if err != nil {
				return err
			}
			port, err := before.Devices.List.CreateSerialPort()
			if err != nil {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s has no SIO controller for a serial port (no free unit)", toolkit.Name(o.Name))}
			}
			port.Key = -1
			port.YieldOnPoll = a.YieldOnPoll == nil || *a.YieldOnPoll
			port.Backing = backing
			port.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: a.Connected == nil || *a.Connected, AllowGuestControl: true}

			what := fmt.Sprintf("Add a serial port to VM %s (%s)", toolkit.Path(o.Path), serialBackingText(a.SerialBacking))
			if a.OpenFirewall && sh != nil && !sh.Open {
				what += fmt.Sprintf(", and open the %s rule set of host %s's firewall", serialRuleset, toolkit.Name(sh.Host.Name))
			}
			if err := guard.ActOn(ctx, what, o, touched...); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_serial_add", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out = DeviceEdit{Action: "added", VM: o.Name, ID: o.ID(), Snapshot: snap}
			spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: port}
			out.Task, err = sendDeviceChange(ctx, c, o, "add a serial port to "+toolkit.Name(o.Name), spec)
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			after, _, err := params.ReadDevices(ctx, c, o)
			if err != nil {
				return err
			}
			info, ok := addedDevice(before.Devices, after, params.KindSerial)
			if !ok {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but VM %s shows no new serial port; check vm_device_list", out.Task, toolkit.Name(o.Name))}, o.Name, snap)
			}
			out.Device, out.Serial = info, describeSerial(after.List.FindByKey(info.Key))
			return finishServerPort(ctx, c, &out, a.SerialBacking, sh, a.OpenFirewall)
		})
		return out, err
	})
}

// prepareSerialBacking checks what a backing needs (the datastore of a
// file, the host of a server port, that no other port of the VM has its
// URI, the role for open_firewall) and builds it. skip is the key of the
// port being changed. touched are the objects the change involves besides
// the VM.
func prepareSerialBacking(ctx context.Context, c *vcenter.Conn, vm vcenter.Object, v vmNICs, b SerialBacking, openFirewall bool, skip int32) (types.BaseVirtualDeviceBackingInfo, []vcenter.Object, *serialHost, error) {
	var touched []vcenter.Object
	var dsRef *types.ManagedObjectReference
	switch b.Backing {
	case "file":
		p, _ := parseBracketPath("path", b.Path, true)
		ds, err := datastoreInVMDC(ctx, c, vm, v.VM.Runtime.Host, p.Datastore)
		if err != nil {
			return nil, nil, nil, err
		}
		dsRef = &ds.Ref
		touched = append(touched, ds)
	case "network":
		dir := b.Direction
		if dir == "" {
			dir = "server"
		}
		for _, d := range v.Devices.List {
			if p, ok := d.(*types.VirtualSerialPort); ok && p.Key != skip {
				if u, ok := p.Backing.(*types.VirtualSerialPortURIBackingInfo); ok && u.ServiceURI == b.URI && u.Direction == dir {
					in, _ := v.Devices.Info(p.Key)
					return nil, nil, nil, &toolkit.ArgError{Msg: fmt.Sprintf("uri %s is already used by %s of VM %s; choose another port", toolkit.Quote(b.URI, 80), toolkit.Name(in.Label), toolkit.Name(vm.Name))}
				}
			}
		}
	}
	var sh *serialHost
	if _, server := b.serverPort(); server {
		h, err := readSerialHost(ctx, c, v.VM.Runtime.Host)
		if err != nil {
			return nil, nil, nil, err
		}
		sh = &h
		if openFirewall && !h.Open {
			if err := mayOpenFirewall(ctx, h.Host); err != nil {
				return nil, nil, nil, err
			}
			touched = append(touched, h.Host)
		}
	}
	return b.build(dsRef), touched, sh, nil
}

// finishServerPort says how to reach a server port and opens the host
// firewall when asked, reading it back.
func finishServerPort(ctx context.Context, c *vcenter.Conn, out *DeviceEdit, b SerialBacking, sh *serialHost, openFirewall bool) error {
	u, server := b.serverPort()
	if !server || sh == nil {
		return nil
	}
	opened := false
	if openFirewall && !sh.Open {
		if err := openSerialFirewall(ctx, c, *sh); err != nil {
			return fmt.Errorf("the serial port was added, but: %w", err)
		}
		now, err := readSerialHost(ctx, c, &sh.Host.Ref)
		if err != nil {
			return err
		}
		if !now.Open {
			return &toolkit.ExplainedError{Msg: fmt.Sprintf("the serial port was added and vCenter accepted opening the %s rule set of host %s, but it reads back closed; check the host's firewall", serialRuleset, toolkit.Name(sh.Host.Name))}
		}
		*sh, opened = now, true
	}
	host := sh.MgmtIP
	if u.Host != "" {
		host = u.Host
	}
	if out.Serial != nil && host != "" {
		out.Serial.ConnectWith = fmt.Sprintf("%s://%s:%d", u.Scheme, host, u.Port)
	}
	if out.Serial != nil && sh.Known {
		open := sh.Open
		out.Serial.FirewallOpen = &open
	}
	out.Notes = append(out.Notes, connectNotes(u, *sh, opened)...)
	return nil
}

func serialBackingText(b SerialBacking) string {
	switch b.Backing {
	case "network":
		dir := b.Direction
		if dir == "" {
			dir = "server"
		}
		s := fmt.Sprintf("network %s, %s", toolkit.Quote(b.URI, 80), dir)
		if b.ProxyURI != "" {
			s += ", through vSPC " + toolkit.Quote(b.ProxyURI, 80)
		}
		return s
	case "file":
		return "file " + toolkit.Path(b.Path)
	case "pipe":
		return "pipe " + toolkit.Quote(b.Name, 80)
	}
	return "host device " + toolkit.Quote(b.Device, 80)
}
