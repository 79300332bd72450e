package config

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
)

func TestMain(m *testing.M) {
	// Never touch the real OS keyring from tests.
	keyring.MockInit()
	os.Exit(m.Run())
}

func writeFile(t *testing.T, dir, name, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask must not decide the test
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestExampleLoads(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "config.yaml", Example, 0o600)
	f, err := Load(p, true, env(map[string]string{"HOME": dir}))
	if err != nil {
		t.Fatalf("the example config does not load: %v", err)
	}
	if f.DefaultProfile != "lab" || len(f.Profiles) != 2 || len(f.Roles) != 1 {
		t.Errorf("example: default %q, %d profiles, %d roles", f.DefaultProfile, len(f.Profiles), len(f.Roles))
	}
	// The default profile is unscoped: a first "vm_list" shows every VM.
	lab := f.Profiles["lab"]
	if lab.PasswordEnv != "LAB_VC_PASSWORD" || lab.Role != "viewer" || lab.Insecure == nil || *lab.Insecure {
		t.Errorf("lab profile: %+v", lab)
	}
	r, err := policy.Resolve(f.Roles, lab.Role)
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Describe(); len(d.Scopes) != 0 {
		t.Errorf("the default profile's role is scoped: %+v", d.Scopes)
	}

	// The scoped example sits commented next to it and works once swapped in.
	const on, off = "    role: viewer ", "    # role: lab-operator "
	if strings.Count(Example, on) != 1 || strings.Count(Example, off) != 1 {
		t.Fatalf("the example lacks exactly one %q and one %q line", on, off)
	}
	swapped := strings.Replace(strings.Replace(Example, on, "    # role: viewer ", 1), off, "    role: lab-operator ", 1)
	f, err = Load(writeFile(t, dir, "swapped.yaml", swapped, 0o600), true, env(map[string]string{"HOME": dir}))
	if err != nil {
		t.Fatalf("the example with the scoped role does not load: %v", err)
	}
	if got := f.Profiles["lab"].Role; got != "lab-operator" {
		t.Fatalf("swapped role %q", got)
	}
	r, err = policy.Resolve(f.Roles, "lab-operator")
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Describe(); len(d.Scopes) != 1 || d.Limits.WritesPerHour != 30 {
		t.Errorf("lab-operator: %+v", d)
	}
}

func TestLoadMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.yaml")
	f, err := Load(p, false, env(nil))
	if err != nil || f.Found || len(f.Profiles) != 0 {
		t.Errorf("missing default file: %v %+v", err, f)
	}
	if _, err := Load(p, true, env(nil)); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing explicit file: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		mode       os.FileMode
		want       []string // all must appear in the error
	}{
		{"unknown top-level key", "defualt_profile: lab\n", 0o600, []string{"unknown key defualt_profile at the top level"}},
		{"unknown profile key", "profiles:\n  lab:\n    pasword_env: X\n", 0o600, []string{"unknown key pasword_env in profiles.lab"}},
		{"unknown role key", "roles:\n  r1:\n    inherits: viewer\n    alow: [vm_list]\n", 0o600, []string{"unknown key alow in roles.r1"}},
		{"unknown scope key", "roles:\n  r1:\n    scope: {datacenter: [DC1]}\n", 0o600, []string{"unknown key datacenter in roles.r1.scope"}},
		{"two unknown keys", "profiles:\n  lab: {urll: x, user: y}\n", 0o600, []string{"unknown keys", "urll", "user", "profiles.lab"}},
		{"wrong type does not echo the value", "profiles:\n  lab: {password: [Hunter-2-secret]}\n", 0o600, []string{"profiles.lab.password"}},
		{"bad bool", "profiles:\n  lab: {insecure: maybe}\n", 0o600, []string{"profiles.lab.insecure", "bool"}},
		{"unknown limits key", "roles:\n  r1:\n    limits: {writes_per_day: 3}\n", 0o600, []string{"writes_per_day"}},
		{"bad yaml", "profiles: [\n", 0o600, []string{"not valid YAML"}},
		{"default profile missing", "default_profile: prod\nprofiles:\n  lab: {url: x}\n", 0o600, []string{`default_profile "prod"`, "lab"}},
		{"two password sources", "profiles:\n  lab: {password_env: X, keyring: true}\n", 0o600, []string{"more than one password source", "password_env", "keyring"}},
		{"bad fallback", "profiles:\n  lab: {confirm_fallback: ask}\n", 0o600, []string{"confirm_fallback"}},
		{"broken custom role", "roles:\n  r1: {inherits: nobody}\n", 0o600, []string{"nobody"}},
		{"custom role named like a built-in", "roles:\n  viewer: {allow: ['*']}\n", 0o600, []string{"built-in"}},
		{"world-writable", "profiles:\n  lab: {url: x}\n", 0o666, []string{"0666", "chmod 600"}},
		{"plain password readable by others", "profiles:\n  lab: {password: Hunter-2-secret}\n", 0o644, []string{"plain password", "profile lab", "chmod 600"}},
		{"plain password readable by group", "profiles:\n  lab: {password: Hunter-2-secret}\n", 0o640, []string{"chmod 600"}},
		{"password pasted into password_env", "profiles:\n  lab: {password_env: 'Hunter 2 secret'}\n", 0o600, []string{"name of an environment variable"}},
		{"relative local_files dir", "profiles:\n  lab: {local_files: {read: [isos]}}\n", 0o600, []string{"profiles.lab.local_files.read", "not an absolute directory"}},
		{"bad call_timeout", "profiles:\n  lab: {call_timeout: soon}\n", 0o600, []string{"profiles.lab", "call_timeout", "like 30s"}},
		{"call_timeout without a unit", "profiles:\n  lab: {call_timeout: 30}\n", 0o600, []string{"call_timeout", "not a positive duration"}},
		{"negative call_timeout", "profiles:\n  lab: {call_timeout: -1s}\n", 0o600, []string{"call_timeout"}},
		{"URL in allowed_vcenters", "allowed_vcenters: ['https://vc.example/sdk']\n", 0o600, []string{"allowed_vcenters", "not a URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !CheckPerms && tc.mode != 0o600 {
				t.Skip("no permission bits here")
			}
			p := writeFile(t, t.TempDir(), "config.yaml", tc.yaml, tc.mode)
			_, err := Load(p, true, env(nil))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "Hunter") {
				t.Errorf("error repeats a secret: %v", err)
			}
		})
	}
}

