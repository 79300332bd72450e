package datastore

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func testDatastores(t *testing.T, e *env) {
	// A datastore with a unique name, mounted on one host only: the demo's
	// LocalDS_0 and LocalDS_1 exist once per datacenter.
	host, err := find.NewFinder(e.Vim).HostSystem(e.Ctx, "/DC1/host/DC1_H0/DC1_H0")
	if err != nil {
		t.Fatal(err)
	}
	dss, err := host.ConfigManager().DatastoreSystem(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	solo, err := dss.CreateLocalDatastore(e.Ctx, "solo", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	all := toolstest.RetrieveAll[mo.Datastore](e.Env, "Datastore", "name", "summary", "host", "vm")
	wantItem := func(ds mo.Datastore) DatastoreItem {
		s := ds.Summary
		pct := 0.0
		if s.Capacity > 0 {
			pct = float64(int64(float64(s.Capacity-s.FreeSpace)/float64(s.Capacity)*1000+0.5)) / 10
		}
		return DatastoreItem{Name: ds.Name, ID: ds.Self.Value, Type: s.Type, CapacityGB: toolstest.GiB(s.Capacity), FreeGB: toolstest.GiB(s.FreeSpace),
			UsedPct: pct, Accessible: s.Accessible, VMs: len(ds.Vm)}
	}

	t.Run("list matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got DatastoreList
		text := e.OK("datastore_list", nil, &got)
		if got.Total != len(all) || len(got.Items) != len(all) || len(all) != 5 {
			t.Fatalf("total %d items %d; simulator has %d", got.Total, len(got.Items), len(all))
		}
		used := 0
		for _, ds := range all {
			i := slices.IndexFunc(got.Items, func(it DatastoreItem) bool { return it.ID == ds.Self.Value })
			if i < 0 {
				t.Fatalf("%s missing", ds.Name)
			}
			want := wantItem(ds)
			if got.Items[i] != want {
				t.Errorf("got  %+v\nwant %+v", got.Items[i], want)
			}
			if want.UsedPct > 0 && want.VMs > 0 {
				used++
			}
		}
		if used == 0 {
			t.Error("no datastore in use: the comparison proves little")
		}
		toolstest.MustContain(t, text, "5 datastores\nname\tid\ttype\tcapacity_gb\tfree_gb\tused_pct\taccessible\tvms\n", "LocalDS_0\tdatastore-", "\tOTHER\t5120.0\t")
	})

	t.Run("list filters and paging", func(t *testing.T) {
		e := e.at(t)
		ids := func(l DatastoreList) []string {
			var n []string
			for _, it := range l.Items {
				n = append(n, it.ID)
			}
			return toolstest.Sorted(n)
		}
		dc1 := toolstest.RetrieveIn[mo.Datastore](e.Env, e.DatacenterRef("DC1"), "Datastore", "name")
		var wantDC1, wantGlob, wantBoth []string
		for _, ds := range all {
			ok, _ := path.Match("*_1", ds.Name)
			inDC1 := slices.ContainsFunc(dc1, func(d mo.Datastore) bool { return d.Self == ds.Self })
			if inDC1 {
				wantDC1 = append(wantDC1, ds.Self.Value)
			}
			if ok {
				wantGlob = append(wantGlob, ds.Self.Value)
			}
			if ok && inDC1 {
				wantBoth = append(wantBoth, ds.Self.Value)
			}
		}
		for _, tc := range []struct {
			args map[string]any
			want []string
		}{
			{map[string]any{"datacenter": "DC1"}, wantDC1},
			{map[string]any{"name": "*_1"}, wantGlob},
			{map[string]any{"name": "*_1", "datacenter": "DC1"}, wantBoth},
			{map[string]any{"name": "solo"}, []string{solo.Reference().Value}},
		} {
			var got DatastoreList
			e.OK("datastore_list", tc.args, &got)
			if n := ids(got); len(tc.want) == 0 || !slices.Equal(n, toolstest.Sorted(tc.want)) || got.Total != len(tc.want) {
				t.Errorf("%v: got %v, want %v", tc.args, n, tc.want)
			}
		}
		if len(wantDC1) != 3 || len(wantBoth) != 1 {
			t.Errorf("DC1 has %v, *_1 in DC1 %v; the test expects 3 and 1", wantDC1, wantBoth)
		}
		var p1, p2 DatastoreList
		e.OK("datastore_list", map[string]any{"limit": 4}, &p1)
		e.OK("datastore_list", map[string]any{"limit": 4, "cursor": p1.NextCursor}, &p2)
		if len(p1.Items) != 4 || len(p2.Items) != 1 || p2.NextCursor != "" || slices.Contains(ids(p1), p2.Items[0].ID) {
			t.Errorf("pages %+v then %+v", p1, p2)
		}
	})

	ds0, err := find.NewFinder(e.Vim).Datastore(e.Ctx, "/DC0/datastore/LocalDS_0")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ident, id, path string }{
		{"solo", solo.Reference().Value, "/DC1/datastore/solo"},
		{"/DC0/datastore/LocalDS_0", ds0.Reference().Value, "/DC0/datastore/LocalDS_0"},
		{ds0.Reference().Value, ds0.Reference().Value, "/DC0/datastore/LocalDS_0"},
	} {
		t.Run("get "+tc.ident, func(t *testing.T) {
			e := e.at(t)
			var got DatastoreDetail
			text := e.OK("datastore_get", map[string]any{"datastore": tc.ident}, &got)
			if got.ID != tc.id || got.Path != tc.path {
				t.Fatalf("resolved to %s %s", got.ID, got.Path)
			}
			ds := all[slices.IndexFunc(all, func(d mo.Datastore) bool { return d.Self.Value == tc.id })]
			s, li := ds.Summary, wantItem(ds)
			if got.Name != ds.Name || got.Type != s.Type || got.URL != s.Url || got.CapacityGB != li.CapacityGB || got.FreeGB != li.FreeGB ||
				got.UncommittedGB != toolstest.GiB(s.Uncommitted) || got.UsedPct != li.UsedPct || got.Accessible != s.Accessible ||
				got.MaintenanceMode != s.MaintenanceMode || got.VMCount != len(ds.Vm) {
				t.Errorf("detail %+v differs from simulator %+v", got, s)
			}
			var hosts []DatastoreMount
			for _, h := range ds.Host {
				hosts = append(hosts, DatastoreMount{Host: e.ObjectName(h.Key), Mounted: *h.MountInfo.Mounted,
					Accessible: *h.MountInfo.Accessible, AccessMode: h.MountInfo.AccessMode})
			}
			var vms []string
			for _, v := range ds.Vm {
				vms = append(vms, e.ObjectName(v))
			}
			if !slices.Equal(got.Hosts, hosts) || len(hosts) == 0 || !slices.Equal(got.VMs, vms) {
				t.Errorf("hosts %+v vms %v, want %+v and %v", got.Hosts, got.VMs, hosts, vms)
			}
			toolstest.MustContain(t, text, "Datastore "+ds.Name+" ("+tc.id+") "+tc.path, "url: "+s.Url, "accessible: yes",
				"hosts: "+strconv.Itoa(len(hosts))+": "+hosts[0].Host+" (readWrite)")
			if len(vms) > 0 {
				toolstest.MustContain(t, text, "vms: "+strconv.Itoa(len(vms))+": "+strings.Join(vms, ", ")+"\n")
			}
		})
	}

	t.Run("get errors", func(t *testing.T) {
		for _, tc := range []struct {
			args map[string]any
			want []string
		}{
			{map[string]any{"datastore": "LocalDS_0"}, []string{`"LocalDS_0" matches 2 datastores`, "/DC0/datastore/LocalDS_0", "/DC1/datastore/LocalDS_0"}},
			{map[string]any{}, []string{"datastore is required"}},
			{map[string]any{"datastore": "nfs-01"}, []string{`no datastore matches "nfs-01"`}},
			{map[string]any{"datastore": "SOLO"}, []string{`did you mean "solo"`}},
			{map[string]any{"datastore": "datastore-99999"}, []string{`no datastore matches "datastore-99999"`}},
			{map[string]any{"datastore": "/DC0/vm"}, []string{`no datastore matches "/DC0/vm"`}},
		} {
			t.Run(tc.want[0], func(t *testing.T) {
				e := e.at(t)
				toolstest.MustContain(t, e.Fails("datastore_get", tc.args), tc.want...)
			})
		}
	})
}

func TestDatastores(t *testing.T) {
	t.Parallel()
	testDatastores(t, newEnv(t))
}
