package pool

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// pool reads the pool at path through govmomi; ok is false when there is
// none.
func (e *env) pool(path string) (mo.ResourcePool, bool) {
	e.T.Helper()
	p, err := find.NewFinder(e.Vim).ResourcePool(e.Ctx, path)
	if err != nil {
		return mo.ResourcePool{}, false
	}
	var mp mo.ResourcePool
	if err := p.Properties(e.Ctx, p.Reference(), []string{"name", "parent", "config", "vm", "resourcePool"}, &mp); err != nil {
		e.T.Fatal(err)
	}
	return mp, true
}

const cluster = "/DC0/host/DC0_C0/Resources"

// TestResourcePools creates, changes and deletes pools as vm-admin,
// reading the settings and the tree back through govmomi.
func TestResourcePools(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "vm-admin", nil)

	t.Run("create", func(t *testing.T) {
		e := e.at(t)
		var r PoolResult
		text := e.OK("resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "proj", "memory_limit_mb": 65536,
			"cpu_shares": "high", "memory_shares": 2000, "cpu_reservation_mhz": 500, "expandable_reservation": false}, &r)
		p, ok := e.pool(cluster + "/proj")
		if !ok || r.ID != p.Self.Value || r.Path != cluster+"/proj" || r.Parent != cluster {
			t.Fatalf("create: %+v", r)
		}
		cpu, mem := p.Config.CpuAllocation, p.Config.MemoryAllocation
		if *mem.Limit != 65536 || *cpu.Limit != -1 || *cpu.Reservation != 500 || *mem.Reservation != 0 ||
			cpu.Shares.Level != types.SharesLevelHigh || mem.Shares.Level != types.SharesLevelCustom || mem.Shares.Shares != 2000 ||
			*cpu.ExpandableReservation || *mem.ExpandableReservation {
			t.Errorf("govmomi reads cpu %+v mem %+v", cpu, mem)
		}
		toolstest.MustContain(t, text, "Created resource pool "+cluster+"/proj (resgroup-", "memory limit: 65536 MB\n", "cpu limit: unlimited\n", "memory shares: 2000\n", "cpu expandable: no\n")

		// Defaults; in a pool (by path) and on a standalone host.
		e.OK("resource_pool_create", map[string]any{"parent": cluster + "/proj", "name": "child"}, &r)
		c, ok := e.pool(cluster + "/proj/child")
		if !ok || *c.Config.CpuAllocation.Limit != -1 || c.Config.CpuAllocation.Shares.Level != types.SharesLevelNormal || !*c.Config.MemoryAllocation.ExpandableReservation {
			t.Errorf("child pool: %+v", c.Config)
		}
		e.OK("resource_pool_create", map[string]any{"parent": "DC0_H0", "name": "solo"}, &r)
		if _, ok := e.pool("/DC0/host/DC0_H0/Resources/solo"); !ok {
			t.Error("no pool on the standalone host")
		}
		toolstest.MustContain(t, e.Fails("resource_pool_create", map[string]any{"parent": "DC0_C0_H0", "name": "x"}), "is in a cluster: create the pool in the cluster")
		toolstest.MustContain(t, e.Fails("resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "proj"}), "has a pool named proj already (DuplicateName)")
	})

	t.Run("update", func(t *testing.T) {
		e := e.at(t)
		e.OK("resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "upd", "cpu_limit_mhz": 2000, "expandable_reservation": false}, nil)
		var r PoolResult
		text := e.OK("resource_pool_update", map[string]any{"resource_pool": cluster + "/upd", "cpu_limit_mhz": 4000, "memory_shares": "low", "expandable_reservation": true}, &r)
		p, _ := e.pool(cluster + "/upd")
		cpu, mem := p.Config.CpuAllocation, p.Config.MemoryAllocation
		if *cpu.Limit != 4000 || mem.Shares.Level != types.SharesLevelLow || !*cpu.ExpandableReservation || !*mem.ExpandableReservation || *mem.Limit != -1 {
			t.Errorf("govmomi reads cpu %+v mem %+v", cpu, mem)
		}
		if r.Before == nil || r.Before.CPULimitMHz != 2000 || r.Config.CPULimitMHz != 4000 || r.Action != "Changed" {
			t.Errorf("update result: %+v", r)
		}
		toolstest.MustContain(t, text, "cpu limit: 2000 MHz → 4000 MHz\n", "memory shares: normal → low\n", "cpu expandable: no → yes\n", "memory limit: unlimited\n")
		e.OK("resource_pool_update", map[string]any{"resource_pool": cluster + "/upd", "cpu_limit_mhz": 4000}, &r)
		if r.Action != "Unchanged" {
			t.Errorf("same settings: %+v", r)
		}
		toolstest.MustContain(t, e.Fails("resource_pool_update", map[string]any{"resource_pool": cluster + "/upd", "cpu_reservation_mhz": 5000}), "would exceed the limit (4000 MHz)")
		toolstest.MustContain(t, e.Fails("resource_pool_update", map[string]any{"resource_pool": cluster, "cpu_limit_mhz": 1}), "is the root resource pool")
		if p2, _ := e.pool(cluster + "/upd"); *p2.Config.CpuAllocation.Reservation != 0 {
			t.Error("a refused update changed the pool")
		}
	})

	t.Run("delete", func(t *testing.T) {
		e := e.at(t)
		e.OK("resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "doomed"}, nil)
		doomed, _ := find.NewFinder(e.Vim).ResourcePool(e.Ctx, cluster+"/doomed")
		// Two VMs created in it (vcsim has no MoveIntoResourcePool, and its
		// relocation leaves the pools' VM lists stale).
		dc, err := find.NewFinder(e.Vim).Datacenter(e.Ctx, "DC0")
		if err != nil {
			t.Fatal(err)
		}
		folders, err := dc.Folders(e.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		var vms []types.ManagedObjectReference
		for _, name := range []string{"in-pool-1", "in-pool-2"} {
			spec := types.VirtualMachineConfigSpec{Name: name, GuestId: "otherGuest", Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"}}
			task, err := folders.VmFolder.CreateVM(e.Ctx, spec, doomed, nil)
			if err != nil {
				t.Fatal(err)
			}
			info, err := task.WaitForResult(e.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			vms = append(vms, info.Result.(types.ManagedObjectReference))
		}
		if p, _ := e.pool(cluster + "/doomed"); len(p.Vm) != 2 {
			t.Fatalf("pool holds %v", p.Vm)
		}

		e.person.Answer(false)
		toolstest.MustContain(t, e.Fails("resource_pool_delete", map[string]any{"resource_pool": cluster + "/doomed"}), "did not confirm")
		if _, ok := e.pool(cluster + "/doomed"); !ok {
			t.Fatal("declined delete deleted the pool")
		}
		if q := e.person.Asked(); len(q) != 1 || !strings.Contains(q[0], "its 2 VMs and 0 child pools move to "+cluster) {
			t.Errorf("question: %q", q)
		}
		e.person.Answer(true)
		var r PoolResult
		text := e.OK("resource_pool_delete", map[string]any{"resource_pool": cluster + "/doomed"}, &r)
		toolstest.MustContain(t, text, "Deleted resource pool "+cluster+"/doomed (", "2 VMs and 0 child pools moved to "+cluster)
		if _, ok := e.pool(cluster + "/doomed"); ok {
			t.Fatal("pool still there")
		}
		root, _ := e.pool(cluster)
		for _, v := range vms {
			var mv mo.VirtualMachine
			if err := object.NewVirtualMachine(e.Vim, v).Properties(e.Ctx, v, []string{"resourcePool"}, &mv); err != nil {
				t.Fatal(err)
			}
			if *mv.ResourcePool != root.Self {
				t.Errorf("%s is in %v, want the parent %v", v, mv.ResourcePool, root.Self)
			}
		}
		toolstest.MustContain(t, e.Fails("resource_pool_delete", map[string]any{"resource_pool": cluster}), "is the root resource pool")
	})

	t.Run("errors", func(t *testing.T) {
		e := e.at(t)
		for _, tc := range []struct {
			tool string
			args map[string]any
			want string
		}{
			{"resource_pool_create", map[string]any{"parent": "DC0_C0", "name": ""}, "name is required"},
			{"resource_pool_create", map[string]any{"parent": "", "name": "x"}, "parent is required"},
			{"resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "x", "cpu_limit_mhz": -2}, "cpu_limit_mhz must be -1 (unlimited) or 0 or more"},
			{"resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "x", "memory_reservation_mb": -1}, "memory_reservation_mb must be 0 or more"},
			{"resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "x", "cpu_shares": "lots"}, "cpu_shares must be low, normal, high or a positive number"},
			{"resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "x", "memory_shares": 1.5}, "memory_shares must be low"},
			{"resource_pool_create", map[string]any{"parent": "DC0_C0", "name": "x", "memory_reservation_mb": 100, "memory_limit_mb": 50}, "above memory_limit_mb"},
			{"resource_pool_create", map[string]any{"parent": "nope", "name": "x"}, `no object matches "nope"`},
			{"resource_pool_create", map[string]any{"parent": "LocalDS_0", "name": "x"}, `no object matches "LocalDS_0"`},
			{"resource_pool_update", map[string]any{"resource_pool": cluster}, "give at least one setting"},
			{"resource_pool_delete", map[string]any{"resource_pool": ""}, "resource_pool is required"},
		} {
			toolstest.MustContain(t, e.Fails(tc.tool, tc.args), tc.want)
		}
		if _, ok := e.pool(cluster + "/x"); ok {
			t.Error("a refused call created a pool")
		}
	})
}

// TestPoolScope: a role scoped to DC0 neither sees nor changes DC1's pools.
func TestPoolScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0": {Inherits: "vm-admin", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	e := newEnv(t, "dc0", custom)
	toolstest.MustContain(t, e.Fails("resource_pool_create", map[string]any{"parent": "DC1_C0", "name": "x"}), `no object matches "DC1_C0"`)
	toolstest.MustContain(t, e.Fails("resource_pool_delete", map[string]any{"resource_pool": "/DC1/host/DC1_C0/Resources/DC1_C0_RP1"}), "no resource pool matches")
	if _, ok := e.pool("/DC1/host/DC1_C0/Resources/x"); ok {
		t.Error("created a pool out of scope")
	}
	if _, ok := e.pool("/DC1/host/DC1_C0/Resources/DC1_C0_RP1"); !ok {
		t.Error("deleted a pool out of scope")
	}
}
