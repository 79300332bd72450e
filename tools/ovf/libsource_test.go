package ovf

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// libraryItem puts appliance.ovf and its disk into a new content library
// as an OVF item, through the vAPI as govc would.
func (e *env) libraryItem(lib, item string) {
	e.T.Helper()
	rc := rest.NewClient(e.Vim)
	if err := rc.Login(e.Ctx, url.UserPassword(e.Sim.Config.Username, e.Sim.Config.Password)); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { _ = rc.Logout(context.Background()) })
	m := library.NewManager(rc)
	ds, err := find.NewFinder(e.Vim).Datastore(e.Ctx, "/DC0/datastore/LocalDS_0")
	if err != nil {
		e.T.Fatal(err)
	}
	lid, err := m.CreateLibrary(e.Ctx, library.Library{Name: lib, Type: "LOCAL", Storage: []library.StorageBacking{{DatastoreID: ds.Reference().Value, Type: "DATASTORE"}}})
	if err != nil {
		e.T.Fatal(err)
	}
	id, err := m.CreateLibraryItem(e.Ctx, library.Item{Name: item, LibraryID: lid, Type: library.ItemTypeOVF})
	if err != nil {
		e.T.Fatal(err)
	}
	sid, err := m.CreateLibraryItemUpdateSession(e.Ctx, library.Session{LibraryItemID: id})
	if err != nil {
		e.T.Fatal(err)
	}
	src := filepath.Dir(writeOVF(e.T, e.T.TempDir()))
	for _, name := range []string{"appliance.ovf", "appliance-disk1.vmdk"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			e.T.Fatal(err)
		}
		f, err := m.AddLibraryItemFile(e.Ctx, sid, library.UpdateFile{Name: name, SourceType: "PUSH", Size: int64(len(b))})
		if err != nil {
			e.T.Fatal(err)
		}
		u, _ := url.Parse(f.UploadEndpoint.URI)
		fh, _ := os.Open(filepath.Join(src, name))
		err = rc.Upload(e.Ctx, fh, u, &soap.Upload{Method: "PUT", ContentLength: int64(len(b))})
		_ = fh.Close()
		if err != nil {
			e.T.Fatal(err)
		}
	}
	if err := m.CompleteLibraryItemUpdateSession(e.Ctx, sid); err != nil {
		e.T.Fatal(err)
	}
	// The simulator finishes the session in a goroutine without its lock:
	// polling the session's state races it; the files are there already.
	if files, err := m.ListLibraryItemFiles(e.Ctx, id); err != nil || len(files) != 2 {
		e.T.Fatalf("item files %v %v", files, err)
	}
}

func TestOVFFromLibrary(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	e.libraryItem("images", "appliance")

	var in OVFInspectResult
	text := e.OK("ovf_inspect", map[string]any{"library": "images", "item": "appliance", "cluster": cluster}, &in)
	toolstest.MustContain(t, text, "library images item appliance")
	if in.Library != "images" || in.Item != "appliance" || in.SizeBytes == 0 {
		t.Errorf("inspect %+v", in)
	}
	toolstest.MustContain(t, e.Fails("ovf_deploy", map[string]any{"library": "images", "item": "appliance", "name": "lib-02", "cluster": cluster,
		"properties": map[string]any{"role": "mail"}, "accept_eula": true}), "ValueMap")
	var out OVFDeployResult
	e.OK("ovf_deploy", map[string]any{"library": "images", "item": "appliance", "name": "lib-02", "cluster": cluster,
		"properties": map[string]any{"port": "8443"}, "accept_eula": true}, &out)
	if out.Path != "/DC0/vm/lib-02" || out.CPUs != 2 || out.Properties["port"] != "8443" || !e.Exists("/DC0/vm/lib-02") {
		t.Errorf("deployed %+v", out)
	}
	toolstest.MustContain(t, e.Fails("ovf_inspect", map[string]any{"library": "images", "item": "nope"}), "has no item")
}
