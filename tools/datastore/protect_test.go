package datastore

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// TestDatastoreFilesProtected: every write tool of the toolset is refused
// on a protected datastore before it changes anything: the files on the
// datastore and in the local directory are as they were, and the person
// is not asked.
func TestDatastoreFilesProtected(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"guarded": {Inherits: "vm-admin", Protect: []string{"/DC0/datastore/LocalDS_1"}}}
	e := newFileEnvAs(t, nil, nil, toolstest.Policy(t, "guarded", custom, nil))
	e.put("LocalDS_1", "iso/a.iso", 10)
	e.put("LocalDS_0", "iso/b.iso", 10)
	writeLocal(t, filepath.Join(e.local, "up.iso"), "UP")
	before, localBefore := e.dsFiles("LocalDS_1", ""), localNames(t, e.local)

	for tool, args := range map[string]map[string]any{
		"datastore_mkdir":       {"path": "[LocalDS_1] new"},
		"datastore_file_move":   {"source": "[LocalDS_1] iso/a.iso", "destination": "[LocalDS_1] moved.iso"},
		"datastore_file_copy":   {"source": "[LocalDS_0] iso/b.iso", "destination": "[LocalDS_1] iso/"},
		"datastore_file_delete": {"path": "[LocalDS_1] iso/a.iso"},
		"datastore_upload":      {"local_path": filepath.Join(e.local, "up.iso"), "path": "[LocalDS_1] iso/"},
		"datastore_download":    {"path": "[LocalDS_1] iso/a.iso", "local_path": e.local},
	} {
		t.Run(tool, func(t *testing.T) {
			toolstest.MustContain(t, e.at(t).Fails(tool, args), "is protected by policy")
			if rec := toolstest.LastAudit(t, e.p); rec.Tool != tool || rec.Decision != audit.DecisionDenied {
				t.Errorf("audited as %+v", rec)
			}
		})
	}
	// Moving a file out of a protected datastore changes it too.
	toolstest.MustContain(t, e.Fails("datastore_file_move", map[string]any{"source": "[LocalDS_1] iso/a.iso", "destination": "[LocalDS_0] iso/"}), "is protected by policy")
	if after := e.dsFiles("LocalDS_1", ""); !slices.Equal(after, before) {
		t.Errorf("protected datastore changed: %v → %v", before, after)
	}
	if got := localNames(t, e.local); !slices.Equal(got, localBefore) {
		t.Errorf("local directory changed: %v → %v", localBefore, got)
	}
	if _, err := os.Stat(filepath.Join(e.ds["LocalDS_0"], "iso", "a.iso")); err == nil {
		t.Error("file moved out of the protected datastore")
	}
	if len(e.person.Asked()) != 0 {
		t.Errorf("asked %q", e.person.Asked())
	}
}
