package inventory

import (
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	clusterts "github.com/vsphere-mcp/vsphere-mcp/tools/cluster"
	datastorets "github.com/vsphere-mcp/vsphere-mcp/tools/datastore"
	hostts "github.com/vsphere-mcp/vsphere-mcp/tools/host"
	networkts "github.com/vsphere-mcp/vsphere-mcp/tools/network"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	vmts "github.com/vsphere-mcp/vsphere-mcp/tools/vm"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TestInventoryTools runs the inventory tools' tests on one demo simulator:
// building one costs seconds, and every check compares with what govmomi
// reads at that moment. The read-only checks run first; those that change
// the inventory (a folder, a cluster's HA, a datastore, a pool, a template)
// touch only what their own tool shows, and the summary is checked again
// at the end, on the changed inventory.
func TestInventoryTools(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *env)
	}{
		{"vcenter_info", testVCenterInfo},
		{"inventory_summary", testInventorySummary},
		{"datacenter_list", testDatacenterList},
		{"folder_list", testFolderList},
		{"resource_pool_list", testResourcePoolList},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, e.at(t)) })
	}
	t.Run("inventory_summary after changes", func(t *testing.T) {
		e := e.at(t)
		var got InventorySummary
		e.OK("inventory_summary", nil, &got)
		compareSummary(t, got.Rows, expectedSummary(e, ""))
	})
}

