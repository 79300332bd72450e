package event

import (
	"github.com/mark3labs/mcp-go/mcp"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/alarm"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// vcsimVMAlarm is the simulator's own event alarm on VMs: vcsim.vm.fatal
// turns it red, vcsim.vm.failure yellow, vcsim.vm.success green.
const vcsimVMAlarm = "vcsim VM Alarm"

// eventAlarm defines, through govmomi on the root folder, an alarm on
// objects of kind that events test.KIND.red, .yellow and .green set.
func (e *env) eventAlarm(kind, name string) types.ManagedObjectReference {
	e.T.Helper()
	var exprs []types.BaseAlarmExpression
	for _, st := range []types.ManagedEntityStatus{types.ManagedEntityStatusGreen, types.ManagedEntityStatusYellow, types.ManagedEntityStatusRed} {
		exprs = append(exprs, &types.EventAlarmExpression{EventType: "EventEx", EventTypeId: "test." + kind + "." + string(st), ObjectType: kind, Status: st})
	}
	m, err := alarm.GetManager(e.Vim)
	if err != nil {
		e.T.Fatal(err)
	}
	root := object.NewFolder(e.Vim, e.Vim.ServiceContent.RootFolder)
	ref, err := m.CreateAlarm(e.Ctx, root, &types.AlarmSpec{Name: name, Description: "test", Enabled: true,
		Expression: &types.OrAlarmExpression{Expression: exprs}})
	if err != nil {
		e.T.Fatalf("create alarm %s: %v", name, err)
	}
	return *ref
}

// post posts an extended event on entity through govmomi: what sets an
// event alarm's status.
func (e *env) post(entity types.ManagedObjectReference, typeID string) {
	e.T.Helper()
	ev := &types.EventEx{EventTypeId: typeID, ObjectType: entity.Type, ObjectId: entity.Value, Severity: "error"}
	if err := event.NewManager(e.Vim).PostEvent(e.Ctx, ev); err != nil {
		e.T.Fatalf("post %s on %s: %v", typeID, entity.Value, err)
	}
}

// states reads ref's triggeredAlarmState straight from the simulator.
func (e *env) states(ref types.ManagedObjectReference) []types.AlarmState {
	e.T.Helper()
	var me mo.ManagedEntity
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, ref, []string{"triggeredAlarmState"}, &me); err != nil {
		e.T.Fatal(err)
	}
	return me.TriggeredAlarmState
}

func (e *env) datacenter(path string) types.ManagedObjectReference {
	e.T.Helper()
	dc, err := find.NewFinder(e.Vim).Datacenter(e.Ctx, path)
	if err != nil {
		e.T.Fatal(err)
	}
	return dc.Reference()
}

func alarmKeys(items []AlarmItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Key)
	}
	return out
}

func stateKeys(states []types.AlarmState) []string {
	var out []string
	for _, s := range states {
		out = append(out, s.Key)
	}
	slices.Sort(out)
	return out
}

func (e *env) alarms(args map[string]any) AlarmList {
	e.T.Helper()
	var l AlarmList
	e.OK("alarm_list", args, &l)
	return l
}

// triggered is the alarms the alarm tests trigger.
type triggered struct {
	vm0, vm1, dc1vm, root, dc0 types.ManagedObjectReference
	rootAlarm, dcAlarm         types.ManagedObjectReference
}

// trigger sets off alarms on two VMs of DC0 (red, yellow), one of DC1
// (red), the root folder (red) and datacenter DC0 (yellow), as vCenter
// does: through events.
func (e *env) trigger() triggered {
	e.T.Helper()
	tr := triggered{
		vm0: e.VMRef(vmPath), vm1: e.VMRef("/DC0/vm/DC0_H0_VM1"), dc1vm: e.VMRef("/DC1/vm/DC1_H0_VM0"),
		root: e.Vim.ServiceContent.RootFolder, dc0: e.datacenter("/DC0"),
		rootAlarm: e.eventAlarm("Folder", "Root folder test alarm"), dcAlarm: e.eventAlarm("Datacenter", "Datacenter test alarm"),
	}
	e.post(tr.vm0, "vcsim.vm.fatal")
	e.post(tr.vm1, "vcsim.vm.failure")
	e.post(tr.dc1vm, "vcsim.vm.fatal")
	e.post(tr.root, "test.Folder.red")
	e.post(tr.dc0, "test.Datacenter.yellow")
	if n := len(e.states(tr.root)); n != 5 {
		e.T.Fatalf("the root folder lists %d triggered alarms, want 5", n)
	}
	return tr
}

