package metrics

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

const (
	defaultPoints = 30
	maxPoints     = 500
	maxMetrics    = 20
	// maxSeries bounds what instance * returns (a host with many disks).
	maxSeries = 64
)

// defaultMetrics answer "why is it slow?" for each kind of object.
var defaultMetrics = map[string][]string{
	"VirtualMachine":         {"cpu.usage", "cpu.ready", "mem.usage", "mem.balloon", "disk.latency"},
	"HostSystem":             {"cpu.usage", "cpu.ready", "mem.usage", "mem.balloon", "disk.latency"},
	"ClusterComputeResource": {"cpu.usage", "mem.usage"},
	"ResourcePool":           {"cpu.usagemhz.average", "mem.active"},
	"Datastore":              {"datastore.used"},
}

// MetricsGetArgs are metrics_get's arguments.
type MetricsGetArgs struct {
	Object   string   `json:"object" jsonschema:"The VM, host, cluster, datastore or resource pool: name, inventory path or ID"`
	Metrics  []string `json:"metrics,omitempty" jsonschema:"Friendly names (cpu.usage, cpu.ready, mem.usage, mem.active, mem.balloon, mem.swapped, disk.read, disk.write, disk.latency, net.rx, net.tx, datastore.used) or vSphere counter names (cpu.usage.average); default: CPU, ready, memory, balloon and disk latency"`
	Interval string   `json:"interval,omitempty" jsonschema_description:"realtime (20 s samples; the last hour; default), day (5 min), week (30 min), month (2 h) or year (1 day)" jsonschema:"enum=realtime,enum=day,enum=week,enum=month,enum=year"`
	Start    string   `json:"start,omitempty" jsonschema:"Start of the window: RFC 3339 or a duration ago (2h, 30m, 7d); default what vCenter keeps of the interval (realtime: 1h)"`
	End      string   `json:"end,omitempty" jsonschema:"End of the window: RFC 3339 or a duration ago; default now"`
	Instance string   `json:"instance,omitempty" jsonschema:"Default: the aggregate; * for each instance (per disk, NIC, CPU); or one instance name"`
	Points   int      `json:"points,omitempty" jsonschema:"Series points per metric, 1-500 (default 30): the samples are averaged down to this many"`
}

func (a *MetricsGetArgs) Validate() error {
	if err := toolkit.RequireIdent("object", a.Object, "object"); err != nil {
		return err
	}
	if len(a.Metrics) > maxMetrics {
		return fmt.Errorf("metrics lists %d names; the limit is %d", len(a.Metrics), maxMetrics)
	}
	for _, m := range a.Metrics {
		if err := checkMetricName("metrics entry", m); err != nil {
			return err
		}
	}
	if err := checkInterval(a.Interval); err != nil {
		return err
	}
	if a.Points < 0 || a.Points > maxPoints {
		return fmt.Errorf("points must be between 1 and %d (got %d)", maxPoints, a.Points)
	}
	if len(a.Instance) > 256 {
		return fmt.Errorf("instance is %d characters long; the limit is 256", len(a.Instance))
	}
	_, err := window(a.Start, a.End, a.Interval, time.Now())
	return err
}

func (a *MetricsGetArgs) points() int {
	if a.Points == 0 {
		return defaultPoints
	}
	return a.Points
}

// MetricsResult is metrics_get's result.
type MetricsResult struct {
	Object     string         `json:"object"`
	ObjectID   string         `json:"object_id"`
	ObjectType string         `json:"object_type"`
	Interval   string         `json:"interval"`
	Period     int32          `json:"period_s" jsonschema:"Seconds per sample"`
	Start      string         `json:"start" jsonschema:"RFC 3339 UTC"`
	End        string         `json:"end" jsonschema:"RFC 3339 UTC"`
	Metrics    []MetricSeries `json:"metrics"`
	Missing    []Missing      `json:"missing,omitempty" jsonschema:"Metrics asked for that vCenter does not collect here, with the reason"`
}

// MetricSeries is one metric (and instance) over the window.
type MetricSeries struct {
	Metric   string `json:"metric" jsonschema:"The name asked for"`
	Counter  string `json:"counter" jsonschema:"vSphere's counter name"`
	Instance string `json:"instance,omitempty" jsonschema:"Empty for the aggregate"`
	Unit     string `json:"unit"`
	Stats
	Series []Point `json:"series" jsonschema:"Oldest first, downsampled to at most points"`
}

// Missing is a metric vCenter does not collect for the object.
type Missing struct {
	Metric  string `json:"metric"`
	Counter string `json:"counter,omitempty"`
	Reason  string `json:"reason"`
}

