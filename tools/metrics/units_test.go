package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func counter(group, name, unit string, rollup types.PerfSummaryType) *types.PerfCounterInfo {
	desc := func(k string) *types.ElementDescription { return &types.ElementDescription{Key: k} }
	return &types.PerfCounterInfo{GroupInfo: desc(group), NameInfo: desc(name), UnitInfo: desc(unit), RollupType: rollup}
}

// TestConvert: raw counter values become human units; CPU ready
// summation milliseconds become the percent of the sample period (VMware
// KB 2002181: ready % = ready ms / (period s × 1000) × 100).
func TestConvert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		c       *types.PerfCounterInfo
		period  int32
		raw     int64
		unit    string
		want    float64
		epsilon float64
	}{
		{"cpu.usage hundredths of a percent", counter("cpu", "usage", "percent", types.PerfSummaryTypeAverage), 20, 4250, "%", 42.5, 1e-9},
		{"mem.usage", counter("mem", "usage", "percent", types.PerfSummaryTypeAverage), 300, 10000, "%", 100, 1e-9},
		{"cpu.ready realtime: 1000 ms of 20 s is 5%", counter("cpu", "ready", "millisecond", types.PerfSummaryTypeSummation), 20, 1000, "%", 5, 1e-9},
		{"cpu.ready day: 1000 ms of 300 s", counter("cpu", "ready", "millisecond", types.PerfSummaryTypeSummation), 300, 1000, "%", 1000.0 / 300000 * 100, 1e-9},
		{"cpu.ready of 4 vCPUs may pass 100%", counter("cpu", "ready", "millisecond", types.PerfSummaryTypeSummation), 20, 40000, "%", 200, 1e-9},
		{"disk latency stays ms", counter("disk", "maxTotalLatency", "millisecond", types.PerfSummaryTypeLatest), 20, 12, "ms", 12, 1e-9},
		{"mem.active KB to MB", counter("mem", "active", "kiloBytes", types.PerfSummaryTypeAverage), 20, 2048, "MB", 2, 1e-9},
		{"net.rx KB/s", counter("net", "received", "kiloBytesPerSecond", types.PerfSummaryTypeAverage), 20, 77, "KB/s", 77, 1e-9},
		{"cpu.usagemhz", counter("cpu", "usagemhz", "megaHertz", types.PerfSummaryTypeAverage), 20, 1500, "MHz", 1500, 1e-9},
		{"microseconds to ms", counter("disk", "x", "microsecond", types.PerfSummaryTypeAverage), 20, 1500, "ms", 1.5, 1e-9},
		{"a count", counter("disk", "numberRead", "number", types.PerfSummaryTypeSummation), 20, 9, "", 9, 1e-9},
		{"an unknown unit stays", counter("x", "y", "joule", types.PerfSummaryTypeAverage), 20, 9, "joule", 9, 1e-9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Convert(tc.c, tc.period)
			if got := c.Apply(tc.raw); c.Unit != tc.unit || math.Abs(got-tc.want) > tc.epsilon {
				t.Errorf("Convert: %v %s, want %v %s", got, c.Unit, tc.want, tc.unit)
			}
		})
	}
}

