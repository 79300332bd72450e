package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// members lists the VMs or hosts below root through govmomi, as
// metrics_top ranks them: no templates, and for realtime only running VMs
// and connected hosts.
func (e *env) members(root types.ManagedObjectReference, kind string) []types.ManagedObjectReference {
	e.T.Helper()
	v, err := view.NewManager(e.Vim).CreateContainerView(e.Ctx, root, []string{kind}, true)
	if err != nil {
		e.T.Fatal(err)
	}
	defer func() { _ = v.Destroy(e.Ctx) }()
	var out []types.ManagedObjectReference
	if kind == "VirtualMachine" {
		var vms []mo.VirtualMachine
		if err := v.Retrieve(e.Ctx, []string{kind}, []string{"config.template", "runtime.powerState"}, &vms); err != nil {
			e.T.Fatal(err)
		}
		for _, vm := range vms {
			if !vm.Config.Template && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
				out = append(out, vm.Self)
			}
		}
		return out
	}
	var hosts []mo.HostSystem
	if err := v.Retrieve(e.Ctx, []string{kind}, []string{"runtime.connectionState"}, &hosts); err != nil {
		e.T.Fatal(err)
	}
	for _, h := range hosts {
		if h.Runtime.ConnectionState == types.HostSystemConnectionStateConnected {
			out = append(out, h.Self)
		}
	}
	return out
}

