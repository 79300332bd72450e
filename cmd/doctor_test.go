package cmd

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// TestDoctorPasswordSources logs in to a simulator that accepts only one
// password, taking it from each kind of source, and checks that the
// password never shows in what doctor prints.
func TestDoctorPasswordSources(t *testing.T) {
	const user, secret = "svc-ai", "Sim-Secret-Pw-8842"
	sim := startSecretSim(t, user, secret)
	f := newFixture(t)
	pwFile := f.write(filepath.Join(f.home, "lab.pw"), secret+"\n", 0o600)
	openFile := f.write(filepath.Join(f.home, "open.pw"), secret+"\n", 0o644)
	if err := keyring.Set(config.KeyringService, "kr", secret); err != nil {
		t.Fatal(err)
	}
	conn := "    url: " + sim.Config.URL + "\n    username: " + user + "\n    thumbprint: " + sim.Config.Thumbprint + "\n"
	f.writeConfig(`
profiles:
  env:
` + conn + `    password_env: SIM_PW
  file:
` + conn + `    password_file: ` + pwFile + `
  openfile:
` + conn + `    password_file: ` + openFile + `
  cmd:
` + conn + `    password_command: cat ` + pwFile + ` | tr -d x
  kr:
` + conn + `    keyring: true
  nokr:
` + conn + `    keyring: true
  plain:
` + conn + `    password: ` + secret + `
  wrong:
` + conn + `    password_env: WRONG_PW
  badurl:
    url: https://127.0.0.1:1/sdk
    username: ` + user + `
    password_env: SIM_PW
`)
	env := f.with("SIM_PW", secret, "WRONG_PW", "Wrong-Pw-"+secret)
	tests := []struct {
		profile string
		code    int
		want    []string
	}{
		{"env", 0, []string{"ok    password      from profile env: password_env SIM_PW", "logged in as " + user}},
		{"file", 0, []string{"password_file " + pwFile, "logged in as"}},
		{"cmd", 0, []string{"password_command (runs cat …)", "logged in as"}},
		{"kr", 0, []string{"keyring (service vsphere-mcp, user kr)", "logged in as"}},
		{"plain", 0, []string{"WARN  password      profile plain keeps its password in plain text", "logged in as"}},
		{"openfile", 1, []string{"FAIL  password", "chmod 600 " + openFile}},
		{"nokr", 1, []string{"FAIL  password", "vsphere-mcp login --profile nokr"}},
		{"wrong", 1, []string{"FAIL  login", "rejected the user name or password"}},
		{"badurl", 1, []string{"FAIL  login", "cannot reach vCenter at 127.0.0.1:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.profile, func(t *testing.T) {
			if !config.CheckPerms && tc.profile == "openfile" {
				t.Skip("no permission bits here")
			}
			out, stderr, err := f.run(env, "doctor", "--profile", tc.profile, "--timeout", "5s")
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit code %d (%v), want %d\n%s%s", got, err, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("doctor output lacks %q:\n%s", w, out)
				}
			}
			assertNoSecret(t, secret, out, stderr)
			// Privileges are compared for tools that exist only.
			for _, l := range strings.Split(out, "\n") {
				if i := strings.LastIndex(l, " ("); strings.Contains(l, "privileges") && i > 0 && strings.HasSuffix(l, ")") {
					if name := l[i+2 : len(l)-1]; !slices.ContainsFunc(tools.All(), func(t toolkit.Tool) bool { return t.Def.Name == name }) {
						t.Errorf("doctor names a tool that does not exist: %s", l)
					}
				}
			}
		})
	}
}

