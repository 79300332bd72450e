package event

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// AlarmListArgs filters and pages alarm_list.
type AlarmListArgs struct {
	Object       string `json:"object,omitempty" jsonschema:"Only alarms triggered on this object and what is below it: a VM, host, cluster, datastore, datacenter, folder, network, or / for the root folder; by name, inventory path or ID"`
	Status       string `json:"status,omitempty" jsonschema:"enum=red,enum=yellow"`
	Acknowledged *bool  `json:"acknowledged,omitempty" jsonschema:"true: only acknowledged alarms; false: only those nobody acknowledged yet"`
	toolkit.Paging
}

func (a *AlarmListArgs) Validate() error {
	if err := a.Paging.Check(); err != nil {
		return err
	}
	if a.Status != "" && a.Status != "red" && a.Status != "yellow" {
		return fmt.Errorf("status %q is not red or yellow (a triggered alarm is one of them; green is not triggered)", toolkit.Truncate(a.Status, 32))
	}
	if len(a.Object) > 2048 {
		return fmt.Errorf("object is %d characters long; the limit is 2048", len(a.Object))
	}
	return nil
}

// AlarmList is alarm_list's result.
type AlarmList struct {
	Items      []AlarmItem `json:"items"`
	Total      int         `json:"total"`
	NextCursor string      `json:"next_cursor"`
}

// AlarmItem is one triggered alarm.
type AlarmItem struct {
	Key            string `json:"key" jsonschema:"The triggered state's key: alarm_acknowledge and alarm_reset take it"`
	Object         string `json:"object" jsonschema:"Name of the object the alarm is triggered on"`
	ObjectID       string `json:"object_id"`
	ObjectType     string `json:"object_type"`
	Path           string `json:"path,omitempty"`
	Alarm          string `json:"alarm" jsonschema:"The alarm's name"`
	AlarmID        string `json:"alarm_id"`
	Status         string `json:"status" jsonschema:"red or yellow"`
	Since          string `json:"since" jsonschema:"RFC 3339 UTC: when it was triggered"`
	Acknowledged   bool   `json:"acknowledged"`
	AcknowledgedBy string `json:"acknowledged_by,omitempty"`
	AcknowledgedAt string `json:"acknowledged_at,omitempty"`
}

// Text renders the page as a table.
func (l AlarmList) Text() string {
	t := toolkit.NewTable("status", "since", "object", "alarm", "acknowledged", "key")
	for _, it := range l.Items {
		obj := toolkit.Path(it.Path)
		if obj == "" {
			obj = toolkit.Name(it.Object)
		}
		ack := "no"
		if it.Acknowledged {
			ack = "by " + toolkit.Name(it.AcknowledgedBy)
			if it.AcknowledgedAt != "" {
				ack += " at " + it.AcknowledgedAt
			}
		}
		t.Row(it.Status, it.Since, obj+" ("+it.ObjectID+")", toolkit.Name(it.Alarm)+" ("+it.AlarmID+")", ack, it.Key)
	}
	return toolkit.PageText("triggered alarms", len(l.Items), l.Total, l.NextCursor, t)
}

func alarmList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "alarm_list",
		Title: "List triggered alarms",
		Description: "List the alarms triggered in vCenter (what is red or yellow), from the root folder down, the root folder and datacenters included: " +
			"object, alarm, status, since when and who acknowledged it, red first and newest first. Filter by object (and below), status and acknowledged; paged.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a AlarmListArgs) (AlarmList, error) {
		ack := ""
		if a.Acknowledged != nil {
			ack = strconv.FormatBool(*a.Acknowledged)
		}
		key := toolkit.QueryKey("alarm_list", a.Object, a.Status, ack)
		page, total, next, err := vcenter.PageCollected(d.Session, key, a.Size(), a.Cursor, func() ([]AlarmItem, error) {
			var items []AlarmItem
			err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
				var err error
				items, err = collectAlarms(ctx, c, a)
				return err
			})
			return items, err
		})
		if err != nil {
			return AlarmList{}, err
		}
		return AlarmList{Items: page, Total: total, NextCursor: next}, nil
	})
}

// collectAlarms reads every triggered alarm the caller may see, filtered
// by a.
func collectAlarms(ctx context.Context, c *vcenter.Conn, a AlarmListArgs) ([]AlarmItem, error) {
	var within *vcenter.Object
	if a.Object != "" {
		o, err := resolveEntity(ctx, c, a.Object)
		if err != nil {
			return nil, err
		}
		within = &o
	}
	states, err := triggeredStates(ctx, c)
	if err != nil {
		return nil, err
	}
	states = slices.DeleteFunc(states, func(s types.AlarmState) bool {
		acked := s.Acknowledged != nil && *s.Acknowledged
		return a.Status != "" && string(s.OverallStatus) != a.Status ||
			a.Acknowledged != nil && acked != *a.Acknowledged
	})
	items, err := alarmItems(ctx, c, states)
	if err != nil {
		return nil, err
	}
	if within != nil {
		items = slices.DeleteFunc(items, func(it AlarmItem) bool {
			return it.ObjectID != within.ID() && !(within.Path == "/" || strings.HasPrefix(it.Path, within.Path+"/"))
		})
	}
	return items, nil
}

