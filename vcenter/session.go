package vcenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	defaultKeepAlive = 5 * time.Minute
	defaultTimeout   = 30 * time.Second
	// loginBackoff stops a wrong password from being replayed on every
	// tool call, which would lock the account on most SSO setups.
	loginBackoff = time.Minute
	// failBackoff is how long an unreachable vCenter (or an untrusted
	// certificate, or a timeout) is remembered: calls in that time fail at
	// once with the same error instead of each waiting for its own dial.
	failBackoff = 5 * time.Second
)

// Session is the one vCenter session of the process. It connects lazily on
// first use, keeps the session alive, logs in again when vCenter expires or
// terminates it, and logs out on Close. It is safe for concurrent use.
//
// Logging in happens outside the mutex, as one flight that every waiting
// call shares (see login.go), so a slow or silent vCenter holds no lock and
// each caller can give up on its own context.
type Session struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	// base is cancelled by Close, which ends a login in flight.
	base   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // guards the fields below
	conn    *Conn
	flight  *loginFlight // the login in flight, nil when none
	failErr error        // the last failed login, remembered until failAt+failFor
	failAt  time.Time
	failFor time.Duration
	closed  bool

	logins  atomic.Int64
	cursors *cursorStore
	gate    Gate
	// writes counts the writes sent and write calls ended, so the name
	// index knows when it must catch up (see nameindex.go).
	writes  writeCounter
	noIndex bool
	// indexWait is the name index's long poll; 0: the default.
	indexWait time.Duration
}

// NewSession returns a Session that will connect with cfg on first use.
func NewSession(cfg Config, log *slog.Logger, opts ...SessionOption) *Session {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{cfg: cfg, log: log, now: time.Now, cursors: newCursorStore(time.Now)}
	s.base, s.cancel = context.WithCancel(context.Background())
	for _, o := range opts {
		o(s)
	}
	return s
}

// Config returns the session's connection settings (with the password).
func (s *Session) Config() Config { return s.cfg }

// Logins reports how many times the session has logged in; tests use it to
// see a transparent re-login happen exactly once.
func (s *Session) Logins() int64 { return s.logins.Load() }

// Do runs fn with a logged-in connection. When fn fails because the session
// is no longer authenticated (expired, or terminated by an administrator),
// Do logs in again and runs fn once more. fn must therefore be safe to
// repeat: a NotAuthenticated fault means vCenter did not run the request.
// Once fn has started a change (MarkWorkStarted on a TrackWork context),
// it is not repeated.
func (s *Session) Do(ctx context.Context, fn func(*Conn) error) error {
	c, err := s.get(ctx)
	if err != nil {
		return err
	}
	err = fn(c)
	if !IsNotAuthenticated(err) && !c.lostView(ctx, err) {
		return err
	}
	if workStarted(ctx) {
		// Log in again for the calls to come, but do not repeat this one.
		if !c.alive(ctx) {
			_, _ = s.relogin(ctx, c)
		}
		return fmt.Errorf("the vCenter session ended while the work was under way, so it was not repeated; check what happened with task_list (%s)", ErrorText(err))
	}
	if c.alive(ctx) {
		// Only a view was gone (destroyed by someone else); it has been
		// forgotten and is rebuilt on the retry.
		return fn(c)
	}
	s.log.Info("vCenter session lost; logging in again", "url", s.cfg.redactedURL())
	c, err = s.relogin(ctx, c)
	if err != nil {
		return err
	}
	return fn(c)
}

// lostView reports whether err is a cached container view that vCenter no
// longer knows, and forgets it. After a session ends, vCenter answers
// ManagedObjectNotFound for its views before it says NotAuthenticated.
func (c *Conn) lostView(ctx context.Context, err error) bool {
	var nf *types.ManagedObjectNotFound
	if _, ok := fault.As(err, &nf); !ok || nf == nil || nf.Obj.Type != "ContainerView" {
		return false
	}
	c.views.forget(nf.Obj)
	return true
}

// alive asks vCenter whether this connection's session is still logged in.
func (c *Conn) alive(ctx context.Context) bool {
	us, err := c.manager.UserSession(ctx)
	return err == nil && us != nil
}

// IsNotAuthenticated reports whether err says the session is gone. It also
// catches the per-property faults a property read returns in its MissingSet.
func IsNotAuthenticated(err error) bool {
	return err != nil && fault.Is(err, &types.NotAuthenticated{})
}

var errClosed = errors.New("the vCenter session is closed: the server is shutting down")

func (s *Session) get(ctx context.Context) (*Conn, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	if c := s.conn; c != nil {
		s.mu.Unlock()
		return c, nil
	}
	return s.joinLocked(ctx)
}

// relogin replaces stale with a fresh connection, unless another goroutine
// already did so, or is doing so, while this one was not looking.
func (s *Session) relogin(ctx context.Context, stale *Conn) (*Conn, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	if s.conn != nil && s.conn != stale {
		c := s.conn
		s.mu.Unlock()
		return c, nil
	}
	if s.conn == stale {
		s.conn = nil
		// The old session is gone on the server; stop its keep-alive loop
		// and drop its idle connections, without holding anyone up.
		// Objects bound to it (container views) go with the old Conn.
		go stale.discard()
	}
	return s.joinLocked(ctx)
}

