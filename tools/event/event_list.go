package event

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// eventWindow is how many of the newest events matching what vCenter
// filters event_list reads: one event history collector page, the most
// vCenter hands out at once. Filters vCenter may not apply (user,
// severity) are applied again to what was read.
const eventWindow = 1000

// maxTypes bounds the types argument.
const maxTypes = 50

// Categories maps event_list's type categories onto the vSphere event
// types they stand for. `error` also takes every type vCenter's event
// descriptions class as an error.
var Categories = map[string][]string{
	"power": {
		"VmPoweredOnEvent", "VmPoweredOffEvent", "VmSuspendedEvent", "VmResettingEvent",
		"VmStartingEvent", "VmStoppingEvent", "VmSuspendingEvent", "VmResumingEvent",
		"VmGuestShutdownEvent", "VmGuestRebootEvent", "VmGuestStandbyEvent", "DrsVmPoweredOnEvent",
		"VmFailedToPowerOnEvent", "VmFailedToPowerOffEvent", "VmFailedToSuspendEvent", "VmFailedToResetEvent",
		"VmFailedToShutdownGuestEvent", "VmFailedToRebootGuestEvent", "VmFailedToStandbyGuestEvent",
		"VmPowerOffOnIsolationEvent", "HostShutdownEvent", "EnteredStandbyModeEvent", "ExitedStandbyModeEvent",
	},
	"migration": {
		"VmMigratedEvent", "DrsVmMigratedEvent", "VmBeingMigratedEvent", "VmBeingHotMigratedEvent",
		"VmEmigratingEvent", "VmFailedMigrateEvent", "MigrationEvent", "VmRelocatedEvent",
		"VmBeingRelocatedEvent", "VmRelocateFailedEvent", "VmRelocateSpecEvent",
	},
	"alarm": {
		"AlarmStatusChangedEvent", "AlarmCreatedEvent", "AlarmRemovedEvent", "AlarmReconfiguredEvent",
		"AlarmAcknowledgedEvent", "AlarmClearedEvent", "AlarmActionTriggeredEvent",
		"AlarmEmailCompletedEvent", "AlarmEmailFailedEvent", "AlarmScriptCompleteEvent", "AlarmScriptFailedEvent",
		"AlarmSnmpCompletedEvent", "AlarmSnmpFailedEvent",
	},
	"login": {
		"UserLoginSessionEvent", "UserLogoutSessionEvent", "BadUsernameSessionEvent",
		"AlreadyAuthenticatedSessionEvent", "NoAccessUserEvent", "SessionTerminatedEvent",
	},
	"error": {
		"VmFailedToPowerOnEvent", "VmFailedToPowerOffEvent", "VmFailedToSuspendEvent", "VmFailedToResetEvent",
		"VmFailedMigrateEvent", "VmRelocateFailedEvent", "VmCloneFailedEvent", "VmDeployFailedEvent",
		"VmDiskFailedEvent", "VmFailoverFailed", "HostConnectionLostEvent", "HostCnxFailedEvent",
		"BadUsernameSessionEvent", "NoAccessUserEvent",
	},
	"task": {"TaskEvent", "TaskTimeoutEvent"},
}

