package datastore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestDatastoreMkdir(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, nil, nil)
	isDir := func(rel string) bool {
		fi, err := os.Stat(filepath.Join(e.ds["LocalDS_1"], rel))
		return err == nil && fi.IsDir()
	}
	msg := e.Fails("datastore_mkdir", map[string]any{"path": "[LocalDS_1] a/b"})
	toolstest.MustContain(t, msg, "parents: true")
	if isDir("a") {
		t.Fatal("refused mkdir created the parent")
	}
	e.OK("datastore_mkdir", map[string]any{"path": "[LocalDS_1] a/b", "parents": true}, nil)
	if !isDir("a/b") {
		t.Fatal("a/b not created")
	}
	e.OK("datastore_mkdir", map[string]any{"datastore": "LocalDS_1", "path": "a/c"}, nil)
	if !isDir("a/c") {
		t.Fatal("a/c not created")
	}
	toolstest.MustContain(t, e.OK("datastore_mkdir", map[string]any{"path": "[LocalDS_1] a/b"}, nil), "Unchanged, the folder already exists")
	toolstest.MustContain(t, e.Fails("datastore_mkdir", map[string]any{"path": "[LocalDS_1]"}), "root")
	if rec := toolstest.LastAudit(t, e.p); rec.Tool != "datastore_mkdir" {
		t.Errorf("audit %+v", rec)
	}

	// A viewer may browse, not change files or move them to or from this
	// machine.
	v := newPolicyEnv(t, toolstest.Policy(t, "viewer", nil, nil), nil)
	listed := strings.Join(v.ListedTools(), " ")
	toolstest.MustContain(t, listed, "datastore_browse", "datastore_usage")
	for _, tool := range []string{"datastore_mkdir", "datastore_file_delete", "datastore_upload", "datastore_download", "datastore_file_copy"} {
		if strings.Contains(listed, tool) {
			t.Errorf("viewer is served %s", tool)
		}
	}
}

func TestDatastoreFileMoveCopy(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, nil, nil)
	e.put("LocalDS_0", "iso/a.iso", 30)
	e.put("LocalDS_0", "iso/b.iso", 40)
	e.put("LocalDS_0", "iso/sub/keep.txt", 1)
	e.put("LocalDS_1", "taken.iso", 2)

	// Copy to another datastore, under its own name into an existing folder.
	var r FileActionResult
	e.OK("datastore_file_copy", map[string]any{"source": "[LocalDS_0] iso/a.iso", "destination": "[LocalDS_1]"}, &r)
	if got, ok := e.onDS("LocalDS_1", "a.iso"); !ok || len(got) != 30 || r.Destination != "[LocalDS_1] a.iso" || r.Bytes != 30 {
		t.Fatalf("copy: %d bytes there, result %+v", len(got), r)
	}
	if _, ok := e.onDS("LocalDS_0", "iso/a.iso"); !ok {
		t.Fatal("copy removed the source")
	}
	// An existing destination stays unless overwrite.
	msg := e.Fails("datastore_file_copy", map[string]any{"source": "[LocalDS_0] iso/a.iso", "destination": "[LocalDS_1] taken.iso"})
	toolstest.MustContain(t, msg, "overwrite: true")
	if got, _ := e.onDS("LocalDS_1", "taken.iso"); len(got) != 2 {
		t.Fatalf("refused copy changed the destination: %d bytes", len(got))
	}
	e.OK("datastore_file_copy", map[string]any{"source": "[LocalDS_0] iso/a.iso", "destination": "[LocalDS_1] taken.iso", "overwrite": true}, nil)
	if got, _ := e.onDS("LocalDS_1", "taken.iso"); len(got) != 30 {
		t.Fatalf("overwrite copy: %d bytes", len(got))
	}

	// Rename in place, then move into a folder with a trailing slash.
	e.OK("datastore_file_move", map[string]any{"datastore": "LocalDS_0", "source": "iso/b.iso", "destination": "iso/renamed.iso"}, nil)
	if _, ok := e.onDS("LocalDS_0", "iso/b.iso"); ok {
		t.Fatal("move left the source")
	}
	if got, ok := e.onDS("LocalDS_0", "iso/renamed.iso"); !ok || len(got) != 40 {
		t.Fatal("move: no renamed file")
	}
	e.OK("datastore_file_move", map[string]any{"source": "[LocalDS_0] iso/renamed.iso", "destination": "[LocalDS_0] iso/sub/"}, nil)
	if _, ok := e.onDS("LocalDS_0", "iso/sub/renamed.iso"); !ok {
		t.Fatal("move into a folder failed")
	}

	for _, tc := range []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"VM files", "datastore_file_move", map[string]any{"source": "[LocalDS_0] DC0_H0_VM0", "destination": "[LocalDS_1] x"}, "registered VM DC0_H0_VM0"},
		{"a VM's disk", "datastore_file_move", map[string]any{"source": "[LocalDS_0] DC0_H0_VM0/disk1.vmdk", "destination": "[LocalDS_1] x.vmdk"}, "vm_migrate"},
		{"missing source", "datastore_file_copy", map[string]any{"source": "[LocalDS_0] none.iso", "destination": "[LocalDS_1]"}, "does not exist"},
		{"missing folder", "datastore_file_copy", map[string]any{"source": "[LocalDS_0] iso/a.iso", "destination": "[LocalDS_1] no/where.iso"}, "datastore_mkdir"},
		{"into itself", "datastore_file_move", map[string]any{"source": "[LocalDS_0] iso", "destination": "[LocalDS_0] iso/sub/"}, "into itself"},
		{"root source", "datastore_file_copy", map[string]any{"source": "[LocalDS_0]", "destination": "[LocalDS_1] x"}, "root"},
	} {
		t.Run("refused "+tc.name, func(t *testing.T) {
			before := e.dsFiles("LocalDS_1", "")
			toolstest.MustContain(t, e.at(t).Fails(tc.tool, tc.args), tc.want)
			if after := e.dsFiles("LocalDS_1", ""); len(after) != len(before) {
				t.Errorf("refused call changed LocalDS_1: %v → %v", before, after)
			}
		})
	}
	if _, ok := e.onDS("LocalDS_0", "DC0_H0_VM0/DC0_H0_VM0.vmx"); !ok {
		t.Fatal("VM files moved")
	}
}