func samples(vals ...float64) []Sample {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]Sample, len(vals))
	for i, v := range vals {
		out[i] = Sample{Time: t0.Add(time.Duration(i) * 20 * time.Second), Value: v}
	}
	return out
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	tests := []struct {
		name string
		in   []Sample
		want Stats
	}{
		{"none", nil, Stats{}},
		{"one", samples(7), Stats{Min: 7, Avg: 7, Max: 7, P95: 7, Last: 7, Samples: 1}},
		{"last is the newest, not the largest", samples(5, 9, 1), Stats{Min: 1, Avg: 5, Max: 9, P95: 9, Last: 1, Samples: 3}},
		{"p95 by nearest rank", samples(hundred...), Stats{Min: 1, Avg: 50.5, Max: 100, P95: 95, Last: 100, Samples: 100}},
		{"rounded to two decimals", samples(1, 1, 2), Stats{Min: 1, Avg: 1.33, Max: 2, P95: 2, Last: 2, Samples: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarize(tc.in); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDownsample(t *testing.T) {
	t.Parallel()
	in := samples(1, 2, 3, 4, 5, 6, 7)
	tests := []struct {
		name   string
		in     []Sample
		points int
		want   []float64
		times  []int // indexes into in of each point's time
	}{
		{"fewer samples than points", in[:3], 30, []float64{1, 2, 3}, []int{0, 1, 2}},
		{"equal", in[:3], 3, []float64{1, 2, 3}, []int{0, 1, 2}},
		{"halves, uneven", in, 2, []float64{2, 5.5}, []int{2, 6}},
		{"one point is the average", in, 1, []float64{4}, []int{6}},
		{"three of seven", in, 3, []float64{1.5, 3.5, 6}, []int{1, 3, 6}},
		{"none", nil, 5, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Downsample(tc.in, tc.points)
			var vals []float64
			for i, s := range got {
				vals = append(vals, s.Value)
				if !s.Time.Equal(tc.in[tc.times[i]].Time) {
					t.Errorf("point %d at %v, want %v", i, s.Time, tc.in[tc.times[i]].Time)
				}
			}
			if !slices.Equal(vals, tc.want) || len(got) > max(tc.points, 0) && tc.points > 0 {
				t.Errorf("got %v, want %v", vals, tc.want)
			}
		})
	}
	// Many samples: never more than points, order kept.
	many := make([]float64, 1000)
	for i := range many {
		many[i] = float64(i)
	}
	got := Downsample(samples(many...), 30)
	if len(got) != 30 || !slices.IsSortedFunc(got, func(a, b Sample) int { return a.Time.Compare(b.Time) }) {
		t.Errorf("1000 samples to 30: %d points", len(got))
	}
}

func TestParseWhen(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"", now, ""},
		{"now", now, ""},
		{"2h", now.Add(-2 * time.Hour), ""},
		{"90m", now.Add(-90 * time.Minute), ""},
		{"1h30m", now.Add(-90 * time.Minute), ""},
		{"7d", now.Add(-7 * 24 * time.Hour), ""},
		{"0.5d", now.Add(-12 * time.Hour), ""},
		{"2026-05-31T10:00:00Z", time.Date(2026, 5, 31, 10, 0, 0, 0, time.UTC), ""},
		{"2026-05-31T10:00:00+02:00", time.Date(2026, 5, 31, 8, 0, 0, 0, time.UTC), ""},
		{"yesterday", time.Time{}, "neither an RFC 3339 time"},
		{"-2h", time.Time{}, "neither"},
		{"NaNd", time.Time{}, "neither"},
		{"99999d", time.Time{}, "neither"},
		{strings.Repeat("1", 65), time.Time{}, "characters long"},
	}
	for _, tc := range tests {
		got, err := ParseWhen("start", tc.in, now)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 500, time.UTC)
	sec := now.Truncate(time.Second)
	tests := []struct {
		start, end, interval string
		want                 Window
		wantErr              string
	}{
		{"", "", "", Window{sec.Add(-time.Hour), sec}, ""},
		{"", "", "day", Window{sec.Add(-24 * time.Hour), sec}, ""},
		{"2h", "1h", "", Window{sec.Add(-2 * time.Hour), sec.Add(-time.Hour)}, ""},
		{"1h", "2h", "", Window{}, "not before end"},
		{"2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z", "", Window{}, "in the future"},
		{"x", "", "", Window{}, "start \"x\""},
		{"", "y", "", Window{}, "end \"y\""},
	}
	for _, tc := range tests {
		got, err := window(tc.start, tc.end, tc.interval, now)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: err %v, want %q", tc, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !got.Start.Equal(tc.want.Start) || !got.End.Equal(tc.want.End) {
			t.Errorf("%+v: %v %v, want %v", tc, got, err, tc.want)
		}
	}
}

// FuzzParseWhen: start/end come from the client; parsing never panics,
// and a time it accepts is RFC 3339 or lies within ten years before now.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"", "now", "2h", "7d", "1.5d", "90m", "2026-01-02T15:04:05Z", "-1h", "1e308d", "NaNd", "1h-1m", "9999999999h"} {
		f.Add(s)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseWhen("start", s, now)
		if err != nil {
			if got != (time.Time{}) {
				t.Errorf("%q: error %v with a time %v", s, err, got)
			}
			return
		}
		if _, perr := time.Parse(time.RFC3339, strings.TrimSpace(s)); perr == nil {
			return
		}
		if got.After(now) || now.Sub(got) > maxAgo {
			t.Errorf("%q: %v is not within ten years before now", s, got)
		}
	})
}

