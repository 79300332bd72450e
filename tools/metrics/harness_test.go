package metrics

import (
	"testing"

	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// env is this toolset's server on its own simulator (see toolstest.Env),
// with the package's test helpers.
type env struct {
	*toolstest.Env
	perf *perfCalls
}

// served is this toolset.
func served() []toolkit.Tool { return toolstest.Tools(Toolset()) }

// perfModel is the demo inventory with a performance manager that
// answers as vCenter does (see simperf_test.go).
func perfModel(t testing.TB, m *simulator.Model) (*simulator.Model, *perfCalls) {
	t.Helper()
	if m == nil {
		m = vcenter.DemoModel(vcenter.SimVCenter)
	}
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	return m, installPerf(m)
}

// newEnv starts the demo simulator with vCenter's QueryPerf and a client
// of a server serving this toolset, with no policy (viewer).
func newEnv(t *testing.T) *env {
	t.Helper()
	m, calls := perfModel(t, nil)
	return &env{toolstest.New(t, served(), m), calls}
}

// newPolicyEnv is newEnv with the server under p.
func newPolicyEnv(t *testing.T, p *guard.Policy) *env {
	t.Helper()
	m, calls := perfModel(t, nil)
	return &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p}, m), calls}
}

// at returns e reporting to t, for use in subtests.
func (e *env) at(t *testing.T) *env { return &env{e.At(t), e.perf} }
