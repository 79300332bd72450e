package metrics

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/performance"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

const vmPath = "/DC0/vm/DC0_H0_VM0"

// direct reads one series straight from the simulator through govmomi's
// QueryPerf: oldest first, missing samples (-1) dropped, raw values
// times scale.
func (e *env) direct(entity types.ManagedObjectReference, counter, instance string, period int32, w Window, scale float64) []Sample {
	e.T.Helper()
	pm := e.pm
	byName, err := pm.CounterInfoByName(e.Ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	c, ok := byName[counter]
	if !ok {
		e.T.Fatalf("no counter %s", counter)
	}
	res, err := pm.Query(e.Ctx, []types.PerfQuerySpec{{
		Entity: entity, StartTime: &w.Start, EndTime: &w.End, IntervalId: period,
		MetricId: []types.PerfMetricId{{CounterId: c.Key, Instance: instance}},
	}})
	if err != nil {
		e.T.Fatalf("QueryPerf: %v", err)
	}
	em := res[0].(*types.PerfEntityMetric)
	var out []Sample
	for _, v := range em.Value {
		for i, raw := range v.(*types.PerfMetricIntSeries).Value {
			if raw >= 0 {
				out = append(out, Sample{Time: em.SampleInfo[i].Timestamp, Value: float64(raw) * scale})
			}
		}
	}
	slices.SortFunc(out, func(a, b Sample) int { return a.Time.Compare(b.Time) })
	return out
}

func (e *env) ref(kind, path string) types.ManagedObjectReference {
	e.T.Helper()
	f := find.NewFinder(e.Vim)
	var (
		o   object.Reference
		err error
	)
	switch kind {
	case "VirtualMachine":
		o, err = f.VirtualMachine(e.Ctx, path)
	case "HostSystem":
		o, err = f.HostSystem(e.Ctx, path)
	case "ClusterComputeResource":
		o, err = f.ClusterComputeResource(e.Ctx, path)
	case "Datastore":
		o, err = f.Datastore(e.Ctx, path)
	}
	if err != nil {
		e.T.Fatal(err)
	}
	return o.Reference()
}

func parseWindow(t *testing.T, r MetricsResult) Window {
	t.Helper()
	s, err1 := time.Parse(time.RFC3339, r.Start)
	e, err2 := time.Parse(time.RFC3339, r.End)
	if err1 != nil || err2 != nil {
		t.Fatalf("window %s..%s", r.Start, r.End)
	}
	return Window{s, e}
}

// TestMetricsGet: metrics_get's values are what a direct QueryPerf of
// the same window returns, in human units, summarized and downsampled.
func TestMetricsGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vm := e.ref("VirtualMachine", vmPath)
	host := e.ref("HostSystem", "/DC0/host/DC0_C0/DC0_C0_H0")
	end := time.Now().Add(-time.Minute).Truncate(time.Second).UTC()
	w := Window{end.Add(-40 * time.Minute), end}
	tests := []struct {
		name    string
		object  string
		entity  types.ManagedObjectReference
		metric  string
		counter string
		unit    string
		scale   float64
	}{
		{"vm cpu.usage", vmPath, vm, "cpu.usage", "cpu.usage.average", "%", 0.01},
		{"vm cpu.ready", "DC0_H0_VM0", vm, "cpu.ready", "cpu.ready.summation", "%", 100.0 / (20 * 1000)},
		{"vm mem.balloon", vm.Value, vm, "mem.balloon", "mem.vmmemctl.average", "MB", 1.0 / 1024},
		{"vm disk.latency", vmPath, vm, "disk.latency", "disk.maxTotalLatency.latest", "ms", 1},
		{"vm by vSphere name", vmPath, vm, "mem.consumed.average", "mem.consumed.average", "MB", 1.0 / 1024},
		{"host cpu.usage", "DC0_C0_H0", host, "cpu.usage", "cpu.usage.average", "%", 0.01},
		{"host net.tx", "DC0_C0_H0", host, "net.tx", "net.transmitted.average", "KB/s", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			var r MetricsResult
			text := e.OK("metrics_get", map[string]any{"object": tc.object, "metrics": []string{tc.metric},
				"start": w.Start.Format(time.RFC3339), "end": w.End.Format(time.RFC3339), "points": 12}, &r)
			if r.ObjectID != tc.entity.Value || r.Interval != "realtime" || r.Period != 20 || len(r.Missing) != 0 || len(r.Metrics) != 1 {
				t.Fatalf("%+v", r)
			}
			if got := parseWindow(t, r); !got.Start.Equal(w.Start) || !got.End.Equal(w.End) {
				t.Fatalf("window %+v, asked %+v", got, w)
			}
			want := e.direct(tc.entity, tc.counter, "", 20, w, tc.scale)
			if len(want) < 100 {
				t.Fatalf("direct query gave %d samples", len(want))
			}
			m := r.Metrics[0]
			ws := Summarize(want)
			if m.Counter != tc.counter || m.Unit != tc.unit || m.Stats != ws {
				t.Errorf("got %s %s %+v\nwant %s %s %+v", m.Counter, m.Unit, m.Stats, tc.counter, tc.unit, ws)
			}
			wantSeries := asPoints(Downsample(want, 12))
			if !slices.Equal(m.Series, wantSeries) || len(m.Series) != 12 {
				t.Errorf("series %v\nwant %v", m.Series, wantSeries)
			}
			if !slices.IsSortedFunc(m.Series, func(a, b Point) int { return strings.Compare(a.Time, b.Time) }) {
				t.Errorf("series not oldest first: %v", m.Series)
			}
			toolstest.MustContain(t, text, "metric\tinstance\tunit\tmin\tavg\tmax\tp95\tlast\tsamples\n"+tc.metric+"\t-\t"+tc.unit+"\t",
				"series "+tc.metric+" ("+tc.unit+", oldest first): ")
		})
	}

	t.Run("defaults", func(t *testing.T) {
		e := e.at(t)
		var r MetricsResult
		e.OK("metrics_get", map[string]any{"object": vmPath}, &r)
		var names []string
		for _, m := range r.Metrics {
			names = append(names, m.Metric)
			if len(m.Series) > defaultPoints || m.Samples < 150 {
				t.Errorf("%s: %d points of %d samples over the last hour", m.Metric, len(m.Series), m.Samples)
			}
		}
		if !slices.Equal(names, defaultMetrics["VirtualMachine"]) || len(r.Missing) != 0 {
			t.Errorf("default metrics %v, missing %+v", names, r.Missing)
		}
		if s, _ := time.Parse(time.RFC3339, r.Start); time.Since(s) < 59*time.Minute || time.Since(s) > 61*time.Minute {
			t.Errorf("default realtime window starts %s", r.Start)
		}
	})

	t.Run("per instance", func(t *testing.T) {
		e := e.at(t)
		var r MetricsResult
		e.OK("metrics_get", map[string]any{"object": vmPath, "metrics": []string{"net.rx"}, "instance": "*",
			"start": w.Start.Format(time.RFC3339), "end": w.End.Format(time.RFC3339)}, &r)
		avail, err := performance.NewManager(e.Vim).AvailableMetric(e.Ctx, vm, 20)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, id := range avail {
			if id.CounterId == 148 && id.Instance != "" {
				want = append(want, id.Instance)
			}
		}
		for _, m := range r.Metrics {
			got = append(got, m.Instance)
			d := Summarize(e.direct(vm, "net.received.average", m.Instance, 20, w, 1))
			if m.Stats != d {
				t.Errorf("instance %s: %+v, direct %+v", m.Instance, m.Stats, d)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) || len(want) < 2 {
			t.Errorf("instances %v, available %v", got, want)
		}
		var one MetricsResult
		e.OK("metrics_get", map[string]any{"object": vmPath, "metrics": []string{"net.rx"}, "instance": want[0]}, &one)
		if len(one.Metrics) != 1 || one.Metrics[0].Instance != want[0] {
			t.Errorf("instance %s: %+v", want[0], one)
		}
	})

	t.Run("historical", func(t *testing.T) {
		e := e.at(t)
		var r MetricsResult
		text := e.OK("metrics_get", map[string]any{"object": "DC0_C0", "metrics": []string{"cpu.usage", "mem.active", "disk.latency"}, "interval": "day"}, &r)
		if r.Interval != "day" || r.Period != 300 || r.ObjectType != "ClusterComputeResource" {
			t.Fatalf("%+v", r)
		}
		if len(r.Metrics) != 1 || r.Metrics[0].Metric != "cpu.usage" {
			t.Fatalf("metrics %+v", r.Metrics)
		}
		d := Summarize(e.direct(e.ref("ClusterComputeResource", "/DC0/host/DC0_C0"), "cpu.usage.average", "", 300, parseWindow(t, r), 0.01))
		if r.Metrics[0].Stats != d || d.Samples < 250 {
			t.Errorf("cluster cpu.usage over a day %+v, direct %+v", r.Metrics[0].Stats, d)
		}
		// mem.active is a level 2 counter; the day interval keeps level 1.
		// disk.latency is not kept for clusters at all.
		if len(r.Missing) != 2 || r.Missing[0].Metric != "mem.active" || !strings.Contains(r.Missing[0].Reason, "statistics level too low") ||
			!strings.Contains(r.Missing[0].Reason, "level 2") || r.Missing[1].Metric != "disk.latency" || !strings.Contains(r.Missing[1].Reason, "not available for this cluster") {
			t.Errorf("missing %+v", r.Missing)
		}
		toolstest.MustContain(t, text, "not collected: mem.active: statistics level too low", "not collected: disk.latency: not available for this cluster at interval day")
		var ds MetricsResult
		e.OK("metrics_get", map[string]any{"object": "/DC0/datastore/LocalDS_0", "metrics": []string{"datastore.used"}, "interval": "week"}, &ds)
		if ds.ObjectType != "Datastore" || ds.Period != 1800 || len(ds.Metrics) != 1 || ds.Metrics[0].Unit != "MB" {
			t.Errorf("datastore week: %+v", ds)
		}
	})

	t.Run("resource pool", func(t *testing.T) {
		e := e.at(t)
		var r MetricsResult
		e.OK("metrics_get", map[string]any{"object": "/DC0/host/DC0_C0/Resources", "start": w.Start.Format(time.RFC3339), "end": w.End.Format(time.RFC3339)}, &r)
		if r.ObjectType != "ResourcePool" || len(r.Metrics) != 2 || r.Metrics[0].Counter != "cpu.usagemhz.average" || r.Metrics[0].Unit != "MHz" {
			t.Fatalf("%+v", r)
		}
		pool := types.ManagedObjectReference{Type: "ResourcePool", Value: r.ObjectID}
		if d := Summarize(e.direct(pool, "cpu.usagemhz.average", "", 20, w, 1)); r.Metrics[0].Stats != d {
			t.Errorf("pool cpu %+v, direct %+v", r.Metrics[0].Stats, d)
		}
	})

	t.Run("powered off", func(t *testing.T) {
		e := e.at(t)
		off := "/DC0/vm/DC0_H0_VM1"
		tk, err := object.NewVirtualMachine(e.Vim, e.ref("VirtualMachine", off)).PowerOff(e.Ctx)
		if err == nil {
			err = tk.Wait(e.Ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		var r MetricsResult
		e.OK("metrics_get", map[string]any{"object": off, "metrics": []string{"cpu.usage"}}, &r)
		if len(r.Metrics) != 0 || len(r.Missing) != 1 || !strings.Contains(r.Missing[0].Reason, "no samples in the window") {
			t.Errorf("powered-off VM: %+v", r)
		}
	})

	t.Run("refused", func(t *testing.T) {
		e := e.at(t)
		for _, c := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{}, "object is required"},
			{map[string]any{"object": vmPath, "metrics": []string{"cpu usage"}}, "is not a metric name"},
			{map[string]any{"object": vmPath, "metrics": []string{"cpu.nosuch"}}, "vCenter has no performance counter"},
			{map[string]any{"object": vmPath, "interval": "hour"}, "not one of realtime, day, week, month, year"},
			{map[string]any{"object": vmPath, "start": "yesterday"}, "neither an RFC 3339 time"},
			{map[string]any{"object": vmPath, "start": "1h", "end": "2h"}, "is not before end"},
			{map[string]any{"object": vmPath, "points": 501}, "points must be between 1 and 500"},
			{map[string]any{"object": "DC0_C0"}, "no realtime statistics of a cluster"},
			{map[string]any{"object": "no-such-thing"}, "no object matches"},
			{map[string]any{"object": vmPath, "metrics": make([]string, 21)}, "the limit is 20"},
		} {
			toolstest.MustContain(t, e.Fails("metrics_get", c.args), c.want)
		}
	})
}

