package vcenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
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
)

// Session is the one vCenter session of the process. It connects lazily on
// first use, keeps the session alive, logs in again when vCenter expires or
// terminates it, and logs out on Close. It is safe for concurrent use.
type Session struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu         sync.Mutex // guards conn, loginErr, loginErrAt, closed
	conn       *Conn
	loginErr   error
	loginErrAt time.Time
	closed     bool

	logins  atomic.Int64
	cursors *cursorStore
	gate    Gate
}

// NewSession returns a Session that will connect with cfg on first use.
func NewSession(cfg Config, log *slog.Logger, opts ...SessionOption) *Session {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{cfg: cfg, log: log, now: time.Now, cursors: newCursorStore(time.Now)}
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
		return fmt.Errorf("the vCenter session ended while the work was under way, so it was not repeated; check what happened with task_list (%v)", err)
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

func (s *Session) get(ctx context.Context) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the vCenter session is closed: the server is shutting down")
	}
	if s.conn != nil {
		return s.conn, nil
	}
	return s.connectLocked(ctx)
}

// relogin replaces stale with a fresh connection, unless another goroutine
// already did so while this one was waiting for the lock.
func (s *Session) relogin(ctx context.Context, stale *Conn) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the vCenter session is closed: the server is shutting down")
	}
	if s.conn != nil && s.conn != stale {
		return s.conn, nil
	}
	s.conn = nil
	// The old session is gone on the server; stop its keep-alive loop and
	// drop its idle connections. Objects bound to it (container views) go
	// with the old Conn.
	stale.discard()
	return s.connectLocked(ctx)
}

func (s *Session) connectLocked(ctx context.Context) (*Conn, error) {
	if s.loginErr != nil && s.now().Sub(s.loginErrAt) < loginBackoff {
		return nil, s.loginErr
	}
	c, err := dial(ctx, s.cfg)
	if err != nil {
		var le *LoginError
		if errors.As(err, &le) {
			s.loginErr, s.loginErrAt = err, s.now()
		}
		s.log.Warn("vCenter connection failed", "url", s.cfg.redactedURL(), "error", err)
		return nil, err
	}
	s.loginErr = nil
	c.gate = s.gate
	s.conn = c
	s.logins.Add(1)
	s.log.Info("connected to vCenter", "url", s.cfg.redactedURL(), "product", c.About.FullName, "user", c.User)
	return c, nil
}

// Close logs out (when connected) and makes further calls fail. It is
// idempotent.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.conn == nil {
		return nil
	}
	c := s.conn
	s.conn = nil
	err := c.logout(ctx)
	if err != nil {
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

	cfg     Config
	soap    *soap.Client
	manager *session.Manager
	views   viewCache
	gate    Gate
}

// IsVC reports whether the connection is to vCenter (not a bare ESXi host).
func (c *Conn) IsVC() bool { return c.About.ApiType == "VirtualCenter" }

func dial(ctx context.Context, cfg Config) (*Conn, error) {
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

	sc := soap.NewClient(u, cfg.Insecure)
	if cfg.CAFile != "" {
		if err := sc.SetRootCAs(cfg.CAFile); err != nil {
			return nil, &ConfigError{Msg: fmt.Sprintf("cannot use CA file %s: %v", cfg.CAFile, err)}
		}
	}
	if cfg.Thumbprint != "" {
		sc.SetThumbprint(u.Host, normalizeThumbprint(cfg.Thumbprint))
	}
	if cfg.KnownHostsFile != "" {
		if err := sc.LoadThumbprints(cfg.KnownHostsFile); err != nil {
			return nil, &ConfigError{Msg: fmt.Sprintf("cannot read known hosts file %s: %v", cfg.KnownHostsFile, err)}
		}
	}

	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, classifyDialError(ctx, u, cfg, err)
	}
	interval := cfg.KeepAlive
	if interval <= 0 {
		interval = defaultKeepAlive
	}
	vc.RoundTripper = keepalive.NewHandlerSOAP(vc.RoundTripper, interval, nil)
	// Outermost, so nothing the session sends escapes it.
	vc.RoundTripper = writeGate{next: vc.RoundTripper}

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
		cfg:     cfg,
		soap:    sc,
		manager: m,
	}, nil
}

func (c *Conn) logout(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.views.destroyAll(ctx, c.Client)
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
	_ = c.manager.Logout(ctx)
	c.Client.CloseIdleConnections()
}

// normalizeThumbprint accepts "ab:cd:…", "AB CD …" or "abcd…" as vSphere
// and browsers print them, and returns govmomi's "AB:CD:…" form.
func normalizeThumbprint(tp string) string {
	hex := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			return r
		case r >= 'a' && r <= 'f':
			return r - 'a' + 'A'
		}
		return -1
	}, tp)
	if len(hex)%2 != 0 {
		return strings.ToUpper(tp)
	}
	var b strings.Builder
	for i := 0; i < len(hex); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex[i : i+2])
	}
	return b.String()
}
