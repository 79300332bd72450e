package network

import (
	"slices"
	"testing"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func testNetworkList(t *testing.T, e *env) {
	all := toolstest.RetrieveAll[mo.Network](e.Env, "Network", "name", "vm", "host")
	pgs := toolstest.RetrieveAll[mo.DistributedVirtualPortgroup](e.Env, "DistributedVirtualPortgroup", "config.distributedVirtualSwitch")
	wantItem := func(n mo.Network) NetworkItem {
		it := NetworkItem{Name: n.Name, ID: n.Self.Value, Type: "standard", VMs: len(n.Vm), Hosts: len(n.Host)}
		if i := slices.IndexFunc(pgs, func(pg mo.DistributedVirtualPortgroup) bool { return pg.Self == n.Self }); i >= 0 {
			it.Type = "distributed port group"
			it.Switch = e.ObjectName(*pgs[i].Config.DistributedVirtualSwitch)
		}
		return it
	}

	t.Run("matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got NetworkList
		text := e.OK("network_list", nil, &got)
		if got.Total != len(all) || len(got.Items) != len(all) || len(pgs) == 0 || len(pgs) == len(all) {
			t.Fatalf("total %d items %d; simulator has %d networks, %d of them port groups", got.Total, len(got.Items), len(all), len(pgs))
		}
		for _, n := range all {
			i := slices.IndexFunc(got.Items, func(it NetworkItem) bool { return it.ID == n.Self.Value })
			if i < 0 {
				t.Fatalf("%s missing", n.Name)
			}
			if want := wantItem(n); got.Items[i] != want {
				t.Errorf("got  %+v\nwant %+v", got.Items[i], want)
			}
		}
		toolstest.MustContain(t, text, "8 networks\nname\tid\ttype\tswitch\tvms\thosts\n", "VM Network\tnetwork-", "\tstandard\t-\t",
			"DC0_DVPG0\tdvportgroup-", "\tdistributed port group\tDVS0\t")
	})

	t.Run("filters and paging", func(t *testing.T) {
		e := e.at(t)
		dc1 := toolstest.RetrieveIn[mo.Network](e.Env, e.DatacenterRef("DC1"), "Network", "name")
		ids := func(l NetworkList) []string {
			var n []string
			for _, it := range l.Items {
				n = append(n, it.ID)
			}
			return toolstest.Sorted(n)
		}
		var wantDC1, wantPG, wantPGDC1 []string
		for _, n := range dc1 {
			wantDC1 = append(wantDC1, n.Self.Value)
		}
		for _, n := range all {
			if len(n.Name) > 5 && n.Name[4:] == "DVPG0" {
				wantPG = append(wantPG, n.Self.Value)
				if slices.Contains(wantDC1, n.Self.Value) {
					wantPGDC1 = append(wantPGDC1, n.Self.Value)
				}
			}
		}
		for _, tc := range []struct {
			args map[string]any
			want []string
		}{
			{map[string]any{"datacenter": "DC1"}, wantDC1},
			{map[string]any{"name": "DC?_DVPG0"}, wantPG},
			{map[string]any{"name": "DC?_DVPG0", "datacenter": "DC1"}, wantPGDC1},
		} {
			var got NetworkList
			e.OK("network_list", tc.args, &got)
			if n := ids(got); len(tc.want) == 0 || !slices.Equal(n, toolstest.Sorted(tc.want)) || got.Total != len(tc.want) {
				t.Errorf("%v: got %v, want %v", tc.args, n, tc.want)
			}
		}
		if len(wantDC1) != 4 || len(wantPG) != 2 || len(wantPGDC1) != 1 {
			t.Errorf("unexpected demo networks: %v %v %v", wantDC1, wantPG, wantPGDC1)
		}
		var p1, p2 NetworkList
		e.OK("network_list", map[string]any{"limit": 5}, &p1)
		e.OK("network_list", map[string]any{"limit": 5, "cursor": p1.NextCursor}, &p2)
		if len(p1.Items) != 5 || len(p2.Items) != 3 || p2.NextCursor != "" || p1.Total != 8 {
			t.Errorf("pages %+v then %+v", p1, p2)
		}
		toolstest.MustContain(t, e.Fails("network_list", map[string]any{"datacenter": "DC5"}), `no datacenter matches "DC5"`, "like datacenter-2", "list them with datacenter_list")
		toolstest.MustContain(t, e.Fails("network_list", map[string]any{"name": "a[b"}), "not a valid glob")
	})
}

func TestNetworkList(t *testing.T) {
	t.Parallel()
	testNetworkList(t, newEnv(t))
}
