package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// vcCluster is a simulator cluster that does what vcsim's does not, the
// way vCenter does (DESIGN.md §6):
//   - ReconfigureComputeResource_Task also applies the DRS migration
//     threshold (vmotionRate) and HA host monitoring, which vcsim ignores;
//   - ApplyRecommendation, which vcsim lacks: carries out a recommendation's
//     VM migrations and drops it; an unknown key is InvalidArgument.
type vcCluster struct {
	*simulator.ClusterComputeResource
}

// drsFixture is what extendClusters set up: the cluster with
// recommendations and the VMs they move.
type drsFixture struct {
	cluster  string
	keys     []string
	vms      []string // by recommendation
	from, to string   // host names
}

// extendClusters creates the demo inventory, gives cluster DC0_C0 two DRS
// recommendations (each moving a VM of its first host to its second) and
// routes the methods above to vcCluster, putting the wrapper into the
// caller's session as well (the dispatcher prefers the session's view).
func extendClusters(t *testing.T) (*simulator.Model, drsFixture) {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	reg := m.Map()
	var cl *simulator.ClusterComputeResource
	for _, e := range reg.All("ClusterComputeResource") {
		if c := e.(*simulator.ClusterComputeResource); c.Name == "DC0_C0" {
			cl = c
		}
	}
	if cl == nil || len(cl.Host) < 2 {
		t.Fatal("no cluster DC0_C0 with two hosts")
	}
	// vcsim places a cluster's VMs on random hosts: move from the host
	// that has the most to another one.
	src, dst := reg.Get(cl.Host[0]).(*simulator.HostSystem), reg.Get(cl.Host[1]).(*simulator.HostSystem)
	for _, ref := range cl.Host {
		if h := reg.Get(ref).(*simulator.HostSystem); len(h.Vm) > len(src.Vm) {
			src = h
		}
	}
	for _, ref := range cl.Host {
		if ref != src.Self {
			dst = reg.Get(ref).(*simulator.HostSystem)
			break
		}
	}
	if len(src.Vm) < 2 {
		t.Fatalf("no host of %s runs two VMs", cl.Name)
	}
	fx := drsFixture{cluster: cl.Name, from: src.Name, to: dst.Name}
	for i, ref := range src.Vm[:2] {
		vm := reg.Get(ref).(*simulator.VirtualMachine)
		key := []string{"11", "12"}[i]
		fx.keys, fx.vms = append(fx.keys, key), append(fx.vms, vm.Name)
		cl.Recommendation = append(cl.Recommendation, types.ClusterRecommendation{
			Key: key, Type: "V1", Time: time.Now(), Rating: int32(3 + i), Reason: "Balance average CPU loads",
			ReasonText: "Balance average CPU loads.", Target: &cl.Self,
			Action: []types.BaseClusterAction{&types.ClusterMigrationAction{
				ClusterAction: types.ClusterAction{Type: "MigrationV1", Target: &vm.Self},
				DrsMigration:  &types.ClusterDrsMigration{Key: key, Time: time.Now(), Vm: vm.Self, Source: src.Self, Destination: dst.Self},
			}},
		})
	}
	reg.Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if method.This.Type != "ClusterComputeResource" || (method.Name != "ApplyRecommendation" && method.Name != "ReconfigureComputeResource_Task") {
			return nil, nil
		}
		return toolstest.Wrap(ctx, method.This, func(c *simulator.ClusterComputeResource) *vcCluster { return &vcCluster{c} })
	}
	return m, fx
}

func newExtEnv(t *testing.T, p *guard.Policy, elicit client.ElicitationHandler) (*env, drsFixture) {
	t.Helper()
	m, fx := extendClusters(t)
	return &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: p, Elicit: elicit}, m)}, fx
}

func (c *vcCluster) ReconfigureComputeResourceTask(ctx *simulator.Context, req *types.ReconfigureComputeResource_Task) soap.HasFault {
	if spec, ok := req.Spec.(*types.ClusterConfigSpecEx); ok {
		cfg := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if spec.DrsConfig != nil && spec.DrsConfig.VmotionRate != 0 {
			cfg.DrsConfig.VmotionRate = spec.DrsConfig.VmotionRate
		}
		if spec.DasConfig != nil && spec.DasConfig.HostMonitoring != "" {
			cfg.DasConfig.HostMonitoring = spec.DasConfig.HostMonitoring
		}
	}
	return c.ClusterComputeResource.ReconfigureComputeResourceTask(ctx, req)
}

func (c *vcCluster) ApplyRecommendation(ctx *simulator.Context, req *types.ApplyRecommendation) soap.HasFault {
	body := &methods.ApplyRecommendationBody{}
	i := slices.IndexFunc(c.Recommendation, func(r types.ClusterRecommendation) bool { return r.Key == req.Key })
	if i < 0 {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "key"})
		return body
	}
	for _, act := range c.Recommendation[i].Action {
		m, ok := act.(*types.ClusterMigrationAction)
		if !ok || m.DrsMigration == nil {
			continue
		}
		vm, ok := ctx.Map.Get(m.DrsMigration.Vm).(*simulator.VirtualMachine)
		src, ok1 := ctx.Map.Get(m.DrsMigration.Source).(*simulator.HostSystem)
		dst, ok2 := ctx.Map.Get(m.DrsMigration.Destination).(*simulator.HostSystem)
		if !ok || !ok1 || !ok2 {
			continue
		}
		ref := dst.Self
		ctx.WithLock(vm, func() {
			ctx.Update(vm, []types.PropertyChange{{Name: "runtime.host", Val: &ref}, {Name: "summary.runtime.host", Val: &ref}})
		})
		ctx.Map.RemoveReference(ctx, src, &src.Vm, vm.Self)
		ctx.Map.AddReference(ctx, dst, &dst.Vm, vm.Self)
	}
	recs := slices.Delete(slices.Clone(c.Recommendation), i, i+1)
	ctx.Update(c.ClusterComputeResource, []types.PropertyChange{{Name: "recommendation", Val: recs}})
	body.Res = new(types.ApplyRecommendationResponse)
	return body
}
