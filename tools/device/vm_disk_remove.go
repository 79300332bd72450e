package device

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DiskRemoveArgs name the disk and whether its file goes too.
type DiskRemoveArgs struct {
	VM         string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Disk       string `json:"disk" jsonschema:"The disk: label (Hard disk 2), key or bus position (scsi0:1)"`
	DeleteFile bool   `json:"delete_file,omitempty" jsonschema:"Also delete the disk's file from the datastore, destroying its data (a person confirms); default false: detach only, the file stays"`
	params.SnapshotFirst
}

func (a *DiskRemoveArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return requireDisk(a.Disk)
}

func vmDiskRemove() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_disk_remove",
		Title: "Remove a disk from a VM",
		Description: "Remove a virtual disk from a VM. By default it is only detached: the .vmdk stays on the datastore and vm_disk_add " +
			"file=... attaches it again. delete_file=true also deletes the file, destroying the data: a person confirms first, told " +
			"the file and its size. Removing the boot disk of a running VM also asks a person first, saying it is the boot disk.",
		Risk: policy.RiskDestructive,
	}, diskHandler(diskRemove))
}

func diskRemove(ctx context.Context, c *vcenter.Conn, a DiskRemoveArgs, out *DiskChange, started *bool) error {
	v, disk, info, err := openDiskVM(ctx, c, a.VM, a.Disk, "Detached", out)
	if err != nil {
		return err
	}
	if err := v.onIDE(disk, info.Label, "be removed"); err != nil {
		return err
	}
	ds := v.datastoreOf(ctx, c, info)
	warn := ""
	if v.running() && disk.Key == v.bootDisk() {
		warn = fmt.Sprintf("%s is the boot disk of %s, which is running: the guest loses its system disk and will likely crash. ", toolkit.Name(info.Label), toolkit.Name(v.obj.Name))
		out.Notes = append(out.Notes, "It was the boot disk of the running VM: the guest has lost its system disk.")
		// Said first, to a person: the model's call alone does not pull
		// the system disk from under a running guest.
		guard.Confirm(ctx)
	}
	what := fmt.Sprintf("%sDetach %s from VM (its file stays on the datastore)", warn, info.line())
	spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: disk}
	if a.DeleteFile {
		if info.File == "" {
			return &toolkit.PlainError{Msg: fmt.Sprintf("%s has no file to delete (%s); call again without delete_file", toolkit.Name(info.Label), info.Provisioning)}
		}
		what = fmt.Sprintf("%sRemove %s from VM and DELETE its file %s (%s of data, destroyed for good)", warn, toolkit.Name(info.Label), toolkit.Path(info.File), sizeText(info.bytes))
		if snaps := v.snapshots(); len(snaps) > 0 {
			what += fmt.Sprintf("; the VM's %d snapshot(s) still hold the disk's earlier state", len(snaps))
		}
		spec.FileOperation = types.VirtualDeviceConfigSpecFileOperationDestroy
		out.Action = "Deleted"
		guard.ConfirmIrreversible(ctx)
	}
	touches := []vcenter.Object{}
	if ds != nil {
		if dso, err := c.Describe(ctx, ds.obj.Ref); err == nil {
			touches = append(touches, dso)
		}
	}
	if err := guard.ActOn(ctx, what, v.obj, touches...); err != nil {
		return err
	}
	cs := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{spec}}
	if err := reconfigureDisk(ctx, c, v, "vm_disk_remove", "remove "+toolkit.Name(info.Label)+" of "+toolkit.Name(v.obj.Name), cs, a.SnapshotFirst.Take, ds, out, started); err != nil {
		return err
	}
	after, _, err := params.ReadDevices(ctx, c, v.obj)
	if err != nil {
		return params.WrapAfterSnapshot(fmt.Errorf("the disk was removed, but reading the VM back failed: %w", err), v.obj.Name, out.Snapshot)
	}
	if after.List.FindByKey(info.Key) != nil {
		return params.WrapAfterSnapshot(&toolkit.PlainError{Msg: fmt.Sprintf("vCenter finished the task but %s still has %s; check it with vm_disk_list", toolkit.Name(v.obj.Name), toolkit.Name(info.Label))}, v.obj.Name, out.Snapshot)
	}
	if a.DeleteFile {
		out.FileDeleted = true
		if ds != nil {
			var p object.DatastorePath
			if p.FromString(info.File) {
				if f, err := statVMDK(ctx, c, *ds, p); err == nil && f.found {
					out.FileDeleted = false
					out.Notes = append(out.Notes, fmt.Sprintf("The disk was removed but %s is still on the datastore (a snapshot or another VM may use it); check it with the datastore browser.", toolkit.Path(info.File)))
				}
			}
		}
	} else if info.File != "" {
		out.Notes = append(out.Notes, fmt.Sprintf("To attach it again: vm_disk_add with file %s.", toolkit.Quote(info.File, 0)))
	}
	return nil
}
