package vcenter

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
)

// TestRefusedBeforeConnecting: settings that cannot be safe are refused
// without a single connection to the listener.
func TestRefusedBeforeConnecting(t *testing.T) {
	t.Parallel()
	bh := newBlackHole(t)
	base := Config{URL: "https://" + bh.addr() + "/sdk", Username: "u", Password: "p", Timeout: time.Second}
	tests := []struct {
		name string
		mod  func(*Config)
		want []string
	}{
		{"http URL", func(c *Config) { c.URL = "http://" + bh.addr() + "/sdk" }, []string{"http://", "clear text", "https://HOST/sdk"}},
		{"http URL, insecure", func(c *Config) { c.URL = "http://" + bh.addr(); c.Insecure = true }, []string{"clear text"}},
		{"invalid thumbprint", func(c *Config) { c.Thumbprint = "ab:cd:ef" }, []string{"not a certificate fingerprint", "64 hex digits", "AB:CD:…:EF"}},
		{"invalid thumbprint, insecure", func(c *Config) { c.Thumbprint = "not-hex"; c.Insecure = true }, []string{"other characters"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mod(&cfg)
			if _, _, err := cfg.Check(); err == nil {
				t.Errorf("Check accepted it")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s := NewSession(cfg, nil)
			defer s.Close(ctx)
			_, err := countVMs(ctx, s)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a ConfigError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
	if n := bh.accepts.Load(); n != 0 {
		t.Errorf("%d connections made to the listener, want none", n)
	}
}

// TestPinWinsOverInsecure: a thumbprint, a CA file or a known-hosts entry
// is checked even with insecure set (a stray GOVC_INSECURE=1), and doctor's
// account of how the certificate was trusted is what happened.
func TestPinWinsOverInsecure(t *testing.T) {
	t.Parallel()
	sim := startSim(t, simulator.ESX())
	caFile, err := sim.Server.CertificateFile()
	if err != nil {
		t.Fatal(err)
	}
	wrongTP := strings.Repeat("AB:", 31) + "AB"
	dir := t.TempDir()
	otherCA := writeOtherCA(t, dir)
	host := strings.TrimPrefix(strings.TrimSuffix(sim.Config.URL, "/sdk"), "https://")
	knownWrong := filepath.Join(dir, "known_wrong")
	knownRight := filepath.Join(dir, "known_right")
	for f, tp := range map[string]string{knownWrong: wrongTP, knownRight: sim.Config.Thumbprint} {
		if err := os.WriteFile(f, []byte(host+" "+tp+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := sim.Config
	base.Thumbprint = ""
	base.Insecure = true

	tests := []struct {
		name    string
		mod     func(*Config)
		refused bool
		trust   string // Conn.TLS when it connects
		warning string // Check's warning, "" for none
	}{
		{"wrong thumbprint", func(c *Config) { c.Thumbprint = wrongTP }, true, "", "pinned by thumbprint"},
		{"wrong CA file", func(c *Config) { c.CAFile = otherCA }, true, "", "CA file " + otherCA},
		{"wrong known-hosts entry", func(c *Config) { c.KnownHostsFile = knownWrong }, true, "", "entry for " + host},
		{"right thumbprint", func(c *Config) { c.Thumbprint = sim.Config.Thumbprint }, false, "matches the pinned SHA-256 thumbprint", "insecure is ignored"},
		{"right SHA-1 thumbprint", func(c *Config) { c.Thumbprint = soap.ThumbprintSHA1(sim.Server.Certificate()) }, false, "matches the pinned SHA-1 thumbprint", "insecure is ignored"},
		{"right CA file", func(c *Config) { c.CAFile = caFile }, false, "verified against the CA file " + caFile, "insecure is ignored"},
		{"right known-hosts entry", func(c *Config) { c.KnownHostsFile = knownRight }, false, "thumbprint in " + knownRight, "insecure is ignored"},
		{"insecure alone", func(*Config) {}, false, "NOT verified (insecure)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base
			tc.mod(&cfg)
			checked, warnings, err := cfg.Check()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(warnings, "\n"); (tc.warning == "") != (got == "") || !strings.Contains(got, tc.warning) {
				t.Errorf("warnings %q, want one with %q", got, tc.warning)
			}
			if tc.warning != "" && checked.Insecure {
				t.Error("Check left insecure on")
			}
			ctx := context.Background()
			s := NewSession(cfg, nil)
			defer s.Close(ctx)
			var trust string
			err = s.Do(ctx, func(c *Conn) error { trust = c.TLS; return nil })
			var te *TLSError
			switch {
			case tc.refused && !errors.As(err, &te):
				t.Fatalf("got %v, want a TLSError", err)
			case tc.refused && !strings.Contains(err.Error(), "VSPHERE_THUMBPRINT="+sim.Config.Thumbprint):
				t.Errorf("the TLS error does not show the fingerprint to check: %v", err)
			case !tc.refused && err != nil:
				t.Fatalf("connect: %v", err)
			case !tc.refused && !strings.Contains(trust, tc.trust):
				t.Errorf("Conn.TLS = %q, want %q", trust, tc.trust)
			}
		})
	}
}

// writeOtherCA writes a CA certificate that did not sign the simulator's.
func writeOtherCA(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "some other CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "other-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
