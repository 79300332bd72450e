package params

import (
	"strings"
	"testing"
)

func TestParseDatastorePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, ds string
		want     DatastorePath
		errHas   string
	}{
		{"[ds1] iso/a.iso", "", DatastorePath{"ds1", "iso/a.iso"}, ""},
		{"[ds1]iso/a.iso", "", DatastorePath{"ds1", "iso/a.iso"}, ""},
		{"[ds1]", "", DatastorePath{"ds1", ""}, ""},
		{"[my ds] /vm 1//disk.vmdk", "", DatastorePath{"my ds", "vm 1/disk.vmdk"}, ""},
		{"iso/a.iso", "ds1", DatastorePath{"ds1", "iso/a.iso"}, ""},
		{"", "ds1", DatastorePath{"ds1", ""}, ""},
		{"/", "ds1", DatastorePath{"ds1", ""}, ""},
		{"[ds1] a", "ds1", DatastorePath{"ds1", "a"}, ""},
		{"[ds1] a", "ds2", DatastorePath{}, "give the datastore once"},
		{"iso/a.iso", "", DatastorePath{}, "which datastore"},
		{"[ds1 iso", "", DatastorePath{}, "no closing ]"},
		{"[] iso", "", DatastorePath{}, "names no datastore"},
		{"[ds1] ../x", "", DatastorePath{}, `".."`},
		{"[ds1] a/./b", "", DatastorePath{}, `"."`},
		{`[ds1] a\b`, "", DatastorePath{}, "backslash"},
		{"[ds1] a\nb", "", DatastorePath{}, "control"},
		{"a", "d[s", DatastorePath{}, "brackets"},
		{"[ds1] " + strings.Repeat("x", 300), "", DatastorePath{}, "255"},
	}
	for _, tc := range tests {
		got, err := ParseDatastorePath("path", tc.path, tc.ds)
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("Parse(%q, %q) = %v, %v; want error with %q", tc.path, tc.ds, got, err, tc.errHas)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q, %q) = %v, %v; want %v", tc.path, tc.ds, got, err, tc.want)
		}
	}
	p := DatastorePath{"ds1", "vm/a.vmdk"}
	if p.String() != "[ds1] vm/a.vmdk" || p.Name() != "a.vmdk" || p.Parent().String() != "[ds1] vm" || p.Parent().Parent().String() != "[ds1]" {
		t.Errorf("String/Name/Parent: %s %s %s", p, p.Name(), p.Parent())
	}
	if !p.Within(DatastorePath{"ds1", "vm"}) || p.Within(DatastorePath{"ds1", "v"}) || !p.Within(DatastorePath{"ds1", ""}) || p.Within(DatastorePath{"ds2", ""}) {
		t.Error("Within")
	}
}

// FuzzParseDatastorePath: what parses is canonical (parsing its String
// gives it back) and holds no "..", backslash or control character.
func FuzzParseDatastorePath(f *testing.F) {
	for _, s := range []string{"[ds1] iso/a.iso", "[ds1]", "a/../b", "[a]]b", "[ds] /x//y/", "\x00", "[ds\n] x"} {
		f.Add(s, "")
		f.Add(s, "ds1")
	}
	f.Fuzz(func(t *testing.T, path, ds string) {
		p, err := ParseDatastorePath("path", path, ds)
		if err != nil {
			return
		}
		if p.Datastore == "" || strings.ContainsAny(p.Path, "\\\x00") || strings.HasPrefix(p.Path, "/") || strings.HasSuffix(p.Path, "/") {
			t.Fatalf("Parse(%q, %q) = %#v", path, ds, p)
		}
		for _, c := range strings.Split(p.Path, "/") {
			if c == ".." || c == "." || (c == "" && p.Path != "") {
				t.Fatalf("Parse(%q, %q) = %#v: component %q", path, ds, p, c)
			}
		}
		again, err := ParseDatastorePath("path", p.String(), "")
		if err != nil || again != p {
			t.Fatalf("round trip of %#v: %#v, %v", p, again, err)
		}
	})
}
