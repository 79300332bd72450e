package cmd

import (
	"context"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// guestLogins resolves the logins the guest tools use inside VMs from the
// profile's guest_credentials, first match wins. The password is read
// from its source at every call (an environment variable, a file, a
// command or the keyring), the same code the vCenter password goes
// through, and never kept or logged.
type guestLogins struct {
	profile   string
	entries   []config.GuestCredential
	allowArgs bool
	getenv    func(string) string
}

func newGuestLogins(name string, p config.Profile, getenv func(string) string) *guestLogins {
	return &guestLogins{profile: name, entries: p.GuestCredentials, allowArgs: p.Guest.AllowArgumentCredentials, getenv: getenv}
}

func (g *guestLogins) Lookup(ctx context.Context, name, vmPath string) (toolkit.GuestLogin, error) {
	for i, e := range g.entries {
		if !e.Matches(name, vmPath) {
			continue
		}
		source := e.Owner(g.profile, i).What + ", " + e.Secret().Describe(config.GuestKeyringUser(g.profile, e.VMs))
		pw, err := e.Resolve(ctx, g.profile, i, g.getenv)
		if err != nil {
			return toolkit.GuestLogin{}, err
		}
		return toolkit.GuestLogin{Username: e.Username, Password: pw, Source: source}, nil
	}
	return toolkit.GuestLogin{}, toolkit.ErrNoGuestLogin
}

func (g *guestLogins) ArgumentsAllowed() bool { return g.allowArgs }

// demoGuest answers the guest tools under --simulator: the embedded demo's
// VMs are inventory records with no guest OS to log in to, and saying so
// beats fake output.
type demoGuest struct{}

func (demoGuest) Lookup(context.Context, string, string) (toolkit.GuestLogin, error) {
	return toolkit.GuestLogin{}, &toolkit.PlainError{Msg: "the embedded demo simulator's VMs have no guest OS (no VMware Tools to talk to), so guest operations cannot run there; connect to a real vCenter to use them"}
}

func (demoGuest) ArgumentsAllowed() bool { return false }

// guestCredentials is what the server's guest tools get: the demo's
// answer under --simulator, else the profile's entries.
func (o *globalOptions) guestCredentials(s *settings) toolkit.GuestCredentials {
	if o.simulator != "" {
		return demoGuest{}
	}
	if s.profileName == "" {
		return nil
	}
	return newGuestLogins(s.profileName, s.profile, o.getenv)
}
