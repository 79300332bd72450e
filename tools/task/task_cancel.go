package task

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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
