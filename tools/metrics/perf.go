package metrics

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/performance"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// objectKinds are the kinds of object vCenter keeps statistics of that
// the metrics tools take.
var objectKinds = []string{"VirtualMachine", "HostSystem", "ClusterComputeResource", "Datastore", "ResourcePool"}

// kindLabel names a managed object type as a person does.
func kindLabel(t string) string {
	switch t {
	case "VirtualMachine":
		return "VM"
	case "HostSystem":
		return "host"
	case "ClusterComputeResource", "ComputeResource":
		return "cluster"
	case "Datastore":
		return "datastore"
	case "ResourcePool", "VirtualApp":
		return "resource pool"
	}
	return t
}

// perf is what every metrics query reads first: vCenter's counters and
// intervals, through govmomi's performance manager.
type perf struct {
	pm        *performance.Manager
	counters  *counterSet
	intervals []Interval
}

func newPerf(ctx context.Context, c *vcenter.Conn) (*perf, error) {
	if c.Client.ServiceContent.PerfManager == nil {
		return nil, fmt.Errorf("this server has no performance manager: it keeps no statistics")
	}
	pm := performance.NewManager(c.Client)
	counters, err := readCounters(ctx, pm)
	if err != nil {
		return nil, err
	}
	ivs, err := readIntervals(ctx, pm)
	if err != nil {
		return nil, err
	}
	return &perf{pm: pm, counters: counters, intervals: ivs}, nil
}

// conversion is the unit conversion of counter key at iv.
func (p *perf) conversion(iv Interval) func(int32) Conversion {
	return func(key int32) Conversion {
		c, ok := p.counters.byKey[key]
		if !ok {
			return Conversion{Scale: 1}
		}
		return Convert(c, iv.Period)
	}
}

// realtimeCheck fails when vCenter keeps no realtime statistics of o
// (clusters, datastores): they exist only as historical rollups.
func (p *perf) realtimeCheck(ctx context.Context, o vcenter.Object, iv Interval) error {
	if iv.Name != "realtime" {
		return nil
	}
	sum, err := p.pm.ProviderSummary(ctx, o.Ref)
	if err != nil {
		return fmt.Errorf("read what statistics vCenter keeps of %s: %w", toolkit.Path(o.Path), err)
	}
	if !sum.CurrentSupported {
		return fmt.Errorf("vCenter keeps no realtime statistics of a %s (%s): pass interval day, week, month or year", kindLabel(o.Ref.Type), toolkit.Path(o.Path))
	}
	return nil
}

// available reads which counters and instances vCenter has for ref at
// iv: counter key → instances ("" is the aggregate).
func (p *perf) available(ctx context.Context, ref types.ManagedObjectReference, iv Interval) (map[int32][]string, error) {
	list, err := p.pm.AvailableMetric(ctx, ref, iv.Period)
	if err != nil {
		return nil, fmt.Errorf("read the metrics vCenter has for %s: %w", ref.Value, err)
	}
	out := map[int32][]string{}
	for _, m := range list {
		if !slices.Contains(out[m.CounterId], m.Instance) {
			out[m.CounterId] = append(out[m.CounterId], m.Instance)
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out, nil
}

// instancesFor picks the instances of counter c to query for the
// instance argument ("" aggregate, "*" every instance, or one name), or
// says why there are none.
func instancesFor(c *types.PerfCounterInfo, have []string, instance string, o vcenter.Object, iv Interval) ([]string, string) {
	if len(have) == 0 {
		return nil, fmt.Sprintf("not available for this %s at interval %s (vCenter does not collect %s for it; metrics_list shows what it has)", kindLabel(o.Ref.Type), iv.Name, c.Name())
	}
	named := slices.DeleteFunc(slices.Clone(have), func(s string) bool { return s == "" })
	switch instance {
	case "":
		if slices.Contains(have, "") {
			return []string{""}, ""
		}
		return nil, fmt.Sprintf("collected only per instance (%s): pass instance * or one of them", instanceList(named))
	case "*":
		if len(named) == 0 {
			return []string{""}, ""
		}
		return named, ""
	}
	if slices.Contains(have, instance) {
		return []string{instance}, ""
	}
	if len(named) == 0 {
		return nil, fmt.Sprintf("no instance %s: it is collected only as the aggregate (omit instance)", toolkit.Quote(instance, 64))
	}
	return nil, fmt.Sprintf("no instance %s; it has %s", toolkit.Quote(instance, 64), instanceList(named))
}

func instanceList(names []string) string {
	const show = 10
	quoted := make([]string, 0, show)
	for i, n := range names {
		if i == show {
			quoted = append(quoted, fmt.Sprintf("and %d more", len(names)-show))
			break
		}
		quoted = append(quoted, toolkit.Name(n))
	}
	return strings.Join(quoted, ", ")
}
