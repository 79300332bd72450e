package device

import (
	"strings"
	"testing"
)

// FuzzParseVMDKPath: a file argument either parses to a datastore and a
// .vmdk path without "..", or is refused; it never panics.
func FuzzParseVMDKPath(f *testing.F) {
	for _, s := range []string{"[ds1] web/web_1.vmdk", "[ds 2] a b/c.VMDK", "[ds1] ../x.vmdk", "x.vmdk", "[] a.vmdk", "[ds1]", "[ds1] a/./b.vmdk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseVMDKPath("file", s)
		if err != nil {
			return
		}
		if p.Datastore == "" || !strings.HasSuffix(strings.ToLower(p.Path), ".vmdk") {
			t.Fatalf("%q parsed to %+v", s, p)
		}
		for _, part := range strings.Split(p.Path, "/") {
			if part == ".." {
				t.Fatalf("%q parsed to a path with ..: %+v", s, p)
			}
		}
	})
}

// FuzzParseHWVersion: a version parses to a valid hardware version or is
// refused.
func FuzzParseHWVersion(f *testing.F) {
	for _, s := range []string{"vmx-21", "21", "vmx21", "vmx-999", "", "new"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseHWVersion(s); err == nil && !v.IsValid() {
			t.Fatalf("%q parsed to invalid %v", s, v)
		}
	})
}
