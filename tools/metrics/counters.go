package metrics

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vmware/govmomi/performance"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// Friendly maps the metric names a person uses onto vSphere's counters
// (group.name.rollup). vSphere's own counter names are accepted as they
// are; these are the ones "why is db-01 slow?" needs.
var Friendly = map[string]string{
	"cpu.usage":      "cpu.usage.average",
	"cpu.ready":      "cpu.ready.summation",
	"mem.usage":      "mem.usage.average",
	"mem.active":     "mem.active.average",
	"mem.balloon":    "mem.vmmemctl.average",
	"mem.swapped":    "mem.swapped.average",
	"disk.read":      "disk.read.average",
	"disk.write":     "disk.write.average",
	"disk.latency":   "disk.maxTotalLatency.latest",
	"net.rx":         "net.received.average",
	"net.tx":         "net.transmitted.average",
	"datastore.used": "disk.used.latest",
}

// friendlyNames are Friendly's keys in a stable order, for messages.
func friendlyNames() []string {
	names := make([]string, 0, len(Friendly))
	for k := range Friendly {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// friendlyOf is the friendly name of a vSphere counter, or "".
func friendlyOf(counter string) string {
	for k, v := range Friendly {
		if v == counter {
			return k
		}
	}
	return ""
}

// metricPattern is what a metric name looks like: dotted words
// (cpu.ready, cpu.usage.average, mem.capacity.usage.vm.average).
var metricPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+){1,5}$`)

// checkMetricName validates a metric argument's form; whether vCenter has
// the counter is known only once its counters are read.
func checkMetricName(arg, name string) error {
	if !metricPattern.MatchString(name) {
		return fmt.Errorf("%s %q is not a metric name: use a friendly name (%s) or a vSphere counter name such as cpu.usage.average",
			arg, toolkit.Truncate(name, 64), strings.Join(friendlyNames(), ", "))
	}
	return nil
}

// counterSet is vCenter's performance counters by name and by key.
type counterSet struct {
	byName map[string]*types.PerfCounterInfo
	byKey  map[int32]*types.PerfCounterInfo
}

func readCounters(ctx context.Context, pm *performance.Manager) (*counterSet, error) {
	byName, err := pm.CounterInfoByName(ctx)
	if err != nil {
		return nil, fmt.Errorf("read vCenter's performance counters: %w", err)
	}
	byKey, err := pm.CounterInfoByKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("read vCenter's performance counters: %w", err)
	}
	return &counterSet{byName: byName, byKey: byKey}, nil
}

// lookup finds the counter a metric argument names: a friendly name first,
// then vSphere's name as given.
func (cs *counterSet) lookup(name string) (*types.PerfCounterInfo, error) {
	full := name
	if f, ok := Friendly[name]; ok {
		full = f
	}
	if c, ok := cs.byName[full]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("vCenter has no performance counter %s: use a friendly name (%s) or a vSphere counter name that metrics_list shows",
		toolkit.Quote(name, 64), strings.Join(friendlyNames(), ", "))
}

// unitKey is a counter's unit as vSphere names it (percent, kiloBytes …).
func unitKey(c *types.PerfCounterInfo) string {
	if c.UnitInfo == nil {
		return ""
	}
	return c.UnitInfo.GetElementDescription().Key
}

func groupKey(c *types.PerfCounterInfo) string {
	if c.GroupInfo == nil {
		return ""
	}
	return c.GroupInfo.GetElementDescription().Key
}

// Conversion turns a counter's raw values into a human unit.
type Conversion struct {
	// Unit is the human unit: %, MHz, MB, KB/s, ms, or vSphere's for the
	// rest.
	Unit string
	// Scale multiplies a raw value.
	Scale float64
}

// Apply converts one raw value.
func (c Conversion) Apply(raw int64) float64 { return float64(raw) * c.Scale }

// Convert says how a counter's raw values become human ones, for samples
// of periodSeconds:
//   - percent counters are hundredths of a percent: divided by 100;
//   - a CPU time summation in milliseconds (cpu.ready.summation and its
//     kin) becomes the percent of the sample period, as VMware KB 2002181
//     documents: ms / (period_s * 1000) * 100. For a VM's aggregate it is
//     summed over its vCPUs (may exceed 100%);
//   - kilobytes become MB; rates in KB/s, MHz and ms stay.
func Convert(c *types.PerfCounterInfo, periodSeconds int32) Conversion {
	unit := unitKey(c)
	switch {
	case unit == "percent":
		return Conversion{Unit: "%", Scale: 0.01}
	case unit == "millisecond" && c.RollupType == types.PerfSummaryTypeSummation && groupKey(c) == "cpu" && periodSeconds > 0:
		return Conversion{Unit: "%", Scale: 100 / (float64(periodSeconds) * 1000)}
	case unit == "millisecond":
		return Conversion{Unit: "ms", Scale: 1}
	case unit == "microsecond":
		return Conversion{Unit: "ms", Scale: 0.001}
	case unit == "kiloBytes":
		return Conversion{Unit: "MB", Scale: 1.0 / 1024}
	case unit == "megaBytes":
		return Conversion{Unit: "MB", Scale: 1}
	case unit == "kiloBytesPerSecond":
		return Conversion{Unit: "KB/s", Scale: 1}
	case unit == "megaBytesPerSecond":
		return Conversion{Unit: "KB/s", Scale: 1024}
	case unit == "kiloBitsPerSecond":
		return Conversion{Unit: "Kbit/s", Scale: 1}
	case unit == "megaHertz":
		return Conversion{Unit: "MHz", Scale: 1}
	case unit == "number":
		return Conversion{Unit: "", Scale: 1}
	}
	return Conversion{Unit: unit, Scale: 1}
}