// TestAlarms: alarm_list lists what vCenter has triggered, the root
// folder's and a datacenter's alarms included; alarm_acknowledge and
// alarm_reset change what govmomi reads back.
func TestAlarms(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "operator", nil, nil)
	e := newAlarmEnv(t, p)
	tr := e.trigger()

	t.Run("list", func(t *testing.T) {
		e := e.at(t)
		var l AlarmList
		text := e.OK("alarm_list", map[string]any{}, &l)
		want := stateKeys(e.states(tr.root))
		if got := toolstest.Sorted(alarmKeys(l.Items)); !slices.Equal(got, want) || l.Total != 5 {
			t.Fatalf("alarm_list keys %v (total %d); the root folder's triggeredAlarmState %v", got, l.Total, want)
		}
		byEntity := map[types.ManagedObjectReference]AlarmItem{}
		for i, it := range l.Items {
			byEntity[types.ManagedObjectReference{Type: it.ObjectType, Value: it.ObjectID}] = it
			if i > 0 && it.Status == "red" && l.Items[i-1].Status != "red" {
				t.Errorf("red after yellow: %v", l.Items)
			}
		}
		root, dc0, vm0 := byEntity[tr.root], byEntity[tr.dc0], byEntity[tr.vm0]
		if root.Path != "/" || root.Status != "red" || root.Alarm != "Root folder test alarm" || root.AlarmID != tr.rootAlarm.Value || root.Object != "Datacenters" {
			t.Errorf("root folder alarm %+v", root)
		}
		if dc0.Path != "/DC0" || dc0.Status != "yellow" || dc0.ObjectType != "Datacenter" || dc0.Alarm != "Datacenter test alarm" {
			t.Errorf("datacenter alarm %+v", dc0)
		}
		direct := e.states(tr.vm0)
		if len(direct) != 1 || vm0.Key != direct[0].Key || vm0.Path != vmPath || vm0.Alarm != vcsimVMAlarm || vm0.Status != "red" ||
			vm0.Acknowledged || vm0.Since != direct[0].Time.UTC().Format("2006-01-02T15:04:05Z07:00") {
			t.Errorf("VM alarm %+v; simulator %+v", vm0, direct)
		}
		toolstest.MustContain(t, text, "5 triggered alarms\nstatus\tsince\tobject\talarm\tacknowledged\tkey\n",
			"\t/ ("+tr.root.Value+")\tRoot folder test alarm ("+tr.rootAlarm.Value+")\tno\t",
			"yellow\t", "/DC0 ("+tr.dc0.Value+")")
	})

	t.Run("filters", func(t *testing.T) {
		e := e.at(t)
		for _, c := range []struct {
			args map[string]any
			want []types.ManagedObjectReference
		}{
			{map[string]any{"status": "red"}, []types.ManagedObjectReference{tr.vm0, tr.dc1vm, tr.root}},
			{map[string]any{"status": "yellow"}, []types.ManagedObjectReference{tr.vm1, tr.dc0}},
			{map[string]any{"object": "DC0"}, []types.ManagedObjectReference{tr.vm0, tr.vm1, tr.dc0}},
			{map[string]any{"object": "/DC0/vm"}, []types.ManagedObjectReference{tr.vm0, tr.vm1}},
			{map[string]any{"object": "DC0_H0_VM0"}, []types.ManagedObjectReference{tr.vm0}},
			{map[string]any{"object": "/"}, []types.ManagedObjectReference{tr.vm0, tr.vm1, tr.dc1vm, tr.root, tr.dc0}},
			{map[string]any{"object": tr.root.Value, "status": "red"}, []types.ManagedObjectReference{tr.vm0, tr.dc1vm, tr.root}},
			{map[string]any{"object": "DC1", "status": "yellow"}, nil},
			{map[string]any{"acknowledged": false}, []types.ManagedObjectReference{tr.vm0, tr.vm1, tr.dc1vm, tr.root, tr.dc0}},
			{map[string]any{"acknowledged": true}, nil},
		} {
			l := e.alarms(c.args)
			var got, want []string
			for _, it := range l.Items {
				got = append(got, it.ObjectID)
			}
			for _, r := range c.want {
				want = append(want, r.Value)
			}
			if !slices.Equal(toolstest.Sorted(got), toolstest.Sorted(want)) || l.Total != len(want) {
				t.Errorf("%v: %v, want %v", c.args, got, want)
			}
		}
	})

	t.Run("paging", func(t *testing.T) {
		e := e.at(t)
		var keys []string
		cursor, pages := "", 0
		for {
			args := map[string]any{"limit": 2}
			if cursor != "" {
				args["cursor"] = cursor
			}
			l := e.alarms(args)
			pages++
			keys = append(keys, alarmKeys(l.Items)...)
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		if pages != 3 || !slices.Equal(keys, alarmKeys(e.alarms(map[string]any{}).Items)) {
			t.Errorf("%d pages: %v", pages, keys)
		}
	})

	t.Run("acknowledge", func(t *testing.T) {
		e := e.at(t)
		var r AlarmResult
		text := e.OK("alarm_acknowledge", map[string]any{"object": "DC0_H0_VM0", "alarm": vcsimVMAlarm}, &r)
		s := e.states(tr.vm0)
		if len(s) != 1 || s[0].Acknowledged == nil || !*s[0].Acknowledged || s[0].AcknowledgedByUser != e.Sim.Config.Username || s[0].AcknowledgedTime == nil {
			t.Fatalf("the VM's alarm after acknowledging: %+v", s)
		}
		if r.Action != "Acknowledged" || !r.Acknowledged || r.AcknowledgedBy != e.Sim.Config.Username || r.Key != s[0].Key || r.Cleared {
			t.Errorf("result %+v", r)
		}
		toolstest.MustContain(t, text, "Acknowledged alarm vcsim VM Alarm (alarm-384) on /DC0/vm/DC0_H0_VM0", "acknowledged: by "+e.Sim.Config.Username)
		if a := toolstest.LastAudit(t, p); a.Tool != "alarm_acknowledge" {
			t.Errorf("audit %+v", a)
		}
		// Again: nothing to do.
		var again AlarmResult
		e.OK("alarm_acknowledge", map[string]any{"object": vmPath, "alarm": s[0].Alarm.Value}, &again)
		if again.Action != "Already acknowledged" || again.Note != "nothing changed" {
			t.Errorf("second acknowledge %+v", again)
		}
		// The root folder's, by alarm ID; the datacenter's by key.
		e.OK("alarm_acknowledge", map[string]any{"object": "/", "alarm": tr.rootAlarm.Value}, &r)
		var dcKey string
		for _, s := range e.states(tr.dc0) {
			if s.Entity == tr.dc0 {
				dcKey = s.Key
			}
		}
		e.OK("alarm_acknowledge", map[string]any{"object": "/DC0", "alarm": dcKey}, &r)
		for _, ref := range []types.ManagedObjectReference{tr.root, tr.dc0} {
			for _, s := range e.states(ref) {
				if s.Entity == ref && (s.Acknowledged == nil || !*s.Acknowledged) {
					t.Errorf("%s: %+v not acknowledged", ref.Value, s)
				}
			}
		}
		acked := e.alarms(map[string]any{"acknowledged": true})
		if acked.Total != 3 {
			t.Errorf("acknowledged: %+v", acked.Items)
		}
	})

	t.Run("reset", func(t *testing.T) {
		e := e.at(t)
		key := e.states(tr.vm1)[0].Key
		var r AlarmResult
		text := e.OK("alarm_reset", map[string]any{"object": "/DC0/vm/DC0_H0_VM1", "alarm": key}, &r)
		if s := e.states(tr.vm1); len(s) != 0 {
			t.Errorf("the VM's alarm after reset: %+v", s)
		}
		if slices.Contains(stateKeys(e.states(tr.root)), key) || slices.Contains(stateKeys(e.states(tr.dc0)), key) {
			t.Errorf("the reset alarm is still listed on an ancestor")
		}
		if r.Action != "Reset" || !r.Cleared || r.Key != key || r.Note != "" {
			t.Errorf("result %+v", r)
		}
		toolstest.MustContain(t, text, "status: green (no longer triggered)")
		e.OK("alarm_reset", map[string]any{"object": "/", "alarm": "Root folder test alarm"}, &r)
		if l := e.alarms(map[string]any{}); l.Total != 3 || slices.ContainsFunc(l.Items, func(it AlarmItem) bool { return it.ObjectID == tr.root.Value }) {
			t.Errorf("after two resets: %+v", l.Items)
		}
	})

	t.Run("refused", func(t *testing.T) {
		e := e.at(t)
		before := stateKeys(e.states(tr.root))
		for _, c := range []struct {
			tool string
			args map[string]any
			want string
		}{
			{"alarm_acknowledge", map[string]any{"object": "/DC0", "alarm": vcsimVMAlarm}, "is triggered on /DC0/vm/DC0_H0_VM0 (" + tr.vm0.Value + "), below /DC0: pass that object"},
			{"alarm_reset", map[string]any{"object": vmPath, "alarm": "nope"}, `no triggered alarm "nope" on /DC0/vm/DC0_H0_VM0; triggered on it: vcsim VM Alarm (alarm-384)`},
			{"alarm_reset", map[string]any{"object": "/DC0/vm/DC0_H0_VM2", "alarm": vcsimVMAlarm}, "nothing is triggered on it"},
			{"alarm_acknowledge", map[string]any{"object": "no-such-vm", "alarm": "x"}, "no object matches"},
			{"alarm_acknowledge", map[string]any{"object": vmPath}, "alarm is required"},
			{"alarm_list", map[string]any{"status": "green"}, "is not red or yellow"},
		} {
			toolstest.MustContain(t, e.Fails(c.tool, c.args), c.want)
		}
		if after := stateKeys(e.states(tr.root)); !slices.Equal(before, after) {
			t.Errorf("refused calls changed the alarms: %v, then %v", before, after)
		}
	})
}

