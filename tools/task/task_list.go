package task

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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
