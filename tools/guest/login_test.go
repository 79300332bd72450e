package guest

import (
	"context"
	"errors"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// TestLogins: where the login comes from, and that the password shows
// nowhere.
func TestLogins(t *testing.T) {
	t.Parallel()
	read := map[string]any{"path": "/etc"}
	cases := []struct {
		name  string
		creds func(vm string) toolkit.GuestCredentials // nil: none configured
		args  map[string]any
		want  []string // error; nil: succeeds
		tries int      // refused logins the guest saw
	}{
		{name: "none configured", want: []string{"no guest login is configured", "guest_credentials", "password_env"}},
		{name: "no entry for the VM", creds: func(string) toolkit.GuestCredentials { return &creds{} }, want: []string{"no guest login is configured"}},
		{name: "arguments refused by default", creds: func(string) toolkit.GuestCredentials { return &creds{} },
			args: map[string]any{"username": guestUser, "password": guestPass}, want: []string{"arguments are off", "allow_argument_credentials"}},
		{name: "arguments refused without resolver", args: map[string]any{"username": guestUser, "password": guestPass}, want: []string{"arguments are off"}},
		{name: "arguments when allowed", creds: func(string) toolkit.GuestCredentials { return &creds{allow: true} },
			args: map[string]any{"username": guestUser, "password": guestPass}},
		{name: "half a login", creds: func(string) toolkit.GuestCredentials { return &creds{allow: true} },
			args: map[string]any{"username": guestUser}, want: []string{"username and password go together"}},
		{name: "profile wins over arguments", creds: func(vm string) toolkit.GuestCredentials {
			return &creds{allow: true, logins: map[string]toolkit.GuestLogin{vm: {Username: guestUser, Password: guestPass, Source: "profile"}}}
		}, args: map[string]any{"username": "x", "password": "wrong-" + guestPass}},
		{name: "wrong password: not retried, source named", creds: func(vm string) toolkit.GuestCredentials {
			return &creds{logins: map[string]toolkit.GuestLogin{vm: {Username: guestUser, Password: guestPass + "-old", Source: "profile test guest_credentials[1] (vms web-*), keyring (service vsphere-mcp, user test guest web-*)"}}}
		}, want: []string{"InvalidGuestLogin", "guest_credentials[1]", "keyring", "not retried"}, tries: 1},
		{name: "a failing source", creds: func(string) toolkit.GuestCredentials { return failing{} }, want: []string{"password_env GUEST_PW is not set"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The VM's name is known once the simulator runs: a resolver
			// that asks for it late.
			late := &lateCreds{}
			e := newEnv(t, opts{policy: toolstest.Policy(t, "vm-admin", nil, nil), creds: late})
			if tc.creds != nil {
				late.c = tc.creds(e.vm)
			}
			args := map[string]any{}
			for k, v := range read {
				args[k] = v
			}
			for k, v := range tc.args {
				args[k] = v
			}
			if tc.want == nil {
				e.ok("guest_dir_list", args, nil)
			} else {
				e.fails("guest_dir_list", args, tc.want...)
			}
			e.guest.mu.Lock()
			tries := e.guest.logins
			e.guest.mu.Unlock()
			if tries != tc.tries {
				t.Errorf("the guest refused %d logins, want %d", tries, tc.tries)
			}
			e.noSecret()
			if rec := toolstest.LastAudit(t, e.policy); tc.args["password"] != nil && rec.Args["password"] != "[redacted]" {
				t.Errorf("password argument audited as %v", rec.Args["password"])
			}
		})
	}
}

// lateCreds forwards to c, which may be nil (none configured).
type lateCreds struct{ c toolkit.GuestCredentials }

func (l *lateCreds) Lookup(ctx context.Context, name, vmPath string) (toolkit.GuestLogin, error) {
	if l.c == nil {
		return toolkit.GuestLogin{}, toolkit.ErrNoGuestLogin
	}
	return l.c.Lookup(ctx, name, vmPath)
}

func (l *lateCreds) ArgumentsAllowed() bool { return l.c != nil && l.c.ArgumentsAllowed() }

type failing struct{}

func (failing) Lookup(context.Context, string, string) (toolkit.GuestLogin, error) {
	return toolkit.GuestLogin{}, errors.New("profile test guest_credentials[0] (vms *): password_env GUEST_PW is not set: export it")
}
func (failing) ArgumentsAllowed() bool { return false }
