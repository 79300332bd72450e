package params

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// SnapshotFirst is the snapshot_first argument every tool that changes a
// VM's hardware embeds: a restore point taken just before the change, so
// snapshot_revert can roll it back.
//
// Its field is not named SnapshotFirst: a field with its type's name is
// shadowed by the embedding and left out of the tool's schema.
type SnapshotFirst struct {
	Take bool `json:"snapshot_first,omitempty" jsonschema:"Take a snapshot named 'before <tool> <UTC time>' first, so snapshot_revert can undo the change (refused for VMs with independent disks, which snapshots do not cover)"`
}

// SafetySnapshot is the snapshot a hardware change took first.
type SafetySnapshot struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// SafetySnapshotName is the snapshot's name: "before vm_disk_add 2026-12-02T01:30:00Z".
func SafetySnapshotName(tool string, now time.Time) string {
	return "before " + tool + " " + now.UTC().Format(time.RFC3339)
}

// TakeSafetySnapshot takes the snapshot_first snapshot of vm, after
// guard.Act allowed the change and before it starts. VMs with an
// independent disk are refused: a snapshot does not cover such a disk, so
// reverting would not restore it. The caller reports the snapshot in its
// result and wraps a later failure with WrapAfterSnapshot.
func TakeSafetySnapshot(ctx context.Context, c *vcenter.Conn, vm vcenter.Object, tool string, p *guard.Progress) (*SafetySnapshot, error) {
	var m mo.VirtualMachine
	if err := c.ReadOne(ctx, vm, []string{"config.hardware.device", "config.template"}, &m); err != nil {
		return nil, err
	}
	if m.Config != nil && m.Config.Template {
		return nil, &toolkit.ExplainedError{Msg: fmt.Sprintf("%s is a template, and templates have no snapshots: call again without snapshot_first", toolkit.Path(vm.Path))}
	}
	if indep := IndependentDisks(m.Config); len(indep) > 0 {
		return nil, &toolkit.ExplainedError{Msg: fmt.Sprintf("snapshot_first refused: %s has independent disks (%s), which a snapshot does not cover, so reverting would not restore them; nothing was changed. Call again without snapshot_first", toolkit.Name(vm.Name), toolkit.Names(indep))}
	}
	name := SafetySnapshotName(tool, time.Now())
	task, err := object.NewVirtualMachine(c.Client, vm.Ref).CreateSnapshot(ctx, name, "Taken by vsphere-mcp before "+tool, false, false)
	if err != nil {
		return nil, fmt.Errorf("take snapshot_first snapshot of %s: %w; nothing was changed", toolkit.Name(vm.Name), err)
	}
	info, err := guard.WaitTask(ctx, task, "snapshot_first of "+toolkit.Name(vm.Name), p, 0, 20)
	if err != nil {
		return nil, fmt.Errorf("take snapshot_first snapshot of %s: %w; nothing was changed", toolkit.Name(vm.Name), err)
	}
	s := &SafetySnapshot{Name: name}
	if ref, ok := info.Result.(types.ManagedObjectReference); ok {
		s.ID = ref.Value
	}
	return s, nil
}

// IndependentDisks lists the labels of cfg's disks in an independent mode.
func IndependentDisks(cfg *types.VirtualMachineConfigInfo) []string {
	if cfg == nil {
		return nil
	}
	var out []string
	for _, d := range cfg.Hardware.Device {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		if b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
			if strings.HasPrefix(diskMode(b), "independent") {
				out = append(out, deviceLabel(disk.GetVirtualDevice()))
			}
		}
	}
	return out
}

func diskMode(b types.BaseVirtualDeviceFileBackingInfo) string {
	switch v := b.(type) {
	case *types.VirtualDiskFlatVer2BackingInfo:
		return v.DiskMode
	case *types.VirtualDiskSeSparseBackingInfo:
		return v.DiskMode
	case *types.VirtualDiskSparseVer2BackingInfo:
		return v.DiskMode
	case *types.VirtualDiskRawDiskMappingVer1BackingInfo:
		return v.DiskMode
	}
	return ""
}

func deviceLabel(d *types.VirtualDevice) string {
	if d.DeviceInfo != nil {
		if di := d.DeviceInfo.GetDescription(); di != nil && di.Label != "" {
			return di.Label
		}
	}
	return fmt.Sprintf("device %d", d.Key)
}

// WrapAfterSnapshot adds to err, a failure after s was taken, that the
// snapshot is there to roll back to (and is left in place).
func WrapAfterSnapshot(err error, vm string, s *SafetySnapshot) error {
	if err == nil || s == nil {
		return err
	}
	return fmt.Errorf("%w (the snapshot_first snapshot %s of %s is there: snapshot_revert returns to it, snapshot_delete removes it)", err, toolkit.Quote(s.Name, 0), toolkit.Name(vm))
}
