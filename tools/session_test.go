package tools_test

import (
	"testing"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25/mo"
	vmts "github.com/vsphere-mcp/vsphere-mcp/tools/vm"
)

// An administrator terminates the server's vCenter session between two
// calls: the second call still succeeds, after exactly one new login.
func TestSessionTerminatedBetweenCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var first vmts.VMList
	e.OK("vm_list", map[string]any{"limit": 5}, &first)
	if e.Session.Logins() != 1 {
		t.Fatalf("logins %d", e.Session.Logins())
	}

	sm := session.NewManager(e.Vim)
	mine, err := sm.UserSession(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mgr mo.SessionManager
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, *e.Vim.ServiceContent.SessionManager, []string{"sessionList"}, &mgr); err != nil {
		t.Fatal(err)
	}
	var others []string
	for _, s := range mgr.SessionList {
		if s.Key != mine.Key {
			others = append(others, s.Key)
		}
	}
	if err := sm.TerminateSession(e.Ctx, others); err != nil {
		t.Fatal(err)
	}

	// A cursor issued before the loss still works: cursors hold object
	// references, which outlive sessions.
	var second vmts.VMList
	e.OK("vm_list", map[string]any{"limit": 5, "cursor": first.NextCursor}, &second)
	if len(second.Items) != 5 || second.Items[0].ID == first.Items[0].ID {
		t.Errorf("second page after re-login: %+v", second.Items)
	}
	var vm vmts.VMDetail
	e.OK("vm_get", map[string]any{"vm": second.Items[0].Name}, &vm)
	if e.Session.Logins() != 2 {
		t.Errorf("logins = %d, want exactly one re-login", e.Session.Logins())
	}
}