// TestMetricsList: the counters metrics_list shows are those
// QueryAvailablePerfMetric has for the object, with friendly names,
// units and whether the interval's level collects them.
func TestMetricsList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vm := e.ref("VirtualMachine", vmPath)
	pm := performance.NewManager(e.Vim)
	byKey, err := pm.CounterInfoByKey(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range []struct {
		name   string
		period int32
	}{{"realtime", 20}, {"day", 300}} {
		var l MetricsList
		text := e.OK("metrics_list", map[string]any{"object": vmPath, "interval": iv.name}, &l)
		avail, err := pm.AvailableMetric(e.Ctx, vm, iv.period)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, id := range avail {
			if c, ok := byKey[id.CounterId]; ok && !slices.Contains(want, c.Name()) {
				want = append(want, c.Name())
			}
		}
		for _, c := range l.Counters {
			got = append(got, c.Counter)
			ctr := byKey[func() int32 {
				for k, v := range byKey {
					if v.Name() == c.Counter {
						return k
					}
				}
				return 0
			}()]
			if c.Level != ctr.Level || c.Collected != (iv.name == "realtime" || ctr.Level <= 1) {
				t.Errorf("%s at %s: level %d collected %v", c.Counter, iv.name, c.Level, c.Collected)
			}
		}
		slices.Sort(want)
		if !slices.Equal(toolstest.Sorted(got), want) {
			t.Errorf("%s counters %v\nwant %v", iv.name, toolstest.Sorted(got), want)
		}
		i := slices.IndexFunc(l.Counters, func(c CounterItem) bool { return c.Counter == "cpu.ready.summation" })
		if i < 0 || l.Counters[i].Friendly != "cpu.ready" || l.Counters[i].Unit != "%" || l.Counters[i].VSphereUnit != "millisecond" || !l.Counters[i].Aggregate {
			t.Errorf("cpu.ready: %+v", l.Counters)
		}
		if len(l.Intervals) != 5 || l.Intervals[1].Name != "day" || l.Intervals[1].Period != 300 || l.Intervals[1].Level != 1 || l.Intervals[4].Period != 86400 {
			t.Errorf("intervals %+v", l.Intervals)
		}
		toolstest.MustContain(t, text, "intervals: realtime 20s, day 300s level 1, week 1800s level 1, month 7200s level 1, year 86400s level 1",
			"friendly\tcounter\tunit\tlevel\tcollected\tinstances\tdescription")
	}
	var cl MetricsList
	text := e.OK("metrics_list", map[string]any{"object": "DC0_C0"}, &cl)
	if len(cl.Counters) != 0 || !strings.Contains(cl.Note, "no realtime statistics") {
		t.Errorf("cluster realtime: %+v", cl)
	}
	toolstest.MustContain(t, text, "list another interval")
	toolstest.MustContain(t, e.Fails("metrics_list", map[string]any{"object": vmPath, "interval": "hourly"}), "not one of")
}