// TestIntervals: historical intervals are named by sampling period, not
// by key (vcsim repeats keys) nor by the order vCenter lists them; a
// disabled or absent interval is an error saying so; a counter above an
// interval's level is not collected there, realtime has every level.
func TestIntervals(t *testing.T) {
	t.Parallel()
	hist := []types.PerfInterval{
		{Key: 1, SamplingPeriod: 7200, Length: 2592000, Level: 1, Enabled: true, Name: "Past Month"},
		{Key: 1, SamplingPeriod: 300, Length: 86400, Level: 2, Enabled: true, Name: "Past Day"},
		{Key: 1, SamplingPeriod: 86400, Length: 31536000, Level: 1, Enabled: false, Name: "Past Year"},
		{Key: 2, SamplingPeriod: 1800, Length: 604800, Level: 1, Enabled: true, Name: "Past Week"},
	}
	ivs := intervalsFrom(hist)
	want := []Interval{
		{Name: "realtime", Period: 20, Length: 3600, Enabled: true},
		{Name: "day", Period: 300, Length: 86400, Level: 2, Enabled: true},
		{Name: "week", Period: 1800, Length: 604800, Level: 1, Enabled: true},
		{Name: "month", Period: 7200, Length: 2592000, Level: 1, Enabled: true},
		{Name: "year", Period: 86400, Length: 31536000, Level: 1, Enabled: false},
	}
	if !slices.Equal(ivs, want) {
		t.Fatalf("got  %+v\nwant %+v", ivs, want)
	}
	for _, c := range []struct {
		name, wantErr string
		period        int32
	}{
		{"", "", 20}, {"day", "", 300}, {"month", "", 7200},
		{"year", "does not collect the year statistics interval", 0},
	} {
		iv, err := pickInterval(ivs, c.name)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err != nil || iv.Period != c.period {
			t.Errorf("%s: %+v %v", c.name, iv, err)
		}
	}
	if _, err := pickInterval(intervalsFrom(nil), "day"); err == nil || !strings.Contains(err.Error(), "has no day statistics interval") {
		t.Errorf("no historical intervals: %v", err)
	}
	lvl3 := &types.PerfCounterInfo{Level: 3, NameInfo: &types.ElementDescription{Key: "x"}, GroupInfo: &types.ElementDescription{Key: "g"}, RollupType: "average"}
	for _, c := range []struct {
		iv   Interval
		want bool
	}{{ivs[0], true}, {ivs[1], false}, {Interval{Name: "day", Level: 3}, true}, {Interval{Name: "week", Level: 4}, true}} {
		if got := levelReason(lvl3, c.iv) == ""; got != c.want {
			t.Errorf("level 3 counter at %+v: collected %v", c.iv, got)
		}
	}
}

// TestInstancesFor: which instances a query asks for, or why none.
func TestInstancesFor(t *testing.T) {
	t.Parallel()
	c := &types.PerfCounterInfo{NameInfo: &types.ElementDescription{Key: "received"}, GroupInfo: &types.ElementDescription{Key: "net"}, RollupType: "average"}
	o := vcenter.Object{Ref: types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-1"}}
	iv := Interval{Name: "realtime"}
	for _, tc := range []struct {
		have     []string
		instance string
		want     []string
		why      string
	}{
		{[]string{"", "vmnic0", "vmnic1"}, "", []string{""}, ""},
		{[]string{"", "vmnic0", "vmnic1"}, "*", []string{"vmnic0", "vmnic1"}, ""},
		{[]string{""}, "*", []string{""}, ""},
		{[]string{"", "vmnic0"}, "vmnic0", []string{"vmnic0"}, ""},
		{[]string{"vmnic0"}, "", nil, "collected only per instance (vmnic0): pass instance * or one of them"},
		{[]string{"", "vmnic0"}, "eth9", nil, `no instance "eth9"; it has vmnic0`},
		{[]string{""}, "eth9", nil, "collected only as the aggregate"},
		{nil, "", nil, "not available for this VM at interval realtime"},
	} {
		got, why := instancesFor(c, tc.have, tc.instance, o, iv)
		if !slices.Equal(got, tc.want) || !strings.Contains(why, tc.why) || (tc.why == "") != (why == "") {
			t.Errorf("%v %q: %v %q, want %v %q", tc.have, tc.instance, got, why, tc.want, tc.why)
		}
	}
}
