package metrics

import (
	"testing"

	"github.com/vmware/govmomi/performance"
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
	// pm reads the simulator's statistics directly (its counters cached).
	pm *performance.Manager
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
	te := toolstest.New(t, served(), m)
	return &env{te, calls, performance.NewManager(te.Vim)}
}

// newPolicyEnv is newEnv with the server under p.
func newPolicyEnv(t *testing.T, p *guard.Policy) *env {
	t.Helper()
	m, calls := perfModel(t, nil)
	te := toolstest.NewOn(t, served(), toolstest.Options{Policy: p}, m)
	return &env{te, calls, performance.NewManager(te.Vim)}
}

// at returns e reporting to t, for use in subtests.
func (e *env) at(t *testing.T) *env { return &env{e.At(t), e.perf, e.pm} }
