package host

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

var hostProps = []string{"name", "parent", "runtime", "summary", "vm", "datastore", "network", "overallStatus"}

// wantHostItem is host_list's row for h as govmomi reads it.
func wantHostItem(e *env, h mo.HostSystem) HostItem {
	e.T.Helper()
	hw, qs := h.Summary.Hardware, h.Summary.QuickStats
	it := HostItem{
		Name: h.Name, ID: h.Self.Value,
		ConnectionState: string(h.Runtime.ConnectionState), PowerState: string(h.Runtime.PowerState),
		MaintenanceMode: h.Runtime.InMaintenanceMode, CPUCores: int(hw.NumCpuCores),
		CPUUsedMHz: int64(qs.OverallCpuUsage), CPUTotalMHz: int64(hw.CpuMhz) * int64(hw.NumCpuCores),
		MemoryUsedGB: toolstest.GiB(int64(qs.OverallMemoryUsage) << 20), MemoryTotalGB: toolstest.GiB(hw.MemorySize),
		VMs: len(h.Vm), Version: h.Summary.Config.Product.Version,
	}
	if h.Parent.Type == "ClusterComputeResource" {
		it.Cluster = e.ObjectName(*h.Parent)
	}
	return it
}

func hostIDs(items []HostItem) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return toolstest.Sorted(ids)
}

func testHostList(t *testing.T, e *env) {
	all := toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", hostProps...)

	t.Run("matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got HostList
		text := e.OK("host_list", nil, &got)
		if got.Total != len(all) || len(got.Items) != len(all) || got.NextCursor != "" {
			t.Fatalf("total %d items %d cursor %q; simulator has %d", got.Total, len(got.Items), got.NextCursor, len(all))
		}
		clustered := 0
		for _, h := range all {
			i := slices.IndexFunc(got.Items, func(it HostItem) bool { return it.ID == h.Self.Value })
			if i < 0 {
				t.Fatalf("%s missing", h.Name)
			}
			want := wantHostItem(e, h)
			if got.Items[i] != want {
				t.Errorf("got  %+v\nwant %+v", got.Items[i], want)
			}
			if want.Cluster != "" {
				clustered++
			}
		}
		if clustered == 0 || clustered == len(all) {
			t.Errorf("%d of %d hosts clustered: the demo should have both kinds", clustered, len(all))
		}
		toolstest.MustContain(t, text, "10 hosts\nname\tid\tcluster\tconnection\tpower\tmaintenance\tcores\tcpu_mhz\tmemory_gb\tvms\tesxi\n",
			"DC0_H0\thost-", "\t-\tconnected\tpoweredOn\tno\t", "DC0_C1_H0\thost-")
	})

	cluster, err := find.NewFinder(e.Vim).ClusterComputeResource(e.Ctx, "/DC1/host/DC1_C0")
	if err != nil {
		t.Fatal(err)
	}
	var inCluster, inDC1 []string
	for _, h := range all {
		if *h.Parent == cluster.Reference() {
			inCluster = append(inCluster, h.Self.Value)
		}
		if strings.HasPrefix(h.Name, "DC1_") {
			inDC1 = append(inDC1, h.Self.Value)
		}
	}
	var globbed, globbedDC1 []string
	for _, h := range all {
		if ok, _ := path.Match("DC*_C1_*", h.Name); ok {
			globbed = append(globbed, h.Self.Value)
			if strings.HasPrefix(h.Name, "DC1_") {
				globbedDC1 = append(globbedDC1, h.Self.Value)
			}
		}
	}
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"cluster by name", map[string]any{"cluster": "DC1_C0"}, inCluster},
		{"cluster by path", map[string]any{"cluster": "/DC1/host/DC1_C0"}, inCluster},
		{"cluster by id", map[string]any{"cluster": cluster.Reference().Value}, inCluster},
		{"datacenter", map[string]any{"datacenter": "DC1"}, inDC1},
		{"datacenter and cluster", map[string]any{"datacenter": "DC1", "cluster": "DC1_C0"}, inCluster},
		{"cluster of another datacenter", map[string]any{"datacenter": "DC0", "cluster": "DC1_C0"}, nil},
		{"name glob", map[string]any{"name": "DC*_C1_*"}, globbed},
		{"name glob and datacenter", map[string]any{"name": "DC*_C1_*", "datacenter": "DC1"}, globbedDC1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			var got HostList
			e.OK("host_list", tc.args, &got)
			if ids := hostIDs(got.Items); !slices.Equal(ids, toolstest.Sorted(tc.want)) || got.Total != len(tc.want) {
				t.Errorf("got %v (total %d), want %v", ids, got.Total, toolstest.Sorted(tc.want))
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		e := e.at(t)
		toolstest.MustContain(t, e.Fails("host_list", map[string]any{"cluster": "DC9_C9"}), `no cluster matches "DC9_C9"`)
		toolstest.MustContain(t, e.Fails("host_list", map[string]any{"cluster": "dc0_c0"}), `did you mean "DC0_C0"`)
		toolstest.MustContain(t, e.Fails("host_list", map[string]any{"datacenter": "/DC0/host"}), `no datacenter matches "/DC0/host"`)
		toolstest.MustContain(t, e.Fails("host_list", map[string]any{"name": "[x"}), "not a valid glob")
		toolstest.MustContain(t, e.Fails("host_list", map[string]any{"limit": 0.5}), `"limit" must be an integer`)
	})
}

