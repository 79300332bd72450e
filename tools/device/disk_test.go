package device

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestDiskList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const vm = "/DC0/vm/DC0_H0_VM0"
	want := e.devices(vm)
	var got DiskList
	text := e.OK("vm_disk_list", map[string]any{"vm": vm}, &got)
	if len(got.Disks) != len(want.OfKind("disk")) || len(got.Disks) == 0 {
		t.Fatalf("listed %d disks, the VM has %d", len(got.Disks), len(want.OfKind("disk")))
	}
	d := got.Disks[0]
	sim := e.disk(vm, d.Key)
	b := sim.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if d.Label != "Hard disk 1" || d.Bus != "scsi0:0" || d.File != b.FileName || d.Datastore != "LocalDS_0" ||
		d.Mode != b.DiskMode || d.ControllerType != "pvscsi" || d.Controller != "SCSI controller 0" || d.Sharing != "none" {
		t.Errorf("disk = %+v; simulator backing %+v", d, b)
	}
	if wantGB := diskGB(diskBytes(sim)); d.CapacityGB != wantGB {
		t.Errorf("capacity %v GB, simulator says %v", d.CapacityGB, wantGB)
	}
	toolstest.MustContain(t, text, "Hard disk 1", "scsi0:0", "[LocalDS_0] DC0_H0_VM0/disk1.vmdk", "pvscsi")
	toolstest.MustContain(t, e.Fails("vm_disk_list", map[string]any{"vm": "nope"}), "nope")
}

