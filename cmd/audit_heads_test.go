package cmd

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TestAuditHeadsPostedToVCenter: with audit.vcenter_events, the trail's
// head reaches vCenter every checkpoint_every records and at exit, and the
// last one posted is the trail's real end — the off-machine copy `audit
// verify --head` checks against.
func TestAuditHeadsPostedToVCenter(t *testing.T) {
	t.Parallel()
	sim := startSim(t, 0)
	f := newFixture(t)
	f.writeConfig("audit: {vcenter_events: true, checkpoint_every: 2}\n")
	env := f.with("VSPHERE_URL", sim.Config.URL, "VSPHERE_USERNAME", sim.Config.Username,
		"VSPHERE_PASSWORD", sim.Config.Password, "VSPHERE_THUMBPRINT", sim.Config.Thumbprint)
	s := startStdio(t, env)
	for range 5 {
		if res := s.call(t, "vm_list", map[string]any{"limit": 1}); res.IsError {
			t.Fatalf("vm_list: %+v", res.Content)
		}
	}
	s.stop(t)

	lines := readAuditLines(t, f.auditPath())
	last := lines[len(lines)-1]
	want := fmt.Sprintf("vsphere-mcp audit head %d:%s (exit", int(last["seq"].(float64)), last["hash"])

	c := login(t, sim)
	evs, err := event.NewManager(c).QueryEvents(context.Background(), types.EventFilterSpec{EventTypeId: []string{vcenter.UserEventTypeID}})
	if err != nil {
		t.Fatal(err)
	}
	var heads []string
	for _, e := range evs {
		if ex, ok := e.(*types.EventEx); ok && strings.HasPrefix(ex.Message, "vsphere-mcp audit head ") {
			heads = append(heads, ex.Message)
		}
	}
	t.Logf("heads posted: %q", heads)
	var checkpoint, exit bool
	for _, h := range heads {
		checkpoint = checkpoint || strings.Contains(h, "(checkpoint")
		exit = exit || strings.HasPrefix(h, want)
	}
	if !checkpoint || !exit {
		t.Errorf("heads posted %q; want a checkpoint and the exit head %q…", heads, want)
	}
}
