package device

import (
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/snapshot"
	"github.com/vsphere-mcp/vsphere-mcp/tools/task"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// env is this toolset's server on its own simulator (see toolstest.Env),
// with the package's test helpers.
type env struct{ *toolstest.Env }

// served is this toolset plus snapshot and task, whose tools the tests
// use to check and roll back.
func served() []toolkit.Tool { return toolstest.Tools(Toolset(), snapshot.Toolset(), task.Toolset()) }

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

// newEnvWith starts the demo simulator with the server under o.
func newEnvWith(t *testing.T, o toolstest.Options) *env {
	t.Helper()
	return &env{toolstest.NewOn(t, served(), o)}
}

// at returns e reporting to t, for use in subtests.
func (e *env) at(t *testing.T) *env { return &env{e.At(t)} }

// devices reads the VM's devices straight from the simulator, modelled as
// the tools model them (labels, bus positions).
func (e *env) devices(vm string) params.Devices {
	e.T.Helper()
	var m mo.VirtualMachine
	ref := e.VMRef(vm)
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, ref, []string{"config.hardware.device"}, &m); err != nil {
		e.T.Fatalf("read devices of %s: %v", vm, err)
	}
	return params.DescribeDevices(object.VirtualDeviceList(m.Config.Hardware.Device), nil)
}