// TestHostListPaging pages through more hosts than fit on a page, and sees
// state changes made in the simulator.
func TestHostListPaging(t *testing.T) {
	t.Parallel()
	m := simulator.VPX()
	m.ClusterHost = 8
	m.Host = 4
	m.Machine = 1
	e := newEnv(t, m)
	all := toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", "name")
	if len(all) != 12 {
		t.Fatalf("model has %d hosts, want 12", len(all))
	}

	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		args := map[string]any{"limit": 5}
		if cursor != "" {
			args["cursor"] = cursor
		}
		var page HostList
		text := e.OK("host_list", args, &page)
		pages++
		if page.Total != len(all) {
			t.Fatalf("total %d, want %d", page.Total, len(all))
		}
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("%s listed twice", it.ID)
			}
			seen[it.ID] = true
		}
		if page.NextCursor == "" {
			if len(page.Items) != 2 {
				t.Errorf("last page has %d hosts, want 2", len(page.Items))
			}
			break
		}
		if len(page.Items) != 5 {
			t.Fatalf("non-final page has %d hosts", len(page.Items))
		}
		toolstest.MustContain(t, text, "12 hosts, 5 shown; more with cursor="+page.NextCursor)
		cursor = page.NextCursor
	}
	if pages != 3 || len(seen) != len(all) {
		t.Errorf("%d pages, %d hosts; want 3 and %d", pages, len(seen), len(all))
	}

	// A filtered listing pages too, and its cursor only continues it.
	var p1, p2 HostList
	e.OK("host_list", map[string]any{"cluster": "DC0_C0", "limit": 3}, &p1)
	if p1.Total != 8 || len(p1.Items) != 3 || p1.NextCursor == "" {
		t.Fatalf("cluster page 1: %+v", p1)
	}
	toolstest.MustContain(t, e.Fails("host_list", map[string]any{"limit": 3, "cursor": p1.NextCursor}), "same filters")
	e.OK("host_list", map[string]any{"cluster": "DC0_C0", "limit": 6, "cursor": p1.NextCursor}, &p2)
	if len(p2.Items) != 5 || p2.NextCursor != "" || slices.Contains(hostIDs(p2.Items), p1.Items[0].ID) {
		t.Errorf("cluster page 2: %+v", p2)
	}

	// Maintenance mode and a disconnected host show as vSphere names them.
	hosts, err := find.NewFinder(e.Vim).HostSystemList(e.Ctx, "/DC0/host/DC0_C0/*")
	if err != nil {
		t.Fatal(err)
	}
	task, err := hosts[0].EnterMaintenanceMode(e.Ctx, 0, false, nil)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	task, err = hosts[1].Disconnect(e.Ctx)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	var got HostList
	text := e.OK("host_list", map[string]any{"limit": 1000}, &got)
	byID := map[string]HostItem{}
	for _, it := range got.Items {
		byID[it.ID] = it
	}
	if it := byID[hosts[0].Reference().Value]; !it.MaintenanceMode {
		t.Errorf("host in maintenance mode listed as %+v", it)
	}
	if it := byID[hosts[1].Reference().Value]; it.ConnectionState != "disconnected" {
		t.Errorf("disconnected host listed as %+v", it)
	}
	toolstest.MustContain(t, text, "\tyes\t", "\tdisconnected\t")
}

