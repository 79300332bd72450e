package vcenter

import (
	"context"
	"slices"
	"testing"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// TestSimulatorHostServiceSystem: every host of a started simulator has
// its own HostServiceSystem, answering the real calls as ESXi does, with
// each change visible in its serviceInfo and in the host's config.service.
func TestSimulatorHostServiceSystem(t *testing.T) {
	t.Parallel()
	for _, kind := range []SimulatorKind{SimVCenter, SimESX} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, DemoModel(kind))
			c, _ := adminClient(t, sim)
			ctx := context.Background()
			v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"HostSystem"}, true)
			if err != nil {
				t.Fatal(err)
			}
			refs, err := v.Find(ctx, []string{"HostSystem"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var hosts []*object.HostSystem
			for _, r := range refs {
				hosts = append(hosts, object.NewHostSystem(c, r))
			}
			if len(hosts) == 0 {
				t.Fatal("no hosts")
			}
			seen := map[types.ManagedObjectReference]bool{}
			for _, h := range hosts {
				ss, err := h.ConfigManager().ServiceSystem(ctx)
				if err != nil {
					t.Fatalf("%s: %v", h.Reference(), err)
				}
				if seen[ss.Reference()] {
					t.Fatalf("%s shares service system %s", h.Reference(), ss.Reference())
				}
				seen[ss.Reference()] = true
			}

			h := hosts[0]
			ss, _ := h.ConfigManager().ServiceSystem(ctx)
			services := func() (fromSystem, fromHost []types.HostService) {
				t.Helper()
				var s mo.HostServiceSystem
				if err := ss.Properties(ctx, ss.Reference(), []string{"serviceInfo"}, &s); err != nil {
					t.Fatal(err)
				}
				var mh mo.HostSystem
				if err := h.Properties(ctx, h.Reference(), []string{"config.service"}, &mh); err != nil {
					t.Fatal(err)
				}
				return s.ServiceInfo.Service, mh.Config.Service.Service
			}
			find := func(list []types.HostService, key string) types.HostService {
				t.Helper()
				i := slices.IndexFunc(list, func(x types.HostService) bool { return x.Key == key })
				if i < 0 {
					t.Fatalf("no service %s", key)
				}
				return list[i]
			}
			check := func(step string, running bool, policy string) {
				t.Helper()
				a, b := services()
				for _, list := range [][]types.HostService{a, b} {
					if s := find(list, "TSM-SSH"); s.Running != running || s.Policy != policy {
						t.Errorf("%s: TSM-SSH running %v policy %s, want %v %s", step, s.Running, s.Policy, running, policy)
					}
				}
			}
			a, b := services()
			if len(a) == 0 || !slices.EqualFunc(a, b, func(x, y types.HostService) bool {
				return x.Key == y.Key && x.Running == y.Running && x.Policy == y.Policy && x.Label == y.Label
			}) {
				t.Fatalf("serviceInfo %v differs from config.service %v", a, b)
			}
			check("initially", false, "off")
			if err := ss.Start(ctx, "TSM-SSH"); err != nil {
				t.Fatal(err)
			}
			check("start", true, "off")
			if err := ss.Start(ctx, "TSM-SSH"); err != nil {
				t.Errorf("start a running service: %v", err)
			}
			if err := ss.UpdatePolicy(ctx, "TSM-SSH", "on"); err != nil {
				t.Fatal(err)
			}
			check("policy", true, "on")
			if err := ss.Stop(ctx, "TSM-SSH"); err != nil {
				t.Fatal(err)
			}
			check("stop", false, "on")
			if err := ss.Restart(ctx, "TSM-SSH"); err != nil {
				t.Fatal(err)
			}
			check("restart", true, "on")
			if _, err := methods.RefreshServices(ctx, c, &types.RefreshServices{This: ss.Reference()}); err != nil {
				t.Fatal(err)
			}

			if err := ss.Start(ctx, "nope"); !fault.Is(err, &types.NotFound{}) {
				t.Errorf("unknown key: %v, want NotFound", err)
			}
			if err := ss.UpdatePolicy(ctx, "TSM-SSH", "sometimes"); !fault.Is(err, &types.InvalidArgument{}) {
				t.Errorf("bad policy: %v, want InvalidArgument", err)
			}
			// Another host is untouched.
			if len(hosts) > 1 {
				var other mo.HostSystem
				if err := hosts[1].Properties(ctx, hosts[1].Reference(), []string{"config.service"}, &other); err != nil {
					t.Fatal(err)
				}
				if s := find(other.Config.Service.Service, "TSM-SSH"); s.Running || s.Policy != "off" {
					t.Errorf("another host's SSH changed: %+v", s)
				}
				task, err := hosts[1].Disconnect(ctx)
				if err == nil {
					err = task.Wait(ctx)
				}
				if err != nil {
					t.Fatal(err)
				}
				ss1, _ := hosts[1].ConfigManager().ServiceSystem(ctx)
				if err := ss1.Start(ctx, "TSM-SSH"); !fault.Is(err, &types.HostNotConnected{}) {
					t.Errorf("disconnected host: %v, want HostNotConnected", err)
				}
			}
		})
	}
}