func TestDiskAdd(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newPolicyEnv(t, p, nil)

	t.Run("new thin disk on the VM's datastore, next free SCSI unit", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM0"
		before := e.diskKeys(vm)
		var got DiskChange
		text := e.OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 2}, &got)
		d := e.disk(vm, got.Disk.Key)
		if d == nil || slices.Contains(before, got.Disk.Key) {
			t.Fatalf("no new disk %d on the VM: %+v", got.Disk.Key, got)
		}
		b := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		if d.CapacityInKB != 2<<20 || b.ThinProvisioned == nil || !*b.ThinProvisioned || b.DiskMode != "persistent" {
			t.Errorf("disk %+v backing %+v: want 2 GB thin persistent", d, b)
		}
		ctl := e.devices(vm).List.FindByKey(d.ControllerKey)
		if _, ok := ctl.(*types.ParaVirtualSCSIController); !ok || *d.UnitNumber != 1 {
			t.Errorf("disk on controller %T unit %d, want the pvscsi controller's unit 1", ctl, *d.UnitNumber)
		}
		if !strings.HasPrefix(b.FileName, "[LocalDS_0] ") || !e.dsFileExists("/DC0/datastore/LocalDS_0", b.FileName) {
			t.Errorf("backing file %s is not on LocalDS_0", b.FileName)
		}
		if got.Action != "Added" || got.Disk.Bus != "scsi0:1" || got.Disk.Provisioning != "thin" || got.Disk.CapacityGB != 2 || got.Disk.Label != "Hard disk 2" {
			t.Errorf("result %+v", got)
		}
		toolstest.MustContain(t, text, "Added Hard disk 2", "scsi0:1", "2 GB thin", "rescan")
	})

	t.Run("eager zeroed on another datastore, independent", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM2"
		var got DiskChange
		e.OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1.5, "datastore": "LocalDS_1", "provisioning": "eager_zeroed", "mode": "independent_persistent"}, &got)
		d := e.disk(vm, got.Disk.Key)
		if d == nil {
			t.Fatalf("no disk %d", got.Disk.Key)
		}
		b := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		if d.CapacityInKB != 1536<<10 || *b.ThinProvisioned || !*b.EagerlyScrub || b.DiskMode != "independent_persistent" || !strings.HasPrefix(b.FileName, "[LocalDS_1] ") {
			t.Errorf("disk %+v backing %+v", d, b)
		}
		if !e.dsFileExists("/DC0/datastore/LocalDS_1", b.FileName) {
			t.Errorf("%s not on LocalDS_1", b.FileName)
		}
		if got.Disk.Provisioning != "thick eager zeroed" || got.Disk.Mode != "independent_persistent" {
			t.Errorf("result %+v", got.Disk)
		}
	})

	t.Run("every SCSI unit taken: a new pvscsi controller", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM3"
		// Fill scsi0 (units 1-6 and 8-15; 0 holds the disk, 7 is the controller's).
		ds := e.devices(vm)
		scsi := diskControllers(ds, "scsi")[0]
		spec := types.VirtualMachineConfigSpec{}
		for u := int32(1); u < 16; u++ {
			if u == 7 {
				continue
			}
			disk := &types.VirtualDisk{CapacityInKB: 1024, VirtualDevice: types.VirtualDevice{
				Key: -100 - u, ControllerKey: scsi.GetVirtualDevice().Key, UnitNumber: types.NewInt32(u),
				Backing: &types.VirtualDiskFlatVer2BackingInfo{DiskMode: "persistent", ThinProvisioned: types.NewBool(true),
					VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: "[LocalDS_0]"}},
			}}
			spec.DeviceChange = append(spec.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: "add", FileOperation: "create", Device: disk})
		}
		e.reconfigureSim(vm, spec)
		if _, ok := diskFreeUnit(e.devices(vm).List, scsi); ok {
			t.Fatal("scsi0 still has a free unit")
		}
		var got DiskChange
		text := e.OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1}, &got)
		after := e.devices(vm)
		d := e.disk(vm, got.Disk.Key)
		if d == nil {
			t.Fatalf("no disk %d", got.Disk.Key)
		}
		nc, ok := after.List.FindByKey(d.ControllerKey).(*types.ParaVirtualSCSIController)
		if !ok || nc.BusNumber != 1 || *d.UnitNumber != 0 {
			t.Fatalf("new disk on %T (bus %v) unit %d; want a new pvscsi controller on bus 1, unit 0", after.List.FindByKey(d.ControllerKey), nc, *d.UnitNumber)
		}
		if got.Disk.Bus != "scsi1:0" || !strings.Contains(got.NewController, "SCSI controller 1") {
			t.Errorf("result %+v", got)
		}
		toolstest.MustContain(t, text, "Every SCSI controller was full", "SCSI controller 1")
	})

	t.Run("attach an existing file, and a missing one", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_C0_RP1_VM1"
		var added, removed, attached DiskChange
		e.OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1}, &added)
		e.OK("vm_disk_remove", map[string]any{"vm": vm, "disk": added.Disk.Bus}, &removed)
		if e.disk(vm, added.Disk.Key) != nil || !e.dsFileExists("/DC0/datastore/LocalDS_0", added.Disk.File) {
			t.Fatalf("detach: disk still there or file gone")
		}
		text := e.OK("vm_disk_add", map[string]any{"vm": vm, "file": added.Disk.File}, &attached)
		d := e.disk(vm, attached.Disk.Key)
		if d == nil || d.Backing.(*types.VirtualDiskFlatVer2BackingInfo).FileName != added.Disk.File || attached.Action != "Attached" {
			t.Fatalf("attach: %+v, simulator %+v", attached, d)
		}
		toolstest.MustContain(t, text, "Attached")
		before := e.diskKeys(vm)
		msg := e.Fails("vm_disk_add", map[string]any{"vm": vm, "file": "[LocalDS_0] DC0_C0_RP1_VM1/nope.vmdk"})
		toolstest.MustContain(t, msg, "does not exist", "disks in that folder", "Nothing was changed")
		toolstest.MustContain(t, e.Fails("vm_disk_add", map[string]any{"vm": vm, "file": added.Disk.File}), "already attached")
		if after := e.diskKeys(vm); !slices.Equal(before, after) {
			t.Errorf("disks changed: %v -> %v", before, after)
		}
	})

	t.Run("datastore by inventory path; a template is refused", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_C1_RP1_VM1"
		var got DiskChange
		e.OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1, "datastore": "/DC0/datastore/LocalDS_1"}, &got)
		if d := e.disk(vm, got.Disk.Key); d == nil || !strings.HasPrefix(d.Backing.(*types.VirtualDiskFlatVer2BackingInfo).FileName, "[LocalDS_1] ") {
			t.Errorf("disk %+v not on LocalDS_1", got.Disk)
		}
		for _, v := range e.AllVMs("name", "config.template") {
			if v.Config != nil && v.Config.Template && strings.HasPrefix(v.Name, "DC0_") {
				toolstest.MustContain(t, e.Fails("vm_disk_add", map[string]any{"vm": "/DC0/vm/" + v.Name, "size_gb": 1}), "is a template", "vm_mark_vm")
				return
			}
		}
		t.Error("no DC0 template in the demo inventory")
	})

	t.Run("refusals leave the VM as it was", func(t *testing.T) {
		const vm = "/DC0/vm/DC0_C0_RP1_VM3"
		for _, tc := range []struct {
			name string
			args map[string]any
			want []string
		}{
			{"thick larger than the datastore", map[string]any{"size_gb": 60000, "provisioning": "thick"}, []string{"too small", "free of", "LocalDS_1"}},
			{"unknown datastore", map[string]any{"size_gb": 1, "datastore": "nope"}, []string{"has no such datastore", "LocalDS_0 (", "free of"}},
			{"size and file", map[string]any{"size_gb": 1, "file": "[LocalDS_0] x.vmdk"}, []string{"not both"}},
			{"neither", map[string]any{}, []string{"give size_gb"}},
			{"not a vmdk", map[string]any{"file": "[LocalDS_0] x.iso"}, []string{".vmdk"}},
			{"not a datastore path", map[string]any{"file": "x.vmdk"}, []string{"[datastore]"}},
			{"bad provisioning", map[string]any{"size_gb": 1, "provisioning": "fat"}, []string{"thin, thick, eager_zeroed"}},
			{"unknown controller", map[string]any{"size_gb": 1, "controller": "scsi3"}, []string{"no such controller", "SCSI controller 0"}},
			{"controller without disks", map[string]any{"size_gb": 1, "controller": "PCI controller 0"}, []string{"holds no disks"}},
			{"IDE while running", map[string]any{"size_gb": 1, "controller": "ide0"}, []string{"IDE disk can only be added while the VM is off"}},
			{"too big", map[string]any{"size_gb": 70000}, []string{"62 TB"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				before := e.hwDigest(vm)
				args := map[string]any{"vm": vm}
				for k, v := range tc.args {
					args[k] = v
				}
				toolstest.MustContain(t, e.Fails("vm_disk_add", args), tc.want...)
				if after := e.hwDigest(vm); after != before {
					t.Errorf("devices changed:\n%s\n%s", before, after)
				}
			})
		}
	})
}

