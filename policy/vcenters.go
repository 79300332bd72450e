package policy

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// VCenterList is one allowed_vcenters list and where it was written. A
// vCenter URL must match every list that applies: the system policy's
// files and the user's config each can only narrow.
type VCenterList struct {
	Source   string   `json:"source"`
	Patterns []string `json:"patterns"`
}

// Allows reports whether a URL's host, as in url.URL.Host ("vc",
// "vc:8443", "[::1]:443"), matches one of the patterns. Host names match
// case-insensitively with path.Match globs ("*" also spans dots: host
// names hold no "/"); a pattern or URL without a port means 443.
func (l VCenterList) Allows(urlHost string) bool {
	host, port := splitVCenter(urlHost)
	for _, p := range l.Patterns {
		ph, pp := splitVCenter(p)
		if hostOK, _ := path.Match(ph, host); !hostOK {
			continue
		}
		if portOK, _ := path.Match(pp, port); portOK {
			return true
		}
	}
	return false
}

// String is the list as a user wrote it, for messages.
func (l VCenterList) String() string { return strings.Join(l.Patterns, ", ") }

// ValidateVCenterPatterns checks allowed_vcenters entries: host names or
// globs, optionally with :port, never URLs.
func ValidateVCenterPatterns(patterns []string) error {
	for _, p := range patterns {
		if err := validateVCenterPattern(p); err != nil {
			return fmt.Errorf("allowed_vcenters entry %q: %w", p, err)
		}
	}
	return nil
}

func validateVCenterPattern(p string) error {
	switch {
	case strings.TrimSpace(p) == "":
		return errors.New("empty")
	case strings.Contains(p, "://") || strings.ContainsAny(p, "/@"):
		return errors.New("write a host name or glob, optionally with :port (vc.example.com, *.lab.example:8443), not a URL")
	}
	host, port := splitVCenter(p)
	if _, err := path.Match(host, ""); err != nil || host == "" {
		return errors.New("not a valid host name glob")
	}
	if _, err := path.Match(port, ""); err != nil {
		return errors.New("not a valid port glob")
	}
	if !strings.ContainsAny(port, "*?[") {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
	}
	return nil
}

// splitVCenter splits "host[:port]" into a lower-case host without
// brackets or a trailing dot, and a port (443 when none is given). A bare
// IPv6 address (more than one colon, no brackets) has no port.
func splitVCenter(s string) (host, port string) {
	s = strings.ToLower(strings.TrimSpace(s))
	host, port = s, ""
	switch {
	case strings.HasPrefix(s, "["):
		if i := strings.Index(s, "]"); i > 0 {
			host = s[1:i]
			port = strings.TrimPrefix(s[i+1:], ":")
		}
	case strings.Count(s, ":") == 1:
		i := strings.LastIndex(s, ":")
		host, port = s[:i], s[i+1:]
	}
	if port == "" {
		port = "443"
	}
	return strings.TrimSuffix(host, "."), port
}
