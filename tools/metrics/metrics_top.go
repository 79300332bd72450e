package metrics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

const (
	defaultTop = 10
	maxTop     = 50
	// topBatch is how many entities one QueryPerf asks about: one call per
	// page of entities, never one per VM.
	topBatch = 500
	// topRealtime is the window "now" means for realtime: the last five
	// minutes (15 samples), steadier than one sample.
	topRealtime = 5 * time.Minute
)

// MetricsTopArgs are metrics_top's arguments.
type MetricsTopArgs struct {
	Type       string `json:"type,omitempty" jsonschema_description:"Rank VMs (default) or hosts" jsonschema:"enum=vm,enum=host"`
	Metric     string `json:"metric,omitempty" jsonschema:"The metric to rank by: a friendly name (cpu.usage, cpu.ready, mem.usage, mem.balloon, disk.latency, net.rx …) or a vSphere counter name; default cpu.usage"`
	Cluster    string `json:"cluster,omitempty" jsonschema:"Only objects in this cluster"`
	Host       string `json:"host,omitempty" jsonschema:"Only VMs on this host (type vm)"`
	Folder     string `json:"folder,omitempty" jsonschema:"Only objects in this folder (and below)"`
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only objects in this datacenter"`
	N          int    `json:"n,omitempty" jsonschema:"How many to show, 1-50; default 10"`
	Interval   string `json:"interval,omitempty" jsonschema_description:"realtime (default: the average of the last 5 minutes) or day/week/month/year (the average over that period)" jsonschema:"enum=realtime,enum=day,enum=week,enum=month,enum=year"`
}

func (a *MetricsTopArgs) Validate() error {
	switch a.Type {
	case "", "vm", "host":
	default:
		return fmt.Errorf("type %q is not vm or host", toolkit.Truncate(a.Type, 32))
	}
	if a.Type == "host" && a.Host != "" {
		return fmt.Errorf("host narrows VMs; with type host use cluster, folder or datacenter")
	}
	if a.Metric != "" {
		if err := checkMetricName("metric", a.Metric); err != nil {
			return err
		}
	}
	if a.N < 0 || a.N > maxTop {
		return fmt.Errorf("n must be between 1 and %d (got %d)", maxTop, a.N)
	}
	return checkInterval(a.Interval)
}

func (a *MetricsTopArgs) kind() string {
	if a.Type == "host" {
		return "HostSystem"
	}
	return "VirtualMachine"
}

// TopResult is metrics_top's result.
type TopResult struct {
	Type     string    `json:"type"`
	Metric   string    `json:"metric"`
	Counter  string    `json:"counter"`
	Unit     string    `json:"unit"`
	Interval string    `json:"interval"`
	Start    string    `json:"start" jsonschema:"RFC 3339 UTC: the window averaged"`
	End      string    `json:"end"`
	Ranked   int       `json:"ranked" jsonschema:"Objects with samples in the window"`
	Queried  int       `json:"queried" jsonschema:"Objects asked about (VMs powered on for realtime; templates never)"`
	Items    []TopItem `json:"items"`
}

// TopItem is one ranked object.
type TopItem struct {
	Rank    int     `json:"rank"`
	Name    string  `json:"name"`
	ID      string  `json:"id"`
	Avg     float64 `json:"avg" jsonschema:"What the ranking orders by"`
	Max     float64 `json:"max"`
	Last    float64 `json:"last"`
	Samples int     `json:"samples"`
}

// Text renders the ranking as a table.
func (r TopResult) Text() string {
	var b strings.Builder
	noun := "VMs"
	if r.Type == "host" {
		noun = "hosts"
	}
	fmt.Fprintf(&b, "top %d of %d %s by %s (%s, %s), interval %s, %s to %s\n", len(r.Items), r.Ranked, noun, r.Metric, r.Counter, r.Unit, r.Interval, r.Start, r.End)
	if len(r.Items) == 0 {
		return b.String()
	}
	t := toolkit.NewTable("rank", "name", "id", "avg", "max", "last", "samples")
	for _, it := range r.Items {
		t.Row(toolkit.Itoa(it.Rank), it.Name, it.ID, num(it.Avg), num(it.Max), num(it.Last), toolkit.Itoa(it.Samples))
	}
	return b.String() + t.String()
}

func metricsTop() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "metrics_top",
		Title: "Rank VMs or hosts by a metric",
		Description: "Rank the VMs or hosts that use the most of a metric (default cpu.usage), in a cluster, host, folder, datacenter or the whole " +
			"inventory: the top n (default 10) by average over the last 5 minutes (interval realtime) or over a day/week/month/year, with max and last. " +
			"One batched query per 500 objects.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a MetricsTopArgs) (TopResult, error) {
		var out TopResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			out, err = top(ctx, c, a, time.Now())
			return err
		})
		return out, err
	})
}

