package inventory

import (
	"slices"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func testResourcePoolList(t *testing.T, e *env) {
	// A nested pool with reservations, a limit and an unlimited memory.
	rp1, err := find.NewFinder(e.Vim).ResourcePool(e.Ctx, "/DC0/host/DC0_C0/Resources/DC0_C0_RP1")
	if err != nil {
		t.Fatal(err)
	}
	spec := types.DefaultResourceConfigSpec()
	spec.CpuAllocation.Reservation = types.NewInt64(500)
	spec.CpuAllocation.Limit = types.NewInt64(2000)
	spec.MemoryAllocation.Reservation = types.NewInt64(256)
	spec.MemoryAllocation.Limit = types.NewInt64(-1)
	gold, err := rp1.Create(e.Ctx, "gold", spec)
	if err != nil {
		t.Fatal(err)
	}

	all := toolstest.RetrieveAll[mo.ResourcePool](e.Env, "ResourcePool", "name", "owner", "vm", "config")
	wantItem := func(p mo.ResourcePool) PoolItem {
		alloc := func(a types.ResourceAllocationInfo) (int64, int64) {
			r, l := int64(0), int64(-1)
			if a.Reservation != nil {
				r = *a.Reservation
			}
			if a.Limit != nil {
				l = *a.Limit
			}
			return r, l
		}
		it := PoolItem{Name: p.Name, ID: p.Self.Value, Path: e.InventoryPath(p.Self), VMs: len(p.Vm)}
		it.CPUReservationMHz, it.CPULimitMHz = alloc(p.Config.CpuAllocation)
		it.MemReservationMB, it.MemLimitMB = alloc(p.Config.MemoryAllocation)
		return it
	}

	t.Run("matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got PoolList
		text := e.OK("resource_pool_list", map[string]any{"limit": 1000}, &got)
		if got.Total != len(all) || len(got.Items) != len(all) {
			t.Fatalf("total %d items %d; simulator has %d", got.Total, len(got.Items), len(all))
		}
		for _, p := range all {
			i := slices.IndexFunc(got.Items, func(it PoolItem) bool { return it.ID == p.Self.Value })
			if i < 0 {
				t.Fatalf("%s missing", p.Name)
			}
			if want := wantItem(p); got.Items[i] != want {
				t.Errorf("got  %+v\nwant %+v", got.Items[i], want)
			}
		}
		want := PoolItem{Name: "gold", ID: gold.Reference().Value, Path: "/DC0/host/DC0_C0/Resources/DC0_C0_RP1/gold",
			CPUReservationMHz: 500, CPULimitMHz: 2000, MemReservationMB: 256, MemLimitMB: -1}
		if i := slices.IndexFunc(got.Items, func(it PoolItem) bool { return it.Name == "gold" }); i < 0 || got.Items[i] != want {
			t.Errorf("gold pool listed as %+v, want %+v", got.Items, want)
		}
		toolstest.MustContain(t, text, "11 resource pools\nname\tid\tvms\tcpu_reservation_mhz\tcpu_limit_mhz\tmemory_reservation_mb\tmemory_limit_mb\tpath\n",
			"gold\t"+gold.Reference().Value+"\t0\t500\t2000\t256\tunlimited\t/DC0/host/DC0_C0/Resources/DC0_C0_RP1/gold\n",
			"Resources\tresgroup-", "\t/DC1/host/DC1_H0/Resources\n")
	})

	cluster, err := find.NewFinder(e.Vim).ClusterComputeResource(e.Ctx, "/DC0/host/DC0_C0")
	if err != nil {
		t.Fatal(err)
	}
	var ofCluster, inDC1, rp1s []string
	for _, p := range all {
		if p.Owner == cluster.Reference() {
			ofCluster = append(ofCluster, p.Self.Value)
		}
		if wantItem(p).Path[:5] == "/DC1/" {
			inDC1 = append(inDC1, p.Self.Value)
		}
		if len(p.Name) > 4 && p.Name[len(p.Name)-4:] == "_RP1" {
			rp1s = append(rp1s, p.Self.Value)
		}
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"cluster by name", map[string]any{"cluster": "DC0_C0"}, ofCluster},
		{"cluster by path", map[string]any{"cluster": "/DC0/host/DC0_C0"}, ofCluster},
		{"cluster by id", map[string]any{"cluster": cluster.Reference().Value}, ofCluster},
		{"datacenter", map[string]any{"datacenter": "DC1"}, inDC1},
		{"name glob", map[string]any{"name": "*_RP1"}, rp1s},
		{"name glob in cluster", map[string]any{"name": "*_RP1", "cluster": "DC0_C0"}, rp1s[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			var got PoolList
			e.OK("resource_pool_list", tc.args, &got)
			var ids []string
			for _, it := range got.Items {
				ids = append(ids, it.ID)
			}
			if len(tc.want) == 0 || !slices.Equal(toolstest.Sorted(ids), toolstest.Sorted(tc.want)) || got.Total != len(tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}
	if len(ofCluster) != 3 || len(rp1s) != 4 || rp1s[0] != rp1.Reference().Value {
		t.Errorf("unexpected demo pools: cluster %v, *_RP1 %v", ofCluster, rp1s)
	}

	t.Run("paging and errors", func(t *testing.T) {
		e := e.at(t)
		var p1, p2 PoolList
		e.OK("resource_pool_list", map[string]any{"limit": 6}, &p1)
		e.OK("resource_pool_list", map[string]any{"limit": 6, "cursor": p1.NextCursor}, &p2)
		if len(p1.Items) != 6 || len(p2.Items) != 5 || p2.NextCursor != "" || p2.Items[0].Path == "" {
			t.Errorf("pages %+v then %+v", p1, p2)
		}
		toolstest.MustContain(t, e.Fails("resource_pool_list", map[string]any{"cluster": "DC0_H0"}), `no cluster matches "DC0_H0"`)
		toolstest.MustContain(t, e.Fails("resource_pool_list", map[string]any{"limit": -5}), "limit must be between 1 and 1000")
	})
}
