package config

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// GuestCredential is one login the guest tools use inside the VMs that
// match it: a list of VM globs, a guest user name and where the password
// comes from (the same sources as the vCenter password, but never plain
// text in the file).
type GuestCredential struct {
	// VMs are globs over VM names ("web-*") or, starting with "/", over
	// inventory paths ("/DC1/vm/linux/*").
	VMs             []string `mapstructure:"vms"`
	Username        string   `mapstructure:"username"`
	PasswordEnv     string   `mapstructure:"password_env"`
	PasswordFile    string   `mapstructure:"password_file"`
	PasswordCommand string   `mapstructure:"password_command"`
	Keyring         bool     `mapstructure:"keyring"`
}

// GuestSettings are the profile's guest: section.
type GuestSettings struct {
	// AllowArgumentCredentials lets a tool call carry username and
	// password: off by default, since a model should not handle passwords.
	AllowArgumentCredentials bool `mapstructure:"allow_argument_credentials"`
}

// Secret is where the entry's password comes from.
func (g GuestCredential) Secret() Secret {
	return Secret{Env: g.PasswordEnv, File: g.PasswordFile, Command: g.PasswordCommand, Keyring: g.Keyring}
}

// GuestKeyringUser is the keyring entry of a guest login: the profile, the
// word guest and the entry's globs, so `login --guest GLOB` and the entry
// find the same one.
func GuestKeyringUser(profile string, vms []string) string {
	return profile + " guest " + strings.Join(vms, ",")
}

// Owner names entry i of profile's guest_credentials in messages and the
// keyring.
func (g GuestCredential) Owner(profile string, i int) SecretOwner {
	glob := ""
	if len(g.VMs) > 0 {
		glob = g.VMs[0]
	}
	return SecretOwner{
		What:        fmt.Sprintf("profile %s guest_credentials[%d] (vms %s)", profile, i, strings.Join(g.VMs, ", ")),
		KeyringUser: GuestKeyringUser(profile, g.VMs),
		Login:       fmt.Sprintf("vsphere-mcp login --profile %s --guest '%s'", profile, glob),
	}
}

// Matches reports whether the entry covers the VM called name at the
// inventory path vmPath.
func (g GuestCredential) Matches(name, vmPath string) bool {
	for _, p := range g.VMs {
		s := name
		if strings.HasPrefix(p, "/") {
			s = vmPath
		}
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// Resolve returns the entry's password.
func (g GuestCredential) Resolve(ctx context.Context, profile string, i int, getenv func(string) string) (string, error) {
	return g.Secret().Resolve(ctx, g.Owner(profile, i), getenv)
}

func (p Profile) checkGuest() error {
	for i, g := range p.GuestCredentials {
		where := fmt.Sprintf("guest_credentials[%d]", i)
		if len(g.VMs) == 0 {
			return fmt.Errorf("%s: vms is empty: list the VM names or globs it is for, e.g. vms: [\"web-*\"]", where)
		}
		for _, v := range g.VMs {
			if _, err := path.Match(v, ""); err != nil || strings.TrimSpace(v) == "" {
				return fmt.Errorf("%s: vms entry %q is not a valid glob (use * and ?)", where, v)
			}
		}
		if strings.TrimSpace(g.Username) == "" {
			return fmt.Errorf("%s: username is required (the account inside the guest)", where)
		}
		s := g.Secret()
		if len(s.sources()) == 0 {
			return fmt.Errorf("%s: no password source: set one of password_env, password_file, password_command or keyring: true (plain passwords are not accepted here)", where)
		}
		if err := s.check(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

// GuestEntryFor finds the entry of the profile whose vms list glob, for
// `login --guest GLOB`; -1 when none does.
func (p Profile) GuestEntryFor(glob string) int {
	for i, g := range p.GuestCredentials {
		for _, v := range g.VMs {
			if v == glob {
				return i
			}
		}
	}
	return -1
}