func top(ctx context.Context, c *vcenter.Conn, a MetricsTopArgs, now time.Time) (TopResult, error) {
	kind := a.kind()
	metric := cmp.Or(a.Metric, "cpu.usage")
	out := TopResult{Type: cmp.Or(a.Type, "vm"), Metric: metric, Items: []TopItem{}}
	p, err := newPerf(ctx, c)
	if err != nil {
		return out, err
	}
	iv, err := pickInterval(p.intervals, a.Interval)
	if err != nil {
		return out, err
	}
	out.Interval = iv.Name
	ctr, err := p.counters.lookup(metric)
	if err != nil {
		return out, err
	}
	conv := Convert(ctr, iv.Period)
	out.Counter, out.Unit = ctr.Name(), conv.Unit
	if why := levelReason(ctr, iv); why != "" {
		return out, fmt.Errorf("%s: %s", metric, why)
	}
	w := Window{End: now.Truncate(time.Second)}
	w.Start = w.End.Add(-defaultWindow[iv.Name])
	if iv.Name == "realtime" {
		w.Start = w.End.Add(-topRealtime)
	}
	out.Start, out.End = w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339)

	refs, err := candidates(ctx, c, a, kind, iv)
	if err != nil {
		return out, err
	}
	out.Queried = len(refs)
	if len(refs) == 0 {
		return out, nil
	}
	// One object says whether vCenter has the counter for this kind at
	// all, so a wrong metric is a reason, not an empty ranking.
	have, err := p.available(ctx, refs[0], iv)
	if err != nil {
		return out, err
	}
	if !slices.Contains(have[ctr.Key], "") {
		_, why := instancesFor(ctr, have[ctr.Key], "", vcenter.Object{Ref: refs[0]}, iv)
		return out, fmt.Errorf("%s: %s", metric, why)
	}

	var items []TopItem
	for lo := 0; lo < len(refs); lo += topBatch {
		batch := refs[lo:min(lo+topBatch, len(refs))]
		specs := make([]types.PerfQuerySpec, len(batch))
		for i, r := range batch {
			specs[i] = types.PerfQuerySpec{
				Entity: r, StartTime: &w.Start, EndTime: &w.End, IntervalId: iv.Period,
				MetricId: []types.PerfMetricId{{CounterId: ctr.Key, Instance: ""}}, Format: string(types.PerfFormatNormal),
			}
		}
		res, err := p.pm.Query(ctx, specs)
		if err != nil {
			return out, fmt.Errorf("query %s of %d objects: %w", ctr.Name(), len(batch), err)
		}
		for _, m := range res {
			ref, series := entitySeries(m, p.conversion(iv))
			samples := series[seriesKey{ctr.Key, ""}]
			if len(samples) == 0 {
				continue
			}
			s := Summarize(samples)
			items = append(items, TopItem{ID: ref.Value, Avg: s.Avg, Max: s.Max, Last: s.Last, Samples: s.Samples})
		}
	}
	out.Ranked = len(items)
	n := a.N
	if n == 0 {
		n = defaultTop
	}
	// Rank on the exact averages; names break ties after the top is cut.
	slices.SortStableFunc(items, func(x, y TopItem) int {
		if c := cmp.Compare(y.Avg, x.Avg); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	items = items[:min(n, len(items))]
	topRefs := make([]types.ManagedObjectReference, len(items))
	for i, it := range items {
		topRefs[i] = types.ManagedObjectReference{Type: kind, Value: it.ID}
	}
	names, err := c.Names(ctx, topRefs)
	if err != nil {
		return out, err
	}
	for i := range items {
		items[i].Rank = i + 1
		items[i].Name = names[topRefs[i]]
	}
	out.Items = items
	return out, nil
}

// candidates selects the objects to rank, within the role's scope:
// VMs that are not templates (and, for realtime, powered on: only they
// have realtime samples), or hosts (connected, for realtime).
func candidates(ctx context.Context, c *vcenter.Conn, a MetricsTopArgs, kind string, iv Interval) ([]types.ManagedObjectReference, error) {
	var fs []params.Container
	if kind == "VirtualMachine" {
		fs = params.VMContainers(a.Host, a.Cluster, a.Folder, a.Datacenter)
	} else {
		fs = []params.Container{{Kind: "ClusterComputeResource", Ident: a.Cluster}, {Kind: "Folder", Ident: a.Folder}, {Kind: "Datacenter", Ident: a.Datacenter}}
	}
	roots, within, err := params.ContainerFilters(ctx, c, fs)
	if err != nil {
		return nil, err
	}
	q := vcenter.Query{Type: kind, Roots: roots, Within: within}
	realtime := iv.Name == "realtime"
	if kind == "VirtualMachine" {
		q.MatchProps = []string{"config.template", "runtime.powerState"}
		q.Match = func(oc types.ObjectContent) bool {
			if t, _ := vcenter.PropVal(oc, "config.template").(bool); t {
				return false
			}
			return !realtime || vcenter.PropVal(oc, "runtime.powerState") == types.VirtualMachinePowerStatePoweredOn
		}
	} else if realtime {
		q.MatchProps = []string{"runtime.connectionState"}
		q.Match = func(oc types.ObjectContent) bool {
			return vcenter.PropVal(oc, "runtime.connectionState") == types.HostSystemConnectionStateConnected
		}
	}
	return c.Select(ctx, q)
}
