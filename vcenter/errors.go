package vcenter

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// ConfigError is a connection setting that cannot work as given.
type ConfigError struct {
	Msg string
	// Setting names the setting at fault ("url", "thumbprint"), when one
	// is, so the command line can say where its value came from.
	Setting string
}

func (e *ConfigError) Error() string { return "vCenter configuration: " + e.Msg }

// LoginError is vCenter refusing the user name or password. It never
// carries the password.
type LoginError struct{ User, Host string }

func (e *LoginError) Error() string {
	return fmt.Sprintf("vCenter %s rejected the user name or password for %q (InvalidLogin): "+
		"check VSPHERE_USERNAME and the password source of your profile; "+
		"retries are paused for a minute so the account is not locked", e.Host, e.User)
}

// UnreachableError is a network failure before vCenter could answer.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach vCenter at %s: %v: check VSPHERE_URL, the network and any proxy", e.Host, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// CancelledError is a call given up before vCenter answered: its caller
// cancelled it, its own deadline passed, or the server is shutting down.
// It is not a network problem, so it never says to check the URL.
type CancelledError struct {
	What string // "while waiting for the vCenter login"
	Err  error  // the context's cause
}

func (e *CancelledError) Error() string {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return "gave up " + e.What + ": the call's own deadline passed"
	}
	return "cancelled " + e.What
}

func (e *CancelledError) Unwrap() error { return e.Err }

// TLSError is a certificate this process was not told to trust.
type TLSError struct {
	Host string
	// SHA256 is the fingerprint the server presented, when it could be read,
	// so the user can check it out of band and pin it.
	SHA256 string
	Err    error
}

func (e *TLSError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the TLS certificate of %s is not trusted (%v). ", e.Host, e.Err)
	b.WriteString("Trust it with VSPHERE_CA_FILE=/path/to/ca.pem (vCenter's CA: https://" + e.Host + "/certs/download.zip)")
	if e.SHA256 != "" {
		fmt.Fprintf(&b, ", or, after checking this fingerprint with your vCenter administrator, pin it with VSPHERE_THUMBPRINT=%s", e.SHA256)
	} else {
		b.WriteString(", or pin its fingerprint with VSPHERE_THUMBPRINT")
	}
	b.WriteString(". VSPHERE_INSECURE=true turns verification off and is for labs only")
	return b.String()
}

func (e *TLSError) Unwrap() error { return e.Err }

// classifyDialError says why a connection attempt failed. ctx is the
// attempt's own context (bounded by cfg.Timeout).
func classifyDialError(ctx context.Context, u *url.URL, cfg Config, err error) error {
	// A cancellation first: *url.Error is a net.Error too, and a cancelled
	// login must not read as "cannot reach vCenter, check VSPHERE_URL".
	if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
		return &CancelledError{What: "while logging in to vCenter " + u.Host, Err: context.Canceled}
	}
	if soap.IsCertificateUntrusted(err) || strings.Contains(err.Error(), "thumbprint does not match") {
		return &TLSError{Host: u.Host, SHA256: peerThumbprint(ctx, u.Host), Err: trimURLFromError(err)}
	}
	var cte *CallTimeoutError
	if errors.As(err, &cte) {
		return cte
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = defaultTimeout
		}
		return &UnreachableError{Host: u.Host, Err: noAnswerError{timeout}}
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return &UnreachableError{Host: u.Host, Err: trimURLFromError(err)}
	}
	return fmt.Errorf("connect to vCenter %s: %w", u.Host, trimURLFromError(err))
}

// noAnswerError is a connection attempt that ran out of time; it reads
// better than "context deadline exceeded" and still is one.
type noAnswerError struct{ after time.Duration }

func (e noAnswerError) Error() string { return fmt.Sprintf("no answer within %s", e.after) }
func (e noAnswerError) Unwrap() error { return context.DeadlineExceeded }

// trimURLFromError drops the *url.Error wrapper, whose text repeats the
// request URL; ours never carries a password, but the message reads better.
func trimURLFromError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// peerThumbprint reads the certificate the server presents, without
// trusting it, so an error can show the fingerprint to check and pin.
func peerThumbprint(ctx context.Context, hostport string) string {
	if !strings.Contains(hostport, ":") || strings.HasSuffix(hostport, "]") {
		hostport = net.JoinHostPort(strings.Trim(hostport, "[]"), "443")
	}
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}, NetDialer: &net.Dialer{Timeout: 5 * time.Second}} // #nosec G402 -- only reads the fingerprint for the error message
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return ""
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return ""
	}
	return soap.ThumbprintSHA256(certs[0])
}

// faultAdvice maps vCenter faults to what the caller can do about them.
var faultAdvice = []struct {
	fault  types.BaseMethodFault
	advice string
}{
	{&types.NotAuthenticated{}, "the vCenter session ended and could not be renewed; try again"},
	{&types.NoPermission{}, "the vCenter account lacks the privilege for this; ask a vCenter administrator or use an account with the right role"},
	{&types.ManagedObjectNotFound{}, "the object no longer exists in vCenter; list the inventory again to get current identifiers"},
	{&types.InvalidPowerState{}, "the VM is not in a power state that allows this; check its power state with vm_get"},
	{&types.InvalidState{}, "the object is not in a state that allows this; check it with the matching *_get tool"},
	{&types.TaskInProgress{}, "another task is running on this object; wait for it (task_list) and retry"},
	{&types.InvalidArgument{}, "vCenter rejected an argument; check the values and retry"},
	{&types.DuplicateName{}, "an object with that name already exists in the target folder; choose another name"},
	{&types.FileNotFound{}, "the file does not exist on the datastore"},
	{&types.MethodNotFound{}, "this vCenter or ESXi host does not offer that operation (the embedded --simulator lacks some, such as host reboot); nothing was changed"},
	{&types.InsufficientResourcesFault{}, "the cluster or host lacks the CPU, memory or storage for this"},
	{&types.RequestCanceled{}, "the task was cancelled"},
}

// Explain turns an error from vCenter into one line that names the fault
// and says what to do. Errors that are not vCenter faults pass unchanged,
// but for the fault messages in them, quoted as ErrorText does.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	msg := ErrorText(err)
	if ee := (*ExplainedError)(nil); errors.As(err, &ee) {
		return msg // explained where it happened
	}
	for _, fa := range faultAdvice {
		if fault.Is(err, fa.fault) {
			name := typeName(fa.fault)
			if !strings.Contains(msg, name) {
				msg += " (" + name + ")"
			}
			return msg + ": " + fa.advice
		}
	}
	return msg
}
