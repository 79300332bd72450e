package device

import (
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// TestSnapshotFirst: a hardware change with snapshot_first takes the
// snapshotSim (with the old hardware in its configuration), names it, and
// snapshot_revert restores the old hardware (on a simulator that reverts
// as vCenter does); a change failing after the snapshot says it is there.
func TestSnapshotFirst(t *testing.T) {
	t.Parallel()
	m, x := diskSimModel(t)
	p := toolstest.Policy(t, "admin", nil, nil)
	h := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p, Elicit: h}, m)}

	snapshots := func(e *env, vm string) []params.SnapEntry {
		v := e.vmPropsSim(vm, "snapshot")
		return params.FlattenOf(&v)
	}

	t.Run("disk add, then revert", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM0"
		before := e.hwDigest(vm)
		var got DiskChange
		text := e.OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1, "snapshot_first": true}, &got)
		if got.Snapshot == nil || !strings.HasPrefix(got.Snapshot.Name, "before vm_disk_add ") {
			t.Fatalf("no snapshot named in %+v", got)
		}
		toolstest.MustContain(t, text, "Snapshot taken first", got.Snapshot.Name, "snapshot_revert")
		snaps := snapshots(e, vm)
		if len(snaps) != 1 || snaps[0].Tree.Name != got.Snapshot.Name || snaps[0].ID() != got.Snapshot.ID {
			t.Fatalf("snapshots %+v, result %+v", snaps, got.Snapshot)
		}
		// The snapshot holds the hardware as it was.
		var s mo.VirtualMachineSnapshot
		if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, snaps[0].Tree.Snapshot, []string{"config"}, &s); err != nil {
			t.Fatal(err)
		}
		if n, want := len(s.Config.Hardware.Device), len(e.devices(vm).Infos)-1; n != want {
			t.Errorf("snapshot config has %d devices, want %d (without the new disk)", n, want)
		}
		if e.hwDigest(vm) == before {
			t.Fatal("the disk was not added")
		}
		e.OK("snapshot_revert", map[string]any{"vm": vm, "snapshot": got.Snapshot.ID}, nil)
		if after := e.hwDigest(vm); after != before {
			t.Errorf("revert did not restore the hardware:\nbefore\n%s\nafter\n%s", before, after)
		}
		x.mu.Lock()
		n := x.reverted
		x.mu.Unlock()
		if n == 0 {
			t.Error("the revert did not go through the extended simulator")
		}
	})

	t.Run("hardware upgrade, then revert", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM1"
		e.setPowerSim(vm, types.VirtualMachinePowerStatePoweredOff)
		var got HardwareUpgradeResult
		e.OK("vm_hardware_upgrade", map[string]any{"vm": vm, "snapshot_first": true}, &got)
		if e.hwVersion(vm) != "vmx-21" || got.Results[0].Snapshot == "" || !strings.HasPrefix(got.Results[0].Snapshot, "before vm_hardware_upgrade ") {
			t.Fatalf("version %s, result %+v", e.hwVersion(vm), got)
		}
		e.OK("snapshot_revert", map[string]any{"vm": vm, "snapshot": got.Results[0].SnapshotID}, nil)
		if v := e.hwVersion(vm); v != "vmx-13" {
			t.Errorf("after revert the VM is %s, want vmx-13", v)
		}
	})

	t.Run("a failure after the snapshot names it; the VM is unchanged", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM2"
		before := e.hwDigest(vm)
		x.failReconfigure(e.VMRef(vm).Value, &types.FileLocked{FileFault: types.FileFault{File: "[LocalDS_0] DC0_H0_VM2/disk1.vmdk"}})
		defer x.failReconfigure("", nil)
		msg := e.Fails("vm_disk_remove", map[string]any{"vm": vm, "disk": "Hard disk 1", "snapshot_first": true})
		toolstest.MustContain(t, msg, "FileLocked", "in use", "snapshot_first snapshot", "is there", "snapshot_revert")
		if after := e.hwDigest(vm); after != before {
			t.Errorf("devices changed:\n%s\n%s", before, after)
		}
		if n := len(snapshots(e, vm)); n != 1 {
			t.Errorf("%d snapshots, want the one snapshot_first took", n)
		}
	})

	t.Run("a full datastore is explained with its free space", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_C0_RP1_VM0"
		before := e.hwDigest(vm)
		x.failReconfigure(e.VMRef(vm).Value, &types.NoDiskSpace{FileFault: types.FileFault{File: "[LocalDS_0] DC0_C0_RP1_VM0"}, Datastore: "LocalDS_0"})
		defer x.failReconfigure("", nil)
		toolstest.MustContain(t, e.Fails("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1}), "NoDiskSpace", "datastore is full", "LocalDS_0", "GB free of", "datastore_list")
		if after := e.hwDigest(vm); after != before {
			t.Errorf("devices changed:\n%s\n%s", before, after)
		}
	})

	t.Run("a suspended VM is refused", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_C0_RP1_VM1"
		task, err := object.NewVirtualMachine(e.Vim, e.VMRef(vm)).Suspend(e.Ctx)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		before := e.hwDigest(vm)
		for _, tc := range []struct {
			tool string
			args map[string]any
		}{
			{"vm_disk_add", map[string]any{"vm": vm, "size_gb": 1}},
			{"vm_disk_resize", map[string]any{"vm": vm, "disk": "Hard disk 1", "size_gb": 100}},
			{"vm_disk_remove", map[string]any{"vm": vm, "disk": "Hard disk 1"}},
		} {
			toolstest.MustContain(t, e.Fails(tc.tool, tc.args), "suspended", "Nothing was changed")
		}
		if after := e.hwDigest(vm); after != before {
			t.Errorf("devices changed:\n%s\n%s", before, after)
		}
	})

	t.Run("refused for a VM with an independent disk", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM3"
		e.OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1, "mode": "independent_persistent"}, nil)
		before := e.hwDigest(vm)
		toolstest.MustContain(t, e.Fails("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1, "snapshot_first": true}), "independent disks", "nothing was changed")
		if after := e.hwDigest(vm); after != before {
			t.Errorf("devices changed:\n%s\n%s", before, after)
		}
		if n := len(snapshots(e, vm)); n != 0 {
			t.Errorf("%d snapshots taken", n)
		}
	})
}
