package params

import (
	"strings"
	"testing"
)

func TestCheckTagIdent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"env:test", true},
		{"env:a:b", true}, // the tag is everything after the first colon
		{"urn:vmomi:InventoryServiceTag:0c6f:GLOBAL", true},
		{"", false},
		{"env", false},
		{":test", false},
		{"env:", false},
		{" : ", false},
		{strings.Repeat("x", 600) + ":y", false},
	} {
		if err := CheckTagIdent("tag", tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckTagIdent(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

// FuzzCheckTagIdent: whatever a caller sends, the check does not panic,
// and what it accepts is a tag ID or has a category and a tag.
func FuzzCheckTagIdent(f *testing.F) {
	for _, s := range []string{"env:test", "urn:vmomi:InventoryServiceTag:x:GLOBAL", ":", "a:", "\x00:\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckTagIdent("tag", s) != nil {
			return
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, tagIDPrefix) {
			return
		}
		cat, name, ok := strings.Cut(s, ":")
		if !ok || strings.TrimSpace(cat) == "" || strings.TrimSpace(name) == "" {
			t.Errorf("accepted %q", s)
		}
	})
}
