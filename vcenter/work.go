package vcenter

import (
	"context"
	"sync/atomic"
)

type workKey struct{}

// TrackWork returns a context in which MarkWorkStarted can record that a
// change was asked of vCenter. From then on Session.Do does not repeat its
// function after a lost session: the change may be under way already, and
// repeating it could clone twice or take a second snapshot.
func TrackWork(ctx context.Context) context.Context {
	return context.WithValue(ctx, workKey{}, new(atomic.Bool))
}

// MarkWorkStarted records, in a context from TrackWork, that a change was
// asked of vCenter (typically: a task was started).
func MarkWorkStarted(ctx context.Context) {
	if b, ok := ctx.Value(workKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}

func workStarted(ctx context.Context) bool {
	b, ok := ctx.Value(workKey{}).(*atomic.Bool)
	return ok && b.Load()
}

type scopeKey struct{}

// TrackScope returns a context in which resolution records that the scope
// gate hid an object the caller named: the call is then a refusal by
// policy, which the audit trail records as denied, even though the caller
// is told only "not found".
func TrackScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, new(atomic.Bool))
}

func markScopeRefused(ctx context.Context) {
	if b, ok := ctx.Value(scopeKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}

// ScopeRefused reports whether, in a context from TrackScope, the scope
// gate hid an object the caller named.
func ScopeRefused(ctx context.Context) bool {
	b, ok := ctx.Value(scopeKey{}).(*atomic.Bool)
	return ok && b.Load()
}
