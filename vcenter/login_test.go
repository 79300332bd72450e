package vcenter

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBlackHoledLogin: a vCenter that accepts and never speaks. Ten calls
// waiting for the login share one attempt and fail together when it times
// out; calls in the next seconds fail at once with the same error, without
// dialling; a waiter that is cancelled returns at once, saying so, and does
// not cancel the login for the others.
func TestBlackHoledLogin(t *testing.T) {
	t.Parallel()
	bh := newBlackHole(t)
	const loginTimeout = 2 * time.Second
	cfg := Config{URL: "https://" + bh.addr() + "/sdk", Username: "u", Password: "p", Timeout: loginTimeout,
		Thumbprint: strings.Repeat("AB:", 31) + "AB"}
	s := NewSession(cfg, nil)
	defer s.Close(context.Background())

	start := time.Now()
	type result struct {
		err     error
		elapsed time.Duration
	}
	results := make(chan result, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := countVMs(context.Background(), s)
			results <- result{err, time.Since(start)}
		}()
	}

	// A waiter that gives up while the login hangs.
	cctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan result, 1)
	go func() {
		t0 := time.Now()
		_, err := countVMs(cctx, s)
		cancelled <- result{err, time.Since(t0)}
	}()
	time.Sleep(100 * time.Millisecond)
	cancelAt := time.Now()
	cancel()
	c := <-cancelled
	sinceCancel := time.Since(cancelAt)
	t.Logf("cancelled waiter returned %v after its cancel: %v", sinceCancel, c.err)
	var ce *CancelledError
	if !errors.As(c.err, &ce) || !strings.HasPrefix(c.err.Error(), "cancelled") || strings.Contains(c.err.Error(), "VSPHERE_URL") {
		t.Errorf("cancelled waiter: got %v, want a cancelled error", c.err)
	}
	if sinceCancel >= loginTimeout {
		t.Errorf("the cancelled waiter waited for the login (%v)", sinceCancel)
	}

	wg.Wait()
	close(results)
	var first, last time.Duration
	for r := range results {
		var ue *UnreachableError
		if !errors.As(r.err, &ue) || !strings.Contains(r.err.Error(), "no answer within 2s") {
			t.Errorf("waiting call: got %v, want cannot reach … no answer within 2s", r.err)
		}
		if first == 0 || r.elapsed < first {
			first = r.elapsed
		}
		last = max(last, r.elapsed)
	}
	t.Logf("10 waiting calls: first failed after %v, last %v after it (login timeout %v)", first, last-first, loginTimeout)
	if n := bh.accepts.Load(); n != 1 {
		t.Errorf("%d connections for 10 waiting calls, want one shared login", n)
	}

	// Remembered: the next call fails at once with the same error.
	t0 := time.Now()
	_, err := countVMs(context.Background(), s)
	t.Logf("call after the failure failed in %v: %v", time.Since(t0), err)
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Errorf("call within the back-off: %v", err)
	}
	if n := bh.accepts.Load(); n != 1 {
		t.Errorf("the call within the back-off dialled again (%d connections)", n)
	}
}

// TestCloseEndsLoginInFlight: Close does not wait for a hanging login,
// and its waiters hear that the session closed, not that vCenter is
// unreachable.
func TestCloseEndsLoginInFlight(t *testing.T) {
	t.Parallel()
	bh := newBlackHole(t)
	s := NewSession(Config{URL: "https://" + bh.addr(), Username: "u", Password: "p", Timeout: time.Minute}, nil)
	done := make(chan error, 1)
	go func() { _, err := countVMs(context.Background(), s); done <- err }()
	for bh.accepts.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	t0 := time.Now()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := <-done
	t.Logf("waiter returned %v after Close: %v", time.Since(t0), err)
	var ce *CancelledError
	if !errors.As(err, &ce) || strings.Contains(err.Error(), "check VSPHERE_URL") {
		t.Errorf("got %v, want a cancelled login", err)
	}
	if _, err := countVMs(context.Background(), s); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("call after Close: %v", err)
	}
}
