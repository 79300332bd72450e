package console

import (
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// env is this toolset's server on a simulator given consoles (see
// consoleSim), with the package's test helpers.
type env struct {
	*toolstest.Env
	con   *consoleSim
	model *simulator.Model
}

// served is this toolset.
func served() []toolkit.Tool { return toolstest.Tools(Toolset()) }

// newEnv starts a small vCenter simulator (simulator.VPX: DC0 with
// DC0_H0_VM0, DC0_H0_VM1, DC0_C0_RP0_VM0, DC0_C0_RP0_VM1, all on) whose
// VMs have consoles, and a client of a server serving this toolset under
// p (nil: viewer, no audit trail).
func newEnv(t *testing.T, p *guard.Policy, elicit client.ElicitationHandler) *env {
	t.Helper()
	m := simulator.VPX()
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	con := installConsoles(m)
	return &env{Env: toolstest.NewOn(t, served(), toolstest.Options{Policy: p, Elicit: elicit}, m), con: con, model: m}
}

// newStockEnv starts the stock simulator, without consoles: what
// --simulator serves.
func newStockEnv(t *testing.T, p *guard.Policy) *env {
	t.Helper()
	return &env{Env: toolstest.NewOn(t, served(), toolstest.Options{Policy: p}, simulator.VPX())}
}

// at returns e reporting to t, for use in subtests.
func (e *env) at(t *testing.T) *env { return &env{Env: e.At(t), con: e.con, model: e.model} }
