package task

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// What the task tools (task_list, task_get, task_cancel: a file each)
// share: a task's rendering, its fault, its operation's label. Tasks come from vCenter's task history (a TaskHistoryCollector, which
// filters by object and state on the server) or, on a bare ESXi host that
// has none, from TaskManager.recentTask.

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
