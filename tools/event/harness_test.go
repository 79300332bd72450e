package event

import (
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// env is this toolset's server on its own simulator (see toolstest.Env),
// with the package's test helpers.
type env struct{ *toolstest.Env }

// served is this toolset.
func served() []toolkit.Tool { return toolstest.Tools(Toolset()) }

// newEnv starts the demo simulator (or model, when given) and a client
// of a server serving this toolset, with no policy (viewer).
func newEnv(t *testing.T, model ...*simulator.Model) *env {
	t.Helper()
	return &env{toolstest.New(t, served(), model...)}
}

// newPolicyEnv starts the demo simulator with the server under p, and a
// client that answers confirmations with elicit (nil: cannot elicit).
func newPolicyEnv(t *testing.T, p *guard.Policy, elicit client.ElicitationHandler) *env {
	t.Helper()
	return &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p, Elicit: elicit})}
}

// at returns e reporting to t, for use in subtests.
func (e *env) at(t *testing.T) *env { return &env{e.At(t)} }
