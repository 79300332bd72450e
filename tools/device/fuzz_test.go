package device

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var manualMAC = regexp.MustCompile(`^00:50:56:[0-3][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$`)

func FuzzManualMAC(f *testing.F) {
	for _, s := range []string{"00:50:56:3f:ff:ff", "00-50-56-00-00-00", "00:50:56:40:00:00", "01:50:56:00:00:01", "00:0c:29:01:02:03", "", "00:50:56:0g:00:00", "00:50:56:00:00", "00:50:56:00:00:00:00", " 00:50:56:01:02:03 ", "+0:50:56:01:02:03"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mac, err := parseManualMAC(s)
		if err != nil {
			if mac != "" {
				t.Fatalf("%q: error %v with a MAC %q", s, err, mac)
			}
			return
		}
		if !manualMAC.MatchString(mac) {
			t.Fatalf("%q accepted as %q, outside VMware's manual range or not normalized", s, mac)
		}
		if again, err := parseManualMAC(mac); err != nil || again != mac {
			t.Fatalf("%q: normalized %q does not parse back (%q, %v)", s, mac, again, err)
		}
	})
}

func FuzzSerialURI(f *testing.F) {
	for _, s := range []string{"telnet://:7001", "telnet://10.0.0.5:7001", "tcp://[::1]:7001", "telnets://vspc.example.com:13370", "telnet://:0", "telnet://:65536", "http://:80", "telnet://user@host:1", "telnet://host:1/path", "telnet:// :1", "telnet://:+1", "TELNET://:7001"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, server bool) {
		u, err := parseSerialURI("uri", s, server, false)
		if err != nil {
			return
		}
		if !slices.Contains(serialSchemes, u.Scheme) || u.Port < 1 || u.Port > 65535 {
			t.Fatalf("%q accepted as %+v", s, u)
		}
		if !server && u.Host == "" {
			t.Fatalf("%q: a client URI accepted without a host", s)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) || strings.ContainsAny(s[len(u.Scheme)+3:], "/?#@") {
			t.Fatalf("%q accepted with spaces, control characters, a path, query or user", s)
		}
		if _, err := parseSerialURI("proxy_uri", s, false, true); err == nil && u.Host == "" {
			t.Fatalf("%q accepted as a vSPC URI without a host", s)
		}
	})
}

func FuzzDatastorePath(f *testing.F) {
	for _, s := range []string{"[LocalDS_0] iso/ubuntu.iso", "[ds 1] a b/c.iso", "[ds]", "[ds] ", "ds/x.iso", "[] x", "[a]b]", "[ds] ../x", "[ds] /x.iso", "[ds] a/"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, file bool) {
		p, err := parseBracketPath("iso", s, file)
		if err != nil {
			return
		}
		if p.Datastore == "" || strings.ContainsAny(p.Datastore, "[]") || (file && p.Path == "") {
			t.Fatalf("%q accepted as %+v", s, p)
		}
		for _, part := range strings.Split(p.Path, "/") {
			if part == ".." {
				t.Fatalf("%q accepted with ..", s)
			}
		}
		again, err := parseBracketPath("iso", p.String(), file)
		if err != nil || again != p {
			t.Fatalf("%q → %q does not parse back: %+v, %v", s, p.String(), again, err)
		}
	})
}
