package vcenter

import (
	"fmt"
	"net/url"
	"time"

	"github.com/vmware/govmomi/vim25/soap"
)

// DefaultCallTimeout bounds one SOAP round trip when Config.CallTimeout is 0.
const DefaultCallTimeout = 2 * time.Minute

// Check validates what can be validated without connecting, and settles
// the TLS rules, so that a mistake is an error at start rather than at the
// first tool call. It returns the config as dial uses it (the thumbprint in
// govmomi's "AB:CD:…" form, Insecure cleared when a pin or CA file is
// set) and warnings to show the user. An empty URL is left for the first
// call to report: the server still answers initialize without one.
//
// Rules: http:// is refused (the password would cross the network in clear
// text); an invalid thumbprint is an error showing the expected form; a
// thumbprint, a CA file or a known-hosts entry for the host always wins
// over Insecure, so a wrong pin plus a stray GOVC_INSECURE=1 does not
// connect.
func (c Config) Check() (Config, []string, error) {
	var warnings []string
	var u *url.URL
	if c.URL != "" {
		var err error
		if u, err = ParseURL(c.URL); err != nil {
			return c, nil, &ConfigError{Msg: err.Error(), Setting: "url"}
		}
	}
	if c.Thumbprint != "" {
		tp, err := normalizeThumbprint(c.Thumbprint)
		if err != nil {
			return c, nil, &ConfigError{Msg: err.Error(), Setting: "thumbprint"}
		}
		c.Thumbprint = tp
	}
	if c.CallTimeout < 0 || c.Timeout < 0 {
		return c, nil, &ConfigError{Msg: "timeouts must not be negative"}
	}
	if !c.Insecure {
		return c, warnings, nil
	}
	var pin string
	switch {
	case c.Thumbprint != "":
		pin = "the certificate is pinned by thumbprint"
	case c.CAFile != "":
		pin = "the certificate is verified against the CA file " + c.CAFile
	case c.KnownHostsFile != "" && u != nil:
		// Read it as dial will, to see whether it pins this host.
		probe := soap.NewClient(u, false)
		if err := probe.LoadThumbprints(c.KnownHostsFile); err != nil {
			return c, nil, &ConfigError{Msg: fmt.Sprintf("cannot read known hosts file %s: %v", c.KnownHostsFile, err), Setting: "known_hosts"}
		}
		if probe.Thumbprint(u.Host) != "" {
			pin = "the certificate is pinned by the entry for " + u.Host + " in " + c.KnownHostsFile
		}
	}
	if pin != "" {
		c.Insecure = false
		warnings = append(warnings, "insecure is ignored: "+pin+", and a pin or CA file always wins over insecure (remove insecure to silence this)")
	}
	return c, warnings, nil
}
