package datastore

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// dcEnv is a vm-admin server on the demo inventory (DC0 and DC1, each with
// a LocalDS_0) with the placement defaults defs, and each datastore's
// directory on disk by inventory path.
func dcEnv(t *testing.T, defs vcenter.Defaults) (*env, map[string]string) {
	t.Helper()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	person := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p, Elicit: person, Defaults: defs})}
	dirs := map[string]string{}
	for _, dc := range []string{"DC0", "DC1"} {
		ds, err := find.NewFinder(e.Vim).Datastore(e.Ctx, "/"+dc+"/datastore/LocalDS_0")
		if err != nil {
			t.Fatal(err)
		}
		var m mo.Datastore
		if err := ds.Properties(e.Ctx, ds.Reference(), []string{"summary"}, &m); err != nil {
			t.Fatal(err)
		}
		dirs[dc] = m.Summary.Url
	}
	if dirs["DC0"] == dirs["DC1"] {
		t.Fatalf("both LocalDS_0 lie in %s", dirs["DC0"])
	}
	return e, dirs
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// TestBracketPathTwoDatacenters: "[LocalDS_0] path" names the datastore in
// the default datacenter; without one, the error lists the forms that work,
// and the ID form it shows does work.
func TestBracketPathTwoDatacenters(t *testing.T) {
	t.Parallel()

	t.Run("no default datacenter", func(t *testing.T) {
		e, dirs := dcEnv(t, vcenter.Defaults{})
		msg := e.Fails("datastore_browse", map[string]any{"path": "[LocalDS_0] iso"})
		toolstest.MustContain(t, msg, `datastore "LocalDS_0" matches 2 datastores`, "ID in brackets",
			`datastore: "/DC0/datastore/LocalDS_0", path: "iso"`, `datastore: "/DC1/datastore/LocalDS_0", path: "iso"`)
		if n := strings.Count(msg, "invalid arguments"); n != 1 {
			t.Errorf("%d times \"invalid arguments\" in %q", n, msg)
		}
		ids := regexp.MustCompile(`\[(datastore-\d+)\] iso`).FindAllStringSubmatch(msg, -1)
		if len(ids) != 2 {
			t.Fatalf("no two [datastore-N] forms in %q", msg)
		}
		// The first candidate is DC0's (sorted by path): its ID form works.
		e.OK("datastore_mkdir", map[string]any{"path": "[" + ids[0][1] + "] made-by-id"}, nil)
		if !isDir(filepath.Join(dirs["DC0"], "made-by-id")) || isDir(filepath.Join(dirs["DC1"], "made-by-id")) {
			t.Fatal("mkdir by ID did not create the folder on DC0's LocalDS_0 alone")
		}
		// A datastore argument alone (datastore_usage): its ID or path.
		msg = e.Fails("datastore_usage", map[string]any{"datastore": "LocalDS_0"})
		toolstest.MustContain(t, msg, "by its ID or inventory path", `datastore: "/DC1/datastore/LocalDS_0"`, "datastore: "+ids[0][1])
		// And so does the inventory path with a plain path.
		e.OK("datastore_mkdir", map[string]any{"datastore": "/DC1/datastore/LocalDS_0", "path": "made-by-path"}, nil)
		if !isDir(filepath.Join(dirs["DC1"], "made-by-path")) {
			t.Fatal("mkdir by inventory path did not create the folder on DC1's LocalDS_0")
		}
	})

	t.Run("default datacenter", func(t *testing.T) {
		e, dirs := dcEnv(t, vcenter.Defaults{Datacenter: "DC1"})
		e.OK("datastore_mkdir", map[string]any{"path": "[LocalDS_0] iso"}, nil)
		if !isDir(filepath.Join(dirs["DC1"], "iso")) || isDir(filepath.Join(dirs["DC0"], "iso")) {
			t.Fatal("[LocalDS_0] iso was not made on the default datacenter's LocalDS_0 alone")
		}
		var r DatastoreBrowse
		e.OK("datastore_browse", map[string]any{"path": "[LocalDS_0] iso"}, &r)
		if r.Folder != "[LocalDS_0] iso" || r.Total != 0 {
			t.Fatalf("browse %+v", r)
		}
		e.OK("datastore_browse", map[string]any{"datastore": "LocalDS_0", "path": "iso"}, nil)
		var u DatastoreUsage
		e.OK("datastore_usage", map[string]any{"datastore": "LocalDS_0"}, &u)
		if u.Datastore != "LocalDS_0" {
			t.Errorf("usage of %q", u.Datastore)
		}
	})
}

// TestFileErrorsReadOnce: a missing file is one sentence, naming no Go
// type, quoting no fault twice; a refused path says "invalid arguments"
// once.
func TestFileErrorsReadOnce(t *testing.T) {
	t.Parallel()
	e, _ := dcEnv(t, vcenter.Defaults{Datacenter: "DC0"})
	msg := e.Fails("datastore_browse", map[string]any{"datastore": "LocalDS_0", "path": "nosuch"})
	want := `"[LocalDS_0] nosuch" does not exist on datastore LocalDS_0; datastore_browse path="[LocalDS_0]" lists what is there`
	if msg != want {
		t.Errorf("error\n %q\nwant\n %q", msg, want)
	}
	msg = e.Fails("datastore_browse", map[string]any{"path": "[x] ../etc"})
	toolstest.MustContain(t, msg, `".."`)
	if n := strings.Count(msg, "invalid arguments"); n != 1 {
		t.Errorf("%d times \"invalid arguments\" in %q", n, msg)
	}
	for _, bad := range []string{"*types", "vCenter message", "the file does not exist on the datastore"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error %q has %q", msg, bad)
		}
	}
}

// TestBrowseFileAndMkdirExisting: a file path is shown as a file, one
// entry as "1 entry", and mkdir of an existing folder changes nothing.
func TestBrowseFileAndMkdirExisting(t *testing.T) {
	t.Parallel()
	e, dirs := dcEnv(t, vcenter.Defaults{Datacenter: "DC0"})
	if err := os.MkdirAll(filepath.Join(dirs["DC0"], "iso"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirs["DC0"], "iso", "test.iso"), []byte("iso"), 0o644); err != nil {
		t.Fatal(err)
	}
	var r DatastoreBrowse
	text := e.OK("datastore_browse", map[string]any{"path": "[LocalDS_0] iso/test.iso"}, &r)
	if !r.File || !strings.HasPrefix(text, `File "[LocalDS_0] iso/test.iso"`) && !strings.HasPrefix(text, "File [LocalDS_0] iso/test.iso") {
		t.Errorf("file browse: file %v, text %q", r.File, text)
	}
	for _, bad := range []string{"Folder", "entries"} {
		if strings.Contains(text, bad) {
			t.Errorf("file browse text %q has %q", text, bad)
		}
	}
	var folder DatastoreBrowse
	text = e.OK("datastore_browse", map[string]any{"path": "[LocalDS_0] iso"}, &folder)
	toolstest.MustContain(t, text, "1 entry\n")
	if folder.File {
		t.Error("a folder reads as a file")
	}

	text = e.OK("datastore_mkdir", map[string]any{"path": "[LocalDS_0] iso"}, nil)
	toolstest.MustContain(t, text, "Unchanged")
	msg := e.Fails("datastore_mkdir", map[string]any{"path": "[LocalDS_0] iso/test.iso"})
	toolstest.MustContain(t, msg, "already exists as a file")
	if b, err := os.ReadFile(filepath.Join(dirs["DC0"], "iso", "test.iso")); err != nil || string(b) != "iso" {
		t.Errorf("the file changed: %q, %v", b, err)
	}
}
