package cmd

import (
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// acceptCounter is a 127.0.0.1 listener that counts connections and
// closes them: anything that dials it shows up in the count.
type acceptCounter struct {
	ln net.Listener
	n  atomic.Int64
}

func newAcceptCounter(t *testing.T) *acceptCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &acceptCounter{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			a.n.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return a
}

func (a *acceptCounter) addr() string { return a.ln.Addr().String() }

// TestRefusedBeforeAnyConnection: the server does not start, and doctor
// fails, on settings that are not safe or not allowed, and nothing dials
// the vCenter they name.
func TestRefusedBeforeAnyConnection(t *testing.T) {
	t.Parallel()
	lc := newAcceptCounter(t)
	host := lc.addr()
	f := newFixture(t)
	f.writeConfig(`
allowed_vcenters: ["127.0.0.1:*", "vc.lab.example"]
profiles:
  http: {url: "http://` + host + `/sdk", username: u, password_env: PW}
  badpin: {url: "https://` + host + `/sdk", username: u, password_env: PW, thumbprint: "ab:cd:ef"}
  outside: {url: "https://vc.prod.example/sdk", username: u, password_env: PW}
  ok: {url: "https://` + host + `/sdk", username: u, password_env: PW}
`)
	sys := f.write(filepath.Join(f.home, "sys.yaml"), "allowed_vcenters: [\"127.0.0.*:*\", \"*.prod.example\"]\n", 0o644)
	base := []string{"PW", "x", "VSPHERE_MCP_SYSTEM_POLICY", sys}
	tests := []struct {
		name    string
		profile string
		env     []string
		flags   []string
		want    []string
	}{
		{"http URL from the profile", "http", nil, nil, []string{"http://", "clear text", "url from profile http"}},
		{"http URL from VSPHERE_URL", "ok", []string{"VSPHERE_URL", "http://" + host}, nil, []string{"clear text", "url from env VSPHERE_URL"}},
		{"http URL from --url", "ok", nil, []string{"--url", "http://" + host}, []string{"clear text", "url from flag --url"}},
		{"invalid thumbprint", "badpin", nil, nil, []string{"not a certificate fingerprint", "AB:CD:…:EF", "thumbprint from profile badpin"}},
		{"invalid thumbprint from env", "ok", []string{"VSPHERE_THUMBPRINT", "12:34"}, nil, []string{"got 4 hex digits", "thumbprint from env VSPHERE_THUMBPRINT"}},
		// The system policy allows *.prod.example, the user's list does not: the user narrowed it.
		{"outside the user's list", "outside", nil, nil, []string{"vCenter vc.prod.example (url from profile outside)", "not in allowed_vcenters of the config file " + f.configPath()}},
		{"outside the system list, from GOVC_URL", "", []string{"GOVC_URL", "vc.lab.example"}, nil, []string{"vc.lab.example", "url from env GOVC_URL", "system policy " + sys, "127.0.0.*:*, *.prod.example"}},
		{"outside, from --url", "ok", nil, []string{"--url", "https://10.1.2.3/sdk"}, []string{"10.1.2.3", "url from flag --url"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := f.with(append(append([]string{}, base...), tc.env...)...)
			var args []string
			if tc.profile != "" {
				args = []string{"--profile", tc.profile}
			}
			args = append(args, tc.flags...)
			for _, cmd := range [][]string{{"serve"}, {"tools", "call", "vm_list"}} {
				_, _, err := f.run(env, append(cmd, args...)...)
				if err == nil {
					t.Fatalf("%v started", cmd)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%v: error lacks %q: %v", cmd, w, err)
					}
				}
			}
			out, _, err := f.run(env, append([]string{"doctor", "--timeout", "2s"}, args...)...)
			if exitCode(err) != 1 || !strings.Contains(out, "FAIL  connection") || strings.Contains(out, "ok    tls") {
				t.Errorf("doctor: %v\n%s", err, out)
			}
			out, _, err = f.run(env, append([]string{"config", "show"}, args...)...)
			if err != nil || !strings.Contains(out, "the server refuses to start with these settings") {
				t.Errorf("config show: %v\n%s", err, out)
			}
		})
	}
	// The listener is allowed (127.0.0.1:*), so only a refusal kept us off it.
	t.Cleanup(func() {
		if n := lc.n.Load(); n != 0 {
			t.Errorf("%d connections made to %s, want none", n, host)
		}
	})
}