func TestDiskResize(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newPolicyEnv(t, p, nil)

	t.Run("grow", func(t *testing.T) {
		e := e.at(t)
		const vm = "/DC0/vm/DC0_H0_VM0"
		key := e.diskKeys(vm)[0]
		cur := diskBytes(e.disk(vm, key))
		want := diskGB(cur) + 3
		var got DiskChange
		text := e.OK("vm_disk_resize", map[string]any{"vm": vm, "disk": "Hard disk 1", "size_gb": want}, &got)
		if d := e.disk(vm, key); diskGB(diskBytes(d)) < want-0.01 {
			t.Errorf("disk is %d bytes, want %v GB", diskBytes(d), want)
		}
		if got.Action != "Grew" || got.FromGB != diskGB(cur) {
			t.Errorf("result %+v", got)
		}
		toolstest.MustContain(t, text, "Grew Hard disk 1", "extend them in the guest")
		var again DiskChange
		e.OK("vm_disk_resize", map[string]any{"vm": vm, "disk": fmt.Sprint(key), "size_gb": got.Disk.CapacityGB}, &again)
		if again.Action != "Unchanged" {
			t.Errorf("same size: %+v", again)
		}
	})

	t.Run("refusals leave the disk as it was", func(t *testing.T) {
		const vm = "/DC0/vm/DC0_H0_VM2"
		e := e.at(t)
		key := e.diskKeys(vm)[0]
		cur := diskBytes(e.disk(vm, key))
		toolstest.MustContain(t, e.Fails("vm_disk_resize", map[string]any{"vm": vm, "disk": "scsi0:0", "size_gb": diskGB(cur) / 2}),
			"cannot shrink", fmt.Sprintf("is %s", sizeText(cur)), "Nothing was changed")
		toolstest.MustContain(t, e.Fails("vm_disk_resize", map[string]any{"vm": vm, "disk": "Hard disk 7", "size_gb": 100}), "has no such disk", "Hard disk 1")
		toolstest.MustContain(t, e.Fails("vm_disk_resize", map[string]any{"vm": vm, "disk": "scsi0:0", "size_gb": 100, "snapshot_first": true}), "cannot extend a disk that has a snapshot")
		e.snapshotSim(vm, "before-patch")
		e.snapshotSim(vm, "after-patch")
		toolstest.MustContain(t, e.Fails("vm_disk_resize", map[string]any{"vm": vm, "disk": "scsi0:0", "size_gb": 100}),
			"has 2 snapshot(s)", "before-patch", "snapshot_delete_all", "Nothing was changed")
		if after := diskBytes(e.disk(vm, key)); after != cur {
			t.Errorf("disk changed from %d to %d bytes", cur, after)
		}
	})
}

