package vcenter

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/url"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"

	// Registers the vAPI endpoints (tags, content library) on the simulator.
	_ "github.com/vmware/govmomi/vapi/simulator"
)

// SimulatorKind picks the simulated product.
type SimulatorKind string

const (
	SimVCenter SimulatorKind = "vcenter"
	SimESX     SimulatorKind = "esx"
)

// Simulator is govmomi's vCenter simulator (vcsim) running in-process on a
// loopback HTTPS port, for trying the server without a vCenter and for
// tests.
type Simulator struct {
	Model  *simulator.Model
	Server *simulator.Server
	// Config connects to this simulator, pinning its certificate by
	// thumbprint: TLS stays verified even here.
	Config Config
}

// DemoModel is the inventory --simulator serves: two datacenters, each with
// two clusters of two hosts, a standalone host, two datastores, two
// distributed port groups and 30 VMs in all.
func DemoModel(kind SimulatorKind) *simulator.Model {
	if kind == SimESX {
		m := simulator.ESX()
		m.Machine = 6
		return m
	}
	m := simulator.VPX()
	m.Datacenter = 2
	m.Cluster = 2
	m.ClusterHost = 2
	m.Host = 1
	m.Datastore = 2
	m.Portgroup = 2
	m.Pool = 1
	m.Machine = 5
	return m
}

// simCreate serializes starting vcsim simulators (see StartSimulator).
var simCreate sync.Mutex

// StartSimulator creates model's inventory (when not created yet), serves
// it over HTTPS on a loopback port with what vcsim lacks added (a
// HostServiceSystem per host), and varies the demo VMs' power states
// so listings have something to filter.
func StartSimulator(ctx context.Context, model *simulator.Model, vary bool) (*Simulator, error) {
	// vcsim's model creation and server start write package state (its
	// license manager's, the default option settings' URIs), so two
	// simulators started at once race: tests that run in parallel each
	// start their own.
	simCreate.Lock()
	if model.Service == nil {
		if err := model.Create(); err != nil {
			simCreate.Unlock()
			return nil, fmt.Errorf("create simulator inventory: %w", err)
		}
	}
	installHostServiceSystems(model)
	installHostDateTimeSystems(model)
	model.Service.TLS = new(tls.Config)
	model.Service.RegisterEndpoints = true
	srv := model.Service.NewServer()
	simCreate.Unlock()
	// The simulator's HTTP server logs handshake errors of clients that
	// reject its certificate; they belong to those clients, not here.
	srv.Server.Config.ErrorLog = log.New(io.Discard, "", 0)

	u := *srv.URL
	user := u.User.Username()
	pass, _ := u.User.Password()
	u.User = nil
	sim := &Simulator{
		Model:  model,
		Server: srv,
		Config: Config{
			URL:        u.String(),
			Username:   user,
			Password:   pass,
			Thumbprint: soap.ThumbprintSHA256(srv.Certificate()),
		},
	}
	if vary {
		if err := sim.varyPowerStates(ctx); err != nil {
			sim.Close()
			return nil, err
		}
	}
	return sim, nil
}

// Close stops the server and removes the model's temporary files.
func (s *Simulator) Close() {
	s.Server.Close()
	s.Model.Remove()
}

// varyPowerStates powers off every third VM, suspends every seventh and
// turns the first two powered-off VMs into templates.
func (s *Simulator) varyPowerStates(ctx context.Context) error {
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = session.NewManager(c).Logout(ctx) }()
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return err
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &vms); err != nil {
		return err
	}
	templates := 0
	for i, vm := range vms {
		o := object.NewVirtualMachine(c, vm.Self)
		var task *object.Task
		switch {
		case i%3 == 1:
			task, err = o.PowerOff(ctx)
		case i%7 == 5:
			task, err = o.Suspend(ctx)
		default:
			continue
		}
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return fmt.Errorf("vary power state of %s: %w", vm.Name, err)
		}
		if i%3 == 1 && templates < 2 && len(vms) > 10 {
			templates++
			if err := o.MarkAsTemplate(ctx); err != nil {
				return fmt.Errorf("mark %s as template: %w", vm.Name, err)
			}
		}
	}
	return nil
}

func (s *Simulator) client(ctx context.Context) (*vim25.Client, error) {
	u := *s.Server.URL
	u.User = nil
	c, err := vim25.NewClient(ctx, soap.NewClient(&u, true))
	if err != nil {
		return nil, err
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(s.Config.Username, s.Config.Password)); err != nil {
		return nil, err
	}
	return c, nil
}

// CreateModel creates m's inventory, serialized with StartSimulator, for a
// caller that adjusts the model between creating and starting it.
func CreateModel(m *simulator.Model) error {
	simCreate.Lock()
	defer simCreate.Unlock()
	return m.Create()
}
