package library

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vmware/govmomi/find"
	vapivc "github.com/vmware/govmomi/vapi/vcenter"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestLibraryUploadListDeploy(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	m := e.vapi()
	libID := e.newLibrary(m, "images")
	e.newLibrary(m, "empty")
	ova := writeOVA(t, e.dir, "appliance.ova")
	iso := filepath.Join(e.dir, "tools.iso")
	if err := os.WriteFile(iso, make([]byte, 300<<10), 0o600); err != nil {
		t.Fatal(err)
	}

	var up LibraryItemUploadResult
	text := e.OK("library_item_upload", map[string]any{"local_path": ova, "library": "images", "name": "appliance"}, &up)
	toolstest.MustContain(t, text, "Uploaded ovf item appliance", "library images")
	if up.Type != "ovf" || len(up.Files) != 2 || up.ID == "" {
		t.Errorf("upload %+v", up)
	}
	e.OK("library_item_upload", map[string]any{"local_path": iso, "library": "images", "name": "tools"}, &up)
	if up.Type != "iso" || up.SizeBytes != 300<<10 {
		t.Errorf("iso upload %+v", up)
	}
	// The items, read back through the vAPI.
	items, err := m.GetLibraryItems(e.Ctx, libID)
	if err != nil || len(items) != 2 {
		t.Fatalf("items %+v %v", items, err)
	}
	for _, it := range items {
		files, err := m.ListLibraryItemFiles(e.Ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"appliance": 2, "tools": 1}[it.Name]
		if len(files) != want {
			t.Errorf("item %s has %d files, want %d", it.Name, len(files), want)
		}
	}

	var libs LibraryListResult
	text = e.OK("library_list", nil, &libs)
	if libs.Total != 2 || libs.Libraries[1].Name != "images" || libs.Libraries[1].Items != 2 || libs.Libraries[1].Type != "local" || libs.Libraries[1].Storage[0] != "LocalDS_0" {
		t.Errorf("libraries %+v", libs)
	}
	toolstest.MustContain(t, text, "2 content libraries", "images")

	var page LibraryItemListResult
	e.OK("library_item_list", map[string]any{"library": "images", "limit": 1}, &page)
	if page.Total != 2 || len(page.Items) != 1 || page.Items[0].Name != "appliance" || page.Items[0].Type != "ovf" || page.Items[0].SizeBytes == 0 || page.NextCursor == "" {
		t.Fatalf("page 1 %+v", page)
	}
	next := page.NextCursor
	page = LibraryItemListResult{}
	e.OK("library_item_list", map[string]any{"library": "images", "limit": 1, "cursor": next}, &page)
	if len(page.Items) != 1 || page.Items[0].Name != "tools" || page.Items[0].Type != "iso" || page.NextCursor != "" {
		t.Errorf("page 2 %+v", page)
	}

	// Deploy the OVF item, with its properties checked first.
	toolstest.MustContain(t, e.Fails("library_deploy", map[string]any{"library": "images", "item": "appliance", "name": "lib-01", "cluster": cluster,
		"properties": map[string]any{"port": "x"}, "accept_eula": true}), "uint16")
	toolstest.MustContain(t, e.Fails("library_deploy", map[string]any{"library": "images", "item": "appliance", "name": "lib-01", "cluster": cluster}), "EULA")
	if e.Exists("/DC0/vm/lib-01") {
		t.Fatal("a refused deploy made a VM")
	}
	var dep LibraryDeployResult
	text = e.OK("library_deploy", map[string]any{"library": "images", "item": "appliance", "name": "lib-01", "cluster": cluster, "accept_eula": true,
		"network_mapping": map[string]any{"Management": "DC0_DVPG0"}, "properties": map[string]any{"ip0": "10.1.2.3"}, "power_on": true}, &dep)
	toolstest.MustContain(t, text, "Deployed VM lib-01", "from library images item appliance", "network Management → DC0_DVPG0")
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, "/DC0/vm/lib-01")
	if err != nil {
		t.Fatal(err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"config.hardware", "config.vAppConfig", "runtime.powerState"}, &mvm); err != nil {
		t.Fatal(err)
	}
	if mvm.Config.Hardware.NumCPU != 2 || mvm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || dep.ID != vm.Reference().Value {
		t.Errorf("deployed %d CPU %s, result %+v", mvm.Config.Hardware.NumCPU, mvm.Runtime.PowerState, dep)
	}
	vals := map[string]string{}
	for _, pr := range mvm.Config.VAppConfig.(*types.VmConfigInfo).Property {
		vals[pr.Id] = pr.Value
	}
	if vals["ip0"] != "10.1.2.3" {
		t.Errorf("vApp properties %v", vals)
	}

	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"library_item_list", map[string]any{"library": "nope"}, "no content library"},
		{"library_item_list", map[string]any{"library": "images", "cursor": "x"}, "cursor"},
		{"library_deploy", map[string]any{"library": "images", "item": "tools", "name": "x", "cluster": cluster}, "only OVF and vm-template items"},
		{"library_deploy", map[string]any{"library": "images", "item": "nope", "name": "x"}, "has no item"},
		{"library_item_upload", map[string]any{"local_path": ova, "library": "images", "name": "appliance"}, "already has an item"},
		{"library_item_upload", map[string]any{"local_path": "/etc/hosts.iso", "library": "images", "name": "h"}, "local_files"},
		{"library_item_upload", map[string]any{"local_path": filepath.Join(e.dir, "x.txt"), "library": "images", "name": "h"}, ".iso"},
	} {
		t.Run(tc.tool+" "+tc.want, func(t *testing.T) {
			toolstest.MustContain(t, e.at(t).Fails(tc.tool, tc.args), tc.want)
		})
	}
	if items, _ := m.GetLibraryItems(e.Ctx, libID); len(items) != 2 {
		t.Errorf("refusals changed the library: %d items", len(items))
	}
}

