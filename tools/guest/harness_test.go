package guest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// The guest account of the test guest; the password must never show.
const (
	guestUser = "ops"
	guestPass = "S3cret-guest-pw!"
)

// creds is a test resolver: a login per VM name, and whether arguments
// may carry one.
type creds struct {
	logins map[string]toolkit.GuestLogin
	allow  bool
}

func (c *creds) Lookup(_ context.Context, name, _ string) (toolkit.GuestLogin, error) {
	if l, ok := c.logins[name]; ok {
		return l, nil
	}
	return toolkit.GuestLogin{}, toolkit.ErrNoGuestLogin
}

func (c *creds) ArgumentsAllowed() bool { return c.allow }

// env is this toolset's server on its own simulator, with a guest OS in
// one VM (vm) and another VM without Tools (bare).
type env struct {
	*toolstest.Env
	gc     toolkit.GuestCredentials
	guest  *fakeGuest
	vm     string
	bare   string
	off    string
	win    string // a Windows guest
	policy *guard.Policy
	texts  []string // every result text, for the secret check
	log    *lockedBuffer
}

// lockedBuffer collects the server's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type opts struct {
	policy *guard.Policy
	elicit client.ElicitationHandler
	creds  toolkit.GuestCredentials
	tasks  bool
}

func newEnv(t *testing.T, o opts) *env {
	t.Helper()
	e := &env{policy: o.policy, log: &lockedBuffer{}}
	gc := o.creds
	var def *creds
	if gc == nil {
		def = &creds{logins: map[string]toolkit.GuestLogin{}}
		gc = def
	}
	e.gc = gc
	e.Env = toolstest.NewOn(t, toolstest.Tools(Toolset()), toolstest.Options{Policy: o.policy, Elicit: o.elicit, Guest: gc, Tasks: o.tasks, Log: e.log})
	var on []types.ManagedObjectReference
	var names []string
	for _, vm := range e.AllVMs("name", "runtime.powerState", "config.template") {
		if vm.Config != nil && vm.Config.Template {
			continue
		}
		if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			on = append(on, vm.Self)
			names = append(names, vm.Name)
		} else if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff && e.off == "" {
			e.off = vm.Name
		}
	}
	e.vm, e.bare, e.win = names[0], names[1], names[2]
	e.guest = installGuest(e.Sim.Model, *e.Vim.ServiceContent.GuestOperationsManager, t.TempDir(), guestUser, guestPass, on[0], on[2])
	e.guest.makeWindows(e.Sim.Model, on[2])
	if def != nil {
		// The default: the profile has a login for the guest VM.
		for _, vm := range []string{e.vm, e.bare, e.off, e.win} {
			def.logins[vm] = toolkit.GuestLogin{Username: guestUser, Password: guestPass, Source: "profile test guest_credentials[0] (vms " + vm + "), password_env GUEST_PW"}
		}
	}
	return e
}

// creds is the resolver the server's tools use.
func (e *env) creds() toolkit.GuestCredentials { return e.gc }

// ok runs a tool that must succeed, decoding its result into out.
func (e *env) ok(tool string, args map[string]any, out any) string {
	e.T.Helper()
	text := e.OK(tool, e.withVM(args), out)
	e.keep(text, out)
	return text
}

// fails runs a tool that must fail, checking its message.
func (e *env) fails(tool string, args map[string]any, want ...string) string {
	e.T.Helper()
	text := e.Fails(tool, e.withVM(args))
	e.keep(text, nil)
	toolstest.MustContain(e.T, text, want...)
	return text
}

func (e *env) withVM(args map[string]any) map[string]any {
	if _, ok := args["vm"]; !ok {
		args["vm"] = e.vm
	}
	return args
}

func (e *env) keep(text string, out any) {
	e.texts = append(e.texts, text)
	if out != nil {
		b, _ := json.Marshal(out)
		e.texts = append(e.texts, string(b))
	}
}

// file is the host path of a guest path.
func (e *env) file(p string) string { return filepath.Join(e.guest.root, filepath.FromSlash(p)) }

// noSecret checks that the guest password is in no result and no audit line.
func (e *env) noSecret() {
	e.T.Helper()
	for _, s := range e.texts {
		if strings.Contains(s, guestPass) {
			e.T.Errorf("the guest password shows in a result: %s", s)
		}
	}
	if strings.Contains(e.log.String(), guestPass) {
		e.T.Errorf("the guest password shows in the log:\n%s", e.log.String())
	}
	if e.policy != nil {
		b, err := os.ReadFile(e.policy.Audit.Path())
		if err != nil {
			e.T.Fatal(err)
		}
		if strings.Contains(string(b), guestPass) {
			e.T.Errorf("the guest password shows in the audit trail:\n%s", b)
		}
	}
}

// vmObj is the simulator's VM called name.
func (e *env) vmInfo(name string) mo.VirtualMachine {
	for _, vm := range e.AllVMs("name", "guest") {
		if vm.Name == name {
			return vm
		}
	}
	e.T.Fatalf("no VM %s", name)
	return mo.VirtualMachine{}
}
