package task

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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