// TestPinWinsOverGovcInsecure: a wrong pin plus GOVC_INSECURE=1 (often
// left set for govc) does not connect, and says insecure was ignored.
func TestPinWinsOverGovcInsecure(t *testing.T) {
	t.Parallel()
	const user, secret = "svc-ai", "Pin-Secret-3141"
	sim := startSecretSim(t, user, secret)
	f := newFixture(t)
	wrong := strings.Repeat("12:", 31) + "12"
	env := f.with("VSPHERE_URL", sim.Config.URL, "VSPHERE_USERNAME", user, "VSPHERE_PASSWORD", secret,
		"VSPHERE_THUMBPRINT", wrong, "GOVC_INSECURE", "1")
	_, stderr, err := f.run(env, "tools", "call", "vm_list", "--log-level", "warn")
	if err == nil || !strings.Contains(stderr, "not trusted") {
		t.Errorf("wrong pin + GOVC_INSECURE=1: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "insecure is ignored") || !strings.Contains(stderr, "insecure comes from env GOVC_INSECURE") {
		t.Errorf("no warning that insecure was ignored:\n%s", stderr)
	}
	if strings.Contains(stderr, "TLS verification is off") {
		t.Errorf("warned that verification is off while it is on:\n%s", stderr)
	}
	assertNoSecret(t, secret, stderr)

	out, _, err := f.run(env, "doctor", "--timeout", "5s")
	if exitCode(err) != 1 || !strings.Contains(out, "WARN  tls           insecure is ignored") || !strings.Contains(out, "FAIL  tls") || strings.Contains(out, "ok    tls") {
		t.Errorf("doctor: %v\n%s", err, out)
	}

	// The right pin connects, insecure or not, and doctor says how.
	env["VSPHERE_THUMBPRINT"] = strings.ToLower(sim.Config.Thumbprint)
	out, stderr, err = f.run(env, "doctor", "--timeout", "5s")
	if err != nil || !strings.Contains(out, "ok    tls           certificate matches the pinned SHA-256 thumbprint") {
		t.Errorf("doctor with the right pin: %v\n%s%s", err, out, stderr)
	}
	// A doctor TLS line comes after the connection was tried, never "ok" then "FAIL".
	if i, j := strings.Index(out, "tls "), strings.Index(out, "login "); i < 0 || j < 0 || i > j {
		t.Errorf("tls line not just before login:\n%s", out)
	}
}

// TestCallTimeoutPrecedence: flag over env over profile over the default.
func TestCallTimeoutPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		flags   []string
		env     map[string]string
		profile map[string]string
		want    time.Duration
		source  string
		err     string
	}{
		{"default", nil, nil, nil, 0, "default", ""},
		{"profile", nil, nil, map[string]string{"call_timeout": "45s"}, 45 * time.Second, "profile", ""},
		{"env over profile", nil, map[string]string{"VSPHERE_CALL_TIMEOUT": "1m"}, map[string]string{"call_timeout": "45s"}, time.Minute, "env VSPHERE_CALL_TIMEOUT", ""},
		{"flag over env", []string{"--call-timeout", "10s"}, map[string]string{"VSPHERE_CALL_TIMEOUT": "1m"}, map[string]string{"call_timeout": "45s"}, 10 * time.Second, "flag --call-timeout", ""},
		{"bad env", nil, map[string]string{"VSPHERE_CALL_TIMEOUT": "soon"}, nil, 0, "", "call_timeout from env VSPHERE_CALL_TIMEOUT"},
		{"zero flag", []string{"--call-timeout", "0s"}, nil, nil, 0, "", "not a positive duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			addConnectionFlags(fs)
			if err := fs.Parse(tc.flags); err != nil {
				t.Fatal(err)
			}
			cfg, srcs, err := connectionSettings(fs, func(k string) string { return tc.env[k] }, tc.profile, "profile")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.CallTimeout != tc.want {
				t.Errorf("CallTimeout %v, want %v", cfg.CallTimeout, tc.want)
			}
			for _, s := range srcs {
				if s.key == "call_timeout" && s.source != tc.source {
					t.Errorf("source %q, want %q", s.source, tc.source)
				}
			}
		})
	}
}

