package vcenter

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/vim25/soap"
)

// newSOAPClient builds the SOAP client for a checked config (see Check):
// CA file, thumbprint and known-hosts entries, and a TLS dialer that
// honours the context.
func newSOAPClient(u *url.URL, cfg Config) (*soap.Client, *tlsDialer, error) {
	sc := soap.NewClient(u, cfg.Insecure)
	if cfg.CAFile != "" {
		if err := sc.SetRootCAs(cfg.CAFile); err != nil {
			return nil, nil, &ConfigError{Msg: fmt.Sprintf("cannot use CA file %s: %v", cfg.CAFile, err)}
		}
	}
	if cfg.Thumbprint != "" {
		sc.SetThumbprint(u.Host, cfg.Thumbprint)
	}
	if cfg.KnownHostsFile != "" {
		if err := sc.LoadThumbprints(cfg.KnownHostsFile); err != nil {
			return nil, nil, &ConfigError{Msg: fmt.Sprintf("cannot read known hosts file %s: %v", cfg.KnownHostsFile, err)}
		}
	}
	t := sc.DefaultTransport()
	d := &tlsDialer{sc: sc, tlsConfig: t.TLSClientConfig, cfg: cfg}
	t.DialTLSContext = d.DialTLSContext
	return sc, d, nil
}

// tlsDialer replaces govmomi's DialTLSContext, which dials with tls.Dial
// and so ignores the context: a server that accepts and never answers the
// handshake would hold that dial and its socket for ever. The trust rules
// are govmomi's: the roots (system, or the CA file) first, then the
// host's thumbprint. It also records how the certificate was trusted, so
// doctor can say what really happened.
type tlsDialer struct {
	sc        *soap.Client
	tlsConfig *tls.Config
	cfg       Config

	mu    sync.Mutex
	trust string
}

const dialTimeout = 30 * time.Second

func (d *tlsDialer) DialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	conn, err := (&tls.Dialer{NetDialer: nd, Config: d.tlsConfig}).DialContext(ctx, network, addr)
	if err == nil {
		d.record(d.rootsTrust())
		return conn, nil
	}
	if !soap.IsCertificateUntrusted(err) {
		return nil, err
	}
	tp := d.sc.Thumbprint(addr)
	if tp == "" {
		return nil, err
	}
	// #nosec G402 -- the certificate is checked against the pinned thumbprint below.
	conn, err = (&tls.Dialer{NetDialer: nd, Config: &tls.Config{InsecureSkipVerify: true}}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cert := conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
	if tp == soap.ThumbprintSHA256(cert) || tp == soap.ThumbprintSHA1(cert) {
		d.record(d.pinTrust(addr))
		return conn, nil
	}
	_ = conn.Close()
	// The same words as govmomi's, which classifyDialError recognises.
	return nil, fmt.Errorf("host %q thumbprint does not match %q", addr, tp)
}

func (d *tlsDialer) record(how string) {
	d.mu.Lock()
	d.trust = how
	d.mu.Unlock()
}

// Trust says how the server's certificate was last accepted.
func (d *tlsDialer) Trust() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.trust
}

func (d *tlsDialer) rootsTrust() string {
	switch {
	case d.tlsConfig.InsecureSkipVerify:
		return "certificate NOT verified (insecure): anyone on the network path can read the password"
	case d.cfg.CAFile != "":
		return "certificate verified against the CA file " + d.cfg.CAFile
	}
	return "certificate verified against the system roots"
}

func (d *tlsDialer) pinTrust(addr string) string {
	kind := "SHA-256"
	if len(d.sc.Thumbprint(addr)) == 59 { // 20 bytes as "AB:" groups
		kind = "SHA-1"
	}
	if d.cfg.Thumbprint == "" {
		return "certificate matches the pinned " + kind + " thumbprint in " + d.cfg.KnownHostsFile
	}
	return "certificate matches the pinned " + kind + " thumbprint"
}

// normalizeThumbprint accepts "ab:cd:…", "AB CD …" or "abcd…" as vSphere,
// browsers and openssl print them, and returns govmomi's "AB:CD:…" form. A
// value that is not 20 (SHA-1) or 32 (SHA-256) bytes of hex is an error:
// quietly shortening it would pin nothing. The value is not echoed, in case
// a password was pasted into the wrong place.
func normalizeThumbprint(tp string) (string, error) {
	var hex []byte
	other := 0
	for _, r := range strings.TrimSpace(tp) {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			hex = append(hex, byte(r))
		case r >= 'a' && r <= 'f':
			hex = append(hex, byte(r-'a'+'A'))
		case r == ':' || r == ' ' || r == '-':
		default:
			other++
		}
	}
	if other > 0 || (len(hex) != 40 && len(hex) != 64) {
		got := fmt.Sprintf("%d hex digits", len(hex))
		if other > 0 {
			got += fmt.Sprintf(" and %d other characters", other)
		}
		return "", fmt.Errorf("the thumbprint is not a certificate fingerprint (got %s): "+
			"expected the SHA-256 (32 bytes, 64 hex digits) or SHA-1 (20 bytes, 40 hex digits) fingerprint, "+
			"written AB:CD:…:EF as vSphere shows it, or with spaces, or as plain hex; "+
			"the TLS error of a first connection without it shows the SHA-256 to check and pin", got)
	}
	var b strings.Builder
	for i := 0; i < len(hex); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.Write(hex[i : i+2])
	}
	return b.String(), nil
}