// categoryNames are Categories' keys in a stable order, for messages.
func categoryNames() []string {
	names := make([]string, 0, len(Categories))
	for k := range Categories {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

var severities = []string{"info", "warning", "error", "user"}

// typePattern is what an event type name looks like: a vSphere data
// object name (VmPoweredOffEvent) or an extended event's dotted ID
// (com.vmware.vc.HA.ClusterFailoverInProgressEvent).
var typePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{0,199}$`)

// EventList is event_list's result.
type EventList struct {
	Items      []EventItem `json:"items"`
	Total      int         `json:"total" jsonschema:"Events matched (within the newest events vCenter returned)"`
	Capped     bool        `json:"capped,omitempty" jsonschema:"On the first page: vCenter returned a full window, so older matching events exist that the listing does not cover; narrow since/until or the object"`
	NextCursor string      `json:"next_cursor"`
}

// EventItem is one event.
type EventItem struct {
	Key        int32  `json:"key"`
	ChainID    int32  `json:"chain_id,omitempty" jsonschema:"Events of one operation (a task's start and end) share it"`
	Time       string `json:"time" jsonschema:"RFC 3339 UTC"`
	Type       string `json:"type" jsonschema:"The event type, e.g. VmPoweredOffEvent"`
	Severity   string `json:"severity,omitempty" jsonschema:"info, warning, error or user"`
	Object     string `json:"object,omitempty" jsonschema:"Name of the object the event is about"`
	ObjectID   string `json:"object_id,omitempty"`
	ObjectType string `json:"object_type,omitempty"`
	Datacenter string `json:"datacenter,omitempty"`
	User       string `json:"user,omitempty"`
	Message    string `json:"message,omitempty" jsonschema:"vCenter's message for the event"`
}

// Text renders the page as a table; the message is vCenter's text, quoted.
func (l EventList) Text() string {
	t := toolkit.NewTable("time", "type", "severity", "object", "user", toolkit.DataColumn("message"))
	for _, it := range l.Items {
		obj := toolkit.Name(it.Object)
		if it.ObjectID != "" && it.ObjectID != it.Object {
			obj += " (" + it.ObjectID + ")"
		}
		msg := ""
		if it.Message != "" {
			msg = toolkit.Quote(it.Message, 200)
		}
		t.Row(it.Time, it.Type, it.Severity, obj, it.User, msg)
	}
	noun := "events"
	if l.Capped {
		noun = fmt.Sprintf("events (of the newest %d vCenter returned; narrow the filter for older ones)", eventWindow)
	}
	return toolkit.PageText(noun, len(l.Items), l.Total, l.NextCursor, t)
}

// EventListArgs filters and pages event_list.
type EventListArgs struct {
	Object   string   `json:"object,omitempty" jsonschema:"Only events of this object: a VM, host, cluster, datastore, datacenter, resource pool, folder or network, by name, inventory path or ID"`
	Children *bool    `json:"children,omitempty" jsonschema:"With object: also the events of everything below it (default true)"`
	Types    []string `json:"types,omitempty" jsonschema:"Event type names (VmPoweredOffEvent) or categories: power, migration, alarm, login, error, task; any of them matches"`
	User     string   `json:"user,omitempty" jsonschema:"Only events caused by this user (as vCenter names them, e.g. administrator@vsphere.local)"`
	Since    string   `json:"since,omitempty" jsonschema:"Only events at or after this time: RFC 3339, or a duration ago such as 2h, 30m, 7d"`
	Until    string   `json:"until,omitempty" jsonschema:"Only events at or before this time: RFC 3339, or a duration ago"`
	Severity string   `json:"severity,omitempty" jsonschema:"enum=info,enum=warning,enum=error,enum=user"`
	toolkit.Paging
}

func (a *EventListArgs) Validate() error {
	if err := a.Paging.Check(); err != nil {
		return err
	}
	if a.Children != nil && a.Object == "" {
		return errors.New("children refines object: pass object too")
	}
	if len(a.Types) > maxTypes {
		return fmt.Errorf("types lists %d entries; the limit is %d", len(a.Types), maxTypes)
	}
	for _, t := range a.Types {
		if _, ok := Categories[t]; ok {
			continue
		}
		if !typePattern.MatchString(t) {
			return fmt.Errorf("types entry %q is neither an event type name (like VmPoweredOffEvent) nor a category (%s)",
				toolkit.Truncate(t, 64), strings.Join(categoryNames(), ", "))
		}
	}
	if a.Severity != "" && !slices.Contains(severities, a.Severity) {
		return fmt.Errorf("severity %q is not one of %s", toolkit.Truncate(a.Severity, 32), strings.Join(severities, ", "))
	}
	if len(a.User) > 256 {
		return fmt.Errorf("user is %d characters long; the limit is 256", len(a.User))
	}
	now := time.Now()
	since, err := parseWhen("since", a.Since, now)
	if err != nil {
		return err
	}
	until, err := parseWhen("until", a.Until, now)
	if err != nil {
		return err
	}
	if since != nil && until != nil && since.After(*until) {
		return fmt.Errorf("since (%s) is after until (%s)", since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
	}
	return nil
}

// parseWhen reads a time argument: RFC 3339, or a duration ago (Go's
// syntax, plus d for days).
func parseWhen(arg, s string, now time.Time) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, nil
	}
	d, err := parseAgo(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q is neither an RFC 3339 time (2026-01-02T15:04:05Z) nor a duration ago (2h, 30m, 7d)", arg, toolkit.Truncate(s, 64))
	}
	t := now.Add(-d)
	return &t, nil
}

func parseAgo(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 || n > 3660 {
			return 0, errors.New("bad days")
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("bad duration")
	}
	return d, nil
}

func eventList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "event_list",
		Title: "List vCenter events",
		Description: "List vCenter events, newest first: time, type, object, user and message; what happened to an object and everything below it. " +
			"Filter by object, types (names or categories power, migration, alarm, login, error, task), user, since/until (RFC 3339 or 2h) and severity; paged, 50 per page by default.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a EventListArgs) (EventList, error) {
		children := a.Children == nil || *a.Children
		sortedTypes := slices.Clone(a.Types)
		slices.Sort(sortedTypes)
		key := toolkit.QueryKey("event_list", a.Object, strconv.FormatBool(children), strings.Join(sortedTypes, ","), a.User, a.Since, a.Until, a.Severity)
		var out EventList
		var capped bool
		page, total, next, err := vcenter.PageCollected(d.Session, key, a.Size(), a.Cursor, func() ([]EventItem, error) {
			var items []EventItem
			err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
				var err error
				items, capped, err = collect(ctx, c, a, children)
				return err
			})
			return items, err
		})
		if err != nil {
			return out, err
		}
		return EventList{Items: page, Total: total, Capped: capped && a.Cursor == "", NextCursor: next}, nil
	})
}

// collect reads the newest events matching a, newest first, within the
// caller's scope, as rows. The collector it creates is destroyed before it
// returns.
func collect(ctx context.Context, c *vcenter.Conn, a EventListArgs, children bool) ([]EventItem, bool, error) {
	now := time.Now()
	since, _ := parseWhen("since", a.Since, now)
	until, _ := parseWhen("until", a.Until, now)
	filter := types.EventFilterSpec{}
	if a.Object != "" {
		o, err := c.ResolveAny(ctx, a.Object, nil)
		if err != nil {
			return nil, false, err
		}
		filter.Entity = &types.EventFilterSpecByEntity{Entity: o.Ref, Recursion: types.EventFilterSpecRecursionOptionSelf}
		if children {
			filter.Entity.Recursion = types.EventFilterSpecRecursionOptionAll
		}
	}
	info := eventInfo(ctx, c)
	if err := checkTypes(a.Types, info); err != nil {
		return nil, false, err
	}
	wanted := expandTypes(a.Types, info)
	filter.EventTypeId = wanted
	if since != nil || until != nil {
		filter.Time = &types.EventFilterSpecByTime{BeginTime: since, EndTime: until}
	}
	if a.User != "" {
		filter.UserName = &types.EventFilterSpecByUsername{UserList: []string{a.User}}
	}
	if a.Severity != "" {
		filter.Category = []string{a.Severity}
	}
	events, err := latestEvents(ctx, c, filter)
	if err != nil {
		return nil, false, err
	}
	capped := len(events) >= eventWindow
	// Apply again what vCenter may not have (the simulator ignores user
	// and category filters).
	events = slices.DeleteFunc(events, func(e types.BaseEvent) bool {
		ev := e.GetEvent()
		if a.User != "" && !strings.EqualFold(ev.UserName, a.User) {
			return true
		}
		if a.Severity != "" && severity(e, info) != a.Severity {
			return true
		}
		if len(wanted) > 0 && !slices.Contains(wanted, typeName(e)) && !embedsAny(e, wanted) {
			return true
		}
		if since != nil && ev.CreatedTime.Before(*since) || until != nil && ev.CreatedTime.After(*until) {
			return true
		}
		return false
	})
	events, err = visibleEvents(ctx, c, events)
	if err != nil {
		return nil, false, err
	}
	sortEvents(events)
	items, err := eventItems(ctx, c, events, info)
	return items, capped, err
}

// latestEvents reads the newest events matching filter from an event
// history collector, destroyed before it returns: vCenter allows few.
func latestEvents(ctx context.Context, c *vcenter.Conn, filter types.EventFilterSpec) ([]types.BaseEvent, error) {
	filter.MaxCount = eventWindow
	collector, err := event.NewManager(c.Client).CreateCollectorForEvents(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("read vCenter's events: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = collector.Destroy(dctx)
	}()
	if err := collector.SetPageSize(ctx, eventWindow); err != nil {
		return nil, fmt.Errorf("read vCenter's events: %w", err)
	}
	events, err := collector.LatestPage(ctx)
	if err != nil {
		return nil, fmt.Errorf("read vCenter's events: %w", err)
	}
	return events, nil
}

// expandTypes turns type names and categories into the event type names
// they stand for, without repeats; nil for no filter.
func expandTypes(ts []string, info map[string]string) []string {
	var out []string
	for _, t := range ts {
		if names, ok := Categories[t]; ok {
			out = append(out, names...)
			if t == "error" {
				for typ, cat := range info {
					if cat == "error" {
						out = append(out, typ)
					}
				}
			}
			continue
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkTypes refuses a types entry that is no category and no event type
// vCenter knows, which would match nothing: a typo reads as "no events".
// Known are the types vCenter's event descriptions list and the vSphere
// event data types (VmPoweredOffEvent, and base types such as VmEvent).
// An extended event's dotted ID (com.vmware.vc.…) passes unchecked, as
// an extension may post types its descriptions do not list.
func checkTypes(ts []string, info map[string]string) error {
	lookup := types.TypeFunc()
	event := reflect.TypeFor[types.BaseEvent]()
	for _, t := range ts {
		if _, ok := Categories[t]; ok || strings.Contains(t, ".") {
			continue
		}
		if _, ok := info[t]; ok {
			continue
		}
		if rt, ok := lookup(t); ok && reflect.PointerTo(rt).Implements(event) {
			continue
		}
		known := categoryNames()
		for typ := range info {
			known = append(known, typ)
		}
		for _, names := range Categories {
			known = append(known, names...)
		}
		slices.Sort(known)
		msg := fmt.Sprintf("types entry %s is no event type vCenter knows and no category (categories: %s)",
			toolkit.Quote(t, 64), strings.Join(categoryNames(), ", "))
		if near := toolkit.Nearest(t, slices.Compact(known), 3); len(near) > 0 {
			msg += "; did you mean " + toolkit.Names(near) + "?"
		}
		return &toolkit.ArgError{Msg: msg}
	}
	return nil
}

// typeName is an event's type: its data object's name, or an extended
// event's type ID.
func typeName(e types.BaseEvent) string {
	switch x := e.(type) {
	case *types.EventEx:
		if x.EventTypeId != "" {
			return x.EventTypeId
		}
	case *types.ExtendedEvent:
		if x.EventTypeId != "" {
			return x.EventTypeId
		}
	}
	return reflect.TypeOf(e).Elem().Name()
}

// embedsAny reports whether e's type embeds one of the named base types
// (VmEvent, TaskEvent …), which vCenter's type filter matches too.
func embedsAny(e types.BaseEvent, names []string) bool {
	t := reflect.TypeOf(e).Elem()
	for t.Kind() == reflect.Struct && t.NumField() > 0 {
		f := t.Field(0)
		if !f.Anonymous || f.Type.Kind() != reflect.Struct {
			return false
		}
		t = f.Type
		if slices.Contains(names, t.Name()) {
			return true
		}
	}
	return false
}

// severity is an event's severity: an extended event's own, else the
// category vCenter's event descriptions give its type.
func severity(e types.BaseEvent, info map[string]string) string {
	if x, ok := e.(*types.EventEx); ok && x.Severity != "" {
		return x.Severity
	}
	if s := info[typeName(e)]; s != "" {
		return s
	}
	switch e.(type) {
	case *types.GeneralUserEvent:
		return "user"
	}
	return "info"
}

// eventInfoCache holds the category of each event type per vCenter
// build: it never changes.
var eventInfoCache struct {
	sync.Mutex
	m map[string]map[string]string
}

func eventInfo(ctx context.Context, c *vcenter.Conn) map[string]string {
	about := c.Client.ServiceContent.About
	key := about.InstanceUuid + "|" + about.ApiType + "|" + about.Build
	eventInfoCache.Lock()
	info, ok := eventInfoCache.m[key]
	eventInfoCache.Unlock()
	if ok {
		return info
	}
	if c.Client.ServiceContent.EventManager == nil {
		return nil
	}
	var em mo.EventManager
	err := property.DefaultCollector(c.Client).RetrieveOne(ctx, *c.Client.ServiceContent.EventManager, []string{"description.eventInfo"}, &em)
	if err != nil {
		return nil // the events' own types will do; try again next time
	}
	info = make(map[string]string, len(em.Description.EventInfo))
	for _, d := range em.Description.EventInfo {
		info[d.Key] = d.Category
	}
	eventInfoCache.Lock()
	if eventInfoCache.m == nil {
		eventInfoCache.m = map[string]map[string]string{}
	}
	eventInfoCache.m[key] = info
	eventInfoCache.Unlock()
	return info
}

// subject is the object an event is about: the most specific entity it
// names.
func subject(e types.BaseEvent) (ref *types.ManagedObjectReference, name string) {
	if x, ok := e.(*types.EventEx); ok && x.ObjectType != "" && x.ObjectId != "" {
		return &types.ManagedObjectReference{Type: x.ObjectType, Value: x.ObjectId}, x.ObjectName
	}
	ev := e.GetEvent()
	switch {
	case ev.Vm != nil:
		return &ev.Vm.Vm, ev.Vm.Name
	case ev.Host != nil:
		return &ev.Host.Host, ev.Host.Name
	case ev.Ds != nil:
		return &ev.Ds.Datastore, ev.Ds.Name
	case ev.Net != nil:
		return &ev.Net.Network, ev.Net.Name
	case ev.Dvs != nil:
		return &ev.Dvs.Dvs, ev.Dvs.Name
	case ev.ComputeResource != nil:
		return &ev.ComputeResource.ComputeResource, ev.ComputeResource.Name
	case ev.Datacenter != nil:
		return &ev.Datacenter.Datacenter, ev.Datacenter.Name
	}
	return nil, ""
}

// visibleEvents drops the events about objects outside the caller's
// scope.
func visibleEvents(ctx context.Context, c *vcenter.Conn, events []types.BaseEvent) ([]types.BaseEvent, error) {
	var refs []types.ManagedObjectReference
	for _, e := range events {
		if r, _ := subject(e); r != nil {
			refs = append(refs, *r)
		}
	}
	if len(refs) == 0 {
		return events, nil
	}
	vis, err := c.VisibleSet(ctx, refs)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(events, func(e types.BaseEvent) bool {
		r, _ := subject(e)
		return r != nil && !vis[*r]
	}), nil
}

// sortEvents orders events newest first.
func sortEvents(events []types.BaseEvent) {
	slices.SortStableFunc(events, func(a, b types.BaseEvent) int {
		ea, eb := a.GetEvent(), b.GetEvent()
		if c := eb.CreatedTime.Compare(ea.CreatedTime); c != 0 {
			return c
		}
		return int(eb.Key) - int(ea.Key)
	})
}

// eventItems renders events as rows, reading the names vCenter left out.
func eventItems(ctx context.Context, c *vcenter.Conn, events []types.BaseEvent, info map[string]string) ([]EventItem, error) {
	var unnamed []types.ManagedObjectReference
	for _, e := range events {
		if r, n := subject(e); r != nil && (n == "" || n == r.Value) {
			unnamed = append(unnamed, *r)
		}
	}
	names := map[types.ManagedObjectReference]string{}
	if len(unnamed) > 0 {
		var err error
		if names, err = c.Names(ctx, unnamed); err != nil {
			return nil, err
		}
	}
	items := make([]EventItem, 0, len(events))
	for _, e := range events {
		ev := e.GetEvent()
		it := EventItem{
			Key:      ev.Key,
			Time:     ev.CreatedTime.UTC().Format(time.RFC3339),
			Type:     typeName(e),
			Severity: severity(e, info),
			User:     ev.UserName,
			Message:  strings.TrimSpace(ev.FullFormattedMessage),
		}
		if ev.ChainId != ev.Key {
			it.ChainID = ev.ChainId
		}
		if ev.Datacenter != nil {
			it.Datacenter = ev.Datacenter.Name
		}
		if r, n := subject(e); r != nil {
			it.ObjectID, it.ObjectType, it.Object = r.Value, r.Type, n
			if m := names[*r]; m != "" && (n == "" || n == r.Value) {
				it.Object = m
			}
		}
		if it.Message == "" {
			if u, ok := e.(*types.GeneralUserEvent); ok {
				it.Message = u.Message
			}
		}
		items = append(items, it)
	}
	return items, nil
}
