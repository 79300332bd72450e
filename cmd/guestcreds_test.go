package cmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// TestGuestLogins: guest_credentials from each password source, first
// match wins, by VM name or inventory path, never showing the password.
func TestGuestLogins(t *testing.T) {
	const secret = "Guest-Secret-8812"
	f := newFixture(t)
	pwFile := f.write(filepath.Join(f.home, "guest.pw"), secret+"\n", 0o600)
	f.writeConfig(`default_profile: lab
profiles:
  lab:
    url: vc.example
    password_env: VC_PW
    guest:
      allow_argument_credentials: true
    guest_credentials:
      - vms: ["web-*"]
        username: www
        password_env: WEB_PW
      - vms: ["/DC1/vm/db/*"]
        username: postgres
        password_file: ` + pwFile + `
      - vms: ["app-*", "api-*"]
        username: app
        password_command: "printf '%s\n' ` + secret + `"
      - vms: ["win-*"]
        username: Administrator
        keyring: true
      - vms: ["*"]
        username: fallback
        password_env: UNSET_PW
`)
	if err := keyring.Set(config.KeyringService, config.GuestKeyringUser("lab", []string{"win-*"}), secret); err != nil {
		t.Fatal(err)
	}
	file, err := config.Load(f.configPath(), true, func(k string) string { return f.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	p, _ := file.Profile("lab")
	g := newGuestLogins("lab", p, func(k string) string { return map[string]string{"WEB_PW": secret}[k] })
	if !g.ArgumentsAllowed() {
		t.Error("allow_argument_credentials not read")
	}
	for _, tc := range []struct {
		name, path, user, source string
		err                      string
	}{
		{"web-01", "/DC1/vm/web-01", "www", "password_env WEB_PW", ""},
		{"pg-1", "/DC1/vm/db/pg-1", "postgres", "password_file", ""},
		{"api-7", "/DC1/vm/api-7", "app", "password_command (runs printf …)", ""},
		{"win-dc", "/DC1/vm/win-dc", "Administrator", "keyring (service vsphere-mcp, user lab guest win-*)", ""},
		{"other", "/DC1/vm/other", "", "", "guest_credentials[4] (vms *): password_env UNSET_PW is not set"},
	} {
		login, err := g.Lookup(context.Background(), tc.name, tc.path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || login.Username != tc.user || login.Password != secret || !strings.Contains(login.Source, tc.source) {
			t.Errorf("%s: %+v, %v", tc.name, login, err)
		}
		if strings.Contains(login.Source, secret) {
			t.Errorf("source shows the password: %s", login.Source)
		}
	}
	none := newGuestLogins("lab", config.Profile{}, os.Getenv)
	if _, err := none.Lookup(context.Background(), "web-01", "/x"); !errors.Is(err, toolkit.ErrNoGuestLogin) || none.ArgumentsAllowed() {
		t.Errorf("no entries: %v", err)
	}
	// Under --simulator the guest tools say the demo has no guest OS.
	if _, err := (demoGuest{}).Lookup(context.Background(), "x", "/x"); err == nil || !strings.Contains(err.Error(), "no guest OS") {
		t.Errorf("demo: %v", err)
	}
}

func TestGuestCredentialsConfigErrors(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{`{username: u, password_env: X}`, "vms is empty"},
		{`{vms: ["a"], password_env: X}`, "username is required"},
		{`{vms: ["a"], username: u}`, "no password source"},
		{`{vms: ["a"], username: u, password: p}`, "unknown key password"},
		{`{vms: ["a"], username: u, password_env: X, keyring: true}`, "more than one password source"},
		{`{vms: ["[a"], username: u, password_env: X}`, "not a valid glob"},
		{`{vms: ["a"], username: u, password_env: "$X"}`, "name of an environment variable"},
	} {
		f := newFixture(t)
		f.writeConfig("profiles:\n  lab:\n    url: vc.example\n    guest_credentials:\n      - " + tc.entry + "\n")
		_, err := config.Load(f.configPath(), true, func(k string) string { return f.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.entry, err, tc.want)
		}
	}
}

func TestLoginGuest(t *testing.T) {
	const secret = "Guest-Login-3390"
	f := newFixture(t)
	f.writeConfig("default_profile: lab\nprofiles:\n  lab:\n    url: vc.example\n    password_env: X\n    guest_credentials:\n      - {vms: [\"web-*\", \"www-*\"], username: www, keyring: true}\n      - {vms: [\"db-*\"], username: pg, password_env: PG}\n")
	out, stderr, err := run(t, f.env, strings.NewReader(secret+"\n"), "login", "--guest", "www-*")
	if err != nil || !strings.Contains(out, "Stored the guest password for VMs web-*, www-*") {
		t.Fatalf("login --guest: %v\n%s%s", err, out, stderr)
	}
	assertNoSecret(t, secret, out, stderr)
	if got, err := keyring.Get(config.KeyringService, "lab guest web-*,www-*"); err != nil || got != secret {
		t.Errorf("keyring holds %q, %v", got, err)
	}
	// The entry that reads it finds it.
	file, _ := config.Load(f.configPath(), true, func(k string) string { return f.env[k] })
	p, _ := file.Profile("lab")
	if login, err := newGuestLogins("lab", p, os.Getenv).Lookup(context.Background(), "web-01", "/x"); err != nil || login.Password != secret {
		t.Errorf("lookup after login: %+v %v", login, err)
	}
	// An entry that does not use the keyring yet gets a hint; an unknown glob an example.
	if out, _, err := run(t, f.env, strings.NewReader("x\n"), "login", "--guest", "db-*"); err != nil || !strings.Contains(out, `set "keyring: true" in guest_credentials[1]`) {
		t.Errorf("login --guest db-*: %v\n%s", err, out)
	}
	if _, _, err := run(t, f.env, strings.NewReader("x\n"), "login", "--guest", "nope-*"); err == nil || !strings.Contains(err.Error(), "no guest_credentials entry") {
		t.Errorf("unknown glob: %v", err)
	}
	if out, _, err := run(t, f.env, nil, "login", "--guest", "web-*", "--forget"); err != nil || !strings.Contains(out, "Removed the guest password") {
		t.Errorf("forget: %v\n%s", err, out)
	}
}

// TestDemoGuestTools: the embedded demo answers guest tools honestly.
func TestDemoGuestTools(t *testing.T) {
	f := newFixture(t)
	out, stderr, err := run(t, f.env, nil, "tools", "call", "guest_file_read", `{"vm":"DC0_H0_VM0","path":"/etc/hosts"}`, "--simulator", "--role", "vm-admin", "--toolsets", "guest")
	if err == nil || !strings.Contains(out+stderr, "no guest OS") {
		t.Errorf("demo guest_file_read: %v\n%s\n%s", err, out, stderr)
	}
}
