package device

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DiskResizeArgs name the disk and its new size.
type DiskResizeArgs struct {
	VM     string  `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Disk   string  `json:"disk" jsonschema:"The disk: label (Hard disk 2), key or bus position (scsi0:1)"`
	SizeGB float64 `json:"size_gb" jsonschema:"The new size in GB; disks only grow"`
	// snapshot_first is accepted like on every hardware tool, and refused:
	// vCenter cannot extend a disk that has a snapshot.
	params.SnapshotFirst
}

func (a *DiskResizeArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if err := requireDisk(a.Disk); err != nil {
		return err
	}
	if a.SizeGB <= 0 || math.IsNaN(a.SizeGB) || a.SizeGB > maxDiskGB {
		return fmt.Errorf("size_gb must be more than 0 and at most %d (62 TB, the largest virtual disk)", maxDiskGB)
	}
	if a.SnapshotFirst.Take {
		return errors.New("snapshot_first cannot go with vm_disk_resize: vCenter cannot extend a disk that has a snapshot, so the snapshot would block the resize itself. " +
			"For a restore point, clone the VM first (vm_clone), or resize without snapshot_first")
	}
	return nil
}

func vmDiskResize() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_disk_resize",
		Title: "Grow a VM's disk",
		Description: "Grow a VM's virtual disk to size_gb (disks only grow: a smaller size is refused with the current size). " +
			"A disk with snapshots is refused with the snapshot count (vCenter cannot extend it; delete or consolidate the snapshots first). " +
			"Thick disks need the added space free on their datastore. The guest must then extend its partition and file system; the result says so.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, diskHandler(diskResize))
}

func diskResize(ctx context.Context, c *vcenter.Conn, a DiskResizeArgs, out *DiskChange, started *bool) error {
	v, disk, info, err := openDiskVM(ctx, c, a.VM, a.Disk, "Grew", out)
	out.FromGB = info.CapacityGB
	if err != nil {
		return err
	}
	cur := info.bytes
	want := int64(math.Ceil(a.SizeGB*1024)) << 20
	switch {
	case want < cur:
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s of %s is %s; a virtual disk cannot shrink, so size_gb must be more than %s. Nothing was changed",
			toolkit.Name(info.Label), toolkit.Name(v.obj.Name), sizeText(cur), numText(info.CapacityGB))}
	case want == cur:
		out.Action = "Unchanged"
		return nil
	}
	if err := v.onIDE(disk, info.Label, "be extended"); err != nil {
		return err
	}
	snaps := v.snapshots()
	if info.Delta && len(snaps) == 0 {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s of %s is a delta disk on top of a parent disk (a linked clone, or a snapshot chain vCenter no longer lists): vCenter cannot extend it. Consolidate the VM's disks, or make a full clone (vm_clone) and grow its disk. Nothing was changed",
			toolkit.Name(info.Label), toolkit.Name(v.obj.Name))}
	}
	if len(snaps) > 0 && (!info.independent() || info.Delta) {
		n := len(snaps)
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s of %s has %d snapshot(s) (%s): vCenter cannot extend a disk with snapshots. Delete them first — snapshot_delete_all on the VM removes them and consolidates the disks into one (the VM keeps its present state) — then retry. Nothing was changed",
			toolkit.Name(info.Label), toolkit.Name(v.obj.Name), n, toolkit.Names(snaps))}
	}
	if info.Provisioning == "" || info.Provisioning == "thin (sparse)" {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s of %s is not a flat or thin virtual disk (%s); vCenter cannot extend it here", toolkit.Name(info.Label), toolkit.Name(v.obj.Name), info.Provisioning)}
	}
	ds := v.datastoreOf(ctx, c, info)
	grow := want - cur
	var notes []string
	if ds != nil {
		thick := info.Provisioning == "thick lazy zeroed" || info.Provisioning == "thick eager zeroed"
		switch {
		case thick && grow > ds.free:
			return &toolkit.PlainError{Msg: fmt.Sprintf("datastore %s is too small to grow the %s disk %s by %s: it has %s. Free space on it, or move the disk; nothing was changed",
				toolkit.Name(ds.obj.Name), info.Provisioning, toolkit.Name(info.Label), sizeText(grow), ds.freeText())}
		case grow > ds.free:
			notes = append(notes, fmt.Sprintf("Note: the thin disk may now grow to %s but datastore %s has only %s: watch its free space.", sizeText(want), toolkit.Name(ds.obj.Name), ds.freeText()))
		}
	}

	if err := guard.Act(ctx, fmt.Sprintf("Grow %s of VM from %s to %s", info.line(), sizeText(cur), sizeText(want)), v.obj); err != nil {
		return err
	}
	disk.CapacityInBytes = want
	disk.CapacityInKB = want >> 10
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: disk},
	}}
	if err := reconfigureDisk(ctx, c, v, "vm_disk_resize", "grow "+toolkit.Name(info.Label)+" of "+toolkit.Name(v.obj.Name), spec, false, ds, out, started); err != nil {
		return err
	}
	after, _, err := params.ReadDevices(ctx, c, v.obj)
	if err != nil {
		return fmt.Errorf("the disk was grown, but reading it back failed: %w", err)
	}
	if d, ok := after.List.FindByKey(info.Key).(*types.VirtualDisk); ok {
		out.Disk = describeDisk(after, d)
	}
	if out.Disk.bytes < want {
		return &toolkit.PlainError{Msg: fmt.Sprintf("vCenter finished the task but %s of %s is %s, not %s; check it with vm_disk_list", toolkit.Name(info.Label), toolkit.Name(v.obj.Name), sizeText(out.Disk.bytes), sizeText(want))}
	}
	guest := "The guest's partition and file system keep their old size: extend them in the guest"
	if v.running() {
		guest += " now (Linux: rescan the disk, then growpart and resize2fs or xfs_growfs; Windows: Rescan Disks, then Extend Volume in Disk Management)."
	} else {
		guest += " after it boots (Linux: growpart and resize2fs or xfs_growfs; Windows: Extend Volume in Disk Management)."
	}
	out.Notes = append(notes, guest)
	return nil
}

// requireDisk checks a disk argument is given.
func requireDisk(ref string) error {
	if strings.TrimSpace(ref) == "" {
		return errors.New("disk is required: its label (Hard disk 2), key or bus position (scsi0:1); vm_disk_list shows them")
	}
	return nil
}
