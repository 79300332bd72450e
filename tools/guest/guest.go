package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vmware/govmomi/fault"
	govguest "github.com/vmware/govmomi/guest"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Login is the part of every guest tool's arguments that names the VM and,
// only where the profile allows it, a login. Normally the profile's
// guest_credentials supply the login and these stay empty.
type Login struct {
	VM       string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Username string `json:"username,omitempty" jsonschema:"Guest OS user, only where the profile sets guest.allow_argument_credentials; normally the profile's guest_credentials supply the login"`
	Password string `json:"password,omitempty" jsonschema:"Guest OS password, with username (same condition); redacted from the audit trail and logs"`
}

func (l *Login) check() error {
	if err := toolkit.RequireIdent("vm", l.VM, "VM"); err != nil {
		return err
	}
	if (l.Username == "") != (l.Password == "") {
		return errors.New("username and password go together: pass both, or neither to use the profile's guest_credentials")
	}
	return nil
}

// target is a VM ready for guest operations: resolved, checked, with the
// login to use.
type target struct {
	vcenter.Object
	family   string // linuxGuest, windowsGuest, … ("" unknown)
	windows  bool
	auth     *types.NamePasswordAuthentication
	source   string // where the login came from, for errors
	ops      *govguest.OperationsManager
	fullName string
}

var guestProps = []string{"runtime.powerState", "guest.toolsRunningStatus", "guest.guestFamily", "guest.guestFullName", "config.guestId", "config.guestFullName"}

// open resolves the VM, finds its login and checks that guest operations
// can run. The login comes from the profile first; arguments only where
// the profile allows them.
func open(ctx context.Context, d toolkit.Deps, c *vcenter.Conn, l Login) (*target, error) {
	o, err := c.Resolve(ctx, "VirtualMachine", l.VM)
	if err != nil {
		return nil, err
	}
	login, err := findLogin(ctx, d, o, l)
	if err != nil {
		return nil, err
	}
	var vm mo.VirtualMachine
	if err := c.ReadOne(ctx, o, guestProps, &vm); err != nil {
		return nil, err
	}
	t := &target{Object: o, auth: &types.NamePasswordAuthentication{Username: login.Username, Password: login.Password}, source: login.Source}
	if vm.Guest != nil {
		t.family, t.fullName = vm.Guest.GuestFamily, vm.Guest.GuestFullName
	}
	t.windows = isWindows(t.family, &vm)
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s: guest operations need it powered on with VMware Tools running (vm_power_on, then vm_tools_wait until=guest_ops)", toolkit.Name(o.Name), vm.Runtime.PowerState)}
	}
	if vm.Guest == nil || vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		status := "unknown"
		if vm.Guest != nil && vm.Guest.ToolsRunningStatus != "" {
			status = vm.Guest.ToolsRunningStatus
		}
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("VMware Tools is not running in VM %s (%s): guest operations go through it; check vm_tools_status, or wait with vm_tools_wait until=guest_ops", toolkit.Name(o.Name), status)}
	}
	t.ops = govguest.NewOperationsManager(c.Client, o.Ref)
	return t, nil
}

func isWindows(family string, vm *mo.VirtualMachine) bool {
	if family != "" {
		return family == string(types.VirtualMachineGuestOsFamilyWindowsGuest)
	}
	if vm.Config != nil {
		return strings.HasPrefix(strings.ToLower(vm.Config.GuestId), "win")
	}
	return false
}

// findLogin picks the login: the profile's guest_credentials, first match
// wins; then the call's username and password when the profile allows
// them; otherwise an error saying how to configure one.
func findLogin(ctx context.Context, d toolkit.Deps, o vcenter.Object, l Login) (toolkit.GuestLogin, error) {
	args := l.Username != ""
	if d.Guest == nil {
		if args {
			return toolkit.GuestLogin{}, errArgsRefused
		}
		return toolkit.GuestLogin{}, noLogin(o)
	}
	login, err := d.Guest.Lookup(ctx, o.Name, o.Path)
	switch {
	case err == nil:
		return login, nil
	case !errors.Is(err, toolkit.ErrNoGuestLogin):
		return toolkit.GuestLogin{}, &toolkit.PlainError{Msg: "guest login for VM " + toolkit.Name(o.Name) + ": " + err.Error()}
	case args && d.Guest.ArgumentsAllowed():
		return toolkit.GuestLogin{Username: l.Username, Password: l.Password, Source: "the call's username and password arguments"}, nil
	case args:
		return toolkit.GuestLogin{}, errArgsRefused
	}
	return toolkit.GuestLogin{}, noLogin(o)
}

var errArgsRefused = &toolkit.PlainError{Msg: "guest credentials as tool arguments are off in this profile (a model should not handle passwords): " +
	"ask the administrator to add a guest_credentials entry for this VM to the profile (password_env, password_file, password_command or keyring: true), " +
	"or to set guest.allow_argument_credentials: true"}

func noLogin(o vcenter.Object) error {
	return &toolkit.PlainError{Msg: fmt.Sprintf("no guest login is configured for VM %s: the profile needs a guest_credentials entry whose vms match it, e.g.\n"+
		"  guest_credentials:\n    - vms: [%q]\n      username: root\n      password_env: GUEST_PASSWORD   # or password_file, password_command, keyring: true (vsphere-mcp login --guest GLOB)",
		toolkit.Name(o.Name), o.Name)}
}

