package tools_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// Subscriptions to resources (tools/mcpctx) through a real client.

// updates collects a client's notifications/resources/updated.
type updates struct {
	mu   sync.Mutex
	uris []string
	meta []any
	acks int
}

func collectUpdates(e *env) *updates {
	u := &updates{}
	e.Client.OnNotification(func(n mcp.JSONRPCNotification) {
		u.mu.Lock()
		defer u.mu.Unlock()
		switch n.Method {
		case mcp.MethodNotificationResourceUpdated:
			uri, _ := n.Params.AdditionalFields["uri"].(string)
			u.uris = append(u.uris, uri)
			u.meta = append(u.meta, n.Params.Meta[mcp.MetaKeySubscriptionID])
		case mcp.MethodNotificationSubscriptionsAcknowledged:
			u.acks++
		}
	})
	return u
}

func (u *updates) count(uri string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, x := range u.uris {
		if x == uri {
			n++
		}
	}
	return n
}

// waitFor waits until cond holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// power changes a VM's power state through govmomi directly, not through
// the server's tools.
func (e *env) power(ref types.ManagedObjectReference, on bool) {
	e.T.Helper()
	vm := object.NewVirtualMachine(e.Vim, ref)
	var task *object.Task
	var err error
	if on {
		task, err = vm.PowerOn(e.Ctx)
	} else {
		task, err = vm.PowerOff(e.Ctx)
	}
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		e.T.Fatalf("power %v %s: %v", on, ref.Value, err)
	}
}

