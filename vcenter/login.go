package vcenter

import (
	"context"
	"errors"
	"time"
)

// loginFlight is the one login in flight. Every call that needs a
// connection meanwhile waits for the same flight instead of dialling
// again, and each can stop waiting on its own context; the login goes on
// for the others (and for the next call) until it ends or Close cancels it.
type loginFlight struct {
	done chan struct{} // closed when conn and err are set
	conn *Conn
	err  error
}

// joinLocked waits for the login in flight, starting one unless a recent
// failure is remembered. It is called with s.mu held and releases it.
func (s *Session) joinLocked(ctx context.Context) (*Conn, error) {
	f := s.flight
	if f == nil {
		if s.failErr != nil && s.now().Sub(s.failAt) < s.failFor {
			err := s.failErr
			s.mu.Unlock()
			return nil, err
		}
		f = &loginFlight{done: make(chan struct{})}
		s.flight = f
		go s.login(f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.conn, f.err
	case <-ctx.Done():
		return nil, &CancelledError{What: "while waiting for the vCenter login", Err: context.Cause(ctx)}
	}
}

// login runs one flight. Its context is the session's, not a caller's: a
// caller that gives up must not cancel the login the others wait for.
func (s *Session) login(f *loginFlight) {
	cfg := s.cfg // read once: everything after close(f.done) may race a caller
	c, err := dial(s.base, cfg, &s.writes)

	s.mu.Lock()
	s.flight = nil
	closed := s.closed
	switch {
	case err == nil && closed:
		// Close came first and found nothing to log out of; do it here.
		err = errClosed
	case err == nil:
		c.gate = s.gate
		if !s.noIndex {
			c.index = startNameIndex(c.Client, &s.writes, s.log, s.indexWait)
		}
		s.conn = c
		s.failErr = nil
		s.logins.Add(1)
	default:
		if d := backoffFor(err); d > 0 {
			s.failErr, s.failAt, s.failFor = err, s.now(), d
		}
	}
	f.conn, f.err = c, err
	if err != nil {
		f.conn = nil
	}
	s.mu.Unlock()

	// Logged before the waiters go on, so the log tells what happened
	// before whatever they print about it.
	switch {
	case err == nil:
		s.log.Info("connected to vCenter", "url", cfg.redactedURL(), "product", c.About.FullName, "user", c.User, "tls", c.TLS)
	case errors.Is(err, errClosed) || closed:
		// Shutting down: not a connection problem.
	default:
		s.log.Warn("vCenter connection failed", "url", cfg.redactedURL(), "error", err)
	}
	if err != nil && c != nil { // closed meanwhile: Close waits for this
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = c.logout(ctx)
		cancel()
	}
	close(f.done)
}

// backoffFor is how long a failed login is remembered: a wrong password
// for a minute, so the account is not locked; a vCenter that could not be
// reached or trusted for a few seconds, so waiting calls fail together
// and fast. Settings errors (no connection was made) and cancellations
// are not remembered.
func backoffFor(err error) time.Duration {
	var le *LoginError
	var ce *ConfigError
	var cancelled *CancelledError
	switch {
	case errors.As(err, &le):
		return loginBackoff
	case errors.As(err, &ce), errors.As(err, &cancelled), errors.Is(err, errClosed):
		return 0
	}
	return failBackoff
}