// TestAlarmsViewerAndScope: a viewer lists but cannot acknowledge; a role
// scoped to DC0 does not see DC1's alarms (the root folder, above every
// datacenter, is in its scope as the policy places it).
func TestAlarmsViewerAndScope(t *testing.T) {
	t.Parallel()
	e := newAlarmEnv(t, nil)
	tr := e.trigger()
	if l := e.alarms(map[string]any{}); l.Total != 5 {
		t.Errorf("viewer lists %d alarms", l.Total)
	}
	if tools := e.ListedTools(); slices.Contains(tools, "alarm_acknowledge") || slices.Contains(tools, "alarm_reset") || !slices.Contains(tools, "alarm_list") {
		t.Errorf("a viewer is served %v", tools)
	}
	for _, tool := range []string{"alarm_acknowledge", "alarm_reset"} {
		req := mcp.CallToolRequest{}
		req.Params.Name = tool
		req.Params.Arguments = map[string]any{"object": vmPath, "alarm": vcsimVMAlarm}
		if res, err := e.Client.CallTool(e.Ctx, req); err == nil && !res.IsError {
			t.Errorf("a viewer called %s", tool)
		}
	}
	if s := e.states(tr.vm0); len(s) != 1 || *s[0].Acknowledged {
		t.Errorf("a viewer changed an alarm: %+v", s)
	}

	custom := map[string]policy.RoleSpec{"dc0-op": {Inherits: "operator", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	// A second server and session on the same simulator, under the role.
	se := &env{toolstest.NewWith(t, e.Ctx, e.Sim, e.Sim.Config, served(), toolstest.Options{Policy: toolstest.Policy(t, "dc0-op", custom, nil)})}
	l := se.alarms(map[string]any{})
	var ids []string
	for _, it := range l.Items {
		ids = append(ids, it.ObjectID)
		if strings.HasPrefix(it.Path, "/DC1") || it.ObjectID == tr.dc1vm.Value {
			t.Errorf("out-of-scope alarm listed: %+v", it)
		}
	}
	if !slices.Equal(toolstest.Sorted(ids), toolstest.Sorted([]string{tr.vm0.Value, tr.vm1.Value, tr.dc0.Value, tr.root.Value})) || l.Total != 4 {
		t.Errorf("scoped list %v", ids)
	}
	if l := se.alarms(map[string]any{"object": "/"}); l.Total != 4 {
		t.Errorf("scoped list below the root: %+v", l.Items)
	}
	toolstest.MustContain(t, se.Fails("alarm_list", map[string]any{"object": "DC1"}), "within this profile's scope")
	toolstest.MustContain(t, se.Fails("alarm_acknowledge", map[string]any{"object": "/DC1/vm/DC1_H0_VM0", "alarm": vcsimVMAlarm}), "within this profile's scope")
}

// TestSetAlarmStatusIsAWrite: the write gate judges the reset by its
// method name; without the guard's permit it is refused.
func TestSetAlarmStatusIsAWrite(t *testing.T) {
	t.Parallel()
	m := vcenter.MethodName(&setAlarmStatusBody{})
	if m != "setAlarmStatus" || vcenter.IsReadMethod(m) {
		t.Errorf("method %q read=%v", m, vcenter.IsReadMethod(m))
	}
}

// TestAlarmsProtected: acknowledging or resetting an alarm on a protected
// object is refused before vCenter is asked, and the alarm is as it was.
func TestAlarmsProtected(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"guarded": {Inherits: "operator", Protect: []string{"/DC0/vm"}}}
	p := toolstest.Policy(t, "guarded", custom, nil)
	e := newAlarmEnv(t, p)
	tr := e.trigger()
	before := e.states(tr.vm0)
	for _, tool := range []string{"alarm_acknowledge", "alarm_reset"} {
		toolstest.MustContain(t, e.Fails(tool, map[string]any{"object": vmPath, "alarm": vcsimVMAlarm}), "is protected by policy")
		if rec := toolstest.LastAudit(t, p); rec.Tool != tool || rec.Decision != audit.DecisionDenied {
			t.Errorf("%s refused but audited as %s", tool, rec.Decision)
		}
	}
	if after := e.states(tr.vm0); len(after) != 1 || *after[0].Acknowledged || after[0].Key != before[0].Key {
		t.Errorf("a refused call changed the alarm: %+v", after)
	}
	// Outside the protected folder the same role acts.
	var r AlarmResult
	e.OK("alarm_acknowledge", map[string]any{"object": "/DC0", "alarm": "Datacenter test alarm"}, &r)
	if !r.Acknowledged {
		t.Errorf("%+v", r)
	}
}

// TestAlarmResetUnsupported: a vCenter without SetAlarmStatus (the stock
// simulator) answers MethodNotFound; the error says what to do instead,
// and the alarm is as it was.
func TestAlarmResetUnsupported(t *testing.T) {
	t.Parallel()
	e := newPolicyEnv(t, toolstest.Policy(t, "operator", nil, nil), nil)
	tr := e.trigger()
	text := e.Fails("alarm_reset", map[string]any{"object": vmPath, "alarm": vcsimVMAlarm})
	toolstest.MustContain(t, text, "does not implement: SetAlarmStatus", "use Reset To Green in the vSphere Client")
	if s := e.states(tr.vm0); len(s) != 1 || s[0].OverallStatus != types.ManagedEntityStatusRed {
		t.Errorf("the alarm after a refused reset: %+v", s)
	}
}
