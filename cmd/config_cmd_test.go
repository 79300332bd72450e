package cmd

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"
	"github.com/zalando/go-keyring"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func TestMain(m *testing.M) {
	// Tests must never read or write the real OS keyring.
	keyring.MockInit()
	if os.Getenv(serveChildEnv) == "1" {
		runChild() // a test started us as the server (serve_child_test.go)
	}
	os.Exit(m.Run())
}

// fixture is a home directory with XDG directories and an environment.
type fixture struct {
	t    *testing.T
	home string
	env  map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	home := t.TempDir()
	return &fixture{t: t, home: home, env: map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_STATE_HOME":  filepath.Join(home, "state"),
	}}
}

// configPath is the default config file of the fixture.
func (f *fixture) configPath() string {
	return filepath.Join(f.home, "config", "vsphere-mcp", "config.yaml")
}

// auditPath is the default audit file of the fixture.
func (f *fixture) auditPath() string {
	return filepath.Join(f.home, "state", "vsphere-mcp", "audit.jsonl")
}

// writeConfig writes the default config file with mode 0600.
func (f *fixture) writeConfig(body string) string {
	f.t.Helper()
	return f.write(f.configPath(), body, 0o600)
}

func (f *fixture) write(path, body string, mode os.FileMode) string {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		f.t.Fatal(err)
	}
	return path
}

// with returns a copy of the fixture's environment with extra variables.
func (f *fixture) with(kv ...string) map[string]string {
	env := make(map[string]string, len(f.env)+len(kv)/2)
	for k, v := range f.env {
		env[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func (f *fixture) run(env map[string]string, args ...string) (string, string, error) {
	f.t.Helper()
	if env == nil {
		env = f.env
	}
	return run(f.t, env, nil, args...)
}

// line returns the first line of out that starts with prefix (after
// leading spaces), or "".
func line(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return l
		}
	}
	return ""
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return -1
	}
	return 0
}

// assertNoSecret fails when secret appears in any of the texts.
func assertNoSecret(t *testing.T, secret string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("the secret %q appears in output:\n%s", secret, s)
		}
	}
}

