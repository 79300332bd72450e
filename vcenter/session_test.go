package vcenter

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func startSim(t *testing.T, m *simulator.Model) *Simulator {
	t.Helper()
	sim, err := StartSimulator(context.Background(), m, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// adminClient is an independent session on the simulator, to observe and
// to act as a vCenter administrator would.
func adminClient(t *testing.T, sim *Simulator) (*vim25.Client, *session.Manager) {
	t.Helper()
	ctx := context.Background()
	u := *sim.Server.URL
	u.User = nil
	c, err := vim25.NewClient(ctx, soap.NewClient(&u, true))
	if err != nil {
		t.Fatal(err)
	}
	m := session.NewManager(c)
	if err := m.Login(ctx, url.UserPassword(sim.Config.Username, sim.Config.Password)); err != nil {
		t.Fatal(err)
	}
	return c, m
}

func countVMs(ctx context.Context, s *Session) (int, error) {
	var n int
	err := s.Do(ctx, func(c *Conn) error {
		refs, err := c.Select(ctx, Query{Type: "VirtualMachine"})
		n = len(refs)
		return err
	})
	return n, err
}

func TestSessionReloginAfterTermination(t *testing.T) {
	ctx := context.Background()
	sim := startSim(t, simulator.VPX())
	s := NewSession(sim.Config, nil)
	// The simulator's server waits out a terminated session's long poll
	// on close: keep the name index's short.
	s.indexWait = time.Second
	defer s.Close(ctx)

	before, err := countVMs(ctx, s)
	if err != nil || before == 0 {
		t.Fatalf("first call: %d, %v", before, err)
	}
	if s.Logins() != 1 {
		t.Fatalf("logins %d after first call", s.Logins())
	}

	// An administrator terminates our session between two calls.
	admin, am := adminClient(t, sim)
	mine, err := am.UserSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sm mo.SessionManager
	if err := property.DefaultCollector(admin).RetrieveOne(ctx, *admin.ServiceContent.SessionManager, []string{"sessionList"}, &sm); err != nil {
		t.Fatal(err)
	}
	var victims []string
	for _, us := range sm.SessionList {
		if us.Key != mine.Key {
			victims = append(victims, us.Key)
		}
	}
	if len(victims) != 1 {
		t.Fatalf("want exactly our server's session to terminate, found %d others", len(victims))
	}
	if err := am.TerminateSession(ctx, victims); err != nil {
		t.Fatal(err)
	}

	// Concurrent calls after the loss share one new login. The container
	// view cached by the old session is rebuilt.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := countVMs(ctx, s)
			if err == nil && n != before {
				err = errors.New("VM count changed")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call after termination: %v", err)
		}
	}
	if s.Logins() != 2 {
		t.Errorf("logins = %d, want exactly one re-login", s.Logins())
	}
}

// setSessionTimeout makes the simulator expire idle sessions created from
// now on, as vCenter's idle timeout does.
func setSessionTimeout(t *testing.T, sim *Simulator, d time.Duration) {
	t.Helper()
	admin, _ := adminClient(t, sim)
	_, err := methods.UpdateOptions(context.Background(), admin, &types.UpdateOptions{
		This:         *admin.ServiceContent.Setting,
		ChangedValue: []types.BaseOptionValue{&types.OptionValue{Key: "config.vmacore.soap.sessionTimeout", Value: d.String()}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSessionIdleExpiryAndKeepAlive(t *testing.T) {
	ctx := context.Background()
	sim := startSim(t, simulator.ESX())
	setSessionTimeout(t, sim, 300*time.Millisecond)

	idle := sim.Config
	idle.KeepAlive = time.Hour
	// The name index's long poll would keep the session from going idle.
	s := NewSession(idle, nil, WithoutNameIndex())
	defer s.Close(ctx)
	if _, err := countVMs(ctx, s); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // let the idle session expire
	if _, err := countVMs(ctx, s); err != nil {
		t.Fatalf("call after idle expiry: %v", err)
	}
	if s.Logins() != 2 {
		t.Errorf("logins = %d, want 2 (one transparent re-login)", s.Logins())
	}

	kept := sim.Config
	kept.KeepAlive = 50 * time.Millisecond
	k := NewSession(kept, nil)
	defer k.Close(ctx)
	if _, err := countVMs(ctx, k); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := countVMs(ctx, k); err != nil {
		t.Fatal(err)
	}
	if k.Logins() != 1 {
		t.Errorf("logins = %d with keep-alive, want 1", k.Logins())
	}
}

func TestSessionTLS(t *testing.T) {
	ctx := context.Background()
	sim := startSim(t, simulator.ESX())
	caFile, err := sim.Server.CertificateFile()
	if err != nil {
		t.Fatal(err)
	}
	base := sim.Config
	base.Thumbprint = ""

	refused := NewSession(base, nil)
	_, err = countVMs(ctx, refused)
	var te *TLSError
	if !errors.As(err, &te) {
		t.Fatalf("untrusted certificate: got %v, want a TLSError", err)
	}
	for _, want := range []string{"not trusted", "VSPHERE_CA_FILE", "VSPHERE_THUMBPRINT=" + sim.Config.Thumbprint} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("TLS error lacks %q: %v", want, err)
		}
	}

	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"ca file", func(c *Config) { c.CAFile = caFile }},
		{"sha256 thumbprint", func(c *Config) { c.Thumbprint = sim.Config.Thumbprint }},
		{"lowercase thumbprint", func(c *Config) { c.Thumbprint = strings.ToLower(sim.Config.Thumbprint) }},
		{"sha1 thumbprint", func(c *Config) { c.Thumbprint = soap.ThumbprintSHA1(sim.Server.Certificate()) }},
		{"insecure", func(c *Config) { c.Insecure = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mod(&cfg)
			s := NewSession(cfg, nil)
			defer s.Close(ctx)
			if _, err := countVMs(ctx, s); err != nil {
				t.Fatalf("connect: %v", err)
			}
		})
	}

	wrong := base
	wrong.Thumbprint = strings.Repeat("AB:", 31) + "AB"
	_, err = countVMs(ctx, NewSession(wrong, nil))
	if !errors.As(err, &te) {
		t.Errorf("wrong thumbprint: got %v, want a TLSError", err)
	}
	bad := base
	bad.CAFile = "/nonexistent/ca.pem"
	_, err = countVMs(ctx, NewSession(bad, nil))
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "/nonexistent/ca.pem") {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestSessionBadPassword(t *testing.T) {
	ctx := context.Background()
	m := simulator.ESX()
	if err := CreateModel(m); err != nil {
		t.Fatal(err)
	}
	// With a user on the listen URL the simulator checks passwords.
	m.Service.Listen = &url.URL{User: url.UserPassword("admin", "right-pass")}
	sim := startSim(t, m)

	cfg := sim.Config
	cfg.Password = "Wr0ng-Secret"
	s := NewSession(cfg, nil)
	now := time.Now()
	s.now = func() time.Time { return now }
	_, err := countVMs(ctx, s)
	var le *LoginError
	if !errors.As(err, &le) {
		t.Fatalf("bad password: %v", err)
	}
	if strings.Contains(err.Error(), "Wr0ng-Secret") || !strings.Contains(err.Error(), "InvalidLogin") {
		t.Fatalf("login error: %v", err)
	}
	// Within the back-off the login is not retried, so a wrong password is
	// not replayed against the account on every call.
	s.cfg.Password = "right-pass"
	if _, err := countVMs(ctx, s); !errors.As(err, &le) {
		t.Fatalf("retry inside back-off: %v", err)
	}
	now = now.Add(2 * loginBackoff)
	if _, err := countVMs(ctx, s); err != nil {
		t.Fatalf("after back-off: %v", err)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"vc.example.com", "https://vc.example.com/sdk", ""},
		{"vc.example.com:8443", "https://vc.example.com:8443/sdk", ""},
		{"https://vc.example.com", "https://vc.example.com/sdk", ""},
		{"https://u:p@vc.example.com/sdk", "https://u:p@vc.example.com/sdk", ""},
		{"", "", "no vCenter URL"},
		{"ftp://vc", "", "scheme"},
		{"http://vc.example.com/sdk", "", "clear text"},
		{"HTTP://vc.example.com", "", "https://HOST/sdk"},
		{"https://", "", "no host"},
	}
	for _, tc := range tests {
		u, err := ParseURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("ParseURL(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
	if _, err := ParseURL("https://user:pa ss@[::1"); err == nil || strings.Contains(err.Error(), "pa ss") {
		t.Errorf("invalid URL error must not echo it: %v", err)
	}
}

func TestNormalizeThumbprint(t *testing.T) {
	t.Parallel()
	sha1 := strings.Repeat("ab:", 19) + "ab"
	sha256 := strings.Repeat("AB:", 31) + "AB"
	tests := []struct{ in, want, err string }{
		{sha1, strings.ToUpper(sha1), ""},
		{sha256, sha256, ""},
		{strings.ReplaceAll(sha256, ":", " "), sha256, ""},
		{strings.ToLower(strings.ReplaceAll(sha256, ":", "")), sha256, ""},
		{" " + strings.ReplaceAll(sha1, ":", "-") + "\n", strings.ToUpper(sha1), ""},
		// Garbage used to be shortened quietly into a pin of nothing.
		{"ab:cd:ef", "", "got 6 hex digits"},
		{"abc", "", "got 3 hex digits"},
		{sha256 + ":AB", "", "got 66 hex digits"},
		{strings.Replace(sha256, "AB", "ZZ", 1), "", "2 other characters"},
		{"SHA256 Fingerprint=" + sha256, "", "other characters"},
	}
	for _, tc := range tests {
		got, err := normalizeThumbprint(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "AB:CD:…:EF") {
				t.Errorf("normalizeThumbprint(%q) error %v, want %q and the expected form", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("normalizeThumbprint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSessionPasswordFuncIsLazy(t *testing.T) {
	ctx := context.Background()
	sim := startSim(t, simulator.ESX())
	calls := 0
	cfg := sim.Config
	pass := cfg.Password
	cfg.Password = ""
	cfg.PasswordFunc = func(context.Context) (string, error) { calls++; return pass, nil }
	s := NewSession(cfg, nil)
	defer s.Close(ctx)
	if calls != 0 {
		t.Fatal("password read before the first call")
	}
	if _, err := countVMs(ctx, s); err != nil || calls != 1 {
		t.Fatalf("first call: %v, password reads %d", err, calls)
	}

	cfg.PasswordFunc = func(context.Context) (string, error) { return "", errors.New("keyring locked") }
	_, err := countVMs(ctx, NewSession(cfg, nil))
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "keyring locked") {
		t.Errorf("password source failure: %v", err)
	}
}

// TestSessionDoesNotRepeatStartedWork: a lost session makes Do repeat its
// function, unless the function had already started a change.
func TestSessionDoesNotRepeatStartedWork(t *testing.T) {
	ctx := context.Background()
	sim := startSim(t, simulator.ESX())
	s := NewSession(sim.Config, nil)
	defer s.Close(ctx)
	lost := soap.WrapVimFault(&types.NotAuthenticated{})

	tests := []struct {
		name    string
		started bool
		runs    int
	}{
		{"nothing started: repeated", false, 2},
		{"work started: not repeated", true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wctx := TrackWork(ctx)
			runs := 0
			err := s.Do(wctx, func(*Conn) error {
				runs++
				if tc.started {
					MarkWorkStarted(wctx)
				}
				if runs == 1 {
					return lost
				}
				return nil
			})
			if runs != tc.runs {
				t.Fatalf("fn ran %d times, want %d", runs, tc.runs)
			}
			if tc.started && (err == nil || !strings.Contains(err.Error(), "not repeated") || IsNotAuthenticated(err)) {
				t.Errorf("started work: err = %v", err)
			}
			if !tc.started && err != nil {
				t.Errorf("repeated call: %v", err)
			}
		})
	}
}

// TestViewCacheBounded: a session keeps at most maxViews container views
// on vCenter, destroying the least recently used; listings still work.
func TestViewCacheBounded(t *testing.T) {
	ctx := context.Background()
	sim := startSim(t, simulator.VPX())
	s := NewSession(sim.Config, nil)
	defer s.Close(ctx)
	kinds := []string{"VirtualMachine", "HostSystem", "ResourcePool", "Datastore", "Network", "Folder", "ClusterComputeResource"}
	err := s.Do(ctx, func(c *Conn) error {
		containers, err := c.Select(ctx, Query{Type: "Folder"})
		if err != nil {
			return err
		}
		for _, k := range []string{"Datacenter", "ClusterComputeResource", "HostSystem", "ResourcePool"} {
			more, err := c.Select(ctx, Query{Type: k})
			if err != nil {
				return err
			}
			containers = append(containers, more...)
		}
		n := 0
		for _, root := range containers {
			for _, k := range kinds {
				if _, err := c.Select(ctx, Query{Type: k, Roots: []types.ManagedObjectReference{root}}); err != nil {
					return err
				}
				n++
			}
		}
		if n <= maxViews {
			t.Fatalf("only %d views made; the test needs more than %d", n, maxViews)
		}
		if got := len(c.views.views); got > maxViews {
			t.Errorf("%d views cached, bound is %d", got, maxViews)
		}
		var vm mo.ViewManager
		if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, *c.Client.ServiceContent.ViewManager, []string{"viewList"}, &vm); err != nil {
			return err
		}
		if len(vm.ViewList) > maxViews {
			t.Errorf("vCenter holds %d views of this session, bound is %d", len(vm.ViewList), maxViews)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := countVMs(ctx, s); err != nil || n == 0 {
		t.Fatalf("listing after evictions: %d, %v", n, err)
	}
}