// explain turns a guest operation's fault into what to do. A refused
// login is never retried (retries can lock the guest account) and says
// which source the login came from, never the value.
func (t *target) explain(what string, err error) error {
	if err == nil {
		return nil
	}
	name := toolkit.Name(t.Name)
	switch {
	case fault.Is(err, &types.InvalidGuestLogin{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: the guest OS of VM %s refused the login of user %s (InvalidGuestLogin), which came from %s. It was not retried (repeated failures can lock the account): fix the password at that source",
			what, name, toolkit.Name(t.auth.Username), t.source)}
	case fault.Is(err, &types.GuestPermissionDenied{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: user %s may not do this inside VM %s (GuestPermissionDenied): use a guest account with the rights, or a path it can reach", what, toolkit.Name(t.auth.Username), name)}
	case fault.Is(err, &types.GuestOperationsUnavailable{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: guest operations are not available in VM %s right now (GuestOperationsUnavailable): VMware Tools may be starting; wait with vm_tools_wait until=guest_ops", what, name)}
	case fault.Is(err, &types.FileNotFound{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: no such file or directory in VM %s (FileNotFound); list the directory with guest_dir_list", what, name)}
	case fault.Is(err, &types.FileAlreadyExists{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: it already exists in VM %s (FileAlreadyExists); pass overwrite: true to replace it", what, name)}
	case fault.Is(err, &types.NotAFile{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: that is a directory, not a file, in VM %s (NotAFile); list it with guest_dir_list", what, name)}
	case fault.Is(err, &types.GuestProcessNotFound{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: no such process in VM %s (GuestProcessNotFound); list them with guest_process_list", what, name)}
	case fault.Is(err, &types.OperationNotSupportedByGuest{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: the guest OS of VM %s does not support this (OperationNotSupportedByGuest)", what, name)}
	}
	return fmt.Errorf("%s in VM %s: %w", what, name, err)
}

// transferURL makes a guest transfer URL usable: "*" (an ESXi answer)
// becomes the host the session talks to. Unlike govmomi's TransferURL it
// never rewrites the session's pinned thumbprints: an ESXi host's
// certificate is trusted the way vCenter's is (roots, or a thumbprint the
// administrator pinned in known_hosts).
func transferURL(c *vcenter.Conn, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("vCenter returned a file transfer URL that does not parse")
	}
	if u.Hostname() == "*" {
		u.Host = c.Client.URL().Host
	}
	return u, nil
}

// download reads a file from the guest: at most keep bytes, the head or,
// with tail, the last keep bytes (reading through the rest). It returns
// the bytes and the file's full size. Errors never show the transfer URL
// (it carries a ticket).
func download(ctx context.Context, c *vcenter.Conn, raw string, keep int64, tail bool) ([]byte, int64, error) {
	u, err := transferURL(c, raw)
	if err != nil {
		return nil, 0, err
	}
	res, err := c.Client.DownloadRequest(ctx, u, &soap.DefaultDownload)
	if err != nil {
		return nil, 0, fmt.Errorf("download from the guest: %w", stripURL(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("download from the guest: %s", res.Status)
	}
	if !tail {
		b, err := io.ReadAll(io.LimitReader(res.Body, keep+1))
		if err != nil {
			return nil, 0, fmt.Errorf("download from the guest: %w", stripURL(err))
		}
		size := res.ContentLength
		if int64(len(b)) > keep {
			b = b[:keep]
			if size < 0 {
				size = -1 // unknown: more than keep
			}
		} else if size < 0 {
			size = int64(len(b))
		}
		return b, size, nil
	}
	r := &tailBuffer{max: int(keep)}
	n, err := io.Copy(r, res.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("download from the guest: %w", stripURL(err))
	}
	return r.bytes(), n, nil
}

// upload writes content to a guest transfer URL.
func upload(ctx context.Context, c *vcenter.Conn, raw string, content []byte) error {
	u, err := transferURL(c, raw)
	if err != nil {
		return err
	}
	p := soap.DefaultUpload
	p.ContentLength = int64(len(content))
	if err := c.Client.Upload(ctx, bytes.NewReader(content), u, &p); err != nil {
		return fmt.Errorf("upload to the guest: %w", stripURL(err))
	}
	return nil
}

// stripURL drops the URL (and its ticket) from an HTTP client error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) bytes() []byte { return t.buf }

// openPath opens the guest l names and looks up p in it, for the
// operation verb ("move", "delete") that errors name.
func openPath(ctx context.Context, d toolkit.Deps, c *vcenter.Conn, l Login, verb, p string) (*target, *govguest.FileManager, types.GuestFileInfo, error) {
	t, err := open(ctx, d, c, l)
	if err != nil {
		return nil, nil, types.GuestFileInfo{}, err
	}
	fm, err := t.ops.FileManager(ctx)
	if err != nil {
		return nil, nil, types.GuestFileInfo{}, t.explain(verb+" "+toolkit.Path(p), err)
	}
	f, err := stat(ctx, fm, t, p)
	if err != nil {
		return nil, nil, types.GuestFileInfo{}, err
	}
	return t, fm, f, nil
}

func isDir(f types.GuestFileInfo) bool { return f.Type == string(types.GuestFileTypeDirectory) }

// actOnPath gets the permit for what, then changes f: onDir for a
// directory, onFile otherwise. A guest fault is explained as failed.
func actOnPath(ctx context.Context, t *target, f types.GuestFileInfo, what, failed string, onDir, onFile func() error) error {
	if err := guard.Act(ctx, what, t.Object); err != nil {
		return err
	}
	change := onFile
	if isDir(f) {
		change = onDir
	}
	if err := change(); err != nil {
		return t.explain(failed, err)
	}
	return nil
}
