// Package vcenter owns everything that talks to vCenter or ESXi: connecting
// (URL, TLS), the one long-lived session, resolving a user's identifier to a
// managed object, paged property retrieval and the embedded simulator.
//
// It must not import mcp-go: tools/ adapts it to MCP.
package vcenter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config says how to reach and log in to vCenter or an ESXi host.
type Config struct {
	// URL of the SDK endpoint. A bare host ("vc.example.com") means
	// https://vc.example.com/sdk.
	URL      string
	Username string
	// Password is never logged or echoed; see Config.String.
	Password string
	// PasswordFunc, when Password is empty, fetches the password at login
	// (a keyring or a command may be slow): the server answers initialize
	// and tools/list without waiting for it, and a rotated password is
	// picked up at the next login.
	PasswordFunc func(context.Context) (string, error)

	// TLS. Verified against the system roots unless Insecure is set. A
	// CAFile, Thumbprint or KnownHostsFile entry for the host always wins
	// over Insecure (see Check): a wrong pin must not connect because an
	// old GOVC_INSECURE=1 was left set.
	Insecure bool
	// CAFile is a PEM file (or several, separated by the OS path list
	// separator) of CAs to trust instead of the system roots (govmomi's
	// SetRootCAs replaces the pool).
	CAFile string
	// Thumbprint pins the server certificate by its SHA-1 or SHA-256
	// fingerprint, as vSphere shows it ("AB:CD:…"). A certificate that the
	// roots already trust is accepted too, as govc does.
	Thumbprint string
	// KnownHostsFile holds "host thumbprint" lines, as govc's
	// GOVC_TLS_KNOWN_HOSTS does.
	KnownHostsFile string

	// Datacenter resolves relative inventory paths ("vm/web-01").
	Datacenter string

	// KeepAlive is the idle interval between keep-alive requests; 0 means
	// the default (5 minutes).
	KeepAlive time.Duration
	// Timeout bounds one connection attempt (dial + TLS + login); 0 means
	// 30 seconds.
	Timeout time.Duration
	// CallTimeout bounds each SOAP round trip once connected (see
	// deadline.go); 0 means DefaultCallTimeout. A task's wait is many
	// round trips, so a long task keeps waiting.
	CallTimeout time.Duration
}

// String describes the config without its password.
func (c Config) String() string {
	return fmt.Sprintf("url=%s user=%s insecure=%t", c.redactedURL(), c.Username, c.Insecure)
}

func (c Config) redactedURL() string {
	u, err := ParseURL(c.URL)
	if err != nil {
		return "(invalid url)"
	}
	u.User = nil
	return u.String()
}

// ParseURL turns what a user typed into the SDK URL: a bare host or
// host:port gets https:// and /sdk, a URL without a path gets /sdk.
func ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("no vCenter URL: set VSPHERE_URL (or GOVC_URL), pass --url, or use --simulator")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse echoes the input, which may carry a password.
		return nil, errors.New("the vCenter URL is not a valid URL: expected https://HOST/sdk or a bare host name")
	}
	if u.Scheme == "http" {
		// The login would cross the network in clear text, and no vCenter or
		// ESXi serves its API that way anyway.
		return nil, errors.New("the vCenter URL uses http://, which would send the password in clear text; vCenter and ESXi serve the API over HTTPS only: use https://HOST/sdk or a bare host name")
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("the vCenter URL has scheme %q: use https://HOST/sdk", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("the vCenter URL has no host: expected https://HOST/sdk")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/sdk"
	}
	return u, nil
}

// credentials returns the user name and password, taking them from the URL
// when the config leaves them empty (govc allows user:pass@host).
func (c Config) credentials(u *url.URL) (string, string) {
	user, pass := c.Username, c.Password
	if u.User != nil {
		if user == "" {
			user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && pass == "" {
			pass = p
		}
	}
	return user, pass
}

// Defaults are placement defaults: where new VMs, disks and NICs go when
// a tool's argument is absent. Each is an identifier of any kind (name,
// inventory path or managed object ID); empty means no default, and the
// tool then takes the inventory's only candidate or asks for one.
type Defaults struct {
	Datacenter   string `json:"datacenter,omitempty"`
	Cluster      string `json:"cluster,omitempty"`
	Host         string `json:"host,omitempty"`
	ResourcePool string `json:"resource_pool,omitempty"`
	Folder       string `json:"folder,omitempty"`
	Datastore    string `json:"datastore,omitempty"`
	Network      string `json:"network,omitempty"`
}
