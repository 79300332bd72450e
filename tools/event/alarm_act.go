package event

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// AlarmArgs name one triggered alarm.
type AlarmArgs struct {
	Object string `json:"object" jsonschema:"The object the alarm is triggered on (as alarm_list shows it): name, inventory path or ID; / for the root folder"`
	Alarm  string `json:"alarm" jsonschema:"The alarm: its name, its ID (alarm-12) or the triggered state's key from alarm_list"`
}

func (a *AlarmArgs) Validate() error {
	if err := toolkit.RequireIdent("object", a.Object, "object"); err != nil {
		return err
	}
	if strings.TrimSpace(a.Alarm) == "" {
		return fmt.Errorf("alarm is required: pass its name, its ID (alarm-12) or the key alarm_list shows")
	}
	if len(a.Alarm) > 512 || len(a.Object) > 2048 {
		return fmt.Errorf("object or alarm is too long")
	}
	return nil
}

// AlarmResult is the triggered alarm after the action, read back.
type AlarmResult struct {
	Action string `json:"action"`
	AlarmItem
	Cleared bool   `json:"cleared,omitempty" jsonschema:"The alarm is no longer triggered (reset to green)"`
	Note    string `json:"note,omitempty"`
}

// Text renders what was done and the alarm's state now.
func (r AlarmResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s alarm %s (%s) on %s (%s)\n", r.Action, toolkit.Name(r.Alarm), r.AlarmID, toolkit.Path(r.Path), r.ObjectID)
	if r.Cleared {
		b.WriteString("status: green (no longer triggered)\n")
	} else {
		fmt.Fprintf(&b, "status: %s since %s\n", r.Status, r.Since)
		if r.Acknowledged {
			fmt.Fprintf(&b, "acknowledged: by %s at %s\n", toolkit.Name(r.AcknowledgedBy), r.AcknowledgedAt)
		} else {
			b.WriteString("acknowledged: no\n")
		}
	}
	if r.Note != "" {
		b.WriteString("note: " + r.Note + "\n")
	}
	return b.String()
}

// findAlarm resolves the object and the triggered state on it that alarm
// names.
func findAlarm(ctx context.Context, c *vcenter.Conn, a AlarmArgs) (vcenter.Object, types.AlarmState, string, error) {
	o, err := resolveEntity(ctx, c, a.Object)
	if err != nil {
		return o, types.AlarmState{}, "", err
	}
	states, err := statesOn(ctx, c, o)
	if err != nil {
		return o, types.AlarmState{}, "", err
	}
	var alarms []types.ManagedObjectReference
	for _, s := range states {
		alarms = append(alarms, s.Alarm)
	}
	names, err := alarmNamesOf(ctx, c, alarms)
	if err != nil {
		return o, types.AlarmState{}, "", err
	}
	ident := strings.TrimSpace(a.Alarm)
	matches := func(s types.AlarmState) bool {
		return stateKey(s) == ident || s.Alarm.Value == ident || names[s.Alarm] == ident
	}
	var below []types.AlarmState
	for _, s := range states {
		if !matches(s) {
			continue
		}
		if s.Entity == o.Ref {
			return o, s, names[s.Alarm], nil
		}
		below = append(below, s)
	}
	if len(below) > 0 {
		vis, err := c.VisibleSet(ctx, []types.ManagedObjectReference{below[0].Entity})
		if err != nil {
			return o, types.AlarmState{}, "", err
		}
		if vis[below[0].Entity] {
			paths, err := c.InventoryPaths(ctx, []types.ManagedObjectReference{below[0].Entity})
			if err != nil {
				return o, types.AlarmState{}, "", err
			}
			return o, types.AlarmState{}, "", fmt.Errorf("alarm %s is triggered on %s (%s), below %s: pass that object",
				toolkit.Quote(ident, 128), toolkit.Path(paths[below[0].Entity]), below[0].Entity.Value, toolkit.Path(o.Path))
		}
	}
	var own []string
	for _, s := range states {
		if s.Entity == o.Ref {
			own = append(own, toolkit.Name(names[s.Alarm])+" ("+s.Alarm.Value+")")
		}
	}
	msg := fmt.Sprintf("no triggered alarm %s on %s", toolkit.Quote(ident, 128), toolkit.Path(o.Path))
	if len(own) > 0 {
		msg += "; triggered on it: " + strings.Join(own, ", ")
	} else {
		msg += "; nothing is triggered on it"
	}
	return o, types.AlarmState{}, "", fmt.Errorf("%s (alarm_list shows triggered alarms with their objects and keys)", msg)
}

