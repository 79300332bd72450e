package tools_test

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// env is the assembled server (every toolset, or those a test chooses) on
// a simulator; see toolstest.Env.
type env struct{ *toolstest.Env }

// envOptions vary the server and client of an env.
type envOptions struct {
	policy *tools.Policy
	// elicit answers the server's questions; nil means a client that
	// cannot elicit.
	elicit client.ElicitationHandler
	// protocol is the MCP version the client asks for; empty: the latest.
	protocol string
	// toolsets to serve, as a user names them; nil: all.
	toolsets []string
	readOnly bool
}

// newEnv starts the demo simulator (or model, when given) and an MCP
// client connected in-process to a server with every tool.
func newEnv(t *testing.T, model ...*simulator.Model) *env {
	t.Helper()
	return &env{toolstest.New(t, served(t, envOptions{}), model...)}
}

func newEnvFor(t *testing.T, ctx context.Context, sim *vcenter.Simulator, cfg vcenter.Config) *env {
	t.Helper()
	return newEnvWith(t, ctx, sim, cfg, envOptions{})
}

// newPolicyEnv starts the demo simulator with the server under p, and a
// client that answers confirmations with elicit (nil: cannot elicit).
func newPolicyEnv(t *testing.T, p *tools.Policy, elicit client.ElicitationHandler) *env {
	t.Helper()
	return &env{toolstest.NewOn(t, served(t, envOptions{}), toolstest.Options{Policy: p, Elicit: elicit})}
}

func newEnvWith(t *testing.T, ctx context.Context, sim *vcenter.Simulator, cfg vcenter.Config, o envOptions) *env {
	t.Helper()
	return &env{toolstest.NewWith(t, ctx, sim, cfg, served(t, o), toolstest.Options{Policy: o.policy, Elicit: o.elicit, Protocol: o.protocol})}
}

// served is what the assembled server serves for o.
func served(t *testing.T, o envOptions) []toolkit.Tool {
	t.Helper()
	names := o.toolsets
	if names == nil {
		names = []string{"all"}
	}
	sel, err := tools.Select(names)
	if err != nil {
		t.Fatal(err)
	}
	return tools.Served(sel, o.readOnly)
}

// at returns e reporting to t, for use in subtests.
func (e *env) at(t *testing.T) *env { return &env{e.At(t)} }