func TestLoadNormalizes(t *testing.T) {
	dir := t.TempDir()
	home := t.TempDir()
	p := writeFile(t, dir, "config.yaml", `
default_profile: Lab
audit: {file: ~/audit/trail.jsonl}
allowed_vcenters: [vc.example, "*.lab.example:8443"]
profiles:
  Lab:
    url: vc.example
    call_timeout: 45s
    password_file: secrets/lab.pw
    ca_file: /etc/ca.pem
    insecure: true
    role: Lab-Ops
    local_files: {read: [~/isos, /data/isos/], write: [~/Downloads]}
  lab.example:
    url: vc2.example
roles:
  Lab-Ops: {inherits: operator}
`, 0o600)
	f, err := Load(p, true, env(map[string]string{"HOME": home}))
	if err != nil {
		t.Fatal(err)
	}
	if f.DefaultProfile != "lab" {
		t.Errorf("default_profile %q", f.DefaultProfile)
	}
	if f.Audit.File != filepath.Join(home, "audit", "trail.jsonl") {
		t.Errorf("audit.file %q: ~ not expanded", f.Audit.File)
	}
	lab, err := f.Profile("LAB")
	if err != nil {
		t.Fatal(err)
	}
	if lab.PasswordFile != filepath.Join(dir, "secrets", "lab.pw") {
		t.Errorf("relative password_file %q not resolved against the config's directory", lab.PasswordFile)
	}
	if lf := lab.LocalFiles; len(lf.Read) != 2 || lf.Read[0] != filepath.Join(home, "isos") || lf.Read[1] != "/data/isos" || len(lf.Write) != 1 || lf.Write[0] != filepath.Join(home, "Downloads") {
		t.Errorf("local_files %+v: ~ not expanded", lf)
	}
	if len(f.AllowedVCenters) != 2 || f.AllowedVCenters[1] != "*.lab.example:8443" {
		t.Errorf("allowed_vcenters %q", f.AllowedVCenters)
	}
	if lab.Insecure == nil || !*lab.Insecure || lab.CAFile != "/etc/ca.pem" || lab.CallTimeout != "45s" {
		t.Errorf("lab: %+v", lab)
	}
	if _, err := f.Profile("lab.example"); err != nil {
		t.Errorf("a profile name with a dot: %v", err)
	}
	if _, err := policy.Resolve(f.Roles, lab.Role); err != nil {
		t.Errorf("role names are case-insensitive: %v", err)
	}
	if _, err := f.Profile("prod"); err == nil || !strings.Contains(err.Error(), "lab, lab.example") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestEmptyProfileAndRoleKept(t *testing.T) {
	p := writeFile(t, t.TempDir(), "config.yaml", "default_profile: lab\nprofiles:\n  lab: {}\n  other:\nroles:\n  nothing: {}\n", 0o600)
	f, err := Load(p, true, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Profiles["other"]; !ok || len(f.Profiles) != 2 {
		t.Errorf("profiles: %v", f.Profiles)
	}
	r, err := policy.Resolve(f.Roles, "nothing")
	if err != nil {
		t.Fatalf("an empty custom role: %v", err)
	}
	if got := r.AllowedTools([]policy.ToolInfo{{Name: "vm_list", Toolset: "vm", Risk: policy.RiskRead}}); len(got) != 0 {
		t.Errorf("an empty role allows %v", got)
	}
}

func TestPasswordSources(t *testing.T) {
	const secret = "S3cr3t-Pw-4711"
	dir := t.TempDir()
	good := writeFile(t, dir, "good.pw", secret+"\n", 0o600)
	open := writeFile(t, dir, "open.pw", secret+"\n", 0o644)
	empty := writeFile(t, dir, "empty.pw", "\n", 0o600)
	if err := keyring.Set(KeyringService, "kr", secret); err != nil {
		t.Fatal(err)
	}
	getenv := env(map[string]string{"LAB_PW": secret})
	tests := []struct {
		name    string
		profile string
		p       Profile
		want    string
		wantErr []string
	}{
		{"env", "lab", Profile{PasswordEnv: "LAB_PW"}, secret, nil},
		{"env unset", "lab", Profile{PasswordEnv: "OTHER_PW"}, "", []string{"OTHER_PW is not set"}},
		{"file", "lab", Profile{PasswordFile: good}, secret, nil},
		{"file readable by others", "lab", Profile{PasswordFile: open}, "", []string{"0644", "chmod 600 " + open}},
		{"file empty", "lab", Profile{PasswordFile: empty}, "", []string{"empty"}},
		{"file missing", "lab", Profile{PasswordFile: filepath.Join(dir, "nope")}, "", []string{"no such file"}},
		{"command", "lab", Profile{PasswordCommand: "printf '%s\\n' " + secret}, secret, nil},
		{"command fails", "lab", Profile{PasswordCommand: "echo 'vault: no such entry' >&2; exit 3"}, "", []string{"exit status 3", "vault: no such entry"}},
		{"command prints nothing", "lab", Profile{PasswordCommand: "true"}, "", []string{"printed nothing"}},
		{"keyring", "kr", Profile{Keyring: true}, secret, nil},
		{"keyring missing", "lab", Profile{Keyring: true}, "", []string{"no password in the OS keyring", "vsphere-mcp login --profile lab"}},
		{"plain", "lab", Profile{Password: secret}, secret, nil},
		{"none", "lab", Profile{}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !CheckPerms && tc.name == "file readable by others" {
				t.Skip("no permission bits here")
			}
			got, err := tc.p.ResolvePassword(context.Background(), tc.profile, getenv)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error (got a password of %d bytes)", len(got))
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the password: %v", err)
			}
			if src := tc.p.PasswordSource(tc.profile); strings.Contains(src, secret) {
				t.Errorf("source description contains the password: %s", src)
			}
		})
	}
}

