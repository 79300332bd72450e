package metrics

import (
	"hash/fnv"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// perfManager is the simulator's performance manager with QueryPerf
// answering as vCenter does where the tests depend on it: the simulator
// adds random noise to every answer and stamps samples from the moment of
// the call, so two queries of one window differ; vCenter returns the
// samples it stored, at multiples of the sampling period, the same for
// every query of the window. Here a sample's value is a function of the
// entity, counter, instance and time, so a direct QueryPerf through
// govmomi and the tool's see the same data and objects differ (rankings
// mean something). Like the simulator (and unlike vCenter) samples come
// newest first, so the tools' sorting is exercised; like vCenter, a
// missing sample is -1 and a powered-off VM has no realtime samples.
type perfManager struct {
	*simulator.PerformanceManager
	calls *perfCalls
}

// perfCalls counts the QueryPerf calls a simulator answered, and the
// entities they asked about.
type perfCalls struct{ queries, specs atomic.Int64 }

// maxSimSamples bounds one series.
const maxSimSamples = 5000

func (p *perfManager) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	body := &methods.QueryPerfBody{Res: &types.QueryPerfResponse{}}
	p.calls.queries.Add(1)
	p.calls.specs.Add(int64(len(req.QuerySpec)))
	for _, qs := range req.QuerySpec {
		period := int64(qs.IntervalId)
		if period <= 0 {
			period = 20
		}
		end := time.Now()
		if qs.EndTime != nil {
			end = *qs.EndTime
		}
		start := end.Add(-time.Duration(period) * time.Second * 180)
		if qs.StartTime != nil {
			start = *qs.StartTime
		}
		em := &types.PerfEntityMetric{PerfEntityMetricBase: types.PerfEntityMetricBase{Entity: qs.Entity}}
		if !p.hasSamples(ctx, qs.Entity, period) {
			body.Res.Returnval = append(body.Res.Returnval, em)
			continue
		}
		// vCenter's window: start exclusive, end inclusive.
		first := start.Unix()/period*period + period
		last := end.Unix() / period * period
		var stamps []int64
		for t := last; t >= first && len(stamps) < maxSimSamples; t -= period {
			stamps = append(stamps, t)
			if qs.MaxSample > 0 && len(stamps) >= int(qs.MaxSample) {
				break
			}
		}
		for _, t := range stamps {
			em.SampleInfo = append(em.SampleInfo, types.PerfSampleInfo{Timestamp: time.Unix(t, 0).UTC(), Interval: int32(period)})
		}
		for _, id := range qs.MetricId {
			s := &types.PerfMetricIntSeries{PerfMetricSeries: types.PerfMetricSeries{Id: id}}
			for _, t := range stamps {
				s.Value = append(s.Value, simValue(qs.Entity, id, t/period))
			}
			em.Value = append(em.Value, s)
		}
		body.Res.Returnval = append(body.Res.Returnval, em)
	}
	return body
}

// hasSamples: a powered-off VM has no realtime statistics.
func (p *perfManager) hasSamples(ctx *simulator.Context, ref types.ManagedObjectReference, period int64) bool {
	if ref.Type != "VirtualMachine" || period != 20 {
		return true
	}
	vm, ok := ctx.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return false
	}
	on := false
	ctx.WithLock(vm, func() { on = vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn })
	return on
}

// simValue is the stored sample of entity's series id at tick (time /
// period): a level per entity and series plus a slow wave, and every
// 13th sample missing.
func simValue(entity types.ManagedObjectReference, id types.PerfMetricId, tick int64) int64 {
	if tick%13 == 0 {
		return -1
	}
	h := fnv.New32a()
	h.Write([]byte(entity.Value + "|" + strconv.Itoa(int(id.CounterId)) + "|" + id.Instance))
	base := int64(h.Sum32() % 9000)
	return base + (tick%7)*100
}

// installPerf puts perfManager in front of m's performance manager: in
// every session that calls it (the dispatcher prefers the session's
// objects over the handler's choice).
func installPerf(m *simulator.Model) *perfCalls {
	calls := new(perfCalls)
	reg := m.Map()
	ref := *reg.Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content.PerfManager
	base := reg.Get(ref).(*simulator.PerformanceManager)
	reg.Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if method.This != ref || ctx.Session == nil {
			return nil, nil
		}
		if _, ok := ctx.Session.Registry.Get(ref).(*perfManager); !ok {
			ctx.Session.Put(&perfManager{base, calls})
		}
		return nil, nil
	}
	return calls
}