func TestDatastoreFileDelete(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, nil, nil)
	e.put("LocalDS_1", "old/orphan.vmdk", 100)
	e.put("LocalDS_1", "old/orphan-flat.vmdk", 4096)
	e.put("LocalDS_1", "iso/x.iso", 2048)

	// Declined: the file stays; the person was told the file and its size.
	e.person.Confirm = false
	msg := e.Fails("datastore_file_delete", map[string]any{"path": "[LocalDS_1] iso/x.iso"})
	toolstest.MustContain(t, msg, "did not confirm")
	if _, ok := e.onDS("LocalDS_1", "iso/x.iso"); !ok {
		t.Fatal("declined delete removed the file")
	}
	if asked := e.person.Asked(); len(asked) != 1 || !strings.Contains(asked[0], "[LocalDS_1] iso/x.iso") || !strings.Contains(asked[0], "2.0 KB") {
		t.Fatalf("asked %q", asked)
	}
	if rec := toolstest.LastAudit(t, e.p); rec.Decision != audit.DecisionDeclined {
		t.Errorf("audit %+v", rec)
	}

	e.person.Confirm, e.person.Action = true, mcp.ElicitationResponseActionAccept
	e.person.Forget()
	e.OK("datastore_file_delete", map[string]any{"path": "[LocalDS_1] iso/x.iso"}, nil)
	if _, ok := e.onDS("LocalDS_1", "iso/x.iso"); ok {
		t.Fatal("confirmed delete left the file")
	}
	// A folder: the question names it with its files and size.
	var r FileActionResult
	e.OK("datastore_file_delete", map[string]any{"datastore": "LocalDS_1", "path": "old"}, &r)
	if files := e.dsFiles("LocalDS_1", "old"); len(files) != 0 || r.Files != 2 || r.Bytes != 4196 {
		t.Fatalf("folder delete left %v; result %+v", files, r)
	}
	if asked := e.person.Asked(); len(asked) != 2 || !strings.Contains(asked[1], `folder "[LocalDS_1] old" (2 files, 4.1 KB)`) {
		t.Fatalf("asked %q", asked)
	}

	// An orphaned disk goes with its extent (the virtual disk manager).
	e.put("LocalDS_1", "old2/o.vmdk", 10)
	e.put("LocalDS_1", "old2/o-flat.vmdk", 20)
	e.put("LocalDS_1", "old2/keep.txt", 1)
	e.OK("datastore_file_delete", map[string]any{"path": "[LocalDS_1] old2/o.vmdk"}, nil)
	if files := e.dsFiles("LocalDS_1", "old2"); len(files) != 1 || files[0] != "keep.txt" {
		t.Fatalf("disk delete left %v", files)
	}

	for _, tc := range []struct {
		name string
		path string
		want []string
	}{
		{"a VM's folder", "[LocalDS_0] DC0_H0_VM0", []string{"registered VM DC0_H0_VM0", "vm_delete"}},
		{"a VM's disk", "[LocalDS_0] DC0_H0_VM0/disk1.vmdk", []string{"registered VM DC0_H0_VM0", "vm_disk_remove"}},
		{"missing", "[LocalDS_1] nothing.iso", []string{"does not exist"}},
		{"root", "[LocalDS_1]", []string{"root"}},
	} {
		t.Run("refused "+tc.name, func(t *testing.T) {
			e.person.Forget()
			toolstest.MustContain(t, e.at(t).Fails("datastore_file_delete", map[string]any{"path": tc.path}), tc.want...)
			if len(e.person.Asked()) != 0 {
				t.Error("a refused delete asked the person")
			}
		})
	}
	if _, ok := e.onDS("LocalDS_0", "DC0_H0_VM0/DC0_H0_VM0.vmx"); !ok {
		t.Fatal("VM files deleted")
	}
}