// TestProtected: uploading onto a protected datastore, or deploying into a
// protected folder, is refused before anything changes.
func TestProtected(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"guarded": {Inherits: "vm-admin", Protect: []string{"/DC0/datastore/LocalDS_0", "/DC0/vm/locked"}}}
	p := toolstest.Policy(t, "guarded", custom, nil)
	e := newEnv(t, p, nil)
	m := e.vapi()
	libID := e.newLibrary(m, "images")
	ova := writeOVA(t, e.dir, "appliance.ova")
	toolstest.MustContain(t, e.Fails("library_item_upload", map[string]any{"local_path": ova, "library": "images", "name": "appliance"}), "is protected by policy")
	if items, _ := m.GetLibraryItems(e.Ctx, libID); len(items) != 0 {
		t.Fatalf("a refused upload made %d items", len(items))
	}
	toolstest.MustContain(t, e.Fails("library_deploy", map[string]any{"library": "images", "item": "nope", "name": "x", "cluster": cluster}), "has no item")
}

func TestLibraryDeployTemplate(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	m := e.vapi()
	libID := e.newLibrary(m, "templates")
	src, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, "/DC0/vm/DC0_C0_RP1_VM2")
	if err != nil {
		t.Fatal(err)
	}
	fnd := find.NewFinder(e.Vim)
	folder, err := fnd.Folder(e.Ctx, "/DC0/vm")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := fnd.ResourcePool(e.Ctx, "/DC0/host/DC0_C0/Resources")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vapivc.NewManager(m.Client).CreateTemplate(e.Ctx, vapivc.Template{Name: "photon-5", Library: libID, SourceVM: src.Reference().Value,
		Placement: &vapivc.Placement{Folder: folder.Reference().Value, ResourcePool: pool.Reference().Value}}); err != nil {
		t.Fatal(err)
	}
	var page LibraryItemListResult
	e.OK("library_item_list", map[string]any{"library": "templates"}, &page)
	if len(page.Items) != 1 || page.Items[0].Type != "vm-template" {
		t.Fatalf("items %+v", page.Items)
	}
	toolstest.MustContain(t, e.Fails("library_deploy", map[string]any{"library": "templates", "item": "photon-5", "name": "web-07", "cluster": cluster,
		"properties": map[string]any{"a": "b"}}), "takes no properties")
	var dep LibraryDeployResult
	// (vcsim's deployed copy stays a template, which cannot be powered
	// on; vCenter deploys a VM.)
	e.OK("library_deploy", map[string]any{"library": "templates", "item": "photon-5", "name": "web-07", "cluster": cluster}, &dep)
	if dep.Path != "/DC0/vm/web-07" || !e.Exists("/DC0/vm/web-07") {
		t.Errorf("deployed %+v", dep)
	}
}

// TestLibraryUploadFailureLeavesNoItem: an upload vCenter refuses (here a
// disk that is not a VMDK) removes the half-made item.
func TestLibraryUploadFailureLeavesNoItem(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	m := e.vapi()
	libID := e.newLibrary(m, "images")
	dir := e.dir
	if err := os.WriteFile(filepath.Join(dir, "appliance-disk1.vmdk"), make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "appliance.ovf"), []byte(fmt.Sprintf(appliance, 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	text := e.Fails("library_item_upload", map[string]any{"local_path": filepath.Join(dir, "appliance.ovf"), "library": "images", "name": "broken"})
	toolstest.MustContain(t, text, "the half-made item was removed")
	if items, err := m.GetLibraryItems(e.Ctx, libID); err != nil || len(items) != 0 {
		t.Errorf("items left: %+v %v", items, err)
	}
}
