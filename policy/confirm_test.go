package policy

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestTokens(t *testing.T) {
	const (
		tool   = "vm_destroy"
		target = "/DC1/vm/lab/web-01"
	)
	digest := ArgsDigest(map[string]any{"vm": "web-01"})
	tests := []struct {
		name    string
		advance time.Duration
		redeem  func(tk *Tokens, tok string) error
		want    error
		msg     string
	}{
		{"ok", 0, func(tk *Tokens, tok string) error { return tk.Redeem(tok, tool, target, digest) }, nil, ""},
		{"just before expiry", 5*time.Minute - time.Nanosecond, func(tk *Tokens, tok string) error { return tk.Redeem(tok, tool, target, digest) }, nil, ""},
		{"expired", 5 * time.Minute, func(tk *Tokens, tok string) error { return tk.Redeem(tok, tool, target, digest) }, ErrTokenExpired, "expired 0s ago"},
		{"long expired is unknown", time.Hour, func(tk *Tokens, tok string) error { return tk.Redeem(tok, tool, target, digest) }, ErrTokenUnknown, "new preview"},
		{"unknown", 0, func(tk *Tokens, tok string) error { return tk.Redeem(tok+"x", tool, target, digest) }, ErrTokenUnknown, "unknown"},
		{"empty", 0, func(tk *Tokens, tok string) error { return tk.Redeem("", tool, target, digest) }, ErrTokenUnknown, "unknown"},
		{"reused", 0, func(tk *Tokens, tok string) error {
			if err := tk.Redeem(tok, tool, target, digest); err != nil {
				return err
			}
			return tk.Redeem(tok, tool, target, digest)
		}, ErrTokenUsed, "already used"},
		{"other tool", 0, func(tk *Tokens, tok string) error { return tk.Redeem(tok, "vm_power_off", target, digest) }, ErrTokenMismatch, "it confirms vm_destroy, not vm_power_off"},
		{"other target", 0, func(tk *Tokens, tok string) error { return tk.Redeem(tok, tool, "/DC1/vm/prod/db-01", digest) }, ErrTokenMismatch, "not on /DC1/vm/prod/db-01"},
		{"other args", 0, func(tk *Tokens, tok string) error {
			return tk.Redeem(tok, tool, target, ArgsDigest(map[string]any{"vm": "web-01", "force": true}))
		}, ErrTokenMismatch, "arguments differ"},
		{"mismatch burns the token", 0, func(tk *Tokens, tok string) error {
			_ = tk.Redeem(tok, tool, "/DC1/vm/other", digest)
			return tk.Redeem(tok, tool, target, digest)
		}, ErrTokenUsed, "already used"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			tk := NewTokens(clk.Now, 5*time.Minute)
			tok := tk.Issue(tool, target, digest)
			clk.Advance(tc.advance)
			err := tc.redeem(tk, tok)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestTokensUniqueAndPurged(t *testing.T) {
	clk := newClock()
	tk := NewTokens(clk.Now, 0)
	if tk.TTL() != DefaultTokenTTL {
		t.Errorf("ttl = %v", tk.TTL())
	}
	seen := map[string]bool{}
	for range 1000 {
		tok := tk.Issue("t", "x", "d")
		if seen[tok] || len(tok) < 20 {
			t.Fatalf("weak or duplicate token %q", tok)
		}
		seen[tok] = true
	}
	clk.Advance(2*DefaultTokenTTL + time.Second)
	tk.Issue("t", "x", "d")
	tk.mu.Lock()
	n := len(tk.m)
	tk.mu.Unlock()
	if n != 1 {
		t.Errorf("%d tokens kept after expiry, want 1", n)
	}
}

func TestTokensConcurrentRedeemOnce(t *testing.T) {
	tk := NewTokens(nil, time.Minute)
	tok := tk.Issue("vm_destroy", "/a", "d")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 50 {
		wg.Go(func() {
			if tk.Redeem(tok, "vm_destroy", "/a", "d") == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
			tk.Issue("vm_destroy", "/b", "d")
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("token redeemed %d times", ok)
	}
}

func TestArgsDigest(t *testing.T) {
	base := map[string]any{"vm": "web-01", "opts": map[string]any{"b": 2.0, "a": []any{"x", 1.0}}}
	same := map[string]any{"opts": map[string]any{"a": []any{"x", 1.0}, "b": 2.0}, "vm": "web-01", "confirm_token": "ct-123"}
	if ArgsDigest(base) != ArgsDigest(same) {
		t.Error("digest depends on key order or confirm_token")
	}
	for name, other := range map[string]map[string]any{
		"value":        {"vm": "web-02", "opts": base["opts"]},
		"nested":       {"vm": "web-01", "opts": map[string]any{"b": 3.0, "a": []any{"x", 1.0}}},
		"nested token": {"vm": "web-01", "opts": map[string]any{"b": 2.0, "a": []any{"x", 1.0}, "confirm_token": "x"}},
		"type":         {"vm": "web-01", "opts": map[string]any{"b": "2", "a": []any{"x", 1.0}}},
	} {
		if ArgsDigest(other) == ArgsDigest(base) {
			t.Errorf("%s: digest collision", name)
		}
	}
	if len(ArgsDigest(nil)) != 64 || ArgsDigest(nil) != ArgsDigest(map[string]any{}) {
		t.Error("nil and empty args should digest alike")
	}
	// Unmarshalable values still give a stable digest.
	odd := map[string]any{"c": make(chan int)}
	if ArgsDigest(odd) == "" {
		t.Error("empty digest")
	}
}
