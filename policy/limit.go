package policy

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Limits bound how fast a session may call tools. Zero means unlimited.
type Limits struct {
	// CallsPerSecond is the refill rate of the token bucket every call draws from.
	CallsPerSecond float64 `yaml:"calls_per_second,omitempty" mapstructure:"calls_per_second" json:"calls_per_second,omitempty"`
	// Burst is the bucket size; 0 means max(1, ceil(CallsPerSecond)).
	Burst int `yaml:"burst,omitempty" mapstructure:"burst" json:"burst,omitempty"`
	// WritesPerHour caps writes (counted per target) in any sliding hour, so
	// a looping agent cannot mass-delete even when it stays under the rate.
	WritesPerHour int `yaml:"writes_per_hour,omitempty" mapstructure:"writes_per_hour" json:"writes_per_hour,omitempty"`
}

// IsZero reports whether l limits nothing.
func (l Limits) IsZero() bool { return l == Limits{} }

// Validate rejects negative or non-finite values.
func (l Limits) Validate() error {
	if l.CallsPerSecond < 0 || math.IsNaN(l.CallsPerSecond) || math.IsInf(l.CallsPerSecond, 0) {
		return fmt.Errorf("limits: calls_per_second must be a finite number ≥ 0, got %v", l.CallsPerSecond)
	}
	if l.Burst < 0 {
		return fmt.Errorf("limits: burst must be ≥ 0, got %d", l.Burst)
	}
	if l.WritesPerHour < 0 {
		return fmt.Errorf("limits: writes_per_hour must be ≥ 0, got %d", l.WritesPerHour)
	}
	return nil
}

// Narrow returns the stricter of l and o in each field; zero (unlimited)
// never wins over a set value. Inheritance and the system policy use it, so
// neither a child role nor a user config can raise a limit.
func (l Limits) Narrow(o Limits) Limits {
	return Limits{
		CallsPerSecond: minSet(l.CallsPerSecond, o.CallsPerSecond),
		Burst:          minSet(l.Burst, o.Burst),
		WritesPerHour:  minSet(l.WritesPerHour, o.WritesPerHour),
	}
}

func minSet[T int | float64](a, b T) T {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// ErrRateLimited is matched (errors.Is) by every error Limiter.Allow returns.
var ErrRateLimited = errors.New("rate limit")

// RateLimitError says which limit was hit and when to retry. RetryAfter is
// zero when waiting cannot help (a bulk action larger than the budget).
type RateLimitError struct {
	RetryAfter time.Duration
	Reason     string
}

func (e *RateLimitError) Error() string {
	if e.RetryAfter <= 0 {
		return "rate limit: " + e.Reason
	}
	return "rate limit: " + e.Reason + "; retry in " + roundUp(e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// roundUp renders d for a person, rounded up so that retrying at the stated
// time succeeds: 80ms, 3s, 12m.
func roundUp(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", (d+time.Millisecond-1)/time.Millisecond)
	case d < time.Minute:
		return fmt.Sprintf("%ds", (d+time.Second-1)/time.Second)
	}
	return fmt.Sprintf("%dm", (d+time.Minute-1)/time.Minute)
}

// Limiter enforces Limits for one session. It is safe for concurrent use;
// a nil *Limiter allows everything.
type Limiter struct {
	lim Limits
	now func() time.Time

	mu     sync.Mutex
	tokens float64      // current bucket content
	last   time.Time    // last refill
	writes []writeEvent // writes in the last hour, oldest first
	used   int          // sum of writes[].n
}

type writeEvent struct {
	at time.Time
	n  int
}

// NewLimiter returns a limiter for l. now is the clock (time.Now in
// production, a fake in tests); nil means time.Now.
func NewLimiter(l Limits, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	lt := &Limiter{lim: l, now: now, last: now()}
	lt.tokens = float64(lt.burst())
	return lt
}

func (l *Limiter) burst() int {
	if l.lim.Burst > 0 {
		return l.lim.Burst
	}
	return max(1, int(math.Ceil(l.lim.CallsPerSecond)))
}

// Allow admits one call acting on n targets (n < 1 counts as 1). Every call
// takes one token from the bucket; a write also takes n from the hourly
// budget, so bulk actions count per target. A refused call consumes
// nothing. The error is a *RateLimitError.
func (l *Limiter) Allow(isWrite bool, n int) (retryAfter time.Duration, err error) {
	if l == nil {
		return 0, nil
	}
	n = max(n, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()

	if cps := l.lim.CallsPerSecond; cps > 0 {
		if el := now.Sub(l.last); el > 0 {
			l.tokens = math.Min(float64(l.burst()), l.tokens+el.Seconds()*cps)
		}
		l.last = now
		if l.tokens < 1 {
			wait := time.Duration(math.Ceil((1 - l.tokens) / cps * float64(time.Second)))
			return wait, &RateLimitError{RetryAfter: wait,
				Reason: fmt.Sprintf("more than %g calls per second (burst %d)", cps, l.burst())}
		}
	}

	if isWrite {
		if wait, err := l.takeWrites(now, n); err != nil {
			return wait, err
		}
	}
	if l.lim.CallsPerSecond > 0 {
		l.tokens--
	}
	return 0, nil
}

// AllowWrites takes n more writes from the hourly budget, without a call
// token: for the further targets of a bulk call that Allow admitted with
// one. A refused request consumes nothing.
func (l *Limiter) AllowWrites(n int) (time.Duration, error) {
	if l == nil || n < 1 {
		return 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.takeWrites(l.now(), n)
}

// takeWrites charges n writes to the hourly budget; l.mu is held.
func (l *Limiter) takeWrites(now time.Time, n int) (time.Duration, error) {
	wph := l.lim.WritesPerHour
	if wph <= 0 {
		return 0, nil
	}
	l.expire(now)
	if n > wph {
		return 0, &RateLimitError{Reason: fmt.Sprintf(
			"%d targets exceed the budget of %d writes per hour; act on fewer targets at a time", n, wph)}
	}
	if l.used+n > wph {
		wait := l.waitFor(now, l.used+n-wph)
		reason := fmt.Sprintf("%d writes per hour used", l.used)
		if l.used < wph {
			reason = fmt.Sprintf("%d of %d writes per hour used and this call needs %d", l.used, wph, n)
		}
		return wait, &RateLimitError{RetryAfter: wait, Reason: reason}
	}
	l.writes = append(l.writes, writeEvent{at: now, n: n})
	l.used += n
	return 0, nil
}

// expire drops writes older than an hour.
func (l *Limiter) expire(now time.Time) {
	i := 0
	for ; i < len(l.writes) && !now.Before(l.writes[i].at.Add(time.Hour)); i++ {
		l.used -= l.writes[i].n
	}
	l.writes = l.writes[i:]
}

// waitFor returns how long until at least need writes have aged out.
func (l *Limiter) waitFor(now time.Time, need int) time.Duration {
	freed := 0
	for _, w := range l.writes {
		freed += w.n
		if freed >= need {
			return w.at.Add(time.Hour).Sub(now)
		}
	}
	return time.Hour // unreachable while n <= WritesPerHour
}