// statesOn reads the triggered states of one object: its own and, as
// vCenter propagates them, those of everything below it.
func statesOn(ctx context.Context, c *vcenter.Conn, o vcenter.Object) ([]types.AlarmState, error) {
	objs, _, err := c.RetrieveMany(ctx, []types.ManagedObjectReference{o.Ref}, []string{"triggeredAlarmState"})
	if err != nil {
		return nil, fmt.Errorf("read the alarms of %s: %w", toolkit.Path(o.Path), err)
	}
	if len(objs) == 0 {
		return nil, &vcenter.NotFoundError{Kind: "object", Ident: o.Path}
	}
	return statesOf(objs[0]), nil
}

// readBack is the alarm's state on o after an action, and whether it is
// still triggered.
func readBack(ctx context.Context, c *vcenter.Conn, o vcenter.Object, s types.AlarmState, alarm string) (AlarmItem, bool, error) {
	states, err := statesOn(ctx, c, o)
	if err != nil {
		return AlarmItem{}, false, err
	}
	i := slices.IndexFunc(states, func(x types.AlarmState) bool { return x.Alarm == s.Alarm && x.Entity == s.Entity })
	if i < 0 {
		it := alarmItem(s, o.Name, o.Path, alarm)
		return it, false, nil
	}
	return alarmItem(states[i], o.Name, o.Path, alarm), true, nil
}

func alarmManager(c *vcenter.Conn) (types.ManagedObjectReference, error) {
	if c.Client.ServiceContent.AlarmManager == nil {
		return types.ManagedObjectReference{}, fmt.Errorf("this server has no alarm manager (an ESXi host without vCenter)")
	}
	return *c.Client.ServiceContent.AlarmManager, nil
}

func alarmAcknowledge() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "alarm_acknowledge",
		Title: "Acknowledge a triggered alarm",
		Description: "Acknowledge one triggered alarm on an object (name, ID alarm-12 or key from alarm_list): it stays triggered, marked as seen " +
			"by this vCenter user, and its actions stop repeating. Already acknowledged: nothing changes.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a AlarmArgs) (AlarmResult, error) {
		var out AlarmResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			am, err := alarmManager(c)
			if err != nil {
				return err
			}
			o, s, name, err := findAlarm(ctx, c, a)
			if err != nil {
				return err
			}
			if s.Acknowledged != nil && *s.Acknowledged {
				out = AlarmResult{Action: "Already acknowledged", AlarmItem: alarmItem(s, o.Name, o.Path, name), Note: "nothing changed"}
				return nil
			}
			if err := guard.ActOn(ctx, fmt.Sprintf("Acknowledge alarm %s (%s) on %s", toolkit.Name(name), s.Alarm.Value, toolkit.Path(o.Path)), o); err != nil {
				return err
			}
			if _, err := methods.AcknowledgeAlarm(ctx, c.Client, &types.AcknowledgeAlarm{This: am, Alarm: s.Alarm, Entity: o.Ref}); err != nil {
				return fmt.Errorf("acknowledge alarm %s on %s: %w", toolkit.Name(name), toolkit.Path(o.Path), err)
			}
			it, triggered, err := readBack(ctx, c, o, s, name)
			if err != nil {
				return err
			}
			out = AlarmResult{Action: "Acknowledged", AlarmItem: it, Cleared: !triggered}
			return nil
		})
		return out, err
	})
}

