package event

import (
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TestMain teaches the simulator's SOAP decoder the SetAlarmStatus
// request, which govmomi's types do not declare, before any simulator
// runs (the type registry is global and not locked).
func TestMain(m *testing.M) {
	types.Add("SetAlarmStatus", reflect.TypeOf((*simSetAlarmStatus)(nil)).Elem())
	os.Exit(m.Run())
}

// simSetAlarmStatus is the request as the simulator decodes it.
type simSetAlarmStatus struct {
	This   types.ManagedObjectReference `xml:"_this"`
	Alarm  types.ManagedObjectReference `xml:"alarm"`
	Entity types.ManagedObjectReference `xml:"entity"`
	Status types.ManagedEntityStatus    `xml:"status"`
}

type simSetAlarmStatusBody struct {
	Res    *struct{}   `xml:"SetAlarmStatusResponse,omitempty"`
	Fault_ *soap.Fault `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *simSetAlarmStatusBody) Fault() *soap.Fault { return b.Fault_ }

// simAlarmManager is the simulator's alarm manager with SetAlarmStatus,
// which it lacks, as vCenter answers it: the alarm's triggered state on
// the entity, and its copies on the entity's ancestors (where vCenter
// propagates triggered alarms), take the status; green removes them.
// The change is published as a property update, as vCenter does.
type simAlarmManager struct {
	*simulator.AlarmManager
}

func (m *simAlarmManager) SetAlarmStatus(ctx *simulator.Context, req *simSetAlarmStatus) soap.HasFault {
	body := &simSetAlarmStatusBody{}
	switch req.Status {
	case types.ManagedEntityStatusGreen, types.ManagedEntityStatusYellow, types.ManagedEntityStatusRed:
	default:
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "status"})
		return body
	}
	if _, ok := ctx.Map.Get(req.Alarm).(*simulator.Alarm); !ok {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Alarm})
		return body
	}
	me, ok := ctx.Map.Get(req.Entity).(mo.Entity)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Entity})
		return body
	}
	for me != nil {
		var parent *types.ManagedObjectReference
		ctx.WithLock(me, func() {
			e := me.Entity()
			parent = e.Parent
			i := slices.IndexFunc(e.TriggeredAlarmState, func(s types.AlarmState) bool { return s.Alarm == req.Alarm && s.Entity == req.Entity })
			if i < 0 {
				return
			}
			next := slices.Clone(e.TriggeredAlarmState)
			if req.Status == types.ManagedEntityStatusGreen {
				next = slices.Delete(next, i, i+1)
			} else {
				next[i].OverallStatus = req.Status
			}
			e.TriggeredAlarmState = next
			ctx.Update(me, []types.PropertyChange{{Name: "triggeredAlarmState", Val: next}})
		})
		if parent == nil {
			break
		}
		me, _ = ctx.Map.Get(*parent).(mo.Entity)
	}
	body.Res = &struct{}{}
	return body
}

// installAlarms puts simAlarmManager in front of m's alarm manager, in every
// session that calls it (the dispatcher prefers the session's objects).
func installAlarms(m *simulator.Model) {
	reg := m.Map()
	ref := *reg.Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content.AlarmManager
	base := reg.Get(ref).(*simulator.AlarmManager)
	reg.Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if method.This != ref || ctx.Session == nil {
			return nil, nil
		}
		if _, ok := ctx.Session.Registry.Get(ref).(*simAlarmManager); !ok {
			ctx.Session.Put(&simAlarmManager{base})
		}
		return nil, nil
	}
}

// newAlarmEnv starts the demo simulator with SetAlarmStatus and the
// server under p (nil: viewer).
func newAlarmEnv(t *testing.T, p *guard.Policy) *env {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	installAlarms(m)
	return &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p}, m)}
}
