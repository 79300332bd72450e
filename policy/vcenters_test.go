package policy

import (
	"strings"
	"testing"
)

func TestVCenterListAllows(t *testing.T) {
	t.Parallel()
	l := VCenterList{Patterns: []string{"vc1.example.com", "*.lab.example", "vc-test?.corp:8443", "10.0.0.*", "[fe80::1]:9443", "fe80::2"}}
	tests := []struct {
		host string
		want bool
	}{
		{"vc1.example.com", true},
		{"VC1.Example.COM", true}, // host names are case-insensitive
		{"vc1.example.com:443", true},
		{"vc1.example.com.", true}, // a fully qualified name
		{"vc1.example.com:8443", false},
		{"vc2.example.com", false},
		{"vc1.example.com.evil.net", false},
		{"a.lab.example", true},
		{"a.b.lab.example", true}, // "*" spans dots
		{"lab.example", false},
		{"a.lab.example:444", false},
		{"vc-test1.corp:8443", true},
		{"vc-test1.corp", false}, // the pattern names a port; none means 443
		{"vc-test12.corp:8443", false},
		{"10.0.0.7", true},
		{"10.0.1.7", false},
		{"[fe80::1]:9443", true},
		{"[fe80::1]", false},
		{"[fe80::2]", true},
		{"[fe80::2]:443", true},
	}
	for _, tc := range tests {
		if got := l.Allows(tc.host); got != tc.want {
			t.Errorf("Allows(%q) = %t, want %t", tc.host, got, tc.want)
		}
	}
	if (VCenterList{}).Allows("vc1.example.com") {
		t.Error("an empty list allowed a vCenter")
	}
}

func TestValidateVCenterPatterns(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"vc.example.com", "*.lab", "vc:8443", "vc:*", "[::1]:443", "10.*"} {
		if err := ValidateVCenterPatterns([]string{ok}); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"https://vc.example.com/sdk": "not a URL",
		"user@vc":                    "not a URL",
		"":                           "empty",
		"vc[":                        "glob",
		"vc:99999":                   "1 to 65535",
		"vc:https":                   "1 to 65535",
	} {
		err := ValidateVCenterPatterns([]string{"ok.example", bad})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
}

// TestSystemAllowedVCentersNarrow: every policy file's list applies, so
// an extra file can only narrow the fixed one's.
func TestSystemAllowedVCentersNarrow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fixed := writeFile(t, dir, "policy.yaml", "allowed_vcenters: [\"*.example.com\"]\n")
	extra := writeFile(t, dir, "extra.yaml", "allowed_vcenters: [vc1.example.com, vc9.other.net]\n")
	none := writeFile(t, dir, "none.yaml", "deny: [vm_delete]\n")
	sp, err := LoadSystemPolicy(fixed, none, extra)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.VCenterLists) != 2 || sp.VCenterLists[0].Source != "system policy "+fixed {
		t.Fatalf("lists = %+v", sp.VCenterLists)
	}
	allowed := func(h string) bool {
		for _, l := range sp.VCenterLists {
			if !l.Allows(h) {
				return false
			}
		}
		return true
	}
	for h, want := range map[string]bool{"vc1.example.com": true, "vc2.example.com": false, "vc9.other.net": false} {
		if allowed(h) != want {
			t.Errorf("%s allowed = %t, want %t", h, !want, want)
		}
	}
	bad := writeFile(t, dir, "bad.yaml", "allowed_vcenters: [\"https://vc/sdk\"]\n")
	if _, err := LoadSystemPolicy(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a URL in allowed_vcenters: %v", err)
	}
}