func alarmReset() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "alarm_reset",
		Title: "Reset a triggered alarm to green",
		Description: "Reset one triggered alarm on an object to green (vSphere Client: Reset To Green), where vCenter allows it: for event alarms the " +
			"way to clear them; an alarm on a condition (CPU, state) triggers again while the condition holds.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a AlarmArgs) (AlarmResult, error) {
		var out AlarmResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			am, err := alarmManager(c)
			if err != nil {
				return err
			}
			o, s, name, err := findAlarm(ctx, c, a)
			if err != nil {
				return err
			}
			if err := guard.ActOn(ctx, fmt.Sprintf("Reset alarm %s (%s) on %s to green", toolkit.Name(name), s.Alarm.Value, toolkit.Path(o.Path)), o); err != nil {
				return err
			}
			req := setAlarmStatusBody{Req: &setAlarmStatusRequest{This: am, Alarm: s.Alarm, Entity: o.Ref, Status: types.ManagedEntityStatusGreen}}
			if err := c.Client.RoundTrip(ctx, &req, &req); err != nil {
				return fmt.Errorf("reset alarm %s on %s: %w", toolkit.Name(name), toolkit.Path(o.Path), explainReset(err))
			}
			it, triggered, err := readBack(ctx, c, o, s, name)
			if err != nil {
				return err
			}
			out = AlarmResult{Action: "Reset", AlarmItem: it, Cleared: !triggered}
			if triggered {
				out.Note = "vCenter still reports the alarm as triggered: its condition holds, so it triggered again"
			} else if condition, err := onCondition(ctx, c, s.Alarm); err == nil && condition {
				out.Note = "the alarm watches a condition: vCenter triggers it again if the condition still holds"
			}
			return nil
		})
		return out, err
	})
}

// explainReset says what to do when vCenter does not offer the reset.
func explainReset(err error) error {
	if fault.Is(err, &types.MethodNotFound{}) || fault.Is(err, &types.NotSupported{}) || fault.Is(err, &types.NotImplemented{}) {
		return fmt.Errorf("%w; this vCenter does not reset alarms through its API: use Reset To Green in the vSphere Client, or fix what triggered the alarm", err)
	}
	return err
}

// onCondition reports whether an alarm watches a metric or a state
// (which re-triggers) rather than waiting for events.
func onCondition(ctx context.Context, c *vcenter.Conn, alarm types.ManagedObjectReference) (bool, error) {
	objs, _, err := c.RetrieveMany(ctx, []types.ManagedObjectReference{alarm}, []string{"info.expression"})
	if err != nil || len(objs) == 0 {
		return false, err
	}
	expr, _ := vcenter.PropVal(objs[0], "info.expression").(types.BaseAlarmExpression)
	var walk func(types.BaseAlarmExpression) bool
	walk = func(e types.BaseAlarmExpression) bool {
		switch x := e.(type) {
		case *types.MetricAlarmExpression, *types.StateAlarmExpression:
			return true
		case *types.OrAlarmExpression:
			return slices.ContainsFunc(x.Expression, walk)
		case *types.AndAlarmExpression:
			return slices.ContainsFunc(x.Expression, walk)
		}
		return false
	}
	return expr != nil && walk(expr), nil
}

// setAlarmStatusRequest is AlarmManager.SetAlarmStatus, which vCenter
// serves (the vSphere Client's Reset To Green, privilege Alarm.SetStatus)
// and govmomi's vim25 types do not declare.
type setAlarmStatusRequest struct {
	This   types.ManagedObjectReference `xml:"_this"`
	Alarm  types.ManagedObjectReference `xml:"alarm"`
	Entity types.ManagedObjectReference `xml:"entity"`
	Status types.ManagedEntityStatus    `xml:"status"`
}

type setAlarmStatusResponse struct{}

// setAlarmStatusBody is the SOAP body; the write gate names the method
// from its type (setAlarmStatus): a write, refused without the guard's
// permit.
type setAlarmStatusBody struct {
	Req    *setAlarmStatusRequest  `xml:"urn:vim25 SetAlarmStatus,omitempty"`
	Res    *setAlarmStatusResponse `xml:"SetAlarmStatusResponse,omitempty"`
	Fault_ *soap.Fault             `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *setAlarmStatusBody) Fault() *soap.Fault { return b.Fault_ }