// Close logs out (when connected), ends a login in flight and makes
// further calls fail. It is idempotent.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	c, f := s.conn, s.flight
	s.conn = nil
	s.mu.Unlock()
	if f != nil {
		// Cancelled just now, so it ends at once; waiting for it means
		// nothing of this session runs (or logs) after Close returns.
		select {
		case <-f.done:
		case <-ctx.Done():
		}
	}
	if c == nil {
		return nil
	}
	if err := c.logout(ctx); err != nil {
		return fmt.Errorf("log out of vCenter: %w", err)
	}
	s.log.Info("logged out of vCenter")
	return nil
}

// Conn is one logged-in vCenter session. It is replaced, never repaired,
// when the session is lost, so everything bound to a session (container
// views) lives here.
type Conn struct {
	Client *vim25.Client
	// About describes the product: vCenter (ApiType "VirtualCenter") or
	// ESXi ("HostAgent").
	About types.AboutInfo
	// User is the logged-in user name as vCenter reports it.
	User string
	// TLS says how the server's certificate was trusted ("certificate
	// verified against the system roots", "certificate matches the pinned
	// SHA-256 thumbprint", …).
	TLS string

	cfg     Config
	soap    *soap.Client
	manager *session.Manager
	views   viewCache
	gate    Gate
	rest    restConn   // the vAPI REST client (rest.go)
	index   *nameIndex // nil: names are found by a scan
}

// IsVC reports whether the connection is to vCenter (not a bare ESXi host).
func (c *Conn) IsVC() bool { return c.About.ApiType == "VirtualCenter" }

func dial(ctx context.Context, cfg Config, writes *writeCounter) (*Conn, error) {
	// Everything that can be refused without the network is refused first:
	// an http:// URL never connects.
	cfg, _, err := cfg.Check()
	if err != nil {
		return nil, err
	}
	u, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, &ConfigError{Msg: err.Error()}
	}
	user, pass := cfg.credentials(u)
	u.User = nil
	if user == "" {
		return nil, &ConfigError{Msg: "no vCenter user name: set VSPHERE_USERNAME (or GOVC_USERNAME), or put user:password in the URL"}
	}

	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if pass == "" && cfg.PasswordFunc != nil {
		p, err := cfg.PasswordFunc(ctx)
		if err != nil {
			return nil, &ConfigError{Msg: fmt.Sprintf("cannot read the vCenter password: %v", err)}
		}
		pass = p
	}

	sc, tlsd, err := newSOAPClient(u, cfg)
	if err != nil {
		return nil, err
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, classifyDialError(ctx, u, cfg, err)
	}
	interval := cfg.KeepAlive
	if interval <= 0 {
		interval = defaultKeepAlive
	}
	// The deadline sits inside the keep-alive, so keep-alive requests are
	// bounded too.
	vc.RoundTripper = keepalive.NewHandlerSOAP(newDeadlineRoundTripper(vc.RoundTripper, cfg.CallTimeout), interval, nil)
	// The write gate is outermost, so nothing the session sends escapes it.
	vc.RoundTripper = writeGate{next: vc.RoundTripper, writes: writes}

	m := session.NewManager(vc)
	if err := m.Login(ctx, url.UserPassword(user, pass)); err != nil {
		if fault.Is(err, &types.InvalidLogin{}) {
			return nil, &LoginError{User: user, Host: u.Host}
		}
		return nil, classifyDialError(ctx, u, cfg, err)
	}
	us, err := m.UserSession(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the new vCenter session: %w", err)
	}
	name := user
	if us != nil {
		name = us.UserName
	}
	return &Conn{
		Client:  vc,
		About:   vc.ServiceContent.About,
		User:    name,
		TLS:     tlsd.Trust(),
		cfg:     cfg,
		soap:    sc,
		manager: m,
		rest:    restConn{user: url.UserPassword(user, pass)},
	}, nil
}

func (c *Conn) logout(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.index.stop()
	c.views.destroyAll(ctx, c.Client)
	c.logoutREST(ctx)
	defer c.Client.CloseIdleConnections()
	return c.manager.Logout(ctx)
}

// discard drops a connection whose session vCenter already ended: there is
// nothing to log out of, but the keep-alive loop and idle sockets go.
func (c *Conn) discard() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Logout on a dead session fails with NotAuthenticated; its only effect
	// here is stopping the keep-alive goroutine, which is what we want.
	// The REST session may outlive it: end that one too.
	c.logoutREST(ctx)
	c.index.stop()
	_ = c.manager.Logout(ctx)
	c.Client.CloseIdleConnections()
}

// NoteWrite tells the session that a write call has ended, so the next
// name lookup first collects what it changed (see nameindex.go). The
// policy middleware calls it after every write tool.
func (s *Session) NoteWrite() { s.writes.Add(1) }