// TestConfigShowsCallTimeoutAndAllowedVCenters: config show says which
// call_timeout applies and where from, and every allowed_vcenters list.
func TestConfigShowsCallTimeoutAndAllowedVCenters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
allowed_vcenters: [vc.lab.example, "*.prod.example"]
profiles:
  lab: {url: vc.lab.example, call_timeout: 45s}
`)
	sys := f.write(filepath.Join(f.home, "sys.yaml"), "allowed_vcenters: [\"*.example\"]\n", 0o644)
	env := f.with("VSPHERE_MCP_SYSTEM_POLICY", sys)
	tests := []struct {
		name  string
		env   []string
		flags []string
		value string
		src   string
	}{
		{"profile", nil, nil, "45s", "profile lab"},
		{"env over profile", []string{"VSPHERE_CALL_TIMEOUT", "90s"}, nil, "90s", "env VSPHERE_CALL_TIMEOUT"},
		{"flag over env", []string{"VSPHERE_CALL_TIMEOUT", "90s"}, []string{"--call-timeout", "5s"}, "5s", "flag --call-timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := env
			if tc.env != nil {
				e = f.with(append([]string{"VSPHERE_MCP_SYSTEM_POLICY", sys}, tc.env...)...)
			}
			out, stderr, err := f.run(e, append([]string{"config", "show"}, tc.flags...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			l := line(out, "call_timeout ")
			if !strings.Contains(l, " "+tc.value+" ") || !strings.HasSuffix(strings.TrimSpace(l), tc.src) {
				t.Errorf("call_timeout line %q, want %s from %s", l, tc.value, tc.src)
			}
			for _, w := range []string{"allowed_vcenters  *.example (system policy " + sys + ")", "vc.lab.example, *.prod.example (config file " + f.configPath() + ")"} {
				if !strings.Contains(out, w) {
					t.Errorf("config show lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// No list anywhere: any vCenter, said so.
	g := newFixture(t)
	out, _, err := g.run(nil, "config", "show")
	if err != nil || !strings.Contains(line(out, "allowed_vcenters"), "any") || !strings.Contains(line(out, "call_timeout "), "2m0s") {
		t.Errorf("defaults: %v\n%s", err, out)
	}
}

// TestUserListCannotWiden: a user's entry the system policy does not
// allow has no effect and is warned about.
func TestUserListCannotWiden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.writeConfig("allowed_vcenters: [vc.lab.example, vc.home.net]\nprofiles:\n  home: {url: vc.home.net}\n")
	sys := f.write(filepath.Join(f.home, "sys.yaml"), "allowed_vcenters: [\"*.lab.example\"]\n", 0o644)
	out, _, err := f.run(f.with("VSPHERE_MCP_SYSTEM_POLICY", sys), "config", "show", "--profile", "home")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"lists vc.home.net, which the system policy " + sys + " does not allow", "that entry has no effect",
		"the server refuses to start with these settings: vCenter vc.home.net (url from profile home) is not in allowed_vcenters of the system policy"} {
		if !strings.Contains(out, w) {
			t.Errorf("config show lacks %q:\n%s", w, out)
		}
	}
}
