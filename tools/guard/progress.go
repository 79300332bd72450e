package guard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/progress"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// Progress sends MCP progress notifications for the call in ctx,
// when the client asked for them with a progress token. Progress is in
// percent (total 100).
type Progress struct {
	ctx   context.Context
	token mcp.ProgressToken
	mu    sync.Mutex // bulk actions report from several goroutines
	last  float64
}

func NewProgress(ctx context.Context) *Progress {
	p := &Progress{ctx: ctx, last: -1}
	if c := callFrom(ctx); c != nil && c.req.Params.Meta != nil {
		p.token = c.req.Params.Meta.ProgressToken
	}
	return p
}

// Report sends one notification; percent never goes backwards, as the
// protocol requires.
func (p *Progress) Report(percent float64, msg string) {
	if p == nil || p.token == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if percent < p.last {
		percent = p.last
	}
	if percent == p.last && msg == "" {
		return
	}
	p.last = percent
	srv := server.ServerFromContext(p.ctx)
	if srv == nil {
		return
	}
	params := map[string]any{"progressToken": p.token, "progress": percent, "total": 100}
	if msg != "" {
		// Progress messages name VMs and snapshots: one escaped line.
		params["message"] = toolkit.Line(msg, toolkit.TextMax)
	}
	// A client that went away cannot be told; the work goes on regardless.
	_ = srv.SendNotificationToClient(p.ctx, "notifications/progress", params)
}

// IsBackgroundTask reports whether the call runs as an MCP task, which
// the client may cancel on purpose.
func IsBackgroundTask(ctx context.Context) bool {
	c := callFrom(ctx)
	return c != nil && c.req.Params.Task != nil
}

// WaitTask waits for a vCenter task, relaying its progress as MCP progress
// notifications scaled into [from, to] percent of the whole call, and
// records the task ID for the audit trail. label names the work in
// progress messages and errors: its names are escaped (toolkit.Name) by
// the caller, since errors keep their lines.
//
// Cancellation: when the call runs as an MCP task and the client cancels
// it, the vCenter task is cancelled too. A plain call whose client gives up
// (or disconnects) leaves the vCenter task running: it finishes on vCenter
// and shows in task_list.
func WaitTask(ctx context.Context, task *object.Task, label string, p *Progress, from, to float64) (*types.TaskInfo, error) {
	id := task.Reference().Value
	NoteTask(ctx, id)
	p.Report(from, fmt.Sprintf("%s: started (task %s)", label, id))

	// govmomi asks for the sink (and closes it) only once it is waiting;
	// the relay starts then, so an early failure leaves nothing behind.
	done := make(chan struct{})
	started := false
	sinker := progress.SinkFunc(func() chan<- progress.Report {
		started = true
		sink := make(chan progress.Report)
		go func() {
			defer close(done)
			for r := range sink {
				if r.Error() != nil {
					continue
				}
				p.Report(from+(to-from)*float64(r.Percentage())/100, fmt.Sprintf("%s: %.0f%%", label, r.Percentage()))
			}
		}()
		return sink
	})
	info, err := task.WaitForResult(ctx, sinker)
	if started {
		<-done
	}

	// On a cancelled context govmomi's WaitForUpdatesEx cancels the wait
	// and returns nil, so WaitForResult reports no error and the task's
	// last seen (unfinished) state: that is a cancellation too.
	if ctx.Err() != nil && (err != nil || !taskFinished(info)) {
		if IsBackgroundTask(ctx) && errors.Is(ctx.Err(), context.Canceled) {
			// The call's own context is done; the cancel keeps its write
			// permit (the call was authorized to start this task).
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if cerr := task.Cancel(cctx); cerr != nil {
				return info, fmt.Errorf("%s was cancelled by the client, but cancelling vCenter task %s failed: %w; check it with task_get", label, id, cerr)
			}
			return info, fmt.Errorf("%s was cancelled by the client; vCenter task %s was cancelled", label, id)
		}
		return info, fmt.Errorf("%s: stopped waiting (%v); vCenter task %s goes on, check it with task_get", label, ctx.Err(), id)
	}
	if err != nil {
		return info, fmt.Errorf("%s (task %s): %w", label, id, err)
	}
	p.Report(to, fmt.Sprintf("%s: done", label))
	return info, nil
}

// taskFinished reports whether info shows a task that has ended.
func taskFinished(info *types.TaskInfo) bool {
	return info != nil && (info.State == types.TaskInfoStateSuccess || info.State == types.TaskInfoStateError)
}