func TestPasswordCommandTimeout(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sleep")
	}
	start := time.Now()
	_, err := runPasswordCommandWithin(context.Background(), "lab", "sleep 10", 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not finish within") {
		t.Errorf("timeout: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout took %s", d)
	}
}

func TestPasswordSourceHidesCommandArguments(t *testing.T) {
	p := Profile{PasswordCommand: "vault-cli --token=tok-123 read lab"}
	if s := p.PasswordSource("lab"); strings.Contains(s, "tok-123") || !strings.Contains(s, "vault-cli") {
		t.Errorf("PasswordSource = %q", s)
	}
}

func TestStoreAndDeletePassword(t *testing.T) {
	if err := StorePassword("store-test", "pw-1"); err != nil {
		t.Fatal(err)
	}
	got, err := Profile{Keyring: true}.ResolvePassword(context.Background(), "store-test", env(nil))
	if err != nil || got != "pw-1" {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := DeletePassword("store-test"); err != nil {
		t.Fatal(err)
	}
	if err := DeletePassword("store-test"); err == nil {
		t.Error("deleting twice succeeded")
	}
}

func TestDefaultPaths(t *testing.T) {
	tests := []struct {
		goos          string
		env           map[string]string
		config, state string
	}{
		{"linux", map[string]string{"HOME": "/home/u"}, "/home/u/.config", "/home/u/.local/state"},
		{"linux", map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "/x/cfg", "XDG_STATE_HOME": "/x/state"}, "/x/cfg", "/x/state"},
		{"linux", map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "relative"}, "/home/u/.config", "/home/u/.local/state"},
		{"freebsd", map[string]string{"HOME": "/home/u"}, "/home/u/.config", "/home/u/.local/state"},
		{"darwin", map[string]string{"HOME": "/Users/u"}, "/Users/u/Library/Application Support", "/Users/u/Library/Application Support"},
		{"windows", map[string]string{"AppData": `C:\Users\u\AppData\Roaming`, "LocalAppData": `C:\Users\u\AppData\Local`}, `C:\Users\u\AppData\Roaming`, `C:\Users\u\AppData\Local`},
	}
	for _, tc := range tests {
		c, err := configDir(tc.goos, env(tc.env))
		if err != nil || c != tc.config {
			t.Errorf("%s %v: config dir %q, %v; want %q", tc.goos, tc.env, c, err, tc.config)
		}
		s, err := stateDir(tc.goos, env(tc.env))
		if err != nil || s != tc.state {
			t.Errorf("%s %v: state dir %q, %v; want %q", tc.goos, tc.env, s, err, tc.state)
		}
	}
	if _, err := stateDir("linux", env(nil)); err == nil {
		t.Error("no HOME: want an error")
	}
	p, err := DefaultAuditPath(env(map[string]string{"HOME": "/h", "AppData": "/h", "LocalAppData": "/h"}))
	if err != nil || !strings.HasSuffix(p, filepath.Join("vsphere-mcp", "audit.jsonl")) {
		t.Errorf("DefaultAuditPath = %q, %v", p, err)
	}
}