// TestSubscriptionLegacy: protocol 2025-11-25 resources/subscribe and
// unsubscribe.
func TestSubscriptionLegacy(t *testing.T) {
	t.Parallel()
	e, ext := newCtxEnvWatching(t, nil, nil, mcp.ProtocolVersion20251125)
	u := collectUpdates(e)
	vm := e.firstVM("DC0_", types.VirtualMachinePowerStatePoweredOn)
	uri := "vsphere://vm/" + vm.Self.Value
	req := mcp.SubscribeRequest{}
	req.Params.URI = uri
	if err := e.Client.Subscribe(e.Ctx, req); err != nil {
		t.Fatal(err)
	}
	e.power(vm.Self, false)
	if !waitFor(10*time.Second, func() bool { return u.count(uri) > 0 }) {
		t.Fatalf("no notifications/resources/updated for %s after a power-off", uri)
	}
	ureq := mcp.UnsubscribeRequest{}
	ureq.Params.URI = uri
	if err := e.Client.Unsubscribe(e.Ctx, ureq); err != nil {
		t.Fatal(err)
	}
	before := u.count(uri)
	e.power(vm.Self, true)
	if waitFor(2*time.Second, func() bool { return u.count(uri) > before }) {
		t.Errorf("notified for %s after unsubscribe", uri)
	}

	if subs, filters := ext().Watching(); subs != 0 || filters != 0 {
		t.Errorf("after unsubscribe: %d subscriptions, %d filters", subs, filters)
	}

	// The session's end removes its subscriptions and their filters.
	for _, u := range []string{uri, "vsphere://alarms", "vsphere://tasks/recent"} {
		req.Params.URI = u
		if err := e.Client.Subscribe(e.Ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if subs, filters := ext().Watching(); subs != 3 || filters != 3 {
		t.Errorf("subscribed: %d subscriptions, %d filters; want 3 and 3", subs, filters)
	}
	defer func() {
		if err := e.Client.Close(); err != nil {
			t.Error(err)
		}
		if !waitFor(5*time.Second, func() bool { s, f := ext().Watching(); return s == 0 && f == 0 }) {
			s, f := ext().Watching()
			t.Errorf("after the session ended: %d subscriptions, %d filters", s, f)
		}
	}()

	// Refusals: what cannot be subscribed to says why.
	for bad, want := range map[string]string{
		"vsphere://summary":   "cannot be subscribed to",
		"vsphere://vm/vm-999": "no VM matches",
		"https://example.com": "start with vsphere://",
	} {
		req.Params.URI = bad
		if err := e.Client.Subscribe(e.Ctx, req); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("subscribe %s: %v, want %q", bad, err, want)
		}
	}
}

// TestSubscriptionListen: protocol 2026-07-28 subscriptions/listen, with
// the stream's ID on each update; closing the stream ends it.
func TestSubscriptionListen(t *testing.T) {
	t.Parallel()
	e, ext := newCtxEnvWatching(t, nil, nil, "")
	u := collectUpdates(e)
	vm := e.firstVM("DC1_", types.VirtualMachinePowerStatePoweredOn)
	uri := "vsphere://vm/" + vm.Self.Value
	stop, err := e.Client.ListenAsync(e.Ctx, mcp.SubscriptionFilter{ResourceSubscriptions: []string{uri, "vsphere://tasks/recent"}}, func(err error) { t.Errorf("listen: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { u.mu.Lock(); defer u.mu.Unlock(); return u.acks > 0 }) {
		t.Fatal("subscriptions/listen not acknowledged")
	}
	e.power(vm.Self, false)
	if !waitFor(10*time.Second, func() bool { return u.count(uri) > 0 && u.count("vsphere://tasks/recent") > 0 }) {
		t.Fatalf("updates after a power-off: %v, want %s and the tasks", u.uris, uri)
	}
	u.mu.Lock()
	for _, m := range u.meta {
		if m == nil {
			t.Errorf("an update on the listen stream lacks its subscription ID")
		}
	}
	u.mu.Unlock()
	if subs, filters := ext().Watching(); subs != 2 || filters != 2 {
		t.Errorf("listening: %d subscriptions, %d filters; want 2 and 2", subs, filters)
	}
	stop()
	// The server sees the stream end and drops its subscriptions.
	if !waitFor(5*time.Second, func() bool { s, f := ext().Watching(); return s == 0 && f == 0 }) {
		s, f := ext().Watching()
		t.Errorf("after the stream closed: %d subscriptions, %d filters", s, f)
	}
	before := u.count(uri)
	e.power(vm.Self, true)
	if waitFor(2*time.Second, func() bool { return u.count(uri) > before }) {
		t.Errorf("notified for %s after the listen stream closed", uri)
	}
}

// TestAlarmsResourceUpdated: vCenter publishes triggeredAlarmState
// changes to property collectors; the simulator does not (DESIGN.md §6),
// so the test triggers an alarm as vCenter does it: the alarm's state is
// set on the VM and every ancestor up to the root folder, each change
// published as a property update.
func TestAlarmsResourceUpdated(t *testing.T) {
	t.Parallel()
	e := newCtxEnv(t, nil, nil, mcp.ProtocolVersion20251125)
	u := collectUpdates(e)
	req := mcp.SubscribeRequest{}
	req.Params.URI = "vsphere://alarms"
	if err := e.Client.Subscribe(e.Ctx, req); err != nil {
		t.Fatal(err)
	}
	vm := e.firstVM("DC0_", types.VirtualMachinePowerStatePoweredOn)
	triggerAlarm(t, e, vm.Self)
	if !waitFor(10*time.Second, func() bool { return u.count("vsphere://alarms") > 0 }) {
		t.Fatal("no update of vsphere://alarms after an alarm triggered")
	}
	cs, err := e.readResource("vsphere://alarms")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := textAndJSON(t, cs)
	toolstest.MustContain(t, text, vm.Name)
}

// TestAlarmsUpdatesScoped: a scoped role hears of alarms within its
// scope only, as alarm_list shows it only those.
func TestAlarmsUpdatesScoped(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0-only": {Inherits: "viewer", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	e := newCtxEnv(t, toolstest.Policy(t, "dc0-only", custom, nil), nil, mcp.ProtocolVersion20251125)
	u := collectUpdates(e)
	req := mcp.SubscribeRequest{}
	req.Params.URI = "vsphere://alarms"
	if err := e.Client.Subscribe(e.Ctx, req); err != nil {
		t.Fatal(err)
	}
	triggerAlarm(t, e, e.firstVM("DC1_", types.VirtualMachinePowerStatePoweredOn).Self)
	if waitFor(2*time.Second, func() bool { return u.count("vsphere://alarms") > 0 }) {
		t.Error("a DC0-scoped role was told of an alarm in DC1")
	}
	triggerAlarm(t, e, e.firstVM("DC0_", types.VirtualMachinePowerStatePoweredOn).Self)
	if !waitFor(10*time.Second, func() bool { return u.count("vsphere://alarms") > 0 }) {
		t.Error("a DC0-scoped role was not told of an alarm in DC0")
	}
}

func triggerAlarm(t *testing.T, e *env, entity types.ManagedObjectReference) {
	t.Helper()
	reg := e.Sim.Model.Map()
	alarms := reg.AllReference("Alarm")
	if len(alarms) == 0 {
		t.Fatal("the simulator has no alarms")
	}
	state := types.AlarmState{Key: "alarm-test." + entity.Value, Entity: entity, Alarm: alarms[0].Reference(),
		OverallStatus: types.ManagedEntityStatusRed, Time: time.Now(), Acknowledged: types.NewBool(false)}
	sctx := simContext(reg)
	for ref := &entity; ref != nil; {
		me, ok := reg.Get(*ref).(mo.Entity)
		if !ok {
			break
		}
		var next []types.AlarmState
		var parent *types.ManagedObjectReference
		reg.WithLock(sctx, me, func() {
			next = append(slices.Clone(me.Entity().TriggeredAlarmState), state)
			parent = me.Entity().Parent
			reg.Update(sctx, me, []types.PropertyChange{{Name: "triggeredAlarmState", Val: next}})
		})
		ref = parent
	}
}

// simContext is a simulator context for changes the test makes the way
// vCenter would.
func simContext(reg *simulator.Registry) *simulator.Context {
	return &simulator.Context{Context: context.Background(), Map: reg}
}