// triggeredStates reads triggeredAlarmState of every managed entity in one
// property collector pass: the entities of a container view of the root
// folder, and the root folder itself, which a view leaves out and where
// alarms on the root folder live. vCenter lists an alarm on its entity
// and again on each ancestor; each is kept once, by its key.
func triggeredStates(ctx context.Context, c *vcenter.Conn) ([]types.AlarmState, error) {
	root := c.Client.ServiceContent.RootFolder
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, root, []string{"ManagedEntity"}, true)
	if err != nil {
		return nil, fmt.Errorf("read triggered alarms: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = v.Destroy(dctx)
	}()
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{
			{Obj: v.Reference(), Skip: types.NewBool(true), SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}}},
			{Obj: root},
		},
		PropSet: []types.PropertySpec{{Type: "ManagedEntity", PathSet: []string{"triggeredAlarmState"}}},
	}}}
	res, err := property.DefaultCollector(c.Client).RetrieveProperties(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read triggered alarms: %w", err)
	}
	seen := map[string]bool{}
	var out []types.AlarmState
	for _, oc := range res.Returnval {
		for _, s := range statesOf(oc) {
			k := stateKey(s)
			if !seen[k] {
				seen[k] = true
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// statesOf is an object's triggeredAlarmState.
func statesOf(oc types.ObjectContent) []types.AlarmState {
	switch v := vcenter.PropVal(oc, "triggeredAlarmState").(type) {
	case types.ArrayOfAlarmState:
		return v.AlarmState
	case []types.AlarmState:
		return v
	}
	return nil
}

// stateKey identifies a triggered state: vCenter's key, or the alarm and
// entity where a server leaves the key out.
func stateKey(s types.AlarmState) string {
	if s.Key != "" {
		return s.Key
	}
	return s.Alarm.Value + "." + s.Entity.Value
}

// alarmItems renders the states the caller's scope shows: red first,
// newest first.
func alarmItems(ctx context.Context, c *vcenter.Conn, states []types.AlarmState) ([]AlarmItem, error) {
	entities := make([]types.ManagedObjectReference, len(states))
	for i, s := range states {
		entities[i] = s.Entity
	}
	vis, err := c.VisibleSet(ctx, entities)
	if err != nil {
		return nil, err
	}
	states = slices.DeleteFunc(states, func(s types.AlarmState) bool { return !vis[s.Entity] })
	entities = entities[:0]
	var alarms []types.ManagedObjectReference
	for _, s := range states {
		entities = append(entities, s.Entity)
		alarms = append(alarms, s.Alarm)
	}
	names, err := c.Names(ctx, entities)
	if err != nil {
		return nil, err
	}
	paths, err := c.InventoryPaths(ctx, entities)
	if err != nil {
		return nil, err
	}
	alarmNames, err := alarmNamesOf(ctx, c, alarms)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(states, func(x, y types.AlarmState) int {
		if x.OverallStatus != y.OverallStatus {
			if x.OverallStatus == types.ManagedEntityStatusRed {
				return -1
			}
			if y.OverallStatus == types.ManagedEntityStatusRed {
				return 1
			}
		}
		if c := y.Time.Compare(x.Time); c != 0 {
			return c
		}
		return cmp.Compare(stateKey(x), stateKey(y))
	})
	items := make([]AlarmItem, 0, len(states))
	for _, s := range states {
		items = append(items, alarmItem(s, names[s.Entity], paths[s.Entity], alarmNames[s.Alarm]))
	}
	return items, nil
}

func alarmItem(s types.AlarmState, name, path, alarm string) AlarmItem {
	it := AlarmItem{
		Key: stateKey(s), Object: name, ObjectID: s.Entity.Value, ObjectType: s.Entity.Type, Path: path,
		Alarm: alarm, AlarmID: s.Alarm.Value, Status: string(s.OverallStatus), Since: s.Time.UTC().Format(time.RFC3339),
		Acknowledged: s.Acknowledged != nil && *s.Acknowledged, AcknowledgedBy: s.AcknowledgedByUser,
	}
	if it.Acknowledged && s.AcknowledgedTime != nil {
		it.AcknowledgedAt = s.AcknowledgedTime.UTC().Format(time.RFC3339)
	}
	return it
}

// alarmNamesOf reads the names of alarm definitions (info.name) in one
// round trip.
func alarmNamesOf(ctx context.Context, c *vcenter.Conn, alarms []types.ManagedObjectReference) (map[types.ManagedObjectReference]string, error) {
	objs, _, err := c.RetrieveMany(ctx, vcenter.UniqueRefs(alarms), []string{"info.name"})
	if err != nil {
		return nil, fmt.Errorf("read alarm names: %w", err)
	}
	out := make(map[types.ManagedObjectReference]string, len(objs))
	for _, oc := range objs {
		out[oc.Obj], _ = vcenter.PropVal(oc, "info.name").(string)
	}
	return out, nil
}

// resolveEntity resolves an object alarms may be triggered on: any
// entity ResolveAny finds, and the root folder as / or by its ID (which a
// search below the root does not find).
func resolveEntity(ctx context.Context, c *vcenter.Conn, ident string) (vcenter.Object, error) {
	ident = strings.TrimSpace(ident)
	root := c.Client.ServiceContent.RootFolder
	if ident != "/" && ident != root.Value {
		return c.ResolveAny(ctx, ident, nil)
	}
	vis, err := c.VisibleSet(ctx, []types.ManagedObjectReference{root})
	if err != nil {
		return vcenter.Object{}, err
	}
	if !vis[root] {
		return vcenter.Object{}, &vcenter.NotFoundError{Kind: "object", Ident: ident, Scoped: true}
	}
	names, err := c.Names(ctx, []types.ManagedObjectReference{root})
	if err != nil {
		return vcenter.Object{}, err
	}
	if names[root] == "" {
		return vcenter.Object{}, errors.New("read the root folder: vCenter returned nothing")
	}
	return vcenter.Object{Ref: root, Name: names[root], Path: "/"}, nil
}