func testVCenterInfo(t *testing.T, e *env) {
	var got VCenterInfo
	text := e.OK("vcenter_info", nil, &got)
	about := e.Vim.ServiceContent.About
	us, err := session.NewManager(e.Vim).UserSession(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := VCenterInfo{
		Product: about.Name, FullName: about.FullName, Version: about.Version, Build: about.Build,
		APIType: "VirtualCenter", APIVersion: about.ApiVersion, InstanceUUID: about.InstanceUuid,
		User: us.UserName, URL: e.Sim.Config.URL,
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if about.InstanceUuid == "" || got.Build == "" {
		t.Error("the simulator reports no instance UUID or build; the comparison proves nothing")
	}
	toolstest.MustContain(t, text, about.FullName, "api: VirtualCenter", about.InstanceUuid, "user: "+us.UserName)
	if strings.Contains(text, e.Sim.Config.Password) {
		t.Error("vcenter_info shows the password")
	}
	toolstest.MustContain(t, e.Fails("vcenter_info", map[string]any{"verbose": true}), `unknown argument "verbose"`)
}

// expectedSummary computes inventory_summary's rows from the simulator,
// independently of the tool: per datacenter through govmomi's views, per
// cluster through each cluster's host list.
func expectedSummary(e *env, dcFilter string) []SummaryRow {
	e.T.Helper()
	dcs := toolstest.RetrieveAll[mo.Datacenter](e.Env, "Datacenter", "name")
	sort.Slice(dcs, func(i, j int) bool { return dcs[i].Self.Value < dcs[j].Self.Value })
	total := SummaryRow{Scope: "total", Name: "total"}
	var rows []SummaryRow
	type acc struct{ cpuU, cpuT, memU, memT, stU, stT int64 }
	add := func(r *SummaryRow, a acc) {
		r.CPUUsedMHz += a.cpuU
		r.CPUTotalMHz += a.cpuT
		r.MemoryUsedGB = toolstest.GiB(a.memU << 20)
		r.MemoryTotalGB = toolstest.GiB(a.memT)
		r.StorageUsedGB = toolstest.GiB(a.stU)
		r.StorageTotalGB = toolstest.GiB(a.stT)
	}
	var all acc
	for _, dc := range dcs {
		if dcFilter != "" && dc.Name != dcFilter {
			continue
		}
		total.Datacenters++
		row := SummaryRow{Scope: "datacenter", Name: dc.Name, ID: dc.Self.Value}
		hosts := toolstest.RetrieveIn[mo.HostSystem](e.Env, dc.Self, "HostSystem", "summary", "parent")
		vms := toolstest.RetrieveIn[mo.VirtualMachine](e.Env, dc.Self, "VirtualMachine", "runtime.powerState", "config.template", "runtime.host")
		dss := toolstest.RetrieveIn[mo.Datastore](e.Env, dc.Self, "Datastore", "summary")
		nets := toolstest.RetrieveIn[mo.Network](e.Env, dc.Self, "Network", "name")
		clusters := toolstest.RetrieveIn[mo.ClusterComputeResource](e.Env, dc.Self, "ClusterComputeResource", "name", "host", "datastore", "network")
		count := func(r *SummaryRow, vm mo.VirtualMachine) {
			switch {
			case vm.Config != nil && vm.Config.Template:
				r.Templates++
			case vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn:
				r.VMs++
				r.PoweredOn++
			case vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff:
				r.VMs++
				r.PoweredOff++
			case vm.Runtime.PowerState == types.VirtualMachinePowerStateSuspended:
				r.VMs++
				r.Suspended++
			}
		}
		hostUsage := func(h mo.HostSystem) acc {
			hw := h.Summary.Hardware
			return acc{cpuU: int64(h.Summary.QuickStats.OverallCpuUsage), cpuT: int64(hw.CpuMhz) * int64(hw.NumCpuCores),
				memU: int64(h.Summary.QuickStats.OverallMemoryUsage), memT: hw.MemorySize}
		}
		var dcAcc acc
		for _, h := range hosts {
			u := hostUsage(h)
			dcAcc.cpuU, dcAcc.cpuT, dcAcc.memU, dcAcc.memT = dcAcc.cpuU+u.cpuU, dcAcc.cpuT+u.cpuT, dcAcc.memU+u.memU, dcAcc.memT+u.memT
		}
		dsUse := map[types.ManagedObjectReference][2]int64{}
		for _, ds := range dss {
			dsUse[ds.Self] = [2]int64{ds.Summary.Capacity - ds.Summary.FreeSpace, ds.Summary.Capacity}
			dcAcc.stU += ds.Summary.Capacity - ds.Summary.FreeSpace
			dcAcc.stT += ds.Summary.Capacity
		}
		for _, vm := range vms {
			count(&row, vm)
		}
		row.Clusters, row.Hosts, row.Datastores, row.Networks = len(clusters), len(hosts), len(dss), len(nets)
		add(&row, dcAcc)
		rows = append(rows, row)
		for _, cl := range clusters {
			cr := SummaryRow{Scope: "cluster", Name: cl.Name, ID: cl.Self.Value, Datacenter: dc.Name,
				Hosts: len(cl.Host), Datastores: len(cl.Datastore), Networks: len(uniq(cl.Network))}
			var a acc
			for _, h := range hosts {
				if slices.Contains(cl.Host, h.Self) {
					u := hostUsage(h)
					a.cpuU, a.cpuT, a.memU, a.memT = a.cpuU+u.cpuU, a.cpuT+u.cpuT, a.memU+u.memU, a.memT+u.memT
				}
			}
			for _, ds := range cl.Datastore {
				a.stU += dsUse[ds][0]
				a.stT += dsUse[ds][1]
			}
			for _, vm := range vms {
				if vm.Runtime.Host != nil && slices.Contains(cl.Host, *vm.Runtime.Host) {
					count(&cr, vm)
				}
			}
			add(&cr, a)
			rows = append(rows, cr)
		}
		total.Clusters += row.Clusters
		total.Hosts += row.Hosts
		total.VMs += row.VMs
		total.PoweredOn += row.PoweredOn
		total.PoweredOff += row.PoweredOff
		total.Suspended += row.Suspended
		total.Templates += row.Templates
		total.Datastores += row.Datastores
		total.Networks += row.Networks
		all.cpuU, all.cpuT, all.memU, all.memT = all.cpuU+dcAcc.cpuU, all.cpuT+dcAcc.cpuT, all.memU+dcAcc.memU, all.memT+dcAcc.memT
		all.stU, all.stT = all.stU+dcAcc.stU, all.stT+dcAcc.stT
	}
	add(&total, all)
	return append([]SummaryRow{total}, rows...)
}

func uniq(refs []types.ManagedObjectReference) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	for _, r := range refs {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func compareSummary(t *testing.T, got, want []SummaryRow) {
	t.Helper()
	key := func(r SummaryRow) string { return r.Scope + "/" + r.Datacenter + "/" + r.Name }
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	wantBy := map[string]SummaryRow{}
	for _, r := range want {
		wantBy[key(r)] = r
	}
	for _, g := range got {
		w, ok := wantBy[key(g)]
		if !ok {
			t.Errorf("unexpected row %+v", g)
			continue
		}
		gg, ww := g, w
		gg.MemoryUsedGB, gg.MemoryTotalGB, gg.StorageUsedGB, gg.StorageTotalGB = 0, 0, 0, 0
		ww.MemoryUsedGB, ww.MemoryTotalGB, ww.StorageUsedGB, ww.StorageTotalGB = 0, 0, 0, 0
		if gg != ww || !toolstest.Near(g.MemoryUsedGB, w.MemoryUsedGB) || !toolstest.Near(g.MemoryTotalGB, w.MemoryTotalGB) ||
			!toolstest.Near(g.StorageUsedGB, w.StorageUsedGB) || !toolstest.Near(g.StorageTotalGB, w.StorageTotalGB) {
			t.Errorf("row %s:\n got %+v\nwant %+v", key(g), g, w)
		}
	}
}

func testInventorySummary(t *testing.T, e *env) {
	t.Run("whole inventory", func(t *testing.T) {
		e := e.at(t)
		var got InventorySummary
		text := e.OK("inventory_summary", nil, &got)
		want := expectedSummary(e, "")
		compareSummary(t, got.Rows, want)
		// The demo model has something in every column.
		tot := got.Rows[0]
		if tot.Datacenters != 2 || tot.Clusters != 4 || tot.PoweredOn == 0 || tot.PoweredOff == 0 || tot.Suspended == 0 ||
			tot.Templates == 0 || tot.CPUTotalMHz == 0 || tot.StorageUsedGB == 0 || tot.Networks == 0 {
			t.Errorf("demo totals lack variety: %+v", tot)
		}
		// Cross-check the totals against plain counts of everything.
		vms := e.AllVMs("config.template")
		if tot.VMs+tot.Templates != len(vms) {
			t.Errorf("vms %d + templates %d != %d VMs in the simulator", tot.VMs, tot.Templates, len(vms))
		}
		if n := len(toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", "name")); tot.Hosts != n {
			t.Errorf("hosts %d, simulator has %d", tot.Hosts, n)
		}
		toolstest.MustContain(t, text, "2 datacenters, 4 clusters", "scope\tname\tclusters", "\ncluster\tDC0/DC0_C0\t", "\ndatacenter\tDC1\t")
		if got.Product != e.Vim.ServiceContent.About.FullName {
			t.Errorf("product %q", got.Product)
		}
	})
	t.Run("one datacenter", func(t *testing.T) {
		e := e.at(t)
		for _, ident := range []string{"DC1", "/DC1", e.DatacenterRef("DC1").Value} {
			var got InventorySummary
			e.OK("inventory_summary", map[string]any{"datacenter": ident}, &got)
			compareSummary(t, got.Rows, expectedSummary(e, "DC1"))
		}
	})
	t.Run("unknown datacenter", func(t *testing.T) {
		e := e.at(t)
		toolstest.MustContain(t, e.Fails("inventory_summary", map[string]any{"datacenter": "DC9"}), `no datacenter matches "DC9"`)
	})
}

func testDatacenterList(t *testing.T, e *env) {
	dcs := toolstest.RetrieveAll[mo.Datacenter](e.Env, "Datacenter", "name", "datastore", "network")
	t.Run("matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got DatacenterList
		text := e.OK("datacenter_list", nil, &got)
		if got.Total != len(dcs) || len(got.Items) != len(dcs) || got.NextCursor != "" {
			t.Fatalf("total %d items %d cursor %q, simulator has %d", got.Total, len(got.Items), got.NextCursor, len(dcs))
		}
		for _, dc := range dcs {
			i := slices.IndexFunc(got.Items, func(it DatacenterItem) bool { return it.ID == dc.Self.Value })
			if i < 0 {
				t.Fatalf("%s missing", dc.Name)
			}
			want := DatacenterItem{
				Name: dc.Name, ID: dc.Self.Value,
				Clusters:   len(toolstest.RetrieveIn[mo.ClusterComputeResource](e.Env, dc.Self, "ClusterComputeResource", "name")),
				Hosts:      len(toolstest.RetrieveIn[mo.HostSystem](e.Env, dc.Self, "HostSystem", "name")),
				VMs:        len(toolstest.RetrieveIn[mo.VirtualMachine](e.Env, dc.Self, "VirtualMachine", "name")),
				Datastores: len(uniq(dc.Datastore)), Networks: len(uniq(dc.Network)),
			}
			if got.Items[i] != want || want.VMs == 0 || want.Clusters == 0 {
				t.Errorf("got %+v, want %+v", got.Items[i], want)
			}
		}
		toolstest.MustContain(t, text, "2 datacenters\nname\tid\tclusters\thosts\tvms\tdatastores\tnetworks\nDC0\t")
	})
	t.Run("name and paging", func(t *testing.T) {
		e := e.at(t)
		var one DatacenterList
		e.OK("datacenter_list", map[string]any{"name": "*1"}, &one)
		if len(one.Items) != 1 || one.Items[0].Name != "DC1" || one.Total != 1 {
			t.Errorf("name *1: %+v", one)
		}
		var p1, p2 DatacenterList
		text := e.OK("datacenter_list", map[string]any{"limit": 1}, &p1)
		toolstest.MustContain(t, text, "2 datacenters, 1 shown; more with cursor=")
		e.OK("datacenter_list", map[string]any{"limit": 1, "cursor": p1.NextCursor}, &p2)
		if len(p1.Items) != 1 || len(p2.Items) != 1 || p2.NextCursor != "" || p1.Items[0].ID == p2.Items[0].ID {
			t.Errorf("pages %+v then %+v", p1, p2)
		}
	})
	t.Run("errors", func(t *testing.T) {
		e := e.at(t)
		toolstest.MustContain(t, e.Fails("datacenter_list", map[string]any{"name": "["}), "not a valid glob")
		toolstest.MustContain(t, e.Fails("datacenter_list", map[string]any{"limit": 1001}), "limit must be between 1 and 1000")
		toolstest.MustContain(t, e.Fails("datacenter_list", map[string]any{"cursor": "bm9wZQ"}), "cursor")
	})
}

func testFolderList(t *testing.T, e *env) {
	// A nested folder, so paths are more than /DC/vm.
	folders, err := object.NewDatacenter(e.Vim, e.DatacenterRef("DC0")).Folders(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	web, err := folders.VmFolder.CreateFolder(e.Ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := web.CreateFolder(e.Ctx, "app"); err != nil {
		t.Fatal(err)
	}
	all := toolstest.RetrieveAll[mo.Folder](e.Env, "Folder", "name", "childType", "childEntity")
	typeOf := func(f mo.Folder) string {
		switch {
		case slices.Contains(f.ChildType, "VirtualMachine"):
			return "vm"
		case slices.Contains(f.ChildType, "ComputeResource"):
			return "host"
		case slices.Contains(f.ChildType, "Datastore"):
			return "datastore"
		case slices.Contains(f.ChildType, "Network"):
			return "network"
		}
		return "datacenter"
	}

	t.Run("matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got FolderList
		text := e.OK("folder_list", map[string]any{"limit": 1000}, &got)
		if got.Total != len(all) || len(got.Items) != len(all) {
			t.Fatalf("total %d items %d, simulator has %d", got.Total, len(got.Items), len(all))
		}
		for _, f := range all {
			i := slices.IndexFunc(got.Items, func(it FolderItem) bool { return it.ID == f.Self.Value })
			if i < 0 {
				t.Fatalf("folder %s missing", f.Self.Value)
			}
			want := FolderItem{Name: f.Name, ID: f.Self.Value, Path: e.InventoryPath(f.Self), Type: typeOf(f), Children: len(f.ChildEntity)}
			if got.Items[i] != want {
				t.Errorf("got %+v, want %+v", got.Items[i], want)
			}
		}
		toolstest.MustContain(t, text, "app\tgroup-", "\tvm\t0\t/DC0/vm/web/app\n", "\t/DC1/network\n")
	})
	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			name string
			args map[string]any
			keep func(FolderItem) bool
		}{
			{"vm", map[string]any{"type": "vm"}, func(f FolderItem) bool { return f.Type == "vm" }},
			{"network in DC1", map[string]any{"type": "network", "datacenter": "DC1"},
				func(f FolderItem) bool { return f.Path == "/DC1/network" }},
			{"DC0", map[string]any{"datacenter": "DC0"}, func(f FolderItem) bool { return strings.HasPrefix(f.Path, "/DC0/") }},
			{"name glob", map[string]any{"name": "a*"}, func(f FolderItem) bool { ok, _ := path.Match("a*", f.Name); return ok }},
			{"name and type", map[string]any{"name": "vm", "type": "vm"}, func(f FolderItem) bool { return f.Name == "vm" }},
		}
		var every FolderList
		e.OK("folder_list", map[string]any{"limit": 1000}, &every)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				var got FolderList
				e.OK("folder_list", tc.args, &got)
				var want, names []string
				for _, f := range every.Items {
					if tc.keep(f) {
						want = append(want, f.ID)
					}
				}
				for _, f := range got.Items {
					names = append(names, f.ID)
				}
				if len(want) == 0 || !slices.Equal(toolstest.Sorted(names), toolstest.Sorted(want)) || got.Total != len(want) {
					t.Errorf("got %v (total %d), want %v", names, got.Total, want)
				}
			})
		}
	})
	t.Run("errors", func(t *testing.T) {
		e := e.at(t)
		toolstest.MustContain(t, e.Fails("folder_list", map[string]any{"type": "VirtualMachine"}), "vm, host, datastore, network, datacenter")
		toolstest.MustContain(t, e.Fails("folder_list", map[string]any{"datacenter": "nope"}), `no datacenter matches "nope"`)
	})
}