func testHostGet(t *testing.T, e *env) {
	// The simulator spreads a cluster's VMs over its hosts at random: take
	// the clustered host with the most.
	hosts, err := find.NewFinder(e.Vim).HostSystemList(e.Ctx, "/DC0/host/DC0_C1/*")
	if err != nil {
		t.Fatal(err)
	}
	var host *object.HostSystem
	var h mo.HostSystem
	for _, hs := range hosts {
		var m mo.HostSystem
		if err := hs.Properties(e.Ctx, hs.Reference(), hostProps, &m); err != nil {
			t.Fatal(err)
		}
		if host == nil || len(m.Vm) > len(h.Vm) {
			host, h = hs, m
		}
	}
	on := 0
	for _, ref := range h.Vm {
		var vm mo.VirtualMachine
		if err := object.NewVirtualMachine(e.Vim, ref).Properties(e.Ctx, ref, []string{"runtime.powerState"}, &vm); err != nil {
			t.Fatal(err)
		}
		if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			on++
		}
	}
	var dsNames, netNames []string
	for _, r := range h.Datastore {
		dsNames = append(dsNames, e.ObjectName(r))
	}
	for _, r := range h.Network {
		netNames = append(netNames, e.ObjectName(r))
	}
	hw := h.Summary.Hardware
	wantPath := "/DC0/host/DC0_C1/" + h.Name

	for _, ident := range []string{h.Name, wantPath, host.Reference().Value, hw.Uuid} {
		t.Run(ident, func(t *testing.T) {
			e := e.at(t)
			var got HostDetail
			text := e.OK("host_get", map[string]any{"host": ident}, &got)
			if got.ID != host.Reference().Value || got.Path != wantPath || got.Name != h.Name {
				t.Fatalf("resolved to %s %s", got.ID, got.Path)
			}
			li := wantHostItem(e, h)
			if got.Cluster != "DC0_C1" || got.ConnectionState != li.ConnectionState || got.PowerState != li.PowerState ||
				got.MaintenanceMode != li.MaintenanceMode || got.OverallStatus != string(h.OverallStatus) ||
				got.Vendor != hw.Vendor || got.Model != hw.Model || got.UUID != hw.Uuid || got.CPUModel != hw.CpuModel ||
				got.CPUSockets != int(hw.NumCpuPkgs) || got.CPUCores != int(hw.NumCpuCores) || got.CPUThreads != int(hw.NumCpuThreads) ||
				got.CPUUsedMHz != li.CPUUsedMHz || got.CPUTotalMHz != li.CPUTotalMHz ||
				got.MemoryUsedGB != li.MemoryUsedGB || got.MemoryTotalGB != li.MemoryTotalGB ||
				got.Version != h.Summary.Config.Product.Version || got.Build != h.Summary.Config.Product.Build ||
				got.Product != h.Summary.Config.Product.FullName || got.UptimeSeconds != int64(h.Summary.QuickStats.Uptime) ||
				got.VMs != len(h.Vm) || got.VMsPoweredOn != on {
				t.Errorf("detail differs from simulator:\n got %+v\nhost %+v", got, li)
			}
			if !slices.Equal(got.Datastores, dsNames) || !slices.Equal(got.Networks, netNames) || len(dsNames) == 0 || len(netNames) == 0 {
				t.Errorf("datastores %v networks %v, want %v and %v", got.Datastores, got.Networks, dsNames, netNames)
			}
			if got.BootTime == "" || got.VMs == 0 {
				t.Errorf("boot time or VMs missing: %+v", got)
			}
			toolstest.MustContain(t, text, "Host "+h.Name+" ("+host.Reference().Value+") "+wantPath, "cluster: DC0_C1",
				"state: connected, poweredOn, maintenance mode no", "cpu: "+hw.CpuModel, "esxi: "+h.Summary.Config.Product.FullName,
				"datastores: "+strings.Join(dsNames, ", "))
		})
	}

	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{}, "host is required"},
		{map[string]any{"host": "  "}, "host is required"},
		{map[string]any{"host": "DC9_H9"}, `no host matches "DC9_H9"`},
		{map[string]any{"host": "dc0_h0"}, `did you mean "DC0_H0"`},
		{map[string]any{"host": "host-99999"}, `no host matches "host-99999"`},
		{map[string]any{"host": "/DC0/host/DC0_C1"}, `no host matches "/DC0/host/DC0_C1"`},
		{map[string]any{"host": "/DC0/host/nope"}, `no host matches "/DC0/host/nope"`},
		{map[string]any{"host": "00000000-0000-0000-0000-000000000000"}, "no host matches"},
		{map[string]any{"host": []string{"a"}}, `"host" must be a string`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			e := e.at(t)
			toolstest.MustContain(t, e.Fails("host_get", tc.args), tc.want)
		})
	}
}

// TestHostTools runs host_list and host_get on one simulator.
func TestHostTools(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t.Run("host_list", func(t *testing.T) { testHostList(t, e.at(t)) })
	t.Run("host_get", func(t *testing.T) { testHostGet(t, e.at(t)) })
}
