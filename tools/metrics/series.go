package metrics

import (
	"math"
	"slices"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// Sample is one value at one time.
type Sample struct {
	Time  time.Time
	Value float64
}

// Point is a sample as a result shows it.
type Point struct {
	Time  string  `json:"t" jsonschema:"RFC 3339 UTC: the end of the sample (or of the samples averaged into it)"`
	Value float64 `json:"v"`
}

// Stats summarizes a series.
type Stats struct {
	Min     float64 `json:"min"`
	Avg     float64 `json:"avg"`
	Max     float64 `json:"max"`
	P95     float64 `json:"p95" jsonschema:"95th percentile (nearest rank)"`
	Last    float64 `json:"last" jsonschema:"The newest sample"`
	Samples int     `json:"samples"`
}

// Summarize computes min, average, max, 95th percentile (nearest rank)
// and last of samples in time order. No samples: zero Stats.
func Summarize(samples []Sample) Stats {
	if len(samples) == 0 {
		return Stats{}
	}
	vals := make([]float64, len(samples))
	sum := 0.0
	for i, s := range samples {
		vals[i] = s.Value
		sum += s.Value
	}
	slices.Sort(vals)
	rank := int(math.Ceil(0.95*float64(len(vals)))) - 1
	return Stats{
		Min: round(vals[0]), Max: round(vals[len(vals)-1]), Avg: round(sum / float64(len(vals))),
		P95: round(vals[max(rank, 0)]), Last: round(samples[len(samples)-1].Value), Samples: len(samples),
	}
}

// Downsample reduces samples (in time order) to at most points, each the
// average of a run of consecutive samples stamped with the run's last
// time, the runs as equal as the count allows. Fewer samples than points
// stay as they are.
func Downsample(samples []Sample, points int) []Sample {
	if points <= 0 || len(samples) <= points {
		return slices.Clone(samples)
	}
	out := make([]Sample, 0, points)
	n := len(samples)
	for b := range points {
		lo, hi := b*n/points, (b+1)*n/points
		sum := 0.0
		for _, s := range samples[lo:hi] {
			sum += s.Value
		}
		out = append(out, Sample{Time: samples[hi-1].Time, Value: sum / float64(hi-lo)})
	}
	return out
}

// asPoints renders samples for a result.
func asPoints(samples []Sample) []Point {
	out := make([]Point, len(samples))
	for i, s := range samples {
		out[i] = Point{Time: s.Time.UTC().Format(time.RFC3339), Value: round(s.Value)}
	}
	return out
}

// round keeps two decimals: more than any vSphere counter measures.
func round(v float64) float64 { return math.Round(v*100) / 100 }

// seriesKey identifies one series of an entity: a counter and instance.
type seriesKey struct {
	counter  int32
	instance string
}

// entitySeries turns one entity's QueryPerf answer into converted samples
// per series, oldest first (vCenter returns oldest first; the simulator
// newest first: sort, whatever the server). Missing samples (vCenter
// sends -1) are dropped.
func entitySeries(m types.BasePerfEntityMetricBase, conv func(counter int32) Conversion) (types.ManagedObjectReference, map[seriesKey][]Sample) {
	out := map[seriesKey][]Sample{}
	em, ok := m.(*types.PerfEntityMetric)
	if !ok {
		if m == nil {
			return types.ManagedObjectReference{}, out
		}
		return m.GetPerfEntityMetricBase().Entity, out
	}
	for _, v := range em.Value {
		s, ok := v.(*types.PerfMetricIntSeries)
		if !ok {
			continue
		}
		c := conv(s.Id.CounterId)
		var samples []Sample
		for i, raw := range s.Value {
			if i >= len(em.SampleInfo) || raw < 0 {
				continue
			}
			samples = append(samples, Sample{Time: em.SampleInfo[i].Timestamp, Value: c.Apply(raw)})
		}
		slices.SortStableFunc(samples, func(a, b Sample) int { return a.Time.Compare(b.Time) })
		k := seriesKey{s.Id.CounterId, s.Id.Instance}
		out[k] = append(out[k], samples...)
	}
	return em.Entity, out
}
