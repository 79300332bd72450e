package device

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// newDoorEnv starts a vm-admin server on a simulator whose VMs' guests
// can lock their CD-ROM doors (all VMs powered on), with two ISOs in
// [LocalDS_0] iso/ of DC0.
func newDoorEnv(t *testing.T) (*env, *doorLocks) {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	locks := installDoorLocks(m)
	e := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, "vm-admin", nil, nil)}, m)}
	for _, ds := range toolstest.RetrieveIn[mo.Datastore](e.Env, e.DatacenterRef("DC0"), "Datastore", "name", "info") {
		if ds.Name != "LocalDS_0" {
			continue
		}
		dir := filepath.Join(ds.Info.GetDatastoreInfo().Url, "iso")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"ubuntu.iso", "debian.iso", "notes.txt"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("iso"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return e, locks
}

// cdrom reads the VM's first CD/DVD drive (or the one with key) through govmomi.
func (e *env) cdrom(vm string, key int32) *types.VirtualCdrom {
	e.T.Helper()
	for _, in := range e.devices(vm).OfKind(params.KindCDROM) {
		if key == 0 || in.Key == key {
			return e.devices(vm).List.FindByKey(in.Key).(*types.VirtualCdrom)
		}
	}
	return nil
}

func (e *env) question(vm string) *types.VirtualMachineQuestionInfo {
	e.T.Helper()
	var m mo.VirtualMachine
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, e.VMRef(vm), []string{"runtime.question"}, &m); err != nil {
		e.T.Fatal(err)
	}
	return m.Runtime.Question
}

func TestCdrom(t *testing.T) {
	t.Parallel()
	e, locks := newDoorEnv(t)
	const iso = "[LocalDS_0] iso/ubuntu.iso"

	t.Run("insert into the first drive, read back", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_cdrom_insert", map[string]any{"vm": runVM, "iso": iso}, &got)
		cd := e.cdrom(runVM, got.Device.Key)
		b, ok := cd.Backing.(*types.VirtualCdromIsoBackingInfo)
		if !ok || b.FileName != iso || !cd.Connectable.Connected || !cd.Connectable.StartConnected {
			t.Fatalf("drive %+v backing %+v", cd.Connectable, cd.Backing)
		}
		toolstest.MustContain(t, text, "Inserted CD/DVD drive 1", iso)
	})
	t.Run("refusals leave the drive as it was", func(t *testing.T) {
		for _, tc := range []struct{ iso, want string }{
			{"[LocalDS_0] iso/fedora.iso", `the ISOs in "[LocalDS_0] iso": debian.iso, ubuntu.iso`},
			{"[LocalDS_0] nope/fedora.iso", "does not exist"},
			{"[NoSuchDS] iso/ubuntu.iso", "not in datacenter DC0, the VM's own; its datastores: LocalDS_0, LocalDS_1"},
			{"[LocalDS_0] iso/notes.txt", "not an .iso file"},
			{"LocalDS_0/iso/ubuntu.iso", "does not start with [datastore]"},
			{"[LocalDS_0] ../etc/x.iso", "climbs out"},
		} {
			toolstest.MustContain(t, e.at(t).Fails("vm_cdrom_insert", map[string]any{"vm": runVM, "iso": tc.iso}), tc.want)
		}
		toolstest.MustContain(t, e.at(t).Fails("vm_cdrom_insert", map[string]any{"vm": runVM, "iso": iso, "cdrom": "CD/DVD drive 7"}), "has no such cdrom", "CD/DVD drive 1 (key")
		if b := e.cdrom(runVM, 0).Backing.(*types.VirtualCdromIsoBackingInfo); b.FileName != iso {
			t.Errorf("backing now %s", b.FileName)
		}
	})
	t.Run("another ISO into a locked drive: answered No, the drive keeps its ISO", func(t *testing.T) {
		locks.lock(e.VMRef(runVM))
		text := e.at(t).Fails("vm_cdrom_insert", map[string]any{"vm": runVM, "iso": "[LocalDS_0] iso/debian.iso"})
		toolstest.MustContain(t, text, "locked the door", "answered No", "force: true")
		if b, ok := e.cdrom(runVM, 0).Backing.(*types.VirtualCdromIsoBackingInfo); !ok || b.FileName != iso {
			t.Errorf("drive changed: %+v", e.cdrom(runVM, 0).Backing)
		}
	})
	t.Run("locked door, no force: answered No, the ISO stays, nothing pending", func(t *testing.T) {
		text := e.at(t).Fails("vm_cdrom_eject", map[string]any{"vm": runVM})
		toolstest.MustContain(t, text, "locked the door", "answered No", "force: true")
		if b, ok := e.cdrom(runVM, 0).Backing.(*types.VirtualCdromIsoBackingInfo); !ok || b.FileName != iso || !e.cdrom(runVM, 0).Connectable.Connected {
			t.Errorf("drive changed: %+v", e.cdrom(runVM, 0).Backing)
		}
		if q := e.question(runVM); q != nil {
			t.Errorf("question left pending: %+v", q)
		}
	})
	t.Run("locked door, force: answered Yes, ejected", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_cdrom_eject", map[string]any{"vm": runVM, "force": true}, &got)
		cd := e.cdrom(runVM, 0)
		if _, ok := cd.Backing.(*types.VirtualCdromIsoBackingInfo); ok || cd.Connectable.Connected {
			t.Fatalf("still inserted: %+v %+v", cd.Backing, cd.Connectable)
		}
		if e.question(runVM) != nil {
			t.Error("question left pending")
		}
		if info := e.TaskInfo(got.Task); info.State != types.TaskInfoStateSuccess {
			t.Errorf("task %s: %s", got.Task, info.State)
		}
		toolstest.MustContain(t, text, "Ejected", `ISO: "[LocalDS_0] iso/ubuntu.iso" → none`, "answered Yes")
	})
	t.Run("eject again: nothing to do", func(t *testing.T) {
		var got DeviceEdit
		e.at(t).OK("vm_cdrom_eject", map[string]any{"vm": runVM}, &got)
		if got.Action != "unchanged" {
			t.Errorf("result %+v", got)
		}
	})
	t.Run("a VM without a drive gets one on IDE when off; refused while running without SATA", func(t *testing.T) {
		const vm = "/DC0/vm/DC0_H0_VM1"
		o := object.NewVirtualMachine(e.Vim, e.VMRef(vm))
		cd := e.cdrom(vm, 0)
		if err := o.RemoveDevice(e.Ctx, false, cd); err != nil {
			t.Fatal(err)
		}
		toolstest.MustContain(t, e.at(t).Fails("vm_cdrom_insert", map[string]any{"vm": vm, "iso": iso}), "no SATA controller with a free unit", "power it off")
		if e.cdrom(vm, 0) != nil {
			t.Fatal("refused insert added a drive")
		}
		task, err := o.PowerOff(e.Ctx)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		var got DeviceEdit
		text := e.at(t).OK("vm_cdrom_insert", map[string]any{"vm": vm, "iso": "[LocalDS_0] iso/debian.iso"}, &got)
		cd = e.cdrom(vm, 0)
		if cd == nil {
			t.Fatal("no drive added")
		}
		b, ok := cd.Backing.(*types.VirtualCdromIsoBackingInfo)
		if !ok || b.FileName != "[LocalDS_0] iso/debian.iso" || !cd.Connectable.StartConnected || !strings.HasPrefix(got.Device.Bus, "ide") {
			t.Errorf("drive %+v backing %+v, result %+v", cd.Connectable, cd.Backing, got.Device)
		}
		toolstest.MustContain(t, text, "added one on IDE", "connects when it powers on")
	})
}
