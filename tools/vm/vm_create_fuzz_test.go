package vm

import (
	"strings"
	"testing"
)

// FuzzParseISO: the iso argument comes from the model; any string is
// refused with an error or gives a datastore and an .iso path.
func FuzzParseISO(f *testing.F) {
	for _, s := range []string{"[LocalDS_0] iso/a.iso", "[ds] a", "iso/a.iso", "[] a.iso", "[ds]", "[ds] .iso", "[d[s] x.ISO", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseISO(s)
		if err != nil {
			return
		}
		if p.Datastore == "" || !strings.HasSuffix(strings.ToLower(p.Path), ".iso") {
			t.Errorf("parseISO(%q) = %+v, accepted", s, p)
		}
	})
}