// TestESXInventory covers a standalone ESXi host: no vCenter, no clusters.
func TestESXInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcenter.DemoModel(vcenter.SimESX))
	about := e.Vim.ServiceContent.About

	var info VCenterInfo
	text := e.OK("vcenter_info", nil, &info)
	if info.APIType != "HostAgent" || info.FullName != about.FullName || info.Version != about.Version || info.Build != about.Build {
		t.Errorf("vcenter_info on ESXi: %+v", info)
	}
	toolstest.MustContain(t, text, "api: HostAgent")

	hosts := toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", "name", "summary", "vm")
	if len(hosts) != 1 {
		t.Fatalf("ESXi model has %d hosts", len(hosts))
	}
	h := hosts[0]
	var list hostts.HostList
	e.OK("host_list", nil, &list)
	if list.Total != 1 || len(list.Items) != 1 {
		t.Fatalf("host_list on ESXi: %+v", list)
	}
	it := list.Items[0]
	if it.Name != h.Name || it.ID != "ha-host" || it.Cluster != "" || it.VMs != len(h.Vm) || it.VMs == 0 ||
		it.Version != h.Summary.Config.Product.Version || it.ConnectionState != "connected" {
		t.Errorf("host item %+v differs from %s vms=%d version=%s", it, h.Name, len(h.Vm), h.Summary.Config.Product.Version)
	}
	var detail hostts.HostDetail
	e.OK("host_get", map[string]any{"host": "ha-host"}, &detail)
	if detail.Name != h.Name || detail.Cluster != "" || detail.VMs != len(h.Vm) || len(detail.Datastores) == 0 {
		t.Errorf("host_get on ESXi: %+v", detail)
	}

	var sum InventorySummary
	e.OK("inventory_summary", nil, &sum)
	compareSummary(t, sum.Rows, expectedSummary(e, ""))
	if sum.Rows[0].Hosts != 1 || sum.Rows[0].Clusters != 0 || sum.Rows[0].VMs != 6 {
		t.Errorf("ESXi totals %+v", sum.Rows[0])
	}

	var clusters clusterts.ClusterList
	text = e.OK("cluster_list", nil, &clusters)
	if clusters.Total != 0 || clusters.Items == nil {
		t.Errorf("clusters on ESXi: %+v", clusters)
	}
	if text != "0 clusters\n" {
		t.Errorf("empty listing text %q", text)
	}
	var nets networkts.NetworkList
	e.OK("network_list", nil, &nets)
	if n := len(toolstest.RetrieveAll[mo.Network](e.Env, "Network", "name")); nets.Total != n || n == 0 {
		t.Errorf("%d networks on ESXi, simulator has %d", nets.Total, n)
	}
	for _, it := range nets.Items {
		if it.Type != "standard" || it.Switch != "" {
			t.Errorf("ESXi network %+v is not a standard port group", it)
		}
	}
	var dss datastorets.DatastoreList
	e.OK("datastore_list", nil, &dss)
	if n := len(toolstest.RetrieveAll[mo.Datastore](e.Env, "Datastore", "name")); dss.Total != n || n == 0 {
		t.Errorf("%d datastores on ESXi, simulator has %d", dss.Total, n)
	}
	var dcs DatacenterList
	e.OK("datacenter_list", nil, &dcs)
	if dcs.Total != 1 || dcs.Items[0].ID != "ha-datacenter" || dcs.Items[0].Hosts != 1 || dcs.Items[0].VMs != 6 {
		t.Errorf("datacenters on ESXi: %+v", dcs)
	}
}