// Text renders a summary table, the series as lines, and the missing
// metrics with their reasons.
func (r MetricsResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s), interval %s (%d s samples), %s to %s\n", kindLabel(r.ObjectType), toolkit.Name(r.Object), r.ObjectID, r.Interval, r.Period, r.Start, r.End)
	if len(r.Metrics) > 0 {
		t := toolkit.NewTable("metric", "instance", "unit", "min", "avg", "max", "p95", "last", "samples")
		for _, m := range r.Metrics {
			t.Row(m.Metric, m.Instance, m.Unit, num(m.Min), num(m.Avg), num(m.Max), num(m.P95), num(m.Last), toolkit.Itoa(m.Samples))
		}
		b.WriteString(t.String())
		for _, m := range r.Metrics {
			name := m.Metric
			if m.Instance != "" {
				name += "[" + toolkit.Line(m.Instance, toolkit.NameMax) + "]"
			}
			vals := make([]string, len(m.Series))
			for i, p := range m.Series {
				vals[i] = num(p.Value)
			}
			fmt.Fprintf(&b, "series %s (%s, oldest first): %s\n", name, m.Unit, strings.Join(vals, " "))
		}
	}
	for _, m := range r.Missing {
		fmt.Fprintf(&b, "not collected: %s: %s\n", m.Metric, m.Reason)
	}
	return b.String()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func metricsGet() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "metrics_get",
		Title: "Show performance metrics of an object",
		Description: "Show performance metrics of one VM, host, cluster, datastore or resource pool over a time window: per metric the unit " +
			"(%, MHz, MB, KB/s, ms), min/avg/max/p95/last and a series of at most points values. Friendly names (cpu.usage, cpu.ready as % of the " +
			"sample, mem.balloon, disk.latency, net.rx …) or vSphere counter names; interval realtime (20 s, last hour) or day/week/month/year; " +
			"a metric vCenter does not collect is named with the reason.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a MetricsGetArgs) (MetricsResult, error) {
		var out MetricsResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			out, err = getMetrics(ctx, c, a, time.Now())
			return err
		})
		return out, err
	})
}

func getMetrics(ctx context.Context, c *vcenter.Conn, a MetricsGetArgs, now time.Time) (MetricsResult, error) {
	o, err := c.ResolveAny(ctx, a.Object, objectKinds)
	if err != nil {
		return MetricsResult{}, err
	}
	p, err := newPerf(ctx, c)
	if err != nil {
		return MetricsResult{}, err
	}
	iv, err := pickInterval(p.intervals, a.Interval)
	if err != nil {
		return MetricsResult{}, err
	}
	w, err := window(a.Start, a.End, a.Interval, now)
	if err != nil {
		return MetricsResult{}, err
	}
	out := MetricsResult{
		Object: o.Name, ObjectID: o.ID(), ObjectType: o.Ref.Type, Interval: iv.Name, Period: iv.Period,
		Start: w.Start.UTC().Format(time.RFC3339), End: w.End.UTC().Format(time.RFC3339), Metrics: []MetricSeries{},
	}
	if err := p.realtimeCheck(ctx, o, iv); err != nil {
		return out, err
	}
	have, err := p.available(ctx, o.Ref, iv)
	if err != nil {
		return out, err
	}
	names := a.Metrics
	if len(names) == 0 {
		names = defaultMetrics[o.Ref.Type]
	}
	type asked struct {
		name    string
		counter *types.PerfCounterInfo
	}
	var ids []types.PerfMetricId
	var queried []asked
	for _, name := range names {
		ctr, err := p.counters.lookup(name)
		if err != nil {
			if len(a.Metrics) == 0 {
				continue // a default this vCenter lacks
			}
			return out, err
		}
		if slices.ContainsFunc(queried, func(q asked) bool { return q.counter.Key == ctr.Key }) {
			continue
		}
		if why := levelReason(ctr, iv); why != "" {
			out.Missing = append(out.Missing, Missing{Metric: name, Counter: ctr.Name(), Reason: why})
			continue
		}
		insts, why := instancesFor(ctr, have[ctr.Key], a.Instance, o, iv)
		if why != "" {
			out.Missing = append(out.Missing, Missing{Metric: name, Counter: ctr.Name(), Reason: why})
			continue
		}
		for _, in := range insts {
			ids = append(ids, types.PerfMetricId{CounterId: ctr.Key, Instance: in})
		}
		queried = append(queried, asked{name, ctr})
	}
	if len(ids) > maxSeries {
		return out, fmt.Errorf("instance * gives %d series; the limit is %d: ask for fewer metrics or one instance", len(ids), maxSeries)
	}
	if len(ids) == 0 {
		return out, nil
	}
	spec := types.PerfQuerySpec{
		Entity: o.Ref, StartTime: &w.Start, EndTime: &w.End, IntervalId: iv.Period, MetricId: ids,
		Format: string(types.PerfFormatNormal),
	}
	res, err := p.pm.Query(ctx, []types.PerfQuerySpec{spec})
	if err != nil {
		return out, fmt.Errorf("query the metrics of %s: %w", toolkit.Path(o.Path), err)
	}
	series := map[seriesKey][]Sample{}
	for _, m := range res {
		if ref, s := entitySeries(m, p.conversion(iv)); ref == o.Ref {
			for k, v := range s {
				series[k] = append(series[k], v...)
			}
		}
	}
	for _, q := range queried {
		conv := Convert(q.counter, iv.Period)
		found := false
		for _, id := range ids {
			if id.CounterId != q.counter.Key {
				continue
			}
			samples := series[seriesKey{id.CounterId, id.Instance}]
			if len(samples) == 0 {
				continue
			}
			found = true
			out.Metrics = append(out.Metrics, MetricSeries{
				Metric: q.name, Counter: q.counter.Name(), Instance: id.Instance, Unit: conv.Unit,
				Stats: Summarize(samples), Series: asPoints(Downsample(samples, a.points())),
			})
		}
		if !found {
			out.Missing = append(out.Missing, Missing{Metric: q.name, Counter: q.counter.Name(),
				Reason: "vCenter returned no samples in the window (a powered-off VM or a disconnected host has none; realtime keeps only the last hour)"})
		}
	}
	return out, nil
}