// startSecretSim starts a vCenter simulator that accepts only user/pass.
func startSecretSim(t *testing.T, user, pass string) *vcenter.Simulator {
	t.Helper()
	m := simulator.VPX()
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	m.Service.Listen = &url.URL{User: url.UserPassword(user, pass)}
	sim, err := vcenter.StartSimulator(context.Background(), m, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func TestConfigPrecedence(t *testing.T) {
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
profiles:
  lab:
    url: https://profile.example/sdk
    username: puser
    insecure: false
    datacenter: DCp
`)
	base := []string{"GOVC_URL", "https://govc.example/sdk", "GOVC_USERNAME", "guser", "GOVC_INSECURE", "1", "GOVC_TLS_CA_CERTS", "/govc-ca.pem"}
	tests := []struct {
		name  string
		env   []string
		flags []string
		key   string
		value string
		src   string
	}{
		{"profile over govc", nil, nil, "url", "https://profile.example/sdk", "profile lab"},
		{"profile false over GOVC_INSECURE=1", nil, nil, "insecure", "false", "profile lab"},
		{"govc fills what the profile lacks", nil, nil, "ca_file", "/govc-ca.pem", "env GOVC_TLS_CA_CERTS"},
		{"env over profile", []string{"VSPHERE_URL", "https://env.example/sdk"}, nil, "url", "https://env.example/sdk", "env VSPHERE_URL"},
		{"env over profile (user)", []string{"VSPHERE_USERNAME", "euser"}, nil, "username", "euser", "env VSPHERE_USERNAME"},
		{"flag over env", []string{"VSPHERE_URL", "https://env.example/sdk"}, []string{"--url", "https://flag.example/sdk"}, "url", "https://flag.example/sdk", "flag --url"},
		{"flag over profile", nil, []string{"--datacenter", "DCf"}, "datacenter", "DCf", "flag --datacenter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := f.with(append(append([]string{}, base...), tc.env...)...)
			out, stderr, err := f.run(env, append([]string{"config", "show"}, tc.flags...)...)
			if err != nil {
				t.Fatalf("config show: %v\n%s", err, stderr)
			}
			l := line(out, tc.key+" ")
			if !strings.Contains(l, " "+tc.value+" ") || !strings.HasSuffix(strings.TrimSpace(l), tc.src) {
				t.Errorf("%s: got line %q, want value %q from %q\n%s", tc.key, l, tc.value, tc.src, out)
			}
		})
	}
}

func TestProfileSelection(t *testing.T) {
	f := newFixture(t)
	f.writeConfig(`
default_profile: a
profiles:
  a: {role: viewer}
  b: {role: operator}
  c: {role: admin}
`)
	tests := []struct {
		name    string
		env     []string
		flags   []string
		profile string
		source  string
		role    string
	}{
		{"default_profile", nil, nil, "a", "default_profile", "viewer"},
		{"env over default_profile", []string{"VSPHERE_MCP_PROFILE", "b"}, nil, "b", "env VSPHERE_MCP_PROFILE", "operator"},
		{"flag over env", []string{"VSPHERE_MCP_PROFILE", "b"}, []string{"--profile", "c"}, "c", "flag --profile", "admin"},
		{"names are case-insensitive", nil, []string{"--profile", "B"}, "b", "flag --profile", "operator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := f.run(f.with(tc.env...), append([]string{"config", "show"}, tc.flags...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if l := line(out, "profile "); !strings.Contains(l, " "+tc.profile+" ") || !strings.Contains(l, tc.source) {
				t.Errorf("profile line %q, want %s from %s", l, tc.profile, tc.source)
			}
			if l := line(out, "role "); !strings.Contains(l, " "+tc.role+" ") {
				t.Errorf("role line %q, want %s", l, tc.role)
			}
		})
	}

	_, _, err := f.run(nil, "config", "show", "--profile", "nope")
	if err == nil || !strings.Contains(err.Error(), `no profile "nope"`) || !strings.Contains(err.Error(), "a, b, c") {
		t.Errorf("unknown profile: %v", err)
	}

	// No default_profile and none named: the environment and viewer.
	g := newFixture(t)
	g.writeConfig("profiles:\n  a: {role: admin}\n")
	out, _, err := g.run(nil, "config", "show")
	if err != nil || !strings.Contains(line(out, "profile "), "(none)") || !strings.Contains(line(out, "role "), "viewer") ||
		!strings.Contains(out, "none is selected") {
		t.Errorf("no profile selected: %v\n%s", err, out)
	}
}

func TestConfigFileLocation(t *testing.T) {
	f := newFixture(t)
	other := f.write(filepath.Join(f.home, "elsewhere.yaml"), "default_profile: x\nprofiles:\n  x: {role: operator}\n", 0o600)

	out, _, err := f.run(nil, "config", "show", "--config", other)
	if err != nil || !strings.Contains(line(out, "config file"), other) || !strings.Contains(line(out, "role "), "operator") {
		t.Errorf("--config: %v\n%s", err, out)
	}
	out, _, err = f.run(f.with("VSPHERE_MCP_CONFIG", other), "config", "show")
	if err != nil || !strings.Contains(line(out, "config file"), "env VSPHERE_MCP_CONFIG") {
		t.Errorf("VSPHERE_MCP_CONFIG: %v\n%s", err, out)
	}
	// A missing default file is fine; a missing named one is not.
	out, _, err = f.run(nil, "config", "show")
	if err != nil || !strings.Contains(line(out, "config file"), "not found") || !strings.Contains(line(out, "role "), "viewer") {
		t.Errorf("missing default config: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--config", filepath.Join(f.home, "missing.yaml")}, {}} {
		env := f.env
		if len(args) == 0 {
			env = f.with("VSPHERE_MCP_CONFIG", filepath.Join(f.home, "missing.yaml"))
		}
		_, _, err = f.run(env, append([]string{"config", "show"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("missing named config %v: %v", args, err)
		}
	}
}

func TestConfigErrorsAreFatal(t *testing.T) {
	tests := []struct {
		name   string
		config string
		mode   os.FileMode
		sys    string // extra system policy file content
		want   string
	}{
		{"unknown key", "profiles:\n  lab:\n    url: x\n    pasword_env: X\n", 0o600, "", "unknown key pasword_env in profiles.lab"},
		{"unknown role", "default_profile: lab\nprofiles:\n  lab: {role: superuser}\n", 0o600, "", `unknown role "superuser"`},
		{"world-writable config", "profiles:\n  lab: {url: x}\n", 0o606, "", "chmod 600"},
		{"malformed system policy", "", 0o600, "max_role: viewer\ndenny: [vm_delete]\n", "denny"},
		{"system policy max_role unknown", "", 0o600, "max_role: superuser\n", "superuser"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.config != "" {
				f.write(f.configPath(), tc.config, tc.mode)
			}
			env := f.env
			if tc.sys != "" {
				env = f.with("VSPHERE_MCP_SYSTEM_POLICY", f.write(filepath.Join(f.home, "sys.yaml"), tc.sys, 0o644))
			}
			// The server refuses to start, and so does every command that needs the role.
			for _, args := range [][]string{{"serve"}, {"config", "show"}, {"tools", "list"}} {
				_, _, err := f.run(env, args...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%v: err = %v, want it to mention %q", args, err, tc.want)
				}
			}
		})
	}
}

func TestConfigShowMasksSecrets(t *testing.T) {
	const plain, inURL, inEnv = "Plain-Secret-42", "Url-Secret-97", "Env-Secret-13"
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
profiles:
  lab:
    url: https://vc.example/sdk
    username: svc
    password: ` + plain + `
  cmd:
    url: https://vc.example/sdk
    password_command: vault-cli --token=tok-` + plain + ` read
`)
	out, stderr, err := f.run(nil, "config", "show")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if l := line(out, "password "); !strings.Contains(l, "********") || !strings.Contains(l, "plain text") {
		t.Errorf("password line: %q", l)
	}
	if !strings.Contains(out, "keeps its password in plain text") {
		t.Errorf("no warning about the plain password:\n%s", out)
	}
	assertNoSecret(t, plain, out, stderr)

	// A password in the URL (govc style) and in VSPHERE_PASSWORD.
	env := f.with("VSPHERE_URL", "https://svc:"+inURL+"@vc.example/sdk", "VSPHERE_PASSWORD", inEnv)
	out, stderr, err = f.run(env, "config", "show", "--profile", "cmd")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if l := line(out, "url "); !strings.Contains(l, "svc:********@vc.example") {
		t.Errorf("url line: %q", l)
	}
	if l := line(out, "password "); !strings.Contains(l, "env VSPHERE_PASSWORD") {
		t.Errorf("password line: %q", l)
	}
	assertNoSecret(t, inURL, out, stderr)
	assertNoSecret(t, inEnv, out, stderr)
	assertNoSecret(t, plain, out, stderr)
}

func TestProfilePasswordNotSentElsewhere(t *testing.T) {
	f := newFixture(t)
	f.writeConfig("default_profile: lab\nprofiles:\n  lab: {url: https://vc.lab.example/sdk, username: u, password_env: LAB_PW}\n")
	out, _, err := f.run(f.with("LAB_PW", "x", "VSPHERE_URL", "https://evil.example/sdk"), "config", "show")
	if err != nil {
		t.Fatal(err)
	}
	if l := line(out, "password "); !strings.Contains(l, "(none)") {
		t.Errorf("the profile's password would go to another vCenter: %q", l)
	}
	if !strings.Contains(out, "not sent to it") {
		t.Errorf("no warning:\n%s", out)
	}
	// Same host, different spelling: still the profile's vCenter.
	out, _, err = f.run(f.with("LAB_PW", "x", "VSPHERE_URL", "vc.lab.example"), "config", "show")
	if err != nil || !strings.Contains(line(out, "password "), "password_env LAB_PW (set)") {
		t.Errorf("same host: %v\n%s", err, out)
	}
}

func TestConfigInit(t *testing.T) {
	f := newFixture(t)
	out, _, err := f.run(nil, "config", "init")
	if err != nil || !strings.Contains(out, f.configPath()) {
		t.Fatalf("config init: %v\n%s", err, out)
	}
	st, err := os.Stat(f.configPath())
	if err != nil {
		t.Fatal(err)
	}
	if config.CheckPerms && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", st.Mode().Perm())
	}
	if _, _, err := f.run(nil, "config", "init"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwrote without --force: %v", err)
	}
	if err := os.WriteFile(f.configPath(), []byte("junk: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.run(nil, "config", "init", "--force"); err != nil {
		t.Errorf("--force: %v", err)
	}
	// The example is a working config: its default profile resolves.
	out, stderr, err := f.run(f.with("LAB_VC_PASSWORD", "pw-123-secret"), "config", "show")
	if err != nil || !strings.Contains(line(out, "role "), " viewer ") || !strings.Contains(line(out, "password "), "(set)") {
		t.Errorf("config show after init: %v\n%s%s", err, out, stderr)
	}
	assertNoSecret(t, "pw-123-secret", out, stderr)

	other := filepath.Join(f.home, "sub", "dir", "c.yaml")
	if _, _, err := f.run(nil, "config", "init", "--config", other); err != nil {
		t.Errorf("config init --config: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Error(err)
	}
}

func TestProfilesAndRolesOutput(t *testing.T) {
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
profiles:
  lab:
    description: the lab
    url: https://svc:Url-Secret-55@vc.lab.example/sdk
    password_env: LAB_PW
    role: lab-operator
  prod:
    url: https://vc.prod.example/sdk
    keyring: true
  broken:
    role: nosuchrole
roles:
  lab-operator:
    inherits: operator
    allow: ["snapshot_*"]
    deny: ["vm_reset"]
    scope: {datacenters: [DC1], vms: ["lab-*"]}
    protect: ["*-prod-*"]
    confirm: ["vm_power_off"]
    limits: {calls_per_second: 5, writes_per_hour: 30}
`)
	// profiles lists even a profile whose role is broken.
	out, stderr, err := f.run(f.with("VSPHERE_MCP_PROFILE", "prod"), "profiles")
	if err != nil {
		t.Fatalf("profiles: %v\n%s", err, stderr)
	}
	for _, want := range []struct{ prefix, has string }{
		{"*", "lab"}, {">", "prod"}, {"broken", "unknown role"},
	} {
		if l := line(out, want.prefix); !strings.Contains(l, want.has) {
			t.Errorf("profiles: no line %q… with %q:\n%s", want.prefix, want.has, out)
		}
	}
	if l := line(out, "*"); !strings.Contains(l, "lab-operator") || !strings.Contains(l, "password_env LAB_PW") || !strings.Contains(l, "the lab") {
		t.Errorf("lab line: %q", l)
	}
	if l := line(out, ">"); !strings.Contains(l, "keyring (service vsphere-mcp, user prod)") || !strings.Contains(l, "viewer") {
		t.Errorf("prod line: %q", l)
	}
	assertNoSecret(t, "Url-Secret-55", out, stderr)

	out, stderr, err = f.run(nil, "roles")
	if err != nil {
		t.Fatalf("roles: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"viewer (built-in)", "operator (built-in)", "vm-admin (built-in; inherits operator)", "admin (built-in)",
		"lab-operator (custom; inherits operator)  * role of profile lab",
		"deny:      vm_reset", "scope:     datacenters DC1; vms lab-*", "protect:   *-prod-*", "limits:    5 calls/s, 30 writes/hour",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("roles output lacks %q:\n%s", want, out)
		}
	}
	// What each allows comes from the real tool list.
	viewer := out[strings.Index(out, "viewer (built-in)"):strings.Index(out, "operator (built-in")]
	if !strings.Contains(viewer, "vm_list") || strings.Contains(viewer, "vm_power_on") {
		t.Errorf("viewer section:\n%s", viewer)
	}
	labOp := out[strings.Index(out, "lab-operator (custom"):]
	if !strings.Contains(labOp, "vm_power_off") || strings.Contains(line(labOp, "tools:"), "vm_reset") || !strings.Contains(line(labOp, "confirmed:"), "vm_power_off") {
		t.Errorf("lab-operator section:\n%s", labOp)
	}

	out, _, err = f.run(nil, "roles", "Operator")
	if err != nil || !strings.HasPrefix(out, "operator (built-in") || strings.Contains(out, "admin (built-in)") {
		t.Errorf("roles operator: %v\n%s", err, out)
	}
	if _, _, err := f.run(nil, "roles", "nope"); err == nil || !strings.Contains(err.Error(), "lab-operator") {
		t.Errorf("roles nope: %v", err)
	}

	// No config: profiles says how to make one.
	g := newFixture(t)
	out, _, err = g.run(nil, "profiles")
	if err != nil || !strings.Contains(out, "config init") {
		t.Errorf("profiles without config: %v\n%s", err, out)
	}
}

func TestToolsListFollowsRole(t *testing.T) {
	f := newFixture(t)
	f.writeConfig("profiles:\n  op: {role: operator}\n  adm: {role: admin}\n")
	out, _, err := f.run(nil, "tools", "list")
	if err != nil || line(out, "vm_list ") == "" || line(out, "vm_power_on ") != "" {
		t.Errorf("viewer tools list: %v\n%s", err, out)
	}
	out, _, err = f.run(nil, "tools", "list", "--all")
	if err != nil || !strings.Contains(line(out, "vm_list "), "served") || !strings.Contains(line(out, "vm_power_on "), " - ") {
		t.Errorf("viewer tools list --all: %v\n%s", err, out)
	}
	out, _, err = f.run(nil, "tools", "list", "--profile", "op")
	if err != nil || line(out, "vm_power_on ") == "" || line(out, "vm_delete ") != "" {
		t.Errorf("operator tools list: %v\n%s", err, out)
	}
	out, _, err = f.run(nil, "tools", "list", "--profile", "adm")
	if err != nil || line(out, "vm_delete ") == "" {
		t.Errorf("admin tools list: %v\n%s", err, out)
	}
}

// TestToolsetsPrecedence: the served toolsets and read-only come from
// --toolsets over VSPHERE_MCP_TOOLSETS over the profile, like every other
// setting; an unknown toolset is an error naming the valid ones.
func TestToolsetsPrecedence(t *testing.T) {
	f := newFixture(t)
	f.writeConfig("default_profile: p\nprofiles:\n  p: {role: admin, toolsets: [host], read_only: true}\n")
	served := func(out, toolset string) bool { return strings.Contains(line(out, toolset+" "), " yes ") }
	out, _, err := f.run(nil, "tools", "list")
	if err != nil || !served(out, "host") || served(out, "vm") || line(out, "host_list ") == "" {
		t.Errorf("profile toolsets: %v\n%s", err, out)
	}
	out, _, err = f.run(f.with("VSPHERE_MCP_TOOLSETS", "vm,task"), "tools", "list")
	if err != nil || served(out, "host") || !served(out, "vm") || !served(out, "task") || line(out, "vm_power_on ") != "" {
		t.Errorf("env over profile (read-only from the profile): %v\n%s", err, out)
	}
	out, _, err = f.run(f.with("VSPHERE_MCP_TOOLSETS", "vm", "VSPHERE_MCP_READ_ONLY", "false"), "tools", "list", "--toolsets", "network,vm")
	if err != nil || !served(out, "network") || line(out, "vm_power_on ") == "" {
		t.Errorf("flag over env, env read-only over profile: %v\n%s", err, out)
	}
	_, _, err = f.run(nil, "tools", "list", "--toolsets", "vm,guests")
	if err == nil || !strings.Contains(err.Error(), `unknown toolset "guests"`) || !strings.Contains(err.Error(), "inventory, vm") {
		t.Errorf("unknown toolset: %v", err)
	}
}

func TestConfigShowLocalFiles(t *testing.T) {
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
profiles:
  lab:
    url: https://vc.example/sdk
    local_files: {read: [/data/isos], write: [/data/out, /tmp/x]}
`)
	out, stderr, err := f.run(nil, "config", "show")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if l := line(out, "read "); !strings.Contains(l, "/data/isos") || !strings.Contains(l, "local_files.read") {
		t.Errorf("read line: %q\n%s", l, out)
	}
	if l := line(out, "write "); !strings.Contains(l, "/data/out, /tmp/x") {
		t.Errorf("write line: %q", l)
	}
	f.writeConfig("default_profile: lab\nprofiles:\n  lab: {url: https://vc.example/sdk}\n")
	out, _, _ = f.run(nil, "config", "show")
	if l := line(out, "read "); !strings.Contains(l, "(none)") {
		t.Errorf("default read line: %q", l)
	}
}
