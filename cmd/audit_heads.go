package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// auditHeads posts the audit trail's chain head to vCenter as a user event
// on the root folder, every audit.checkpoint_every records and at exit
// (with audit.vcenter_events). That copy of the head lives off this
// machine, so a trail whose file and .head were both rewritten still fails
// `audit verify --head SEQ:HASH` against the head vCenter recorded.
type auditHeads struct {
	session *vcenter.Session
	file    string
	log     *slog.Logger

	mu     sync.Mutex
	posted uint64 // highest seq posted
	wg     sync.WaitGroup
}

// checkpoint is the trail's hook: it runs on the writing goroutine, so the
// post happens in the background.
func (h *auditHeads) checkpoint(head audit.Head) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h.post(ctx, head, "checkpoint")
	}()
}

// final posts the head at exit, before logging out, unless the server
// never logged in (exit must not wait for a vCenter nobody used).
func (h *auditHeads) final(head audit.Head) {
	h.wg.Wait()
	if h.session.Logins() == 0 || head.Seq == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.post(ctx, head, "exit")
}

func (h *auditHeads) post(ctx context.Context, head audit.Head, why string) {
	h.mu.Lock()
	if head.Seq <= h.posted {
		h.mu.Unlock()
		return // heads can arrive out of order; an older one adds nothing
	}
	h.posted = head.Seq
	h.mu.Unlock()
	msg := fmt.Sprintf("vsphere-mcp audit head %s (%s, trail %s)", head.String(), why, h.file)
	// The server's own record, not a tool's change: it carries its own
	// permit through the write gate.
	ctx = vcenter.WithWritePermit(ctx)
	vcenter.Permit(ctx)
	err := h.session.Do(ctx, func(c *vcenter.Conn) error {
		return c.LogUserEvent(ctx, c.Client.ServiceContent.RootFolder, msg)
	})
	if err != nil {
		h.log.Warn("audit head not posted to vCenter", "head", head.String(), "error", err)
		return
	}
	h.log.Debug("audit head posted to vCenter", "head", head.String())
}
