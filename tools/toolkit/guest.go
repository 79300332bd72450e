package toolkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// GuestLogin is a login inside a VM's guest OS. Password never reaches a
// result, a log line, the audit trail or an error; Source says where the
// login came from (a config entry and its password source, never a value).
type GuestLogin struct {
	Username string
	Password string
	Source   string
}

// GuestCredentials finds the login for a VM. cmd/ builds it from the
// profile's guest_credentials; tests give their own.
type GuestCredentials interface {
	// Lookup returns the login for the VM called name at inventory path
	// vmPath, first matching entry wins; ErrNoGuestLogin when no entry
	// covers the VM. Other errors (a password source that fails) end the
	// call.
	Lookup(ctx context.Context, name, vmPath string) (GuestLogin, error)
	// ArgumentsAllowed reports whether calls may carry username and
	// password (the profile's guest.allow_argument_credentials).
	ArgumentsAllowed() bool
}

// ErrNoGuestLogin says no configured entry covers the VM.
var ErrNoGuestLogin = errors.New("no guest login configured for this VM")

// GuestData renders text that comes from inside a guest (command output,
// file contents) for the model: between a begin and an end marker that
// name the VM and the source and say it is data, not instructions, with
// control characters and terminal escapes escaped (textsafe's one escaping
// function, keeping newlines and tabs). The markers carry a random tag,
// so the guest text cannot forge the end marker and pass what follows for
// the server's words. source is the caller's label with any guest path in
// it already escaped (Path).
func GuestData(vm, source, content string) string {
	tag := dataTag()
	head := "guest data " + tag + ": " + source + " from VM " + Name(vm)
	var b strings.Builder
	b.WriteString("===== begin " + head + textsafe.DataTag + "\n")
	body := textsafe.Layout(content)
	b.WriteString(body)
	if body != "" && !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("===== end " + head + "\n")
	return b.String()
}

func dataTag() string {
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
