package pool

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// env is this toolset's server on its own simulator, which applies a
// pool's expandable reservation as vCenter does.
type env struct {
	*toolstest.Env
	person *toolstest.Person
}

func served() []toolkit.Tool { return toolstest.Tools(Toolset()) }

// newEnv starts the demo inventory (power states as created: all on) with
// role and a person who confirms.
func newEnv(t *testing.T, role string, custom map[string]policy.RoleSpec) *env {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	m.Map().Handler = updatingPools
	p := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	e := toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, role, custom, nil), Elicit: p}, m)
	return &env{Env: e, person: p}
}

func (e *env) at(t *testing.T) *env { c := *e; c.Env = e.At(t); return &c }

// vcPool is a simulator pool whose UpdateConfig also applies the
// expandable reservation, as vCenter's does (vcsim's keeps the old one).
type vcPool struct{ *simulator.ResourcePool }

// updatingPools is the registry's handler hook: the dispatcher prefers the
// caller's session registry over the handler's answer for logged-in
// clients, so the wrapper goes there, for the one call.
func updatingPools(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	if m.Name != "UpdateConfig" || m.This.Type != "ResourcePool" || ctx.Session == nil {
		return nil, nil
	}
	p, ok := ctx.Map.Get(m.This).(*simulator.ResourcePool)
	if !ok {
		return nil, nil
	}
	w := &vcPool{p}
	ctx.Session.Put(w)
	return w, nil
}

func (p *vcPool) UpdateConfig(ctx *simulator.Context, req *types.UpdateConfig) soap.HasFault {
	defer ctx.Session.Remove(ctx, p.Self)
	body := p.ResourcePool.UpdateConfig(ctx, req)
	if body.Fault() == nil && req.Config != nil {
		if e := req.Config.CpuAllocation.ExpandableReservation; e != nil {
			p.Config.CpuAllocation.ExpandableReservation = types.NewBool(*e)
		}
		if e := req.Config.MemoryAllocation.ExpandableReservation; e != nil {
			p.Config.MemoryAllocation.ExpandableReservation = types.NewBool(*e)
		}
	}
	return body
}
