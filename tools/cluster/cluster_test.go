package cluster

import (
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// testClusters covers cluster_list and cluster_get on one simulator, with
// one cluster reconfigured so DRS and HA differ between clusters.
func testClusters(t *testing.T, e *env) {
	c1, err := find.NewFinder(e.Vim).ClusterComputeResource(e.Ctx, "/DC1/host/DC1_C1")
	if err != nil {
		t.Fatal(err)
	}
	task, err := c1.Reconfigure(e.Ctx, &types.ClusterConfigSpecEx{
		DasConfig: &types.ClusterDasConfigInfo{Enabled: types.NewBool(true), AdmissionControlEnabled: types.NewBool(true)},
		DrsConfig: &types.ClusterDrsConfigInfo{Enabled: types.NewBool(false)},
	}, true)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}

	clusters := toolstest.RetrieveAll[mo.ClusterComputeResource](e.Env, "ClusterComputeResource", "name", "host", "datastore", "configurationEx", "overallStatus")
	hosts := map[types.ManagedObjectReference]mo.HostSystem{}
	for _, h := range toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", "name", "runtime", "summary", "vm") {
		hosts[h.Self] = h
	}
	vms := map[types.ManagedObjectReference]mo.VirtualMachine{}
	for _, v := range e.AllVMs("runtime.powerState", "config.template") {
		vms[v.Self] = v
	}
	wantItem := func(cl mo.ClusterComputeResource) ClusterItem {
		cfg := cl.ConfigurationEx.(*types.ClusterConfigInfoEx)
		it := ClusterItem{Name: cl.Name, ID: cl.Self.Value, Hosts: len(cl.Host),
			DRSEnabled: cfg.DrsConfig.Enabled != nil && *cfg.DrsConfig.Enabled,
			HAEnabled:  cfg.DasConfig.Enabled != nil && *cfg.DasConfig.Enabled}
		var memU, memT int64
		for _, ref := range cl.Host {
			h := hosts[ref]
			it.VMs += len(h.Vm)
			it.CPUUsedMHz += int64(h.Summary.QuickStats.OverallCpuUsage)
			it.CPUTotalMHz += int64(h.Summary.Hardware.CpuMhz) * int64(h.Summary.Hardware.NumCpuCores)
			memU += int64(h.Summary.QuickStats.OverallMemoryUsage) << 20
			memT += h.Summary.Hardware.MemorySize
		}
		it.MemoryUsedGB, it.MemoryTotalGB = toolstest.GiB(memU), toolstest.GiB(memT)
		return it
	}

	t.Run("list matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got ClusterList
		text := e.OK("cluster_list", nil, &got)
		if got.Total != len(clusters) || len(got.Items) != len(clusters) || len(clusters) != 4 {
			t.Fatalf("total %d items %d; simulator has %d", got.Total, len(got.Items), len(clusters))
		}
		var drs, ha int
		for _, cl := range clusters {
			i := slices.IndexFunc(got.Items, func(it ClusterItem) bool { return it.ID == cl.Self.Value })
			if i < 0 {
				t.Fatalf("%s missing", cl.Name)
			}
			want := wantItem(cl)
			if got.Items[i] != want {
				t.Errorf("got  %+v\nwant %+v", got.Items[i], want)
			}
			if want.DRSEnabled {
				drs++
			}
			if want.HAEnabled {
				ha++
			}
		}
		if drs != 3 || ha != 1 {
			t.Errorf("DRS on %d, HA on %d clusters; the reconfiguration did not take", drs, ha)
		}
		toolstest.MustContain(t, text, "4 clusters\nname\tid\thosts\tvms\tdrs\tha\tcpu_mhz\tmemory_gb\n", "DC1_C1\t"+c1.Reference().Value+"\t2\t")
		toolstest.MustContain(t, text, "\toff\ton\t", "\ton\toff\t")
	})

	t.Run("list filters and paging", func(t *testing.T) {
		e := e.at(t)
		names := func(l ClusterList) []string {
			var n []string
			for _, it := range l.Items {
				n = append(n, it.Name)
			}
			return toolstest.Sorted(n)
		}
		for _, tc := range []struct {
			args map[string]any
			want []string
		}{
			{map[string]any{"datacenter": "DC1"}, []string{"DC1_C0", "DC1_C1"}},
			{map[string]any{"datacenter": e.DatacenterRef("DC0").Value}, []string{"DC0_C0", "DC0_C1"}},
			{map[string]any{"name": "*_C1"}, []string{"DC0_C1", "DC1_C1"}},
			{map[string]any{"name": "*_C1", "datacenter": "/DC0"}, []string{"DC0_C1"}},
			{map[string]any{"name": "nothing*"}, nil},
		} {
			var got ClusterList
			e.OK("cluster_list", tc.args, &got)
			if n := names(got); !slices.Equal(n, tc.want) || got.Total != len(tc.want) {
				t.Errorf("%v: got %v, want %v", tc.args, n, tc.want)
			}
		}
		var p1, p2 ClusterList
		e.OK("cluster_list", map[string]any{"limit": 3}, &p1)
		e.OK("cluster_list", map[string]any{"limit": 3, "cursor": p1.NextCursor}, &p2)
		if len(p1.Items) != 3 || len(p2.Items) != 1 || p2.NextCursor != "" || p1.Total != 4 || p2.Total != 4 {
			t.Errorf("pages %+v then %+v", p1, p2)
		}
		toolstest.MustContain(t, e.Fails("cluster_list", map[string]any{"datacenter": "DC7"}), `no datacenter matches "DC7"`)
	})

	for _, ident := range []string{"DC1_C1", "/DC1/host/DC1_C1", c1.Reference().Value} {
		t.Run("get "+ident, func(t *testing.T) {
			e := e.at(t)
			var got ClusterDetail
			text := e.OK("cluster_get", map[string]any{"cluster": ident}, &got)
			i := slices.IndexFunc(clusters, func(cl mo.ClusterComputeResource) bool { return cl.Self == c1.Reference() })
			cl := clusters[i]
			li := wantItem(cl)
			if got.ID != cl.Self.Value || got.Name != "DC1_C1" || got.Path != "/DC1/host/DC1_C1" {
				t.Fatalf("resolved to %s %s", got.ID, got.Path)
			}
			if !got.HAEnabled || !got.HAAdmissionControl || got.DRSEnabled || got.OverallStatus != string(cl.OverallStatus) ||
				got.CPUUsedMHz != li.CPUUsedMHz || got.CPUTotalMHz != li.CPUTotalMHz ||
				got.MemoryUsedGB != li.MemoryUsedGB || got.MemoryTotalGB != li.MemoryTotalGB {
				t.Errorf("detail %+v differs from %+v", got, li)
			}
			var on, off, susp, tmpl, all int
			var wantHosts []ClusterHost
			for _, ref := range cl.Host {
				h := hosts[ref]
				wantHosts = append(wantHosts, ClusterHost{Name: h.Name, ID: ref.Value,
					ConnectionState: string(h.Runtime.ConnectionState), PowerState: string(h.Runtime.PowerState),
					MaintenanceMode: h.Runtime.InMaintenanceMode, VMs: len(h.Vm)})
				for _, v := range h.Vm {
					vm := vms[v]
					switch {
					case vm.Config.Template:
						tmpl++
						continue
					case vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn:
						on++
					case vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff:
						off++
					case vm.Runtime.PowerState == types.VirtualMachinePowerStateSuspended:
						susp++
					}
					all++
				}
			}
			if got.VMs != all || got.PoweredOn != on || got.PoweredOff != off || got.Suspended != susp || got.Templates != tmpl || all == 0 {
				t.Errorf("VM counts %d/%d/%d/%d/%d, want %d/%d/%d/%d/%d", got.VMs, got.PoweredOn, got.PoweredOff, got.Suspended, got.Templates,
					all, on, off, susp, tmpl)
			}
			if !slices.Equal(got.Hosts, wantHosts) {
				t.Errorf("hosts %+v, want %+v", got.Hosts, wantHosts)
			}
			var ds []string
			for _, r := range cl.Datastore {
				ds = append(ds, e.ObjectName(r))
			}
			if !slices.Equal(got.Datastores, ds) || len(ds) == 0 {
				t.Errorf("datastores %v, want %v", got.Datastores, ds)
			}
			toolstest.MustContain(t, text, "Cluster DC1_C1 ("+c1.Reference().Value+") /DC1/host/DC1_C1", "drs: off", "ha: on (",
				"admission control on", "datastores: "+strings.Join(ds, ", "), "2 hosts\nname\tid\tconnection\tpower\tmaintenance\tvms\n",
				"DC1_C1_H0\t")
		})
	}

	t.Run("get DRS behaviour", func(t *testing.T) {
		e := e.at(t)
		var got ClusterDetail
		text := e.OK("cluster_get", map[string]any{"cluster": "DC0_C0"}, &got)
		cfg := clusters[slices.IndexFunc(clusters, func(cl mo.ClusterComputeResource) bool { return cl.Name == "DC0_C0" })].
			ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !got.DRSEnabled || got.HAEnabled || got.DRSBehavior != string(cfg.DrsConfig.DefaultVmBehavior) {
			t.Errorf("DC0_C0: drs %v (%s) ha %v; simulator says %s", got.DRSEnabled, got.DRSBehavior, got.HAEnabled, cfg.DrsConfig.DefaultVmBehavior)
		}
		toolstest.MustContain(t, text, "drs: on", "ha: off")
	})

	t.Run("get errors", func(t *testing.T) {
		for _, tc := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{}, "cluster is required"},
			{map[string]any{"cluster": "DC9_C0"}, `no cluster matches "DC9_C0"`},
			{map[string]any{"cluster": "dc1_c1"}, `did you mean "DC1_C1"`},
			{map[string]any{"cluster": "domain-c99999"}, `no cluster matches "domain-c99999"`},
			{map[string]any{"cluster": "/DC0/host/DC0_H0"}, `no cluster matches "/DC0/host/DC0_H0"`},
			{map[string]any{"cluster": "DC0_C0", "host": "x"}, `unknown argument "host"`},
		} {
			t.Run(tc.want, func(t *testing.T) {
				e := e.at(t)
				toolstest.MustContain(t, e.Fails("cluster_get", tc.args), tc.want)
			})
		}
	})
}

func TestClusters(t *testing.T) {
	t.Parallel()
	testClusters(t, newEnv(t))
}
