package vm

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// uploadISO puts a small file on a datastore of DC0 through the simulator's
// /folder endpoint, as an admin would upload an ISO.
func (e *env) uploadISO(ds, path string) {
	e.T.Helper()
	f := find.NewFinder(e.Vim)
	dc, err := f.Datacenter(e.Ctx, "DC0")
	if err != nil {
		e.T.Fatal(err)
	}
	f.SetDatacenter(dc)
	d, err := f.Datastore(e.Ctx, ds)
	if err != nil {
		e.T.Fatal(err)
	}
	p := soap.DefaultUpload
	p.ContentLength = 4
	if err := d.Upload(e.Ctx, strings.NewReader("CD01"), path, &p); err != nil {
		e.T.Fatalf("upload %s: %v", path, err)
	}
}

func TestVMCreateHardware(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	e.uploadISO("LocalDS_0", "iso/tiny.iso")

	var res VMCreateResult
	text := e.OK("vm_create", map[string]any{"name": "hw-01", "cluster": "DC0_C0", "guest_os": "ubuntu64Guest", "firmware": "efi",
		"datastore": "LocalDS_0", "iso": "[LocalDS_0] iso/tiny.iso",
		"disks": []any{
			map[string]any{"size_gb": 10},
			map[string]any{"size_gb": 20, "datastore": "LocalDS_1", "provisioning": "eager_zeroed"},
			map[string]any{"size_gb": 5, "provisioning": "thick"},
		},
		"nics": []any{
			map[string]any{"network": "VM Network"},
			map[string]any{"network": "DC0_DVPG0", "adapter": "e1000e"},
		}}, &res)
	toolstest.MustContain(t, text, "Created VM hw-01", "disks on pvscsi: 10 GB thin on LocalDS_0, 20 GB eager_zeroed on LocalDS_1, 5 GB thick on LocalDS_0",
		"NICs: vmxnet3 on VM Network, e1000e on DC0_DVPG0", "firmware efi", `CD-ROM: "[LocalDS_0] iso/tiny.iso"`)
	if res.Firmware != "efi" || len(res.Disks) != 3 || len(res.NICs) != 2 || res.ISO != "[LocalDS_0] iso/tiny.iso" || res.DiskGB != 10 {
		t.Errorf("result: %+v", res)
	}

	m := e.lcVM("/DC0/vm/hw-01")
	if m.Config.Firmware != "efi" || m.Config.GuestId != "ubuntu64Guest" {
		t.Errorf("firmware %q guest %q, want efi ubuntu64Guest", m.Config.Firmware, m.Config.GuestId)
	}
	type diskWant struct {
		kb          int64
		ds          string
		thin, eager bool
	}
	wantDisks := []diskWant{{10 << 20, "[LocalDS_0]", true, false}, {20 << 20, "[LocalDS_1]", false, true}, {5 << 20, "[LocalDS_0]", false, false}}
	var disks []*types.VirtualDisk
	var vmxnet3 *types.VirtualVmxnet3
	var e1000e *types.VirtualE1000e
	var cdrom *types.VirtualCdrom
	for _, dev := range m.Config.Hardware.Device {
		switch d := dev.(type) {
		case *types.VirtualDisk:
			disks = append(disks, d)
		case *types.VirtualVmxnet3:
			vmxnet3 = d
		case *types.VirtualE1000e:
			e1000e = d
		case *types.VirtualCdrom:
			cdrom = d
		}
	}
	if len(disks) != 3 {
		t.Fatalf("%d disks, want 3", len(disks))
	}
	for i, d := range disks {
		b := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		w := wantDisks[i]
		if d.CapacityInKB != w.kb || !strings.HasPrefix(b.FileName, w.ds) || *b.ThinProvisioned != w.thin || (b.EagerlyScrub != nil && *b.EagerlyScrub) != w.eager {
			t.Errorf("disk %d: %d KB, file %s, thin %v, eager %v; want %+v", i, d.CapacityInKB, b.FileName, *b.ThinProvisioned, b.EagerlyScrub, w)
		}
	}
	if vmxnet3 == nil || vmxnet3.Backing.(*types.VirtualEthernetCardNetworkBackingInfo).DeviceName != "VM Network" {
		t.Errorf("vmxnet3 NIC on VM Network: %+v", vmxnet3)
	}
	if e1000e == nil {
		t.Error("no e1000e NIC")
	} else if _, ok := e1000e.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); !ok {
		t.Errorf("e1000e backing %T, want the distributed port group", e1000e.Backing)
	}
	if cdrom == nil {
		t.Fatal("no CD-ROM")
	}
	if b, ok := cdrom.Backing.(*types.VirtualCdromIsoBackingInfo); !ok || b.FileName != "[LocalDS_0] iso/tiny.iso" || !cdrom.Connectable.StartConnected {
		t.Errorf("CD-ROM backing %#v, connectable %+v", cdrom.Backing, cdrom.Connectable)
	}

	// Wrong calls are refused before anything is created.
	before := len(e.AllVMs("name"))
	for _, tc := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"guest_os": "ubuntu64"}, []string{`guest_os "ubuntu64" is not a guest OS ID that cluster DC0_C0 supports`, "did you mean ubuntu64Guest"}},
		{map[string]any{"guest_os": "Windows2019srv_64Guest"}, []string{"did you mean windows2019srv_64Guest"}},
		{map[string]any{"iso": "[LocalDS_0] iso/missing.iso"}, []string{`iso "[LocalDS_0] iso/missing.iso": no such file on datastore LocalDS_0`, "datastore_browse"}},
		{map[string]any{"iso": "[NoSuchDS] a.iso"}, []string{"iso: datastore NoSuchDS is not mounted on cluster DC0_C0", "LocalDS_0"}},
		{map[string]any{"iso": "iso/tiny.iso"}, []string{"write it as [datastore] path/file.iso"}},
		{map[string]any{"iso": "[LocalDS_0] iso/tiny.img"}, []string{"does not name an .iso file"}},
		{map[string]any{"disk_gb": 10, "disks": []any{map[string]any{"size_gb": 10}}}, []string{"pass disk_gb or disks, not both"}},
		{map[string]any{"disks": []any{map[string]any{"size_gb": 0}}}, []string{"disks[0].size_gb must be between 1"}},
		{map[string]any{"disks": []any{map[string]any{"size_gb": 1, "datastore": "/DC1/datastore/LocalDS_0"}}}, []string{"disks[0]: datastore /DC1/datastore/LocalDS_0 is not mounted on cluster DC0_C0"}},
		{map[string]any{"nics": []any{map[string]any{"network": "DC1_DVPG0"}}}, []string{"nics[0]: network /DC1/network/DC1_DVPG0 is not available"}},
	} {
		args := map[string]any{"name": "bad", "cluster": "DC0_C0"}
		for k, v := range tc.args {
			args[k] = v
		}
		toolstest.MustContain(t, e.Fails("vm_create", args), tc.want...)
	}
	// Enum violations are caught by the input schema.
	for _, args := range []map[string]any{
		{"name": "bad", "cluster": "DC0_C0", "firmware": "uefi"},
		{"name": "bad", "cluster": "DC0_C0", "nics": []any{map[string]any{"adapter": "rtl8139"}}},
		{"name": "bad", "cluster": "DC0_C0", "disks": []any{map[string]any{"size_gb": 1, "provisioning": "lazy"}}},
	} {
		if res := e.Call("vm_create", args); !res.IsError {
			t.Errorf("vm_create(%v) accepted", args)
		}
	}
	if after := len(e.AllVMs("name")); after != before {
		t.Errorf("refused creates left %d new VMs", after-before)
	}
}

