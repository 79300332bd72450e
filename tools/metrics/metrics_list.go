package metrics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// MetricsListArgs are metrics_list's arguments.
type MetricsListArgs struct {
	Object   string `json:"object" jsonschema:"The VM, host, cluster, datastore or resource pool: name, inventory path or ID"`
	Interval string `json:"interval,omitempty" jsonschema_description:"Which interval's counters (default realtime)" jsonschema:"enum=realtime,enum=day,enum=week,enum=month,enum=year"`
}

func (a *MetricsListArgs) Validate() error {
	if err := toolkit.RequireIdent("object", a.Object, "object"); err != nil {
		return err
	}
	return checkInterval(a.Interval)
}

// MetricsList is metrics_list's result.
type MetricsList struct {
	Object     string        `json:"object"`
	ObjectID   string        `json:"object_id"`
	ObjectType string        `json:"object_type"`
	Interval   string        `json:"interval"`
	Intervals  []Interval    `json:"intervals" jsonschema:"vCenter's statistics intervals with their sampling period and statistics level"`
	Counters   []CounterItem `json:"counters"`
	Note       string        `json:"note,omitempty"`
}

// CounterItem is one counter vCenter has for the object.
type CounterItem struct {
	Friendly    string   `json:"friendly,omitempty" jsonschema:"The friendly name metrics_get takes, if there is one"`
	Counter     string   `json:"counter" jsonschema:"vSphere's counter name (group.name.rollup)"`
	Unit        string   `json:"unit" jsonschema:"The unit metrics_get shows"`
	VSphereUnit string   `json:"vsphere_unit"`
	Level       int32    `json:"level" jsonschema:"The statistics level vCenter collects it at"`
	Collected   bool     `json:"collected" jsonschema:"false: the interval's level is below the counter's"`
	Instances   []string `json:"instances,omitempty" jsonschema:"Instances besides the aggregate (disks, NICs, CPUs); at most 20 shown"`
	Aggregate   bool     `json:"aggregate" jsonschema:"An aggregate (instance \"\") exists"`
	Description string   `json:"description,omitempty" jsonschema:"vCenter's description"`
}

// Text renders the intervals and a table of counters.
func (l MetricsList) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s): %d counters at interval %s\n", kindLabel(l.ObjectType), toolkit.Name(l.Object), l.ObjectID, len(l.Counters), l.Interval)
	ivs := make([]string, len(l.Intervals))
	for i, iv := range l.Intervals {
		s := fmt.Sprintf("%s %ds", iv.Name, iv.Period)
		if iv.Level > 0 {
			s += fmt.Sprintf(" level %d", iv.Level)
		}
		if !iv.Enabled {
			s += " disabled"
		}
		ivs[i] = s
	}
	fmt.Fprintf(&b, "intervals: %s\n", strings.Join(ivs, ", "))
	if l.Note != "" {
		b.WriteString(l.Note + "\n")
	}
	if len(l.Counters) == 0 {
		return b.String()
	}
	t := toolkit.NewTable("friendly", "counter", "unit", "level", "collected", "instances", toolkit.DataColumn("description"))
	for _, c := range l.Counters {
		inst := strings.Join(c.Instances, ",")
		if c.Aggregate {
			inst = strings.TrimSuffix("(aggregate),"+inst, ",")
		}
		desc := ""
		if c.Description != "" {
			desc = toolkit.Quote(c.Description, 120)
		}
		t.Row(c.Friendly, c.Counter, c.Unit, fmt.Sprint(c.Level), toolkit.YesNo(c.Collected), inst, desc)
	}
	return b.String() + t.String()
}

const maxInstancesShown = 20

func metricsList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "metrics_list",
		Title: "List the metrics of an object",
		Description: "List the performance counters vCenter has for one VM, host, cluster, datastore or resource pool at an interval: friendly and " +
			"vSphere names, units, level, instances, and vCenter's statistics level per interval (what day/week/month/year keep).",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a MetricsListArgs) (MetricsList, error) {
		var out MetricsList
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.ResolveAny(ctx, a.Object, objectKinds)
			if err != nil {
				return err
			}
			p, err := newPerf(ctx, c)
			if err != nil {
				return err
			}
			iv, err := pickInterval(p.intervals, a.Interval)
			if err != nil {
				return err
			}
			out = MetricsList{Object: o.Name, ObjectID: o.ID(), ObjectType: o.Ref.Type, Interval: iv.Name, Intervals: p.intervals, Counters: []CounterItem{}}
			if err := p.realtimeCheck(ctx, o, iv); err != nil {
				out.Note = strings.TrimSuffix(err.Error(), ": pass interval day, week, month or year") + "; list another interval"
				return nil
			}
			have, err := p.available(ctx, o.Ref, iv)
			if err != nil {
				return err
			}
			for key, insts := range have {
				ctr, ok := p.counters.byKey[key]
				if !ok {
					continue // vCenter lists counters it does not describe
				}
				named := slices.DeleteFunc(slices.Clone(insts), func(s string) bool { return s == "" })
				if len(named) > maxInstancesShown {
					named = append(named[:maxInstancesShown], fmt.Sprintf("…%d more", len(named)-maxInstancesShown))
				}
				it := CounterItem{
					Friendly: friendlyOf(ctr.Name()), Counter: ctr.Name(), Unit: Convert(ctr, iv.Period).Unit, VSphereUnit: unitKey(ctr),
					Level: ctr.Level, Collected: levelReason(ctr, iv) == "", Instances: named, Aggregate: slices.Contains(insts, ""),
				}
				if ctr.NameInfo != nil {
					it.Description = ctr.NameInfo.GetElementDescription().Summary
				}
				out.Counters = append(out.Counters, it)
			}
			slices.SortFunc(out.Counters, func(x, y CounterItem) int {
				// Friendly ones first, then by name.
				if (x.Friendly == "") != (y.Friendly == "") {
					if x.Friendly != "" {
						return -1
					}
					return 1
				}
				return cmp.Compare(x.Counter, y.Counter)
			})
			return nil
		})
		return out, err
	})
}
