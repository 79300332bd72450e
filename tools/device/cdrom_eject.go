package device

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// CdromEjectArgs name the drive.
type CdromEjectArgs struct {
	VM    string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Cdrom string `json:"cdrom,omitempty" jsonschema:"The CD/DVD drive: label (CD/DVD drive 1), key or bus position (ide1:0); default the first that holds an ISO"`
	Force bool   `json:"force,omitempty" jsonschema:"When the guest has locked the drive's door, override the lock (answer vCenter's question Yes); without it the ISO stays"`
	params.SnapshotFirst
}

func (a *CdromEjectArgs) Validate() error { return toolkit.RequireIdent("vm", a.VM, "VM") }

func vmCdromEject() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_cdrom_eject",
		Title: "Eject the ISO from a VM's CD/DVD drive",
		Description: "Eject the ISO (or disconnect the media) of a VM's CD/DVD drive (default the first holding an ISO); the drive stays. " +
			"When the guest has locked the door vCenter asks whether to override the lock: force answers Yes, otherwise the answer is No and the ISO stays. " +
			"snapshot_first takes a restore point first.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a CdromEjectArgs) (DeviceEdit, error) {
		var out DeviceEdit
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			before, _, err := params.ReadDevices(ctx, c, o)
			if err != nil {
				return err
			}
			dev, info, err := pickCdrom(before, o.Name, a.Cdrom, true)
			if err != nil {
				return err
			}
			if dev == nil {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s has no CD/DVD drive, so there is nothing to eject", toolkit.Name(o.Name))}
			}
			out = DeviceEdit{Action: "unchanged", VM: o.Name, ID: o.ID(), Device: info}
			v := dev.GetVirtualDevice()
			old := isoOf(dev)
			connected := v.Connectable != nil && (v.Connectable.Connected || v.Connectable.StartConnected)
			if old == "" && !connected {
				out.Notes = []string{"the drive holds no ISO and is not connected; nothing was changed"}
				return nil
			}
			media := "its media"
			if old != "" {
				media = "ISO " + toolkit.Path(old)
			}
			what := fmt.Sprintf("Eject %s from %s of VM %s", media, toolkit.Name(info.Label), toolkit.Path(o.Path))
			if a.Force {
				what += ", overriding the guest's lock on the door if it holds one"
			}
			if err := guard.Act(ctx, what, o); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_cdrom_eject", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out.Snapshot = snap
			v.Backing = &types.VirtualCdromRemotePassthroughBackingInfo{}
			allow := v.Connectable == nil || v.Connectable.AllowGuestControl
			v.Connectable = &types.VirtualDeviceConnectInfo{AllowGuestControl: allow}
			spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: dev}
			var door doorOutcome
			out.Task, door, err = reconfigureCdrom(ctx, c, o, "eject "+toolkit.Name(info.Label)+" of "+toolkit.Name(o.Name), a.Force, spec)
			after, _, rerr := params.ReadDevices(ctx, c, o)
			if rerr != nil {
				if err != nil {
					return params.WrapAfterSnapshot(err, o.Name, snap)
				}
				return rerr
			}
			now := after.List.FindByKey(info.Key)
			if now == nil {
				return &toolkit.ExplainedError{Msg: fmt.Sprintf("%s of VM %s is gone; check vm_device_list", toolkit.Name(info.Label), toolkit.Name(o.Name))}
			}
			still := isoOf(now)
			if door.asked && !a.Force && still != "" {
				return params.WrapAfterSnapshot(&toolkit.PlainError{Msg: fmt.Sprintf("the guest operating system of VM %s has locked the door of %s (it is probably using the disc), and vCenter asked whether to override the lock; answered No, so %s stays inserted and nothing is pending. Eject it inside the guest, or call again with force: true to disconnect it anyway (a guest reading from it sees the disc vanish)", toolkit.Name(o.Name), toolkit.Name(info.Label), toolkit.Path(still))}, o.Name, snap)
			}
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			out.Device, _ = after.Info(info.Key)
			if still != "" {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but %s of VM %s still holds %s; check vm_device_list", out.Task, toolkit.Name(info.Label), toolkit.Name(o.Name), toolkit.Path(still))}, o.Name, snap)
			}
			out.Action = "ejected"
			if old != "" {
				out.Changes = append(out.Changes, fmt.Sprintf("ISO: %s → none", toolkit.Path(old)))
			}
			if door.asked {
				out.Notes = append(out.Notes, "the guest had locked the drive's door; vCenter's question was answered Yes (force), so the disc was disconnected anyway")
			}
			return nil
		})
		return out, err
	})
}
