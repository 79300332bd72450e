package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// yesPerson confirms every question and remembers them.
type yesPerson struct{ asked []string }

func (p *yesPerson) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.asked = append(p.asked, req.Params.Message)
	res := &mcp.ElicitationResult{}
	res.Action = mcp.ElicitationResponseActionAccept
	res.Content = map[string]any{"confirm": true}
	return res, nil
}

// TestEndToEndConfirmedDeleteOverStdio runs the product path a user runs:
// a config profile with the admin role and a keyring-free password source,
// the real serve command on stdio, an MCP client that can ask its person;
// a delete is confirmed by the person over the wire and happens in vCenter,
// and the audit trail says so.
func TestEndToEndConfirmedDeleteOverStdio(t *testing.T) {
	ctx := context.Background()
	sim, err := vcenter.StartSimulator(ctx, simulator.VPX(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
profiles:
  lab:
    url: ` + sim.Config.URL + `
    username: ` + sim.Config.Username + `
    password_env: LAB_PW
    thumbprint: ` + sim.Config.Thumbprint + `
    role: admin
`)
	person := &yesPerson{}
	s := startStdioWith(t, f.with("LAB_PW", sim.Config.Password), []client.ClientOption{client.WithElicitationHandler(person)})
	const vm = "/DC0/vm/DC0_H0_VM0"
	res := s.call(t, "vm_delete", map[string]any{"vm": vm, "force": true})
	text := ""
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text += tc.Text
		}
	}
	if res.IsError || !strings.Contains(text, "Deleted: "+vm) {
		t.Fatalf("vm_delete over stdio: %s", text)
	}
	if len(person.asked) != 1 || !strings.Contains(person.asked[0], vm) {
		t.Errorf("the person was asked %q", person.asked)
	}
	if _, err := find.NewFinder(login(t, sim)).VirtualMachine(ctx, vm); err == nil {
		t.Error("the VM still exists in vCenter")
	}
	s.stop(t)
	lines := readAuditLines(t, f.auditPath())
	var decisions []string
	for _, l := range lines {
		decisions = append(decisions, l["decision"].(string))
	}
	if strings.Join(decisions, ",") != "asked,confirmed" {
		t.Errorf("audit decisions %v, want asked then confirmed", decisions)
	}
}
