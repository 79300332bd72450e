package metrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/performance"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// IntervalNames are the intervals metrics tools take, finest first.
var IntervalNames = []string{"realtime", "day", "week", "month", "year"}

// realtimePeriod is the sampling period of realtime statistics, which
// ESXi keeps for about an hour.
const realtimePeriod = 20

// defaultWindow is how far back a query looks by default, per interval:
// what vCenter keeps of it.
var defaultWindow = map[string]time.Duration{
	"realtime": time.Hour,
	"day":      24 * time.Hour,
	"week":     7 * 24 * time.Hour,
	"month":    30 * 24 * time.Hour,
	"year":     365 * 24 * time.Hour,
}

// Interval is one statistics interval of vCenter.
type Interval struct {
	Name string `json:"name" jsonschema:"realtime, day, week, month or year"`
	// Period is the sampling period in seconds: the interval ID QueryPerf
	// takes.
	Period  int32 `json:"period_s"`
	Length  int32 `json:"length_s,omitempty" jsonschema:"How long vCenter keeps samples of this interval"`
	Level   int32 `json:"level,omitempty" jsonschema:"vCenter's statistics level for the interval (1-4): counters above it are not collected; realtime has none (every counter the host has)"`
	Enabled bool  `json:"enabled"`
}

// checkInterval validates an interval argument.
func checkInterval(s string) error {
	if s != "" && !slices.Contains(IntervalNames, s) {
		return fmt.Errorf("interval %q is not one of %s", toolkit.Truncate(s, 32), strings.Join(IntervalNames, ", "))
	}
	return nil
}

// readIntervals lists vCenter's intervals: realtime, then the historical
// ones (PerformanceManager.historicalInterval) named day, week, month and
// year in the order of their sampling periods. They are told apart by
// period, not key: keys repeat on some servers (vcsim's do), and the
// period is what QueryPerf takes.
func readIntervals(ctx context.Context, pm *performance.Manager) ([]Interval, error) {
	hist, err := pm.HistoricalInterval(ctx)
	if err != nil {
		return nil, fmt.Errorf("read vCenter's statistics intervals: %w", err)
	}
	return intervalsFrom(hist), nil
}

// intervalsFrom names vCenter's historical intervals by sampling period.
func intervalsFrom(hist []types.PerfInterval) []Interval {
	sorted := slices.Clone(hist)
	slices.SortFunc(sorted, func(a, b types.PerfInterval) int { return int(a.SamplingPeriod - b.SamplingPeriod) })
	out := []Interval{{Name: "realtime", Period: realtimePeriod, Length: 3600, Enabled: true}}
	for i, h := range sorted {
		if i+1 >= len(IntervalNames) {
			break
		}
		out = append(out, Interval{Name: IntervalNames[i+1], Period: h.SamplingPeriod, Length: h.Length, Level: h.Level, Enabled: h.Enabled})
	}
	return out
}

// pickInterval finds the named interval (empty: realtime).
func pickInterval(all []Interval, name string) (Interval, error) {
	if name == "" {
		name = "realtime"
	}
	for _, iv := range all {
		if iv.Name == name {
			if !iv.Enabled {
				return iv, fmt.Errorf("vCenter does not collect the %s statistics interval (disabled in the vSphere Client: the vCenter, Configure, Settings, General, Statistics); use another interval", name)
			}
			return iv, nil
		}
	}
	return Interval{}, fmt.Errorf("this vCenter has no %s statistics interval (it keeps %d historical intervals)", name, len(all)-1)
}

// levelReason is why a counter is not collected at iv, or "" when its
// level is collected. Realtime statistics come from the host, which keeps
// every counter; historical ones only those at or below the interval's
// level.
func levelReason(c *types.PerfCounterInfo, iv Interval) string {
	if iv.Name == "realtime" || iv.Level <= 0 || c.Level <= iv.Level {
		return ""
	}
	return fmt.Sprintf("statistics level too low: vCenter collects %s at level %d, and the %s interval keeps level %d; raise the interval's level (vSphere Client: the vCenter, Configure, Settings, General, Statistics) or use interval realtime",
		c.Name(), c.Level, iv.Name, iv.Level)
}

// ParseWhen reads a start or end argument: RFC 3339, "now", or a duration
// ago (Go's syntax such as 90m or 2h30m, plus d for days: 7d). It is
// exported for fuzzing: the text comes from the client.
func ParseWhen(arg, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "now" {
		return now, nil
	}
	if len(s) > 64 {
		return time.Time{}, fmt.Errorf("%s is %d characters long; pass an RFC 3339 time or a duration such as 2h", arg, len(s))
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := parseAgo(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is neither an RFC 3339 time (2026-01-02T15:04:05Z) nor a duration ago (30m, 2h, 7d)", arg, toolkit.Truncate(s, 64))
	}
	return now.Add(-d), nil
}

// maxAgo bounds a duration ago: ten years, beyond anything vCenter keeps.
const maxAgo = 10 * 366 * 24 * time.Hour

func parseAgo(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || !(n >= 0) || n > float64(maxAgo/(24*time.Hour)) {
			return 0, errors.New("bad days")
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxAgo {
		return 0, errors.New("bad duration")
	}
	return d, nil
}

// Window is the time range a query covers.
type Window struct {
	Start, End time.Time
}

// window resolves start and end for interval name at now: end defaults to
// now, start to what vCenter keeps of the interval before end. Times are
// whole seconds, so a result's RFC 3339 window repeats the query exactly.
func window(start, end, interval string, now time.Time) (Window, error) {
	now = now.Truncate(time.Second)
	if interval == "" {
		interval = "realtime"
	}
	e, err := ParseWhen("end", end, now)
	if err != nil {
		return Window{}, err
	}
	var s time.Time
	if strings.TrimSpace(start) == "" {
		s = e.Add(-defaultWindow[interval])
	} else if s, err = ParseWhen("start", start, now); err != nil {
		return Window{}, err
	}
	s, e = s.Truncate(time.Second), e.Truncate(time.Second)
	if !s.Before(e) {
		return Window{}, fmt.Errorf("start (%s) is not before end (%s)", s.UTC().Format(time.RFC3339), e.UTC().Format(time.RFC3339))
	}
	if s.After(now) {
		return Window{}, fmt.Errorf("start (%s) is in the future", s.UTC().Format(time.RFC3339))
	}
	return Window{Start: s, End: e}, nil
}
