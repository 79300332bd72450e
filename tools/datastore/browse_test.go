package datastore

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vmdk"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func TestDatastoreBrowse(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, nil, nil)
	e.put("LocalDS_1", "iso/a.iso", 3)
	e.put("LocalDS_1", "iso/b.iso", 10)
	e.put("LocalDS_1", "iso/readme.txt", 5)
	e.put("LocalDS_1", "iso/sub/c.iso", 7)
	e.put("LocalDS_1", "iso/sub/boot.img", 1)

	names := func(r DatastoreBrowse) []string {
		var out []string
		for _, f := range r.Items {
			out = append(out, f.Name)
		}
		return out
	}
	tests := []struct {
		name  string
		args  map[string]any
		want  []string
		types []string
	}{
		{"folder", map[string]any{"path": "[LocalDS_1] iso"}, []string{"a.iso", "b.iso", "readme.txt", "sub"}, []string{"iso", "iso", "other", "folder"}},
		{"datastore + plain path", map[string]any{"datastore": "LocalDS_1", "path": "iso/"}, []string{"a.iso", "b.iso", "readme.txt", "sub"}, nil},
		{"pattern", map[string]any{"path": "[LocalDS_1] iso", "pattern": "*.iso"}, []string{"a.iso", "b.iso"}, nil},
		{"patterns", map[string]any{"path": "[LocalDS_1] iso", "pattern": "*.txt, a*"}, []string{"a.iso", "readme.txt"}, nil},
		{"recursive", map[string]any{"path": "[LocalDS_1] iso", "recursive": true, "pattern": "*.iso"}, []string{"a.iso", "b.iso", "sub/c.iso"}, nil},
		{"recursive from root", map[string]any{"datastore": "LocalDS_1", "recursive": true, "pattern": "*.img"}, []string{"iso/sub/boot.img"}, []string{"floppy"}},
		{"sort size", map[string]any{"path": "[LocalDS_1] iso", "pattern": "*.iso,*.txt", "sort": "size"}, []string{"b.iso", "readme.txt", "a.iso"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			var r DatastoreBrowse
			e.OK("datastore_browse", tc.args, &r)
			if got := names(r); !slices.Equal(got, tc.want) || r.Total != len(tc.want) {
				t.Fatalf("names %q (total %d), want %q", got, r.Total, tc.want)
			}
			for i, ty := range tc.types {
				if r.Items[i].Type != ty {
					t.Errorf("%s: type %s, want %s", r.Items[i].Name, r.Items[i].Type, ty)
				}
			}
		})
	}

	t.Run("sizes and paths", func(t *testing.T) {
		var r DatastoreBrowse
		e.at(t).OK("datastore_browse", map[string]any{"path": "[LocalDS_1] iso", "pattern": "b.iso"}, &r)
		if len(r.Items) != 1 || r.Items[0].Size != 10 || r.Items[0].Path != "[LocalDS_1] iso/b.iso" || r.Items[0].Modified == nil {
			t.Fatalf("%+v", r.Items)
		}
	})

	t.Run("a file", func(t *testing.T) {
		var r DatastoreBrowse
		e.at(t).OK("datastore_browse", map[string]any{"path": "[LocalDS_1] iso/b.iso"}, &r)
		if len(r.Items) != 1 || r.Items[0].Name != "b.iso" || r.Items[0].Size != 10 || r.Items[0].Type != "iso" {
			t.Fatalf("%+v", r.Items)
		}
	})

	t.Run("VM folders and disks", func(t *testing.T) {
		var r DatastoreBrowse
		e.at(t).OK("datastore_browse", map[string]any{"datastore": "LocalDS_0", "recursive": true}, &r)
		var disks, configs int
		for _, f := range r.Items {
			switch f.Type {
			case "disk":
				disks++
			case "vm-config":
				configs++
			}
		}
		if disks == 0 || configs == 0 {
			t.Fatalf("disks %d, configs %d in %+v", disks, configs, names(r))
		}
	})

	t.Run("paging", func(t *testing.T) {
		e := e.at(t)
		var all []string
		args := map[string]any{"path": "[LocalDS_1] iso", "recursive": true, "limit": 2}
		for i := 0; i < 5; i++ {
			var r DatastoreBrowse
			e.OK("datastore_browse", args, &r)
			all = append(all, names(r)...)
			if r.NextCursor == "" {
				break
			}
			args = map[string]any{"path": "[LocalDS_1] iso", "recursive": true, "limit": 2, "cursor": r.NextCursor}
		}
		want := []string{"a.iso", "b.iso", "readme.txt", "sub", "sub/boot.img", "sub/c.iso"}
		if !slices.Equal(all, want) {
			t.Fatalf("pages %q, want %q", all, want)
		}
	})

	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"dotdot", map[string]any{"path": "[LocalDS_1] iso/../.."}, `".."`},
		{"no datastore", map[string]any{"path": "iso"}, "datastore is required"},
		{"missing folder", map[string]any{"path": "[LocalDS_1] nope"}, "does not exist"},
		{"unknown datastore", map[string]any{"path": "[nope] iso"}, "no datastore matches"},
		{"bad sort", map[string]any{"path": "[LocalDS_1]", "sort": "owner"}, "sort must be"},
		{"bad glob", map[string]any{"path": "[LocalDS_1]", "pattern": "[a"}, "not a valid glob"},
	} {
		t.Run("refused "+tc.name, func(t *testing.T) {
			if msg := e.at(t).Fails("datastore_browse", tc.args); !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q lacks %q", msg, tc.want)
			}
		})
	}
}

// TestDatastoreBrowseDisks: a disk is one entry with its provisioned and
// used size (the browser extended to answer as vCenter does), its extent
// not listed apart.
func TestDatastoreBrowseDisks(t *testing.T) {
	t.Parallel()
	m := fileModel()
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Remove)
	installCapBrowser(m)
	e := newFileEnv(t, m, nil)
	var desc strings.Builder
	if err := vmdk.NewDescriptor(vmdk.Extent{Type: "VMFS", Permission: "RW", Size: 8192, Info: `"o-flat.vmdk"`}).Write(&desc); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(e.ds["LocalDS_1"], "old")
	writeLocal(t, filepath.Join(dir, "o.vmdk"), desc.String())
	writeLocal(t, filepath.Join(dir, "o-flat.vmdk"), strings.Repeat("d", 1000))

	var r DatastoreBrowse
	text := e.OK("datastore_browse", map[string]any{"path": "[LocalDS_1] old"}, &r)
	if len(r.Items) != 1 {
		t.Fatalf("entries %+v", r.Items)
	}
	d := r.Items[0]
	if d.Name != "o.vmdk" || d.Type != "disk" || d.Provisioned != 8192*512 || d.Size != int64(desc.Len())+1000 || d.Thin == nil || !*d.Thin {
		t.Fatalf("disk %+v", d)
	}
	toolstest.MustContain(t, text, "4.0 MB thin")
}
