package datastore

import (
	"testing"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
)

// TestEntryOf: browser results become rows the way vCenter sends them:
// a disk with its capacity (the simulator sends none), folder paths in
// both spellings.
func TestEntryOf(t *testing.T) {
	t.Parallel()
	dir := folderOf("[ds1] vms/web", "ds1")
	if dir.String() != "[ds1] vms/web" {
		t.Fatalf("folder %s", dir)
	}
	if d := folderOf("[ds1]/vms/web/sub", "ds1"); d.Path != "vms/web/sub" {
		t.Fatalf("simulator folder %s", d)
	}
	if d := folderOf("garbage", "ds1"); d.String() != "[ds1]" {
		t.Fatalf("bad folder path %s", d)
	}
	thin := true
	disk := entryOf(dir, &types.VmDiskFileInfo{FileInfo: types.FileInfo{Path: "web.vmdk", FileSize: 5 << 30}, CapacityKb: 40 << 20, Thin: &thin})
	if disk.Type != typeDisk || disk.Provisioned != 40<<30 || disk.Size != 5<<30 || disk.Path.String() != "[ds1] vms/web/web.vmdk" || disk.Thin == nil {
		t.Fatalf("disk %+v", disk)
	}
	for name, want := range map[string]string{
		"web-000001.vmdk": typeSnapshot, "web-000001-delta.vmdk": typeSnapshot, "web-000002-sesparse.vmdk": typeSnapshot,
		"web.vmdk": typeDisk, "web-flat.vmdk": typeDisk, "a.ISO": typeISO, "web.vmx": typeVMConfig, "vmware.log": typeLog,
		"web.nvram": typeNvram, "web.vmsn": typeSnapshot, "boot.flp": typeFloppy, "web.vswp": typeOther, "notes": typeOther,
	} {
		if got := entryOf(dir, &types.FileInfo{Path: name}).Type; got != want {
			t.Errorf("%s: type %s, want %s", name, got, want)
		}
	}
	for name, want := range map[string]string{"web.vswp": "swap", "vmx-web-1.vswp": "swap", "vmware-2.log": "logs", "web-flat.vmdk": "disks",
		"web-000001-delta.vmdk": "snapshots", "web.vmem": "snapshots", "web.vmx": "other"} {
		if got := usageCategory(name); got != want {
			t.Errorf("%s: category %s, want %s", name, got, want)
		}
	}
	if !isDiskDescriptor(params.DatastorePath{Datastore: "d", Path: "a/b.vmdk"}) || isDiskDescriptor(params.DatastorePath{Datastore: "d", Path: "a/b-flat.vmdk"}) {
		t.Error("isDiskDescriptor")
	}
}
