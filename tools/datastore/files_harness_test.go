package datastore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// fenv is a vm-admin server on a small simulator (one datacenter, two
// datastores) whose profile allows one local directory, with a person who
// answers confirmations.
type fenv struct {
	*env
	p      *guard.Policy
	person *toolstest.Person
	local  string            // the allowed local directory
	ds     map[string]string // datastore name → its directory on disk
}

// fileModel is the simulator inventory of the file tests: DC0 with hosts,
// VMs on LocalDS_0, and LocalDS_1.
func fileModel() *simulator.Model {
	m := simulator.VPX()
	m.Datastore = 2
	return m
}

// newFileEnv starts the server; lf gives the local-files setup from the
// allowed directory (nil: that directory for reading and writing).
func newFileEnv(t *testing.T, m *simulator.Model, lf func(local string) toolstest.LocalFiles) *fenv {
	t.Helper()
	return newFileEnvAs(t, m, lf, toolstest.Policy(t, "vm-admin", nil, nil))
}

// newFileEnvAs is newFileEnv under policy p.
func newFileEnvAs(t *testing.T, m *simulator.Model, lf func(local string) toolstest.LocalFiles, p *guard.Policy) *fenv {
	t.Helper()
	if m == nil {
		m = fileModel()
	}
	local, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{local}, Write: []string{local}, Profile: "test"}}
	if lf != nil {
		files = lf(local)
	}
	person := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := &fenv{env: &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p, Elicit: person, LocalFiles: files}, m)}, p: p, person: person, local: local, ds: map[string]string{}}
	dss, err := find.NewFinder(e.Vim).DatastoreList(e.Ctx, "/DC0/datastore/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range dss {
		var m mo.Datastore
		if err := ds.Properties(e.Ctx, ds.Reference(), []string{"name", "summary"}, &m); err != nil {
			t.Fatal(err)
		}
		e.ds[m.Name] = m.Summary.Url
	}
	return e
}

// put writes a file on a datastore directly (test setup).
func (e *fenv) put(ds, rel string, size int) {
	e.T.Helper()
	p := filepath.Join(e.ds[ds], filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.T.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
		e.T.Fatal(err)
	}
}

// onDS reads a datastore file as it lies on disk; ok false when missing.
func (e *fenv) onDS(ds, rel string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(e.ds[ds], filepath.FromSlash(rel)))
	return string(b), err == nil
}

// dsFiles lists every file below a datastore folder as it lies on disk.
func (e *fenv) dsFiles(ds, rel string) []string {
	e.T.Helper()
	var out []string
	root := filepath.Join(e.ds[ds], filepath.FromSlash(rel))
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			r, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	return out
}

func (e *fenv) at(t *testing.T) *fenv {
	c := *e
	c.env = e.env.at(t)
	return &c
}
