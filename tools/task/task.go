package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// This file holds the task tools: task_list, task_get and task_cancel.
// Tasks come from vCenter's task history (a TaskHistoryCollector, which
// filters by object and state on the server) or, on a bare ESXi host that
// has none, from TaskManager.recentTask.

// taskWindow is how many of the newest matching tasks task_list collects
// and pages through: enough for "what happened lately", bounded so a page
// never costs a walk through months of history.
const taskWindow = 500

var taskStates = []string{
	string(types.TaskInfoStateQueued), string(types.TaskInfoStateRunning),
	string(types.TaskInfoStateSuccess), string(types.TaskInfoStateError),
}

// objectKinds maps task_list's object_kind onto managed object types.
var objectKinds = map[string]string{
	"vm": "VirtualMachine", "host": "HostSystem", "cluster": "ClusterComputeResource",
	"datastore": "Datastore", "datacenter": "Datacenter", "resource_pool": "ResourcePool",
	"folder": "Folder", "network": "Network",
}

var taskIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$`)

// TaskArgs names one task.
type TaskArgs struct {
	Task string `json:"task" jsonschema:"The task ID, e.g. task-123 (from task_list or a tool's result)"`
}

func (a *TaskArgs) Validate() error {
	switch {
	case strings.TrimSpace(a.Task) == "":
		return errors.New("task is required: pass a task ID like task-123 (task_list shows them)")
	case !taskIDPattern.MatchString(a.Task):
		return fmt.Errorf("task %q is not a task ID; task IDs look like task-123 (task_list shows them)", toolkit.Truncate(a.Task, 64))
	}
	return nil
}

// TaskItem is one row of task_list.
type TaskItem struct {
	ID         string `json:"id"`
	Operation  string `json:"operation" jsonschema:"What the task does, as the vSphere Client names it"`
	Entity     string `json:"entity,omitempty" jsonschema:"Name of the object the task works on"`
	EntityID   string `json:"entity_id,omitempty"`
	State      string `json:"state" jsonschema:"queued, running, success or error"`
	Progress   int32  `json:"progress,omitempty" jsonschema:"Percent done, while running"`
	Cancelable bool   `json:"cancelable,omitempty"`
	Queued     string `json:"queued,omitempty" jsonschema:"RFC 3339 UTC"`
	Started    string `json:"started,omitempty"`
	Completed  string `json:"completed,omitempty"`
	User       string `json:"user,omitempty" jsonschema:"Who started it: a user, or alarm/schedule/system"`
	Error      string `json:"error,omitempty" jsonschema:"The fault of a failed task: its name and message"`
}

// TaskList is task_list's result.
type TaskList struct {
	Items      []TaskItem `json:"items"`
	Total      int        `json:"total"`
	NextCursor string     `json:"next_cursor"`
}

// Text renders the page as a table; the error column is vCenter's fault
// message, quoted.
func (l TaskList) Text() string {
	t := toolkit.NewTable("id", "operation", "entity", "state", "progress", "queued", "started", "completed", "user", toolkit.DataColumn("error"))
	for _, it := range l.Items {
		progress := ""
		if it.State == string(types.TaskInfoStateRunning) {
			progress = toolkit.Itoa(int(it.Progress)) + "%"
		}
		entity := toolkit.Name(it.Entity) // quoted unless plain: the ID after it is ours
		if it.EntityID != "" && it.EntityID != it.Entity {
			entity += " (" + it.EntityID + ")"
		}
		errText := ""
		if it.Error != "" {
			errText = toolkit.Quote(it.Error, 160)
		}
		t.Row(it.ID, it.Operation, entity, it.State, progress, it.Queued, it.Started, it.Completed, it.User, errText)
	}
	return toolkit.PageText("tasks", len(l.Items), l.Total, l.NextCursor, t)
}

// ---- task_list ----

// TaskListArgs filters and pages task_list.
type TaskListArgs struct {
	Object          string `json:"object,omitempty" jsonschema:"Only tasks on this object: a VM, host, cluster, datastore, datacenter, resource pool, folder or network, by name, inventory path or ID"`
	ObjectKind      string `json:"object_kind,omitempty" jsonschema:"enum=vm,enum=host,enum=cluster,enum=datastore,enum=datacenter,enum=resource_pool,enum=folder,enum=network"`
	IncludeChildren bool   `json:"include_children,omitempty" jsonschema:"With object: also the tasks on everything inside it (a folder's VMs, a cluster's hosts)"`
	State           string `json:"state,omitempty" jsonschema:"enum=queued,enum=running,enum=success,enum=error"`
	toolkit.Paging
}

func (a *TaskListArgs) Validate() error {
	if err := a.Paging.Check(); err != nil {
		return err
	}
	if a.State != "" && !slices.Contains(taskStates, a.State) {
		return fmt.Errorf("state %q is not a vSphere task state; use one of %s", a.State, strings.Join(taskStates, ", "))
	}
	if a.ObjectKind != "" {
		if _, ok := objectKinds[a.ObjectKind]; !ok {
			kinds := make([]string, 0, len(objectKinds))
			for k := range objectKinds {
				kinds = append(kinds, k)
			}
			slices.Sort(kinds)
			return fmt.Errorf("object_kind %q is not one of %s", a.ObjectKind, strings.Join(kinds, ", "))
		}
	}
	if a.Object == "" && (a.ObjectKind != "" || a.IncludeChildren) {
		return errors.New("object_kind and include_children refine object: pass object too")
	}
	return nil
}

func taskList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "task_list",
		Title: "List vCenter tasks",
		Description: fmt.Sprintf("List recent vCenter tasks, newest first: operation, object, state, progress, times, user and error. "+
			"Filter by object (VM, host, cluster, … by name, path or ID) and state (queued, running, success, error). "+
			"Covers the newest %d matching tasks; paged, 50 per page by default.", taskWindow),
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a TaskListArgs) (TaskList, error) {
		key := toolkit.QueryKey("task_list", a.Object, a.ObjectKind, strconv.FormatBool(a.IncludeChildren), a.State)
		var out TaskList
		page, total, next, err := vcenter.PageCollected(d.Session, key, a.Size(), a.Cursor, func() ([]types.TaskInfo, error) {
			var infos []types.TaskInfo
			err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
				var entity *vcenter.Object
				if a.Object != "" {
					var kinds []string
					if a.ObjectKind != "" {
						kinds = []string{objectKinds[a.ObjectKind]}
					}
					o, err := c.ResolveAny(ctx, a.Object, kinds)
					if err != nil {
						return err
					}
					entity = &o
				}
				var err error
				infos, err = collectTasks(ctx, c, entity, a.IncludeChildren, a.State, taskWindow)
				if err != nil {
					return err
				}
				infos, err = visibleTasks(ctx, c, infos)
				return err
			})
			return infos, err
		})
		if err != nil {
			return out, err
		}
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			if a.Cursor != "" {
				page = refreshTasks(ctx, c, page)
			}
			items, err := taskItems(ctx, c, page)
			out = TaskList{Items: items, Total: total, NextCursor: next}
			return err
		})
		return out, err
	})
}

// collectTasks returns up to max of the newest tasks matching the filter,
// newest first.
func collectTasks(ctx context.Context, c *vcenter.Conn, entity *vcenter.Object, children bool, state string, max int) ([]types.TaskInfo, error) {
	var infos []types.TaskInfo
	var err error
	if c.IsVC() {
		infos, err = historyTasks(ctx, c, entity, children, state, max)
		if err != nil && !fault.Is(err, &types.NotSupported{}) && !fault.Is(err, &types.InvalidState{}) {
			return nil, fmt.Errorf("read vCenter's task history: %w", err)
		}
	}
	if !c.IsVC() || err != nil {
		// No history (ESXi), or no collector to be had (vCenter limits
		// them per session): the recent tasks will do.
		if entity != nil && children {
			return nil, errors.New("include_children needs vCenter's task history, which this endpoint does not offer; list the tasks of each object instead")
		}
		infos, err = recentTasks(ctx, c, entity, state)
		if err != nil {
			return nil, err
		}
	}
	sortTasks(infos)
	if len(infos) > max {
		infos = infos[:max]
	}
	return infos, nil
}

// historyTasks reads the newest tasks matching the filter from a task
// history collector, which vCenter filters itself.
func historyTasks(ctx context.Context, c *vcenter.Conn, entity *vcenter.Object, children bool, state string, max int) ([]types.TaskInfo, error) {
	filter := types.TaskFilterSpec{Entity: &types.TaskFilterSpecByEntity{
		Entity:    c.Client.ServiceContent.RootFolder,
		Recursion: types.TaskFilterSpecRecursionOptionAll,
	}}
	if entity != nil {
		filter.Entity.Entity = entity.Ref
		if !children {
			filter.Entity.Recursion = types.TaskFilterSpecRecursionOptionSelf
		}
	}
	if state != "" {
		filter.State = []types.TaskInfoState{types.TaskInfoState(state)}
	}
	collector, err := task.NewManager(c.Client).CreateCollectorForTasks(ctx, filter)
	if err != nil {
		return nil, err
	}
	defer func() {
		// vCenter allows few collectors per session: never leave one behind.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = collector.Destroy(dctx)
	}()
	if err := collector.SetPageSize(ctx, int32(max)); err != nil {
		return nil, err
	}
	return collector.LatestPage(ctx)
}

// recentTasks reads TaskManager.recentTask (or the object's recentTask)
// and the info of each.
func recentTasks(ctx context.Context, c *vcenter.Conn, entity *vcenter.Object, state string) ([]types.TaskInfo, error) {
	pc := property.DefaultCollector(c.Client)
	var refs []types.ManagedObjectReference
	if entity != nil {
		var e mo.ManagedEntity
		if err := pc.RetrieveOne(ctx, entity.Ref, []string{"recentTask"}, &e); err != nil {
			return nil, fmt.Errorf("read the recent tasks of %s: %w", toolkit.Path(entity.Path), err)
		}
		refs = e.RecentTask
	} else {
		var tm mo.TaskManager
		if err := pc.RetrieveOne(ctx, *c.Client.ServiceContent.TaskManager, []string{"recentTask"}, &tm); err != nil {
			return nil, fmt.Errorf("read the recent tasks: %w", err)
		}
		refs = tm.RecentTask
	}
	infos, err := readTaskInfos(ctx, c, refs)
	if err != nil {
		return nil, err
	}
	if state != "" {
		infos = slices.DeleteFunc(infos, func(t types.TaskInfo) bool { return string(t.State) != state })
	}
	return infos, nil
}

// readTaskInfos reads the info of each task that still exists.
func readTaskInfos(ctx context.Context, c *vcenter.Conn, refs []types.ManagedObjectReference) ([]types.TaskInfo, error) {
	objs, _, err := c.RetrieveMany(ctx, refs, []string{"info"})
	if err != nil {
		return nil, fmt.Errorf("read tasks: %w", err)
	}
	var tasks []mo.Task
	if err := mo.LoadObjectContent(objs, &tasks); err != nil {
		return nil, fmt.Errorf("read tasks: %w", err)
	}
	out := make([]types.TaskInfo, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, t.Info)
	}
	return out, nil
}

// refreshTasks re-reads the tasks of a later page, which were collected
// with the first: a running task may have finished since. Tasks vCenter no
// longer keeps as objects stay as collected.
func refreshTasks(ctx context.Context, c *vcenter.Conn, page []types.TaskInfo) []types.TaskInfo {
	refs := make([]types.ManagedObjectReference, len(page))
	for i, t := range page {
		refs[i] = t.Task
	}
	fresh, err := readTaskInfos(ctx, c, refs)
	if err != nil {
		return page
	}
	byKey := make(map[string]types.TaskInfo, len(fresh))
	for _, t := range fresh {
		byKey[t.Key] = t
	}
	out := slices.Clone(page)
	for i, t := range out {
		if f, ok := byKey[t.Key]; ok {
			out[i] = f
		}
	}
	return out
}

// sortTasks orders tasks newest first.
func sortTasks(ts []types.TaskInfo) {
	slices.SortStableFunc(ts, func(a, b types.TaskInfo) int {
		if c := b.QueueTime.Compare(a.QueueTime); c != 0 {
			return c
		}
		return compareTaskKeys(b.Key, a.Key)
	})
}

// compareTaskKeys orders task-9 before task-10.
func compareTaskKeys(a, b string) int {
	na, ea := strconv.Atoi(a[strings.LastIndexAny(a, "-")+1:])
	nb, eb := strconv.Atoi(b[strings.LastIndexAny(b, "-")+1:])
	if ea == nil && eb == nil && na != nb {
		if na < nb {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// visibleTasks drops the tasks on objects outside the caller's scope.
func visibleTasks(ctx context.Context, c *vcenter.Conn, infos []types.TaskInfo) ([]types.TaskInfo, error) {
	var refs []types.ManagedObjectReference
	for _, t := range infos {
		if t.Entity != nil {
			refs = append(refs, *t.Entity)
		}
	}
	if len(refs) == 0 {
		return infos, nil
	}
	vis, err := c.VisibleSet(ctx, refs)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(infos, func(t types.TaskInfo) bool { return t.Entity != nil && !vis[*t.Entity] }), nil
}

// taskItems renders tasks as rows, naming their objects and operations.
func taskItems(ctx context.Context, c *vcenter.Conn, infos []types.TaskInfo) ([]TaskItem, error) {
	labels := taskLabels(ctx, c)
	// vCenter fills in entityName; a host or the simulator may leave the
	// ID there: read the names of those objects, in one round trip.
	var unnamed []types.ManagedObjectReference
	for _, t := range infos {
		if t.Entity != nil && (t.EntityName == "" || t.EntityName == t.Entity.Value) {
			unnamed = append(unnamed, *t.Entity)
		}
	}
	names := map[types.ManagedObjectReference]string{}
	if len(unnamed) > 0 {
		var err error
		if names, err = c.Names(ctx, unnamed); err != nil {
			return nil, err
		}
	}
	items := make([]TaskItem, 0, len(infos))
	for _, t := range infos {
		items = append(items, taskItem(t, labels, names))
	}
	return items, nil
}

func taskItem(t types.TaskInfo, labels map[string]string, names map[types.ManagedObjectReference]string) TaskItem {
	it := TaskItem{
		ID:         t.Key,
		Operation:  taskOperation(t, labels),
		Entity:     t.EntityName,
		State:      string(t.State),
		Cancelable: t.Cancelable && (t.State == types.TaskInfoStateQueued || t.State == types.TaskInfoStateRunning),
		Queued:     timestamp(&t.QueueTime),
		Started:    timestamp(t.StartTime),
		Completed:  timestamp(t.CompleteTime),
		User:       taskUser(t.Reason),
	}
	if it.ID == "" {
		it.ID = t.Task.Value
	}
	if t.State == types.TaskInfoStateRunning {
		it.Progress = t.Progress
	}
	if t.Entity != nil {
		it.EntityID = t.Entity.Value
		if n, ok := names[*t.Entity]; ok && n != "" {
			it.Entity = n
		}
	}
	if t.Error != nil {
		it.Error = taskFault(t.Error)
	}
	return it
}

// taskOperation names what a task does: vCenter's label for it when
// known, else its method name.
func taskOperation(t types.TaskInfo, labels map[string]string) string {
	if t.Description != nil && t.Description.Message != "" {
		return t.Description.Message
	}
	if l := labels[t.DescriptionId]; l != "" {
		return l
	}
	if n := strings.TrimSuffix(t.Name, "_Task"); n != "" {
		return n
	}
	return t.DescriptionId
}

func taskUser(r types.BaseTaskReason) string {
	switch r := r.(type) {
	case *types.TaskReasonUser:
		return r.UserName
	case *types.TaskReasonAlarm:
		return "alarm " + r.AlarmName
	case *types.TaskReasonSchedule:
		return "schedule " + r.Name
	case *types.TaskReasonSystem:
		return "system"
	}
	return ""
}

// taskFault renders a task's fault as "Name: message".
func taskFault(f *types.LocalizedMethodFault) string {
	name, msg := "", faultMessage(f)
	if f.Fault != nil {
		name = toolkit.FaultTypeName(f.Fault)
	}
	switch {
	case name == "":
		return msg
	case msg == "" || msg == name:
		return name
	}
	return name + ": " + msg
}

// faultMessage is a task fault's message, without the Go type name some
// endpoints (the simulator) put there instead of words.
func faultMessage(f *types.LocalizedMethodFault) string {
	msg := strings.TrimSpace(f.LocalizedMessage)
	if strings.HasPrefix(msg, "*types.") && !strings.Contains(msg, " ") {
		return ""
	}
	return msg
}

// taskFaultError presents a task's fault as an error that fault.Is and
// the explanations understand.
type taskFaultError struct {
	msg string
	f   types.BaseMethodFault
}

func (e taskFaultError) Error() string                { return e.msg }
func (e taskFaultError) Fault() types.BaseMethodFault { return e.f }

func timestamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// taskLabelCache holds vCenter's names for task types per vCenter build:
// they never change, and the list is large (about 1,500 entries).
var taskLabelCache struct {
	sync.Mutex
	m map[string]map[string]string
}

func taskLabels(ctx context.Context, c *vcenter.Conn) map[string]string {
	about := c.Client.ServiceContent.About
	key := about.InstanceUuid + "|" + about.ApiType + "|" + about.Build
	taskLabelCache.Lock()
	labels, ok := taskLabelCache.m[key]
	taskLabelCache.Unlock()
	if ok {
		return labels
	}
	var tm mo.TaskManager
	err := property.DefaultCollector(c.Client).RetrieveOne(ctx, *c.Client.ServiceContent.TaskManager, []string{"description.methodInfo"}, &tm)
	if err != nil {
		return nil // method names will do; try again next time
	}
	labels = make(map[string]string, len(tm.Description.MethodInfo))
	for _, e := range tm.Description.MethodInfo {
		d := e.GetElementDescription()
		labels[d.Key] = d.Label
	}
	taskLabelCache.Lock()
	if taskLabelCache.m == nil {
		taskLabelCache.m = map[string]map[string]string{}
	}
	taskLabelCache.m[key] = labels
	taskLabelCache.Unlock()
	return labels
}

// ---- task_get ----

// TaskDetail is task_get's result.
type TaskDetail struct {
	ID              string  `json:"id"`
	Operation       string  `json:"operation"`
	DescriptionID   string  `json:"description_id,omitempty" jsonschema:"vCenter's identifier of the operation, e.g. VirtualMachine.createSnapshot"`
	Entity          string  `json:"entity,omitempty"`
	EntityID        string  `json:"entity_id,omitempty"`
	EntityType      string  `json:"entity_type,omitempty"`
	State           string  `json:"state" jsonschema:"queued, running, success or error"`
	Progress        int32   `json:"progress,omitempty"`
	Cancelable      bool    `json:"cancelable" jsonschema:"vCenter allows cancelling it now (task_cancel)"`
	Cancelled       bool    `json:"cancelled,omitempty" jsonschema:"Someone asked vCenter to cancel it"`
	Queued          string  `json:"queued,omitempty"`
	Started         string  `json:"started,omitempty"`
	Completed       string  `json:"completed,omitempty"`
	DurationSeconds float64 `json:"duration_s,omitempty" jsonschema:"From start to completion, or to now while running"`
	User            string  `json:"user,omitempty"`
	Fault           string  `json:"fault,omitempty" jsonschema:"The fault of a failed task, e.g. InvalidPowerState"`
	Error           string  `json:"error,omitempty" jsonschema:"The fault's message and what to do about it"`
	Result          string  `json:"result,omitempty" jsonschema:"What the task returned, e.g. the new snapshot's ID"`
	ResultType      string  `json:"result_type,omitempty"`
	ParentTask      string  `json:"parent_task,omitempty"`
	EventChainID    int32   `json:"event_chain_id,omitempty" jsonschema:"Links the task to its events"`
}

// Text renders the task as labelled lines. Error is an explanation whose
// fault message Explain quoted and labelled as data.
func (t TaskDetail) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Task %s: %s\n", toolkit.Name(t.ID), toolkit.Name(t.Operation))
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	if t.EntityID != "" {
		line("object", fmt.Sprintf("%s (%s %s)", toolkit.Name(t.Entity), t.EntityType, t.EntityID))
	}
	state := t.State
	if t.State == string(types.TaskInfoStateRunning) {
		state += fmt.Sprintf(", %d%%", t.Progress)
	}
	if t.Cancelled {
		state += ", cancelled"
	}
	if t.Cancelable {
		state += ", cancelable"
	}
	line("state", state)
	line("operation_id", t.DescriptionID)
	line("queued", t.Queued)
	line("started", t.Started)
	line("completed", t.Completed)
	if t.DurationSeconds > 0 {
		line("duration", (time.Duration(t.DurationSeconds*1000) * time.Millisecond).String())
	}
	line("user", toolkit.Name(t.User))
	line("fault", t.Fault)
	line("error", t.Error)
	if t.Result != "" {
		line("result", strings.TrimSpace(t.ResultType+" "+t.Result))
	}
	line("parent_task", toolkit.Name(t.ParentTask))
	if t.EventChainID != 0 {
		line("event_chain", toolkit.Itoa(int(t.EventChainID)))
	}
	return b.String()
}

// TaskNotFoundError says vCenter knows no task by an ID (or the caller's
// scope hides its object).
type TaskNotFoundError struct{ ID string }

func (e *TaskNotFoundError) Error() string {
	return fmt.Sprintf("no task %q: vCenter does not know it (or it works on an object outside this profile's scope). "+
		"Finished tasks leave the recent list after a while and the history after its retention period; list tasks with task_list", e.ID)
}

// readTask reads one task's info: the live task object, else (a task
// vCenter no longer keeps as an object) its entry in the task history.
// Tasks on objects outside the caller's scope read as not found.
func readTask(ctx context.Context, c *vcenter.Conn, id string) (types.TaskInfo, error) {
	ref := types.ManagedObjectReference{Type: "Task", Value: id}
	infos, err := readTaskInfos(ctx, c, []types.ManagedObjectReference{ref})
	if err != nil {
		return types.TaskInfo{}, err
	}
	if len(infos) == 0 && c.IsVC() {
		hist, err := historyTasks(ctx, c, nil, true, "", taskWindow*2)
		if err == nil {
			infos = slices.DeleteFunc(hist, func(t types.TaskInfo) bool { return t.Key != id && t.Task.Value != id })
		}
	}
	if len(infos) == 0 {
		return types.TaskInfo{}, &TaskNotFoundError{ID: id}
	}
	vis, err := visibleTasks(ctx, c, infos[:1])
	if err != nil {
		return types.TaskInfo{}, err
	}
	if len(vis) == 0 {
		return types.TaskInfo{}, &TaskNotFoundError{ID: id}
	}
	return vis[0], nil
}

func taskDetail(ctx context.Context, c *vcenter.Conn, t types.TaskInfo, now time.Time) (TaskDetail, error) {
	var names map[types.ManagedObjectReference]string
	if t.Entity != nil && (t.EntityName == "" || t.EntityName == t.Entity.Value) {
		var err error
		if names, err = c.Names(ctx, []types.ManagedObjectReference{*t.Entity}); err != nil {
			return TaskDetail{}, err
		}
	}
	it := taskItem(t, taskLabels(ctx, c), names)
	d := TaskDetail{
		ID: it.ID, Operation: it.Operation, DescriptionID: t.DescriptionId,
		Entity: it.Entity, EntityID: it.EntityID,
		State: it.State, Progress: it.Progress, Cancelable: it.Cancelable, Cancelled: t.Cancelled,
		Queued: it.Queued, Started: it.Started, Completed: it.Completed, User: it.User,
		EventChainID: t.EventChainId,
	}
	if t.Entity != nil {
		d.EntityType = t.Entity.Type
	}
	if t.StartTime != nil {
		end := now
		if t.CompleteTime != nil {
			end = *t.CompleteTime
		}
		if dur := end.Sub(*t.StartTime); dur > 0 {
			d.DurationSeconds = dur.Round(time.Millisecond).Seconds()
		}
	}
	if t.Error != nil {
		if t.Error.Fault != nil {
			d.Fault = toolkit.FaultTypeName(t.Error.Fault)
		}
		msg := faultMessage(t.Error)
		if msg == "" {
			msg = "the task failed with " + d.Fault
		}
		d.Error = toolkit.ExplainNamed(taskFaultError{msg: msg, f: t.Error.Fault})
	}
	if t.ParentTaskKey != "" {
		d.ParentTask = t.ParentTaskKey
	}
	switch r := t.Result.(type) {
	case nil:
	case types.ManagedObjectReference:
		d.Result, d.ResultType = r.Value, r.Type
	case *types.ManagedObjectReference:
		d.Result, d.ResultType = r.Value, r.Type
	default:
		d.ResultType = toolkit.FaultTypeName(r)
		if b, err := json.Marshal(r); err == nil {
			d.Result = toolkit.Truncate(string(b), 1000)
		}
	}
	return d, nil
}

func taskGet() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "task_get",
		Title: "Show a vCenter task",
		Description: "Show one vCenter task by ID (task-123): operation, object, state and progress, times and duration, user, " +
			"whether it can be cancelled, and its result or its fault explained.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a TaskArgs) (TaskDetail, error) {
		var out TaskDetail
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, err := readTask(ctx, c, a.Task)
			if err != nil {
				return err
			}
			out, err = taskDetail(ctx, c, t, time.Now())
			return err
		})
		return out, err
	})
}

// ---- task_cancel ----

// TaskCancelResult is task_cancel's result.
type TaskCancelResult struct {
	Message string     `json:"message"`
	Task    TaskDetail `json:"task" jsonschema:"The task as it stands after the cancellation"`
}

// Text renders the outcome and the task.
func (r TaskCancelResult) Text() string { return r.Message + "\n" + r.Task.Text() }

// cancelWait is how long task_cancel watches for the task to stop.
const cancelWait = 5 * time.Second

func taskCancel() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "task_cancel",
		Title: "Cancel a vCenter task",
		Description: "Ask vCenter to cancel a queued or running task (task-123) that allows it (task_get shows cancelable); " +
			"the task stops at its next safe point and ends in state error with RequestCanceled.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a TaskArgs) (TaskCancelResult, error) {
		var out TaskCancelResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, err := readTask(ctx, c, a.Task)
			if err != nil {
				return err
			}
			detail, err := taskDetail(ctx, c, t, time.Now())
			if err != nil {
				return err
			}
			what := fmt.Sprintf("%s (%s", detail.ID, toolkit.Name(detail.Operation))
			if detail.Entity != "" {
				what += " on " + toolkit.Name(detail.Entity)
			}
			what += ")"
			switch {
			case t.State == types.TaskInfoStateSuccess || t.State == types.TaskInfoStateError:
				how := string(t.State)
				if t.Cancelled {
					how = "error, cancelled"
				}
				return fmt.Errorf("task %s has already finished (%s at %s); there is nothing to cancel", what, how, detail.Completed)
			case t.Cancelled:
				return fmt.Errorf("task %s is already being cancelled; check it with task_get", what)
			case !t.Cancelable:
				return fmt.Errorf("vCenter does not allow cancelling task %s: this kind of task cannot be cancelled (cancelable is false), or not at this stage; wait for it to finish and check it with task_get", what)
			}
			var targets []vcenter.Object
			if t.Entity != nil {
				o, err := c.Describe(ctx, *t.Entity)
				if err != nil {
					o = vcenter.Object{Ref: *t.Entity, Name: detail.Entity, Path: detail.Entity}
				}
				targets = append(targets, o)
			}
			if err := guard.Act(ctx, "Cancel task "+what, targets...); err != nil {
				return err
			}
			guard.NoteTask(ctx, t.Task.Value)
			if err := object.NewTask(c.Client, t.Task).Cancel(ctx); err != nil {
				if fault.Is(err, &types.InvalidState{}) {
					return fmt.Errorf("task %s finished before it could be cancelled (InvalidState); check its outcome with task_get", what)
				}
				if fault.Is(err, &types.NotSupported{}) {
					return fmt.Errorf("vCenter refused to cancel task %s (NotSupported): it cannot be cancelled at this stage; wait for it to finish", what)
				}
				return fmt.Errorf("cancel task %s: %w", what, err)
			}
			// vCenter stops the task at its next safe point: watch briefly.
			deadline := time.Now().Add(cancelWait)
			for {
				cur, err := readTask(ctx, c, a.Task)
				if err == nil {
					t = cur
				}
				if t.State == types.TaskInfoStateSuccess || t.State == types.TaskInfoStateError || time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			detail, err = taskDetail(ctx, c, t, time.Now())
			if err != nil {
				return err
			}
			switch {
			case t.State == types.TaskInfoStateError && t.Cancelled:
				out.Message = fmt.Sprintf("Cancelled task %s.", what)
			case t.State == types.TaskInfoStateSuccess:
				out.Message = fmt.Sprintf("Asked vCenter to cancel task %s, but it completed successfully first.", what)
			default:
				out.Message = fmt.Sprintf("Asked vCenter to cancel task %s; it is %s and stops at its next safe point: check it with task_get.", what, t.State)
			}
			out.Task = detail
			return nil
		})
		return out, err
	})
}