// TestDoctorChecks covers the checks around the connection: config,
// system policy, audit, TLS and the privilege comparison.
func TestDoctorChecks(t *testing.T) {
	const user, secret = "svc-ai", "Sim-Secret-Pw-1177"
	sim := startSecretSim(t, user, secret)
	f := newFixture(t)
	f.writeConfig(`
default_profile: ro
profiles:
  ro:
    url: ` + sim.Config.URL + `
    username: ` + user + `
    thumbprint: ` + sim.Config.Thumbprint + `
    password_env: SIM_PW
  untrusted:
    url: ` + sim.Config.URL + `
    username: ` + user + `
    password_env: SIM_PW
  admin:
    url: ` + sim.Config.URL + `
    username: ` + user + `
    insecure: true
    password_env: SIM_PW
    role: admin
`)
	sys := f.write(filepath.Join(f.home, "policy.yaml"), "deny: [vm_delete]\n", 0o644)
	env := f.with("SIM_PW", secret, "VSPHERE_MCP_SYSTEM_POLICY", sys)

	// Viewer on an account that may do everything (the simulator's user).
	out, stderr, err := f.run(env, "doctor")
	if err != nil {
		t.Fatalf("doctor: %v\n%s%s", err, out, stderr)
	}
	for _, w := range []string{
		"ok    config        " + f.configPath() + " parsed (mode 0600)",
		"ok    system policy applied: " + sys,
		"ok    profile       ro (from default_profile)",
		"ok    role          viewer (built-in)",
		"ok    audit         " + f.auditPath() + " (default): 0 records, hash chain intact",
		"ok    tls           certificate matches the pinned SHA-256 thumbprint",
		"ok    login         ",
		"account can VirtualMachine.Inventory.Delete but role viewer cannot delete VMs (vm_delete)",
		"consider a read-only vCenter account",
		"0 failed",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("doctor output lacks %q:\n%s", w, out)
		}
	}

	// An admin role: the system policy's deny shows in the comparison, and
	// insecure TLS is a warning.
	out, _, err = f.run(env, "doctor", "--profile", "admin")
	if err != nil {
		t.Fatalf("doctor admin: %v\n%s", err, out)
	}
	for _, w := range []string{"WARN  tls           verification is off", "account can VirtualMachine.Inventory.Delete but role admin cannot delete VMs"} {
		if !strings.Contains(out, w) {
			t.Errorf("doctor --profile admin lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "account can VirtualMachine.Interact.PowerOff") {
		t.Errorf("admin may power off, yet doctor warns about it:\n%s", out)
	}

	// An untrusted certificate fails the TLS check and shows the fingerprint to pin.
	out, _, err = f.run(env, "doctor", "--profile", "untrusted", "--timeout", "5s")
	if exitCode(err) != 1 || !strings.Contains(out, "FAIL  tls") || !strings.Contains(out, "VSPHERE_THUMBPRINT=") {
		t.Errorf("untrusted certificate: %v\n%s", err, out)
	}

	// A broken config or system policy fails doctor before it connects.
	bad := f.write(filepath.Join(f.home, "bad-policy.yaml"), "max_rol: viewer\n", 0o644)
	out, _, err = f.run(f.with("SIM_PW", secret, "VSPHERE_MCP_SYSTEM_POLICY", bad), "doctor")
	if exitCode(err) != 1 || !strings.Contains(out, "FAIL  settings") || !strings.Contains(out, "max_rol") {
		t.Errorf("bad system policy: %v\n%s", err, out)
	}
	f.write(f.configPath(), "profiles:\n  x: {urll: y}\n", 0o600)
	out, _, err = f.run(env, "doctor")
	if exitCode(err) != 1 || !strings.Contains(out, "FAIL  config") || !strings.Contains(out, "urll") {
		t.Errorf("bad config: %v\n%s", err, out)
	}
}

func TestDoctorOnEmbeddedSimulator(t *testing.T) {
	f := newFixture(t)
	out, stderr, err := f.run(nil, "doctor", "--simulator")
	if err != nil || !strings.Contains(out, "ok    login") || !strings.Contains(out, "no config file") {
		t.Errorf("doctor --simulator: %v\n%s%s", err, out, stderr)
	}
	// Without any vCenter configured, doctor fails and says what to set.
	out, _, err = f.run(nil, "doctor")
	if exitCode(err) != 1 || !strings.Contains(out, "no vCenter URL") {
		t.Errorf("doctor without a vCenter: %v\n%s", err, out)
	}
}

func TestLogin(t *testing.T) {
	const secret = "Login-Secret-5521"
	f := newFixture(t)
	f.writeConfig("default_profile: lab\nprofiles:\n  lab: {url: vc.example, username: u, keyring: true}\n  other: {url: vc.example, password_env: X}\n")

	out, stderr, err := run(t, f.env, strings.NewReader(secret+"\n"), "login")
	if err != nil {
		t.Fatalf("login: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "Stored the password of profile lab") {
		t.Errorf("login output:\n%s", out)
	}
	assertNoSecret(t, secret, out, stderr)
	if got, err := keyring.Get(config.KeyringService, "lab"); err != nil || got != secret {
		t.Errorf("keyring holds %q, %v", got, err)
	}

	// A profile that does not use the keyring yet gets a hint.
	out, _, err = run(t, f.env, strings.NewReader("pw2\n"), "login", "--profile", "other")
	if err != nil || !strings.Contains(out, `set "keyring: true"`) {
		t.Errorf("login other: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"login", "--profile", "nope"}, "x\n", `no profile "nope"`},
		{[]string{"login"}, "\n", "empty password"},
	} {
		if _, _, err := run(t, f.env, strings.NewReader(tc.stdin), tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}

	if out, _, err := run(t, f.env, nil, "login", "--forget"); err != nil || !strings.Contains(out, "Removed") {
		t.Errorf("login --forget: %v\n%s", err, out)
	}
	if _, err := keyring.Get(config.KeyringService, "lab"); err == nil {
		t.Error("the password is still in the keyring")
	}
}

// TestDoctorTLSVerdicts: one verdict per TLS set-up, said after the
// handshake from what it did (never "ok" and then "FAIL"), and one message
// per failure.
func TestDoctorTLSVerdicts(t *testing.T) {
	t.Parallel()
	const user, secret = "svc-tls", "Tls-Secret-Pw-4242"
	sim := startSecretSim(t, user, secret)
	caFile, err := sim.Server.CertificateFile()
	if err != nil {
		t.Fatal(err)
	}
	hostPort := sim.Server.URL.Host
	tests := []struct {
		name string
		env  []string
		// lines are the tls, connection and login lines, in order.
		lines []string
		exit  int
	}{
		{"thumbprint", []string{"VSPHERE_THUMBPRINT", sim.Config.Thumbprint},
			[]string{"ok    tls           certificate matches the pinned SHA-256 thumbprint", "ok    login         " + hostPort}, 0},
		{"CA file", []string{"VSPHERE_CA_FILE", caFile},
			[]string{"ok    tls           certificate verified against the CA file " + caFile, "ok    login         " + hostPort}, 0},
		{"insecure", []string{"VSPHERE_INSECURE", "true"},
			[]string{"WARN  tls           verification is off", "ok    login         " + hostPort}, 0},
		{"insecure and a pin", []string{"VSPHERE_INSECURE", "true", "VSPHERE_THUMBPRINT", sim.Config.Thumbprint},
			[]string{"WARN  tls           insecure is ignored", "ok    tls           certificate matches the pinned SHA-256 thumbprint", "ok    login         " + hostPort}, 0},
		{"untrusted", nil,
			[]string{"FAIL  tls           the TLS certificate of " + hostPort + " is not trusted"}, 1},
		{"http", []string{"VSPHERE_URL", "http://" + hostPort + "/sdk"},
			[]string{"FAIL  connection    vCenter configuration: the vCenter URL uses http://"}, 1},
		{"unreachable", []string{"VSPHERE_URL", "https://127.0.0.1:1/sdk"},
			[]string{"FAIL  login         cannot reach vCenter at 127.0.0.1:1"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			env := f.with(append([]string{"VSPHERE_URL", sim.Config.URL, "VSPHERE_USERNAME", user, "VSPHERE_PASSWORD", secret}, tc.env...)...)
			out, stderr, err := f.run(env, "doctor", "--timeout", "5s")
			if exitCode(err) != tc.exit {
				t.Errorf("exit %d, want %d", exitCode(err), tc.exit)
			}
			var got []string
			for _, l := range strings.Split(out, "\n") {
				for _, k := range []string{"tls ", "connection ", "login "} {
					if strings.HasPrefix(strings.TrimSpace(l[min(len(l), 6):]), k) {
						got = append(got, l)
					}
				}
			}
			ok := len(got) == len(tc.lines)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tc.lines[i])
			}
			if !ok {
				t.Errorf("tls/connection/login lines:\n%s\nwant prefixes:\n%s\nfull output:\n%s", strings.Join(got, "\n"), strings.Join(tc.lines, "\n"), out)
			}
			assertNoSecret(t, secret, out, stderr)
			// Privileges are compared for tools that exist only.
			for _, l := range strings.Split(out, "\n") {
				if i := strings.LastIndex(l, " ("); strings.Contains(l, "privileges") && i > 0 && strings.HasSuffix(l, ")") {
					if name := l[i+2 : len(l)-1]; !slices.ContainsFunc(tools.All(), func(t toolkit.Tool) bool { return t.Def.Name == name }) {
						t.Errorf("doctor names a tool that does not exist: %s", l)
					}
				}
			}
		})
	}
}
