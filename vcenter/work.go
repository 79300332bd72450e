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

// scopeMarks record what the scope gate did during one call.
type scopeMarks struct {
	refused atomic.Bool // hid an object the caller named
	emptied atomic.Bool // a listing or lookup of a restricted kind found nothing
}

// TrackScope returns a context in which resolution and listing record what
// the scope gate did: that it hid an object the caller named (the call is
// then a refusal by policy, which the audit trail records as denied, even
// though the caller is told only "not found"), or that a listing or lookup
// of a kind the scope restricts found nothing (the caller is then told a
// scope is in effect, so "nothing" is not mistaken for an empty vCenter).
func TrackScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, new(scopeMarks))
}

func scopeMarksOf(ctx context.Context) *scopeMarks {
	m, _ := ctx.Value(scopeKey{}).(*scopeMarks)
	return m
}

func markScopeRefused(ctx context.Context) {
	if m := scopeMarksOf(ctx); m != nil {
		m.refused.Store(true)
	}
}

func markScopeEmptied(ctx context.Context) {
	if m := scopeMarksOf(ctx); m != nil {
		m.emptied.Store(true)
	}
}

// ScopeRefused reports whether, in a context from TrackScope, the scope
// gate hid an object the caller named.
func ScopeRefused(ctx context.Context) bool {
	m := scopeMarksOf(ctx)
	return m != nil && m.refused.Load()
}

// ScopeEmptied reports whether, in a context from TrackScope, a listing or
// lookup of a kind the scope restricts found nothing.
func ScopeEmptied(ctx context.Context) bool {
	m := scopeMarksOf(ctx)
	return m != nil && m.emptied.Load()
}