// TestVMCreateDefaults: the placement defaults fill what the call leaves
// out, an argument wins over them, and a default that names nothing says
// it is the default.
func TestVMCreateDefaults(t *testing.T) {
	t.Parallel()
	defs := vcenter.Defaults{Cluster: "DC0_C1", Datastore: "LocalDS_0", Network: "DC0_DVPG1", Folder: "/DC0/vm"}
	e := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, "admin", nil, nil), Defaults: defs})}

	var res VMCreateResult
	text := e.OK("vm_create", map[string]any{"name": "d-01"}, &res)
	toolstest.MustContain(t, text, `default: placement cluster "DC0_C1": the placement defaults`, `default: datastore "LocalDS_0": the placement default`,
		`default: network "DC0_DVPG1": the placement default`, `default: folder "/DC0/vm": the placement default`)
	m := e.lcVM("/DC0/vm/d-01")
	if h := e.lcName(m.Runtime.Host); !strings.HasPrefix(h, "DC0_C1_") || e.lcName(&m.Datastore[0]) != "LocalDS_0" {
		t.Errorf("d-01 on host %s datastore %s, want DC0_C1 and LocalDS_0", h, e.lcName(&m.Datastore[0]))
	}
	for _, dev := range m.Config.Hardware.Device {
		if n, ok := dev.(*types.VirtualVmxnet3); ok {
			if _, ok := n.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); !ok {
				t.Errorf("NIC backing %T, want DC0_DVPG1", n.Backing)
			}
		}
	}

	// Arguments win.
	text = e.OK("vm_create", map[string]any{"name": "d-02", "cluster": "DC0_C0", "datastore": "LocalDS_1", "network": "VM Network"}, &res)
	if strings.Contains(text, "datastore \"LocalDS_0\"") || strings.Contains(text, "network \"DC0_DVPG1\"") || strings.Contains(text, "cluster \"DC0_C1\"") {
		t.Errorf("defaults reported though every argument was given:\n%s", text)
	}
	if m := e.lcVM("/DC0/vm/d-02"); e.lcName(&m.Datastore[0]) != "LocalDS_1" || !strings.HasPrefix(e.lcName(m.Runtime.Host), "DC0_C0_") {
		t.Errorf("d-02 on %s, %s", e.lcName(m.Runtime.Host), e.lcName(&m.Datastore[0]))
	}

	// vm_clone takes them too.
	text = e.OK("vm_clone", map[string]any{"vm": "/DC0/vm/DC0_C0_RP1_VM2", "name": "d-clone"}, nil)
	toolstest.MustContain(t, text, `default: placement cluster "DC0_C1": the placement defaults`, `default: datastore "LocalDS_0": the placement default`)
	if m := e.lcVM("/DC0/vm/d-clone"); e.InventoryPath(*m.ResourcePool) != "/DC0/host/DC0_C1/Resources" || e.lcName(&m.Datastore[0]) != "LocalDS_0" {
		t.Errorf("clone in pool %s on %s, want DC0_C1's and LocalDS_0", e.InventoryPath(*m.ResourcePool), e.lcName(&m.Datastore[0]))
	}

	// Defaults that name nothing, or a datacenter that narrows the search.
	before := len(e.AllVMs("name"))
	for _, tc := range []struct {
		defs vcenter.Defaults
		want []string
	}{
		{vcenter.Defaults{Datastore: "NoSuchDS", Cluster: "DC0_C0"}, []string{"the default datastore (placement defaults)", "NoSuchDS", "pass datastore"}},
		{vcenter.Defaults{Network: "DC1_DVPG0", Cluster: "DC0_C0"}, []string{"the default network (placement defaults)", "not available on cluster DC0_C0"}},
		{vcenter.Defaults{Cluster: "nope"}, []string{"the default placement (placement defaults)", `"nope"`}},
		{vcenter.Defaults{Folder: "/DC0/vm/none", Cluster: "DC0_C0"}, []string{"the default folder (placement defaults)"}},
		{vcenter.Defaults{Datacenter: "DC1"}, []string{"/DC1 has", "no default placement", "/DC1/host/"}},
	} {
		c := e.Connect(toolstest.Options{Policy: toolstest.Policy(t, "admin", nil, nil), Defaults: tc.defs})
		sub := &env{&toolstest.Env{T: t, Ctx: e.Ctx, Sim: e.Sim, Session: e.Session, Client: c, Vim: e.Vim, Tools: e.Tools}}
		text := sub.Fails("vm_create", map[string]any{"name": "bad"})
		toolstest.MustContain(t, text, tc.want...)
		if strings.Contains(text, "/DC0/host") && tc.defs.Datacenter != "" {
			t.Errorf("datacenter default DC1 lists DC0's compute: %s", text)
		}
	}
	if after := len(e.AllVMs("name")); after != before {
		t.Errorf("refused creates left %d new VMs", after-before)
	}
}