// TestInventoryToolsInScope checks that a role scoped to a datacenter and a
// VM name glob sees, counts and names only what its scope shows, in every
// inventory tool, and that objects outside read as not found.
func TestInventoryToolsInScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{
		"dc1-web": {Inherits: "viewer", Scope: policy.Scope{Datacenters: []string{"DC1"}, VMs: []string{"DC1_C0_*"}}},
	}
	e := newPolicyEnv(t, toolstest.Policy(t, "dc1-web", custom, nil), nil)
	var inScope []string
	for _, v := range e.AllVMs("name") {
		if ok, _ := path.Match("DC1_C0_*", v.Name); ok {
			inScope = append(inScope, v.Name)
		}
	}
	if len(inScope) == 0 {
		t.Fatal("no VM in scope; fix the test")
	}

	var dcs DatacenterList
	e.OK("datacenter_list", nil, &dcs)
	if dcs.Total != 1 || len(dcs.Items) != 1 ||
		dcs.Items[0] != (DatacenterItem{Name: "DC1", ID: e.DatacenterRef("DC1").Value, Clusters: 2, Hosts: 5, VMs: len(inScope), Datastores: 2, Networks: 4}) {
		t.Errorf("datacenters in scope: %+v", dcs)
	}

	var sum InventorySummary
	e.OK("inventory_summary", nil, &sum)
	var scopes []string
	for _, r := range sum.Rows {
		scopes = append(scopes, r.Scope+":"+r.Name)
	}
	if !slices.Equal(scopes, []string{"total:total", "datacenter:DC1", "cluster:DC1_C0", "cluster:DC1_C1"}) {
		t.Errorf("summary rows %v", scopes)
	}
	if tot := sum.Rows[0]; tot.VMs+tot.Templates != len(inScope) || tot.Hosts != 5 || sum.Rows[3].VMs != 0 {
		t.Errorf("summary counts VMs outside the scope: %+v", sum.Rows)
	}

	var hosts hostts.HostList
	e.OK("host_list", nil, &hosts)
	var ds datastorets.DatastoreList
	e.OK("datastore_list", nil, &ds)
	var nets networkts.NetworkList
	e.OK("network_list", nil, &nets)
	var clusters clusterts.ClusterList
	e.OK("cluster_list", nil, &clusters)
	var folders FolderList
	e.OK("folder_list", nil, &folders)
	var pools PoolList
	e.OK("resource_pool_list", nil, &pools)
	var tmpl vmts.TemplateList
	e.OK("template_list", nil, &tmpl)
	if hosts.Total != 5 || ds.Total != 2 || nets.Total != 4 || clusters.Total != 2 || tmpl.Total != 0 {
		t.Errorf("totals in scope: hosts %d datastores %d networks %d clusters %d templates %d",
			hosts.Total, ds.Total, nets.Total, clusters.Total, tmpl.Total)
	}
	for _, h := range hosts.Items {
		if !strings.HasPrefix(h.Name, "DC1_") {
			t.Errorf("host %s listed", h.Name)
		}
	}
	for _, f := range folders.Items {
		if !strings.HasPrefix(f.Path, "/DC1/") {
			t.Errorf("folder %s listed", f.Path)
		}
	}
	for _, p := range pools.Items {
		if !strings.HasPrefix(p.Path, "/DC1/") {
			t.Errorf("pool %s listed", p.Path)
		}
	}
	if folders.Total != 4 || pools.Total != 5 {
		t.Errorf("folders %d pools %d in scope, want 4 and 5", folders.Total, pools.Total)
	}

	// Counts of related objects count only what the scope shows: the VMs
	// of DC1_H0 and DC1_C1 are outside the VM name glob.
	vmsOf := map[string]int{}
	for _, h := range hosts.Items {
		vmsOf["host "+h.Name] = h.VMs
		if strings.HasPrefix(h.Name, "DC1_C0_") {
			vmsOf["hosts of DC1_C0"] += h.VMs
		}
	}
	for _, c := range clusters.Items {
		vmsOf["cluster "+c.Name] = c.VMs
	}
	for _, d := range ds.Items {
		vmsOf["datastore "+d.Name] = d.VMs
	}
	for _, f := range folders.Items {
		vmsOf["folder "+f.Path] = f.Children
	}
	for _, p := range pools.Items {
		vmsOf["pool "+p.Path] = p.VMs
	}
	n := len(inScope)
	for k, want := range map[string]int{
		"host DC1_H0": 0, "hosts of DC1_C0": n, "cluster DC1_C0": n, "cluster DC1_C1": 0, "datastore LocalDS_0": n,
		"folder /DC1/vm": n, "pool /DC1/host/DC1_H0/Resources": 0, "pool /DC1/host/DC1_C0/Resources/DC1_C0_RP1": n,
	} {
		if vmsOf[k] != want {
			t.Errorf("%s counts %d VMs, %d in scope", k, vmsOf[k], want)
		}
	}
	var hd hostts.HostDetail
	e.OK("host_get", map[string]any{"host": "DC1_H0"}, &hd)
	var cd clusterts.ClusterDetail
	e.OK("cluster_get", map[string]any{"cluster": "DC1_C0"}, &cd)
	if hd.VMs != 0 || hd.VMsPoweredOn != 0 || cd.VMs+cd.Templates != n || len(cd.Hosts) != 2 || len(hd.Datastores) != 2 {
		t.Errorf("host_get DC1_H0 %+v, cluster_get DC1_C0 %+v", hd, cd)
	}

	// A datastore in scope names only the VMs and hosts in scope.
	var got datastorets.DatastoreDetail
	text := e.OK("datastore_get", map[string]any{"datastore": "/DC1/datastore/LocalDS_0"}, &got)
	if got.VMCount != len(inScope) || len(got.VMs) != len(inScope) || len(got.Hosts) != 5 {
		t.Errorf("datastore shows %d VMs %v and %d hosts; %d VMs in scope", got.VMCount, got.VMs, len(got.Hosts), len(inScope))
	}
	for _, v := range got.VMs {
		if !slices.Contains(inScope, v) {
			t.Errorf("datastore_get names out-of-scope VM %s", v)
		}
	}
	if strings.Contains(text, "DC1_H0_VM") || strings.Contains(text, "DC1_C1_RP1_VM") {
		t.Errorf("datastore_get text names VMs outside the scope:\n%s", text)
	}
	for tool, args := range map[string]map[string]any{
		"host_get":      {"host": "DC0_H0"},
		"cluster_get":   {"cluster": "/DC0/host/DC0_C0"},
		"datastore_get": {"datastore": "/DC0/datastore/LocalDS_0"},
		"host_list":     {"cluster": "DC0_C0"},
		"template_list": {"datacenter": "DC0"},
	} {
		toolstest.MustContain(t, e.Fails(tool, args), "within this profile's scope")
	}
}
