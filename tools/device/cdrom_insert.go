package device

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// CdromInsertArgs name the ISO and the drive.
type CdromInsertArgs struct {
	VM        string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	ISO       string `json:"iso" jsonschema:"The ISO file as [datastore] folder/file.iso, on a datastore of the VM's own datacenter that its host mounts"`
	Cdrom     string `json:"cdrom,omitempty" jsonschema:"The CD/DVD drive: label (CD/DVD drive 1), key or bus position (ide1:0); default the first, and a drive is added when the VM has none"`
	Connected *bool  `json:"connected,omitempty" jsonschema:"Connect the ISO (now and at power on); default true. false leaves it inserted but disconnected"`
	params.SnapshotFirst
}

func (a *CdromInsertArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	p, err := parseBracketPath("iso", a.ISO, true)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(strings.ToLower(p.Path), ".iso") {
		return fmt.Errorf("iso %s is not an .iso file; give the ISO image's path, e.g. [LocalDS_0] iso/ubuntu-24.04.iso", toolkit.Path(p.String()))
	}
	return nil
}

func vmCdromInsert() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_cdrom_insert",
		Title: "Insert an ISO into a VM's CD/DVD drive",
		Description: "Insert an ISO image ([datastore] folder/file.iso, on a datastore of the VM's datacenter; checked to exist, a missing file " +
			"lists the ISOs in its folder) into a VM's CD/DVD drive (default the first; one is added on IDE or SATA when the VM has none), " +
			"connected by default. Read back from vCenter. snapshot_first takes a restore point first.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a CdromInsertArgs) (DeviceEdit, error) {
		iso, _ := parseBracketPath("iso", a.ISO, true)
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
			ds, err := datastoreInVMDC(ctx, c, o, before.VM.Runtime.Host, iso.Datastore)
			if err != nil {
				return err
			}
			if err := checkISO(ctx, c, ds, iso); err != nil {
				return err
			}
			dev, info, err := pickCdrom(before.Devices, o.Name, a.Cdrom, false)
			if err != nil {
				return err
			}
			on := before.poweredOn()
			connect := a.Connected == nil || *a.Connected
			backing := &types.VirtualCdromIsoBackingInfo{VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: iso.String(), Datastore: &ds.Ref}}
			conn := &types.VirtualDeviceConnectInfo{StartConnected: connect, Connected: connect && on, AllowGuestControl: true}
			out = DeviceEdit{Action: "inserted", VM: o.Name, ID: o.ID()}
			var specs []types.BaseVirtualDeviceConfigSpec
			what := ""
			if dev == nil {
				cd, add, note, err := newCdrom(before.Devices.List, o.Name, on)
				if err != nil {
					return err
				}
				cd.Backing, cd.Connectable = backing, conn
				specs = add
				out.Notes = append(out.Notes, note)
				what = fmt.Sprintf("Add a CD/DVD drive to VM %s holding ISO %s", toolkit.Path(o.Path), toolkit.Path(iso.String()))
			} else {
				v := dev.GetVirtualDevice()
				old := isoOf(dev)
				if old == iso.String() && v.Connectable != nil && v.Connectable.Connected == conn.Connected && v.Connectable.StartConnected == conn.StartConnected {
					out.Action, out.Device = "unchanged", info
					out.Notes = []string{"the drive already holds this ISO, connected as asked; nothing was changed"}
					return nil
				}
				if v.Connectable != nil {
					conn.AllowGuestControl = v.Connectable.AllowGuestControl
				}
				v.Backing, v.Connectable = backing, conn
				specs = append(specs, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: dev})
				what = fmt.Sprintf("Insert ISO %s into %s of VM %s", toolkit.Path(iso.String()), toolkit.Name(info.Label), toolkit.Path(o.Path))
				if old != "" {
					what += fmt.Sprintf(" (replacing %s)", toolkit.Path(old))
					out.Changes = append(out.Changes, fmt.Sprintf("ISO: %s → %s", toolkit.Path(old), toolkit.Path(iso.String())))
				}
			}
			if err := guard.ActOn(ctx, what, o, ds); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_cdrom_insert", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out.Snapshot = snap
			var door doorOutcome
			out.Task, door, err = reconfigureCdrom(ctx, c, o, "insert "+toolkit.Path(iso.String())+" into "+toolkit.Name(o.Name), false, specs...)
			after, _, rerr := params.ReadDevices(ctx, c, o)
			if door.asked && (err != nil || (dev != nil && isoOf(after.List.FindByKey(info.Key)) != iso.String())) {
				return params.WrapAfterSnapshot(&toolkit.PlainError{Msg: fmt.Sprintf("the guest operating system of VM %s has locked the door of %s, and vCenter asked whether to override the lock; answered No, so the drive keeps what it held and nothing is pending. Eject it with vm_cdrom_eject force: true (or inside the guest) first, then insert again", toolkit.Name(o.Name), toolkit.Name(info.Label))}, o.Name, snap)
			}
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			if rerr != nil {
				return rerr
			}
			if dev == nil {
				if in, ok := addedDevice(before.Devices, after, params.KindCDROM); ok {
					info = in
				}
			} else {
				info, _ = after.Info(info.Key)
			}
			out.Device = info
			if got := isoOf(after.List.FindByKey(info.Key)); got != iso.String() {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but %s of VM %s holds %s, not the ISO; check vm_device_list", out.Task, toolkit.Name(info.Label), toolkit.Name(o.Name), toolkit.Path(got))}, o.Name, snap)
			}
			if connect && !on {
				out.Notes = append(out.Notes, "the VM is not running: the ISO connects when it powers on (to boot from it, put cdrom first in the boot order with vm_reconfigure)")
			}
			return nil
		})
		return out, err
	})
}
