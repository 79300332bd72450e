package policy

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLimiterCalls(t *testing.T) {
	clk := newClock()
	l := NewLimiter(Limits{CallsPerSecond: 10, Burst: 3}, clk.Now)
	for i := range 3 {
		if _, err := l.Allow(false, 1); err != nil {
			t.Fatalf("call %d within burst: %v", i, err)
		}
	}
	wait, err := l.Allow(false, 1)
	if !errors.Is(err, ErrRateLimited) || wait != 100*time.Millisecond {
		t.Fatalf("4th call: wait %v, err %v", wait, err)
	}
	var rle *RateLimitError
	if !errors.As(err, &rle) || rle.RetryAfter != wait {
		t.Errorf("error %T does not carry RetryAfter", err)
	}
	if want := "rate limit: more than 10 calls per second (burst 3); retry in 100ms"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	clk.Advance(50 * time.Millisecond)
	if wait, err := l.Allow(false, 1); err == nil || wait != 50*time.Millisecond {
		t.Errorf("after 50ms: wait %v, err %v", wait, err)
	}
	clk.Advance(50 * time.Millisecond)
	if _, err := l.Allow(false, 1); err != nil {
		t.Errorf("after refill: %v", err)
	}
	// A long pause refills to the burst, not beyond.
	clk.Advance(time.Hour)
	for i := range 3 {
		if _, err := l.Allow(true, 1); err != nil {
			t.Fatalf("call %d after pause: %v", i, err)
		}
	}
	if _, err := l.Allow(false, 1); err == nil {
		t.Error("bucket overfilled")
	}
}

func TestLimiterDefaultBurst(t *testing.T) {
	for _, tc := range []struct {
		cps  float64
		want int
	}{{0.5, 1}, {1, 1}, {2.5, 3}} {
		clk := newClock()
		l := NewLimiter(Limits{CallsPerSecond: tc.cps}, clk.Now)
		n := 0
		for ; n < 10; n++ {
			if _, err := l.Allow(false, 1); err != nil {
				break
			}
		}
		if n != tc.want {
			t.Errorf("cps %v: burst %d, want %d", tc.cps, n, tc.want)
		}
	}
}

func TestLimiterWrites(t *testing.T) {
	clk := newClock()
	l := NewLimiter(Limits{WritesPerHour: 30}, clk.Now)

	// Reads never touch the write budget.
	for range 100 {
		if _, err := l.Allow(false, 5); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Allow(true, 10); err != nil { // t=0: 10
		t.Fatal(err)
	}
	clk.Advance(20 * time.Minute)
	if _, err := l.Allow(true, 18); err != nil { // t=20m: 28
		t.Fatal(err)
	}
	clk.Advance(28 * time.Minute)
	if _, err := l.Allow(true, 0); err != nil { // n<1 counts as 1: 29
		t.Fatal(err)
	}
	if _, err := l.Allow(true, 1); err != nil { // 30
		t.Fatal(err)
	}

	// t=48m: budget used up; the first 10 age out at t=60m.
	wait, err := l.Allow(true, 1)
	if wait != 12*time.Minute || err == nil || err.Error() != "rate limit: 30 writes per hour used; retry in 12m" {
		t.Fatalf("wait %v, err %v", wait, err)
	}
	// A bulk call needing more than the first batch frees waits longer.
	wait, err = l.Allow(true, 11)
	if wait != 32*time.Minute || !strings.Contains(err.Error(), "retry in 32m") {
		t.Fatalf("bulk: wait %v, err %v", wait, err)
	}
	// Too big to ever fit: no retry hint.
	wait, err = l.Allow(true, 31)
	if wait != 0 || !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "31 targets exceed the budget of 30 writes per hour") {
		t.Fatalf("oversized: wait %v, err %v", wait, err)
	}
	clk.Advance(12 * time.Minute) // t=60m: the first 10 expire
	if _, err := l.Allow(true, 10); err != nil {
		t.Fatal(err)
	}
	wait, err = l.Allow(true, 5)
	if err == nil || err.Error() != "rate limit: 30 writes per hour used; retry in 20m" || wait != 20*time.Minute {
		t.Fatalf("wait %v, err %v", wait, err)
	}
}

func TestLimiterPartialBudgetMessage(t *testing.T) {
	clk := newClock()
	l := NewLimiter(Limits{WritesPerHour: 30}, clk.Now)
	if _, err := l.Allow(true, 28); err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * time.Second)
	_, err := l.Allow(true, 5)
	if want := "rate limit: 28 of 30 writes per hour used and this call needs 5; retry in 59m"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// A call refused by one limit must not consume the other.
func TestLimiterRefusalConsumesNothing(t *testing.T) {
	clk := newClock()
	l := NewLimiter(Limits{CallsPerSecond: 1, Burst: 2, WritesPerHour: 1}, clk.Now)
	if _, err := l.Allow(true, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Allow(true, 1); err == nil { // write budget refuses…
		t.Fatal("write budget not enforced")
	}
	if _, err := l.Allow(false, 1); err != nil { // …and the bucket still has its token
		t.Errorf("refused write consumed a call token: %v", err)
	}
}

func TestLimiterUnlimited(t *testing.T) {
	var nilLimiter *Limiter
	for _, l := range []*Limiter{NewLimiter(Limits{}, nil), nilLimiter} {
		for range 10000 {
			if _, err := l.Allow(true, 100); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestLimitsHelpers(t *testing.T) {
	a := Limits{CallsPerSecond: 10, Burst: 0, WritesPerHour: 30}
	b := Limits{CallsPerSecond: 0, Burst: 5, WritesPerHour: 50}
	if got, want := a.Narrow(b), (Limits{CallsPerSecond: 10, Burst: 5, WritesPerHour: 30}); got != want {
		t.Errorf("Narrow = %+v, want %+v", got, want)
	}
	if !(Limits{}).IsZero() || a.IsZero() {
		t.Error("IsZero")
	}
	for _, bad := range []Limits{{CallsPerSecond: -1}, {Burst: -1}, {WritesPerHour: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	for d, want := range map[time.Duration]string{
		time.Nanosecond: "1ms", 100 * time.Millisecond: "100ms", 1500 * time.Millisecond: "2s",
		time.Minute: "1m", 11*time.Minute + time.Second: "12m", time.Hour: "60m",
	} {
		if got := roundUp(d); got != want {
			t.Errorf("roundUp(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLimiterConcurrent(t *testing.T) {
	clk := newClock()
	l := NewLimiter(Limits{CallsPerSecond: 1, Burst: 50, WritesPerHour: 1000}, clk.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for range 200 {
		wg.Go(func() {
			if _, err := l.Allow(true, 1); err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted != 50 {
		t.Errorf("admitted %d, want the burst of 50", admitted)
	}
}

func TestLimiterAllowWrites(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := NewLimiter(Limits{WritesPerHour: 3}, func() time.Time { return now })
	if _, err := l.Allow(true, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AllowWrites(2); err != nil {
		t.Fatalf("extra writes within budget: %v", err)
	}
	if _, err := l.AllowWrites(1); err == nil {
		t.Fatal("a fourth write in the hour was admitted")
	}
	now = now.Add(time.Hour)
	if _, err := l.AllowWrites(3); err != nil {
		t.Fatalf("after an hour: %v", err)
	}
	var none *Limiter
	if _, err := none.AllowWrites(5); err != nil {
		t.Fatal("a nil limiter limits")
	}
}