// ranking ranks refs by the average of a direct QueryPerf of counter
// over w, heaviest first.
func (e *env) ranking(refs []types.ManagedObjectReference, counter string, scale float64, w Window) []TopItem {
	e.T.Helper()
	var items []TopItem
	for _, r := range refs {
		s := Summarize(e.direct(r, counter, "", 20, w, scale))
		items = append(items, TopItem{ID: r.Value, Avg: s.Avg, Max: s.Max, Last: s.Last, Samples: s.Samples})
	}
	slices.SortFunc(items, func(x, y TopItem) int {
		if c := cmp.Compare(y.Avg, x.Avg); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	return items
}

func topWindow(t *testing.T, r TopResult) Window {
	t.Helper()
	return parseWindow(t, MetricsResult{Start: r.Start, End: r.End})
}

func sameRanking(t *testing.T, got []TopItem, want []TopItem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d ranked, want %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range got {
		g := got[i]
		if g.Rank != i+1 || g.Name == "" || g.ID != want[i].ID || g.Avg != want[i].Avg || g.Max != want[i].Max || g.Last != want[i].Last || g.Samples != want[i].Samples {
			t.Errorf("rank %d: got %+v, want %+v", i+1, g, want[i])
		}
	}
}

// TestMetricsTop: metrics_top's ranking is the ranking of a direct
// QueryPerf of every candidate over the same window, asked in one
// batched QueryPerf.
func TestMetricsTop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A powered-off VM and a template are never ranked.
	off := object.NewVirtualMachine(e.Vim, e.ref("VirtualMachine", "/DC0/vm/DC0_C0_RP1_VM0"))
	tk, err := off.PowerOff(e.Ctx)
	if err == nil {
		err = tk.Wait(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := object.NewVirtualMachine(e.Vim, e.ref("VirtualMachine", "/DC0/vm/DC0_C0_RP1_VM1"))
	if tk, err = tmpl.PowerOff(e.Ctx); err == nil {
		err = tk.Wait(e.Ctx)
	}
	if err == nil {
		err = tmpl.MarkAsTemplate(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	root := e.Vim.ServiceContent.RootFolder
	cluster := e.ref("ClusterComputeResource", "/DC0/host/DC0_C0")
	tests := []struct {
		name    string
		args    map[string]any
		root    types.ManagedObjectReference
		kind    string
		counter string
		scale   float64
		n       int
	}{
		{"all VMs by cpu.usage", map[string]any{}, root, "VirtualMachine", "cpu.usage.average", 0.01, 10},
		{"VMs of a cluster by cpu.ready", map[string]any{"cluster": "DC0_C0", "metric": "cpu.ready", "n": 3}, cluster, "VirtualMachine", "cpu.ready.summation", 100.0 / 20000, 3},
		{"every VM by mem.balloon", map[string]any{"metric": "mem.balloon", "n": 50}, root, "VirtualMachine", "mem.vmmemctl.average", 1.0 / 1024, 50},
		{"hosts of a datacenter", map[string]any{"type": "host", "datacenter": "DC1", "metric": "mem.usage"}, e.ref("ClusterComputeResource", "/DC1/host/DC1_C0").Reference(), "", "mem.usage.average", 0.01, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			var refs []types.ManagedObjectReference
			if tc.kind == "" {
				// Hosts of DC1: its clusters' and its standalone host.
				for _, h := range e.members(root, "HostSystem") {
					if strings.HasPrefix(e.ObjectName(h), "DC1_") {
						refs = append(refs, h)
					}
				}
			} else {
				refs = e.members(tc.root, tc.kind)
			}
			if slices.Contains(refs, off.Reference()) || slices.Contains(refs, tmpl.Reference()) {
				t.Fatal("the powered-off VM or the template is a candidate")
			}
			q0, s0 := e.perf.queries.Load(), e.perf.specs.Load()
			var r TopResult
			text := e.OK("metrics_top", tc.args, &r)
			if q, s := e.perf.queries.Load()-q0, e.perf.specs.Load()-s0; q != 1 || s != int64(len(refs)) {
				t.Errorf("metrics_top made %d QueryPerf calls for %d objects; want 1 for %d", q, s, len(refs))
			}
			want := e.ranking(refs, tc.counter, tc.scale, topWindow(t, r))
			if r.Queried != len(refs) || r.Ranked != len(refs) || r.Counter != tc.counter {
				t.Errorf("queried %d ranked %d counter %s; want %d %s", r.Queried, r.Ranked, r.Counter, len(refs), tc.counter)
			}
			sameRanking(t, r.Items, want[:min(tc.n, len(want))])
			if w := topWindow(t, r); w.End.Sub(w.Start) != 5*time.Minute || time.Since(w.End) > time.Minute {
				t.Errorf("realtime window %s..%s", r.Start, r.End)
			}
			toolstest.MustContain(t, text, "rank\tname\tid\tavg\tmax\tlast\tsamples\n1\t"+r.Items[0].Name+"\t"+r.Items[0].ID+"\t")
		})
	}

	t.Run("day", func(t *testing.T) {
		e := e.at(t)
		var r TopResult
		e.OK("metrics_top", map[string]any{"type": "host", "interval": "day", "n": 2}, &r)
		w := topWindow(t, r)
		if r.Interval != "day" || w.End.Sub(w.Start) != 24*time.Hour || len(r.Items) != 2 {
			t.Fatalf("%+v", r)
		}
		all := e.members(root, "HostSystem")
		var want []TopItem
		for _, h := range all {
			s := Summarize(e.direct(h, "cpu.usage.average", "", 300, w, 0.01))
			want = append(want, TopItem{ID: h.Value, Avg: s.Avg, Max: s.Max, Last: s.Last, Samples: s.Samples})
		}
		slices.SortFunc(want, func(x, y TopItem) int {
			if c := cmp.Compare(y.Avg, x.Avg); c != 0 {
				return c
			}
			return cmp.Compare(x.ID, y.ID)
		})
		sameRanking(t, r.Items, want[:2])
	})

	t.Run("refused", func(t *testing.T) {
		e := e.at(t)
		for _, c := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{"type": "cluster"}, "is not vm or host"},
			{map[string]any{"n": 51}, "n must be between 1 and 50"},
			{map[string]any{"type": "host", "host": "DC0_H0"}, "host narrows VMs"},
			{map[string]any{"metric": "mem.active", "interval": "day"}, "statistics level too low"},
			{map[string]any{"metric": "datastore.used"}, "not available for this VM"},
			{map[string]any{"metric": "no.such"}, "vCenter has no performance counter"},
			{map[string]any{"cluster": "no-such-cluster"}, "no cluster matches"},
		} {
			toolstest.MustContain(t, e.Fails("metrics_top", c.args), c.want)
		}
	})
}

// TestMetricsTopInScope: a role scoped to DC0 ranks only DC0's VMs.
func TestMetricsTopInScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0-view": {Inherits: "viewer", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	e := newPolicyEnv(t, toolstest.Policy(t, "dc0-view", custom, nil))
	var r TopResult
	e.OK("metrics_top", map[string]any{"n": 50}, &r)
	dc0 := e.members(e.ref("ClusterComputeResource", "/DC0/host/DC0_C0").Reference(), "VirtualMachine")
	if r.Ranked == 0 || r.Ranked >= len(e.members(e.Vim.ServiceContent.RootFolder, "VirtualMachine")) || len(dc0) == 0 {
		t.Fatalf("ranked %d", r.Ranked)
	}
	for _, it := range r.Items {
		if !strings.HasPrefix(it.Name, "DC0_") {
			t.Errorf("out-of-scope VM ranked: %+v", it)
		}
	}
	toolstest.MustContain(t, e.Fails("metrics_top", map[string]any{"datacenter": "DC1"}), "within this profile's scope")
	toolstest.MustContain(t, e.Fails("metrics_get", map[string]any{"object": "DC1_H0_VM0"}), "within this profile's scope")
}

// BenchmarkMetricsTop ranks a few hundred VMs by CPU (one QueryPerf per
// 500 VMs) through the tool's code on a session, without MCP.
func BenchmarkMetricsTop(b *testing.B) {
	m := simulator.VPX()
	m.Datacenter, m.Cluster, m.ClusterHost, m.Host, m.Machine = 1, 4, 2, 4, 40 // 40 VMs per cluster and standalone host: 320
	m, calls := perfModel(b, m)
	ctx := context.Background()
	sim, err := vcenter.StartSimulator(ctx, m, false)
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	sess := vcenter.NewSession(sim.Config, slog.New(slog.DiscardHandler))
	defer func() { _ = sess.Close(ctx) }()
	var r TopResult
	b.ResetTimer()
	for b.Loop() {
		err := sess.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			r, err = top(ctx, c, MetricsTopArgs{N: 10}, time.Now())
			return err
		})
		if err != nil || len(r.Items) != 10 {
			b.Fatalf("%v %+v", err, r)
		}
	}
	b.ReportMetric(float64(r.Queried), "VMs")
	b.ReportMetric(float64(calls.queries.Load())/float64(b.N), "QueryPerf/op")
}