func TestDiskRemove(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	h := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := newPolicyEnv(t, p, h)
	const vm = "/DC0/vm/DC0_H0_VM0"
	const ds = "/DC0/datastore/LocalDS_0"
	add := func(t *testing.T) DiskChange {
		var got DiskChange
		e.at(t).OK("vm_disk_add", map[string]any{"vm": vm, "size_gb": 1}, &got)
		return got
	}

	t.Run("detach keeps the file", func(t *testing.T) {
		e := e.at(t)
		h.Forget()
		d := add(t)
		var got DiskChange
		text := e.OK("vm_disk_remove", map[string]any{"vm": vm, "disk": d.Disk.Label}, &got)
		if e.disk(vm, d.Disk.Key) != nil {
			t.Fatal("disk still attached")
		}
		if !e.dsFileExists(ds, d.Disk.File) {
			t.Errorf("detach deleted %s", d.Disk.File)
		}
		if len(h.Asked()) != 0 {
			t.Errorf("a detach asked a person: %v", h.Asked())
		}
		toolstest.MustContain(t, text, "Detached", "its file stays", "vm_disk_add with file")
	})

	t.Run("delete_file: declined changes nothing, confirmed deletes the file", func(t *testing.T) {
		e := e.at(t)
		d := add(t)
		h.Forget()
		h.Action, h.Confirm = mcp.ElicitationResponseActionDecline, false
		toolstest.MustContain(t, e.Fails("vm_disk_remove", map[string]any{"vm": vm, "disk": d.Disk.Bus, "delete_file": true}), "did not confirm", "Nothing was changed")
		if e.disk(vm, d.Disk.Key) == nil || !e.dsFileExists(ds, d.Disk.File) {
			t.Fatal("declined, yet the disk or its file is gone")
		}
		asked := h.Asked()
		if len(asked) != 1 {
			t.Fatalf("asked %d questions: %v", len(asked), asked)
		}
		toolstest.MustContain(t, asked[0], "DELETE its file", d.Disk.File, "1 GB")
		h.Action, h.Confirm = mcp.ElicitationResponseActionAccept, true
		var got DiskChange
		e.OK("vm_disk_remove", map[string]any{"vm": vm, "disk": d.Disk.Bus, "delete_file": true}, &got)
		if e.disk(vm, d.Disk.Key) != nil || e.dsFileExists(ds, d.Disk.File) {
			t.Errorf("confirmed delete: disk or file %s still there", d.Disk.File)
		}
		if got.Action != "Deleted" || !got.FileDeleted {
			t.Errorf("result %+v", got)
		}
	})

	t.Run("the boot disk of a running VM is named first", func(t *testing.T) {
		e := e.at(t)
		h.Forget()
		h.Action, h.Confirm = mcp.ElicitationResponseActionDecline, false
		defer func() { h.Action, h.Confirm = mcp.ElicitationResponseActionAccept, true }()
		before := e.diskKeys(vm)
		e.Fails("vm_disk_remove", map[string]any{"vm": vm, "disk": "Hard disk 1", "delete_file": true})
		toolstest.MustContain(t, e.Fails("vm_disk_remove", map[string]any{"vm": vm, "disk": "Hard disk 1"}), "did not confirm")
		if len(h.Asked()) != 2 {
			t.Fatalf("asked %v", h.Asked())
		}
		for _, q := range h.Asked() {
			toolstest.MustContain(t, q, "Hard disk 1 is the boot disk of DC0_H0_VM0, which is running")
		}
		toolstest.MustContain(t, h.Asked()[1], "Detach Hard disk 1")
		if after := e.diskKeys(vm); !slices.Equal(before, after) {
			t.Errorf("disks changed: %v -> %v", before, after)
		}
	})
}
