package vcenter

import (
	"context"
	"sync/atomic"

	"github.com/vmware/govmomi/vim25/soap"
)

// A narrow permit lets one write through the gate for a tool whose policy
// risk is a read but whose reading vCenter implements as writes: a console
// screenshot is a task that writes a PNG into the VM's folder, which the
// tool then downloads and deletes. Granting such a tool the whole write
// permit would let any mistake in it (or in a later change to it) change
// vCenter unchecked; a narrow permit lets through exactly one call of one
// method whose request the tool's check accepts (this VM, this file), and
// nothing else.
//
// It fails closed: it grants nothing in a context that is not a guarded
// tool call (one without WithWritePermit), a nil check accepts nothing,
// each permit is used up by the one call it lets through, and a request the
// check refuses is refused as any unpermitted write is.

type narrowKey struct{}

type narrowPermit struct {
	method string
	check  func(req soap.HasFault) bool
	used   atomic.Bool
	outer  *narrowPermit
}

// PermitOnly returns a context in which, besides reads, one call of method
// whose request check accepts may pass the write gate. Permits stack: a
// context from PermitOnly of a context from PermitOnly allows either call.
// Outside a guarded call (no WithWritePermit in ctx) it permits nothing.
func PermitOnly(ctx context.Context, method string, check func(req soap.HasFault) bool) context.Context {
	if _, guarded := ctx.Value(permitKey{}).(*atomic.Bool); !guarded || check == nil || method == "" {
		return ctx
	}
	outer, _ := ctx.Value(narrowKey{}).(*narrowPermit)
	return context.WithValue(ctx, narrowKey{}, &narrowPermit{method: method, check: check, outer: outer})
}

// narrowlyPermitted reports whether a narrow permit of ctx lets req (a
// call of method) through, using the permit up when it does.
func narrowlyPermitted(ctx context.Context, method string, req soap.HasFault) bool {
	if _, guarded := ctx.Value(permitKey{}).(*atomic.Bool); !guarded {
		return false
	}
	for p, _ := ctx.Value(narrowKey{}).(*narrowPermit); p != nil; p = p.outer {
		if p.method != method || p.used.Load() || !p.check(req) {
			continue
		}
		if p.used.CompareAndSwap(false, true) {
			return true
		}
	}
	return false
}
