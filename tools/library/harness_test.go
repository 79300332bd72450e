package library

import (
	"context"
	"net/url"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"

	"github.com/mark3labs/mcp-go/client"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// env is this toolset's server on its own simulator (see toolstest.Env).
type env struct {
	*toolstest.Env
	// dir is the local directory the profile lets the tools read and write.
	dir string
}

func served() []toolkit.Tool { return toolstest.Tools(Toolset()) }

// newEnv starts the demo simulator with a server under p (nil: viewer)
// whose profile allows one local directory, read and write.
func newEnv(t *testing.T, p *guard.Policy, elicit client.ElicitationHandler) *env {
	t.Helper()
	dir := t.TempDir()
	o := toolstest.Options{Policy: p, Elicit: elicit, LocalFiles: toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{dir}, Write: []string{dir}}}}
	return &env{Env: toolstest.NewOn(t, served(), o), dir: dir}
}

func (e *env) at(t *testing.T) *env { return &env{Env: e.At(t), dir: e.dir} }

// vapi logs in to the simulator's vAPI independently of the server.
func (e *env) vapi() *library.Manager {
	e.T.Helper()
	rc := rest.NewClient(e.Vim)
	if err := rc.Login(e.Ctx, url.UserPassword(e.Sim.Config.Username, e.Sim.Config.Password)); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { _ = rc.Logout(context.Background()) })
	return library.NewManager(rc)
}

// newLibrary creates a local library on LocalDS_0.
func (e *env) newLibrary(m *library.Manager, name string) string {
	e.T.Helper()
	ds, err := find.NewFinder(e.Vim).Datastore(e.Ctx, "/DC0/datastore/LocalDS_0")
	if err != nil {
		e.T.Fatal(err)
	}
	id, err := m.CreateLibrary(e.Ctx, library.Library{Name: name, Type: "LOCAL",
		Storage: []library.StorageBacking{{DatastoreID: ds.Reference().Value, Type: "DATASTORE"}}})
	if err != nil {
		e.T.Fatal(err)
	}
	return id
}

// cluster is where the demo inventory's deploys go (it has several).
const cluster = "/DC0/host/DC0_C0"

// The appliance fixtures are toolstest's (the library toolset uploads the same).
const appliance = toolstest.ApplianceOVF

var (
	writeVMDK = toolstest.WriteVMDK
	writeOVF  = toolstest.WriteOVF
	writeOVA  = toolstest.WriteOVA
)
