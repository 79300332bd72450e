package guard

import (
	"context"
	"sync"

	"github.com/mark3labs/mcp-go/server"
)

// BgTasks gives a tool call that runs as an MCP background task a context
// of its own, cancelled only when the client cancels that task.
//
// Why: mcp-go v1.2.1 runs a task-augmented tools/call in a goroutine whose
// context derives from the tools/call request's, and HandleMessage cancels
// that context as soon as it has answered with the CreateTaskResult. Left
// alone, every background call would see its context cancelled at once, and
// waitTask would cancel the vCenter task it had just started. The handler
// cannot tell that cancellation from tasks/cancel (both are a plain
// context.Canceled on the same chain), so the server's task hooks tell us:
// OnTaskCreated names the MCP task of a request, OnTaskCancelled says which
// task a client cancelled.
//
// The request is identified by the *server.RequestProtocolInfo that mcp-go
// allocates for every message and stores in its context, which both the
// creation hook and the handler's context carry. When that link is missing
// (a later mcp-go may differ), the call still runs to its end, detached,
// but cannot be cancelled through MCP; the vCenter task can still be
// cancelled with task_cancel.
//
// A task that outlives its TTL is cleaned up by mcp-go without a hook; its
// call runs on to the end, as a plain call whose client gave up does.
type BgTasks struct {
	mu sync.Mutex
	// task is the MCP task ID of a request whose handler has not started.
	task map[*server.RequestProtocolInfo]string
	// cancel stops the running call of an MCP task.
	cancel map[string]context.CancelFunc
	// early marks tasks cancelled before their handler started.
	early map[string]bool
}

func NewBgTasks() *BgTasks {
	return &BgTasks{
		task:   map[*server.RequestProtocolInfo]string{},
		cancel: map[string]context.CancelFunc{},
		early:  map[string]bool{},
	}
}

// hooks are the server task hooks that feed b.
func (b *BgTasks) hooks() *server.TaskHooks {
	h := &server.TaskHooks{}
	h.AddOnTaskCreated(b.created)
	h.AddOnTaskCancelled(b.cancelled)
	return h
}

func (b *BgTasks) created(ctx context.Context, m server.TaskMetrics) {
	info := server.RequestProtocolInfoFromContext(ctx)
	if info == nil {
		return
	}
	b.mu.Lock()
	b.task[info] = m.TaskID
	b.mu.Unlock()
}

// cancelled runs under mcp-go's task lock: it must not call the server.
func (b *BgTasks) cancelled(_ context.Context, m server.TaskMetrics) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cancel, ok := b.cancel[m.TaskID]; ok {
		cancel()
		return
	}
	b.early[m.TaskID] = true
}

// detach returns the context a background call runs in, and the function
// to call when it ends.
func (b *BgTasks) detach(ctx context.Context) (context.Context, func()) {
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	info := server.RequestProtocolInfoFromContext(ctx)
	b.mu.Lock()
	id, linked := b.task[info]
	delete(b.task, info)
	if linked {
		if b.early[id] {
			delete(b.early, id)
			cancel()
		}
		b.cancel[id] = cancel
	}
	b.mu.Unlock()
	return dctx, func() {
		if linked {
			b.mu.Lock()
			delete(b.cancel, id)
			b.mu.Unlock()
		}
		cancel()
	}
}
