package vcenter

import (
	"slices"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// hostServiceSystem is the HostServiceSystem vcsim lacks: vcsim models a
// host's services only as its config.service property, and its hosts'
// configManager.serviceSystem names an object that does not exist. This
// one answers as ESXi does: a NotFound fault for an unknown service key,
// HostNotConnected for a disconnected host, InvalidArgument for a policy
// that is not on, off or automatic; starting a running service or
// stopping a stopped one succeeds and changes nothing. A change shows in
// its serviceInfo and in the host's config.service, which stays the one
// source of truth (host_list and host_service_list read it there).
type hostServiceSystem struct {
	mo.HostServiceSystem // first: vcsim's property collector reads it

	host types.ManagedObjectReference
}

// installHostServiceSystems gives every host of m a service system of
// its own, referenced from its configManager.serviceSystem. A host that
// already has one (a model started twice) keeps it. New managed objects
// go into the model's registry; only overrides of objects vcsim already
// has must go into the caller's session registry, which the dispatcher
// prefers.
func installHostServiceSystems(m *simulator.Model) {
	reg := m.Map()
	used := map[string]bool{}
	for _, e := range reg.All("HostSystem") {
		h, ok := e.(*simulator.HostSystem)
		if !ok {
			continue
		}
		if ref := h.ConfigManager.ServiceSystem; ref != nil {
			if _, ok := reg.Get(*ref).(*hostServiceSystem); ok {
				used[ref.Value] = true
				continue
			}
		}
		value := hostManagerID(reg, used, h.Self, "HostServiceSystem", "serviceSystem")
		s := &hostServiceSystem{host: h.Self}
		s.Self = types.ManagedObjectReference{Type: "HostServiceSystem", Value: value}
		if h.Config != nil && h.Config.Service != nil {
			s.ServiceInfo = copyServiceInfo(h.Config.Service)
		}
		reg.Put(s)
		// A new pointer: vcsim's hosts share their template's
		// configManager pointers, which must not be written through.
		ref := s.Self
		h.ConfigManager.ServiceSystem = &ref
	}
}

// hostManagerID names a new manager of host as vCenter numbers a host's
// managers after it (host-21: serviceSystem-21); ESXi has one host and
// calls it plainly serviceSystem. used holds the IDs taken so far.
func hostManagerID(reg *simulator.Registry, used map[string]bool, host types.ManagedObjectReference, kind, base string) string {
	value := base
	if n, ok := strings.CutPrefix(host.Value, "host-"); ok {
		value += "-" + n
	} else if used[value] || reg.Get(types.ManagedObjectReference{Type: kind, Value: value}) != nil {
		value += "-" + host.Value
	}
	used[value] = true
	return value
}

func copyServiceInfo(in *types.HostServiceInfo) types.HostServiceInfo {
	out := types.HostServiceInfo{Service: slices.Clone(in.Service)}
	for i := range out.Service {
		out.Service[i].Ruleset = slices.Clone(out.Service[i].Ruleset)
	}
	return out
}

// change applies f to the service called key, on the host's
// config.service and on s.serviceInfo, publishing both as property
// updates. The dispatcher holds s's lock; the host's is taken here.
func (s *hostServiceSystem) change(ctx *simulator.Context, key string, f func(*types.HostService)) types.BaseMethodFault {
	h, ok := ctx.Map.Get(s.host).(*simulator.HostSystem)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: s.host}
	}
	var fault types.BaseMethodFault
	var info types.HostServiceInfo
	ctx.WithLock(h, func() {
		if h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
			fault = &types.HostNotConnected{}
			return
		}
		if h.Config == nil || h.Config.Service == nil {
			fault = &types.NotFound{}
			return
		}
		info = copyServiceInfo(h.Config.Service)
		i := slices.IndexFunc(info.Service, func(x types.HostService) bool { return x.Key == key })
		if i < 0 {
			fault = &types.NotFound{}
			return
		}
		if f == nil {
			return
		}
		f(&info.Service[i])
		next := copyServiceInfo(&info)
		ctx.Update(h, []types.PropertyChange{{Name: "config.service", Val: &next}})
	})
	if fault != nil {
		return fault
	}
	ctx.Update(s, []types.PropertyChange{{Name: "serviceInfo", Val: info}})
	return nil
}

func (s *hostServiceSystem) StartService(ctx *simulator.Context, req *types.StartService) soap.HasFault {
	body := &methods.StartServiceBody{}
	if f := s.change(ctx, req.Id, func(x *types.HostService) { x.Running = true }); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	body.Res = new(types.StartServiceResponse)
	return body
}

func (s *hostServiceSystem) StopService(ctx *simulator.Context, req *types.StopService) soap.HasFault {
	body := &methods.StopServiceBody{}
	if f := s.change(ctx, req.Id, func(x *types.HostService) { x.Running = false }); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	body.Res = new(types.StopServiceResponse)
	return body
}

// RestartService stops and starts the service: a stopped one ends up
// running, as on ESXi.
func (s *hostServiceSystem) RestartService(ctx *simulator.Context, req *types.RestartService) soap.HasFault {
	body := &methods.RestartServiceBody{}
	if f := s.change(ctx, req.Id, func(x *types.HostService) { x.Running = true }); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	body.Res = new(types.RestartServiceResponse)
	return body
}

func (s *hostServiceSystem) UpdateServicePolicy(ctx *simulator.Context, req *types.UpdateServicePolicy) soap.HasFault {
	body := &methods.UpdateServicePolicyBody{}
	switch types.HostServicePolicy(req.Policy) {
	case types.HostServicePolicyOn, types.HostServicePolicyOff, types.HostServicePolicyAutomatic:
	default:
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "policy"})
		return body
	}
	if f := s.change(ctx, req.Id, func(x *types.HostService) { x.Policy = req.Policy }); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	body.Res = new(types.UpdateServicePolicyResponse)
	return body
}

// RefreshServices re-reads the host's services into serviceInfo.
func (s *hostServiceSystem) RefreshServices(ctx *simulator.Context, req *types.RefreshServices) soap.HasFault {
	body := &methods.RefreshServicesBody{}
	h, ok := ctx.Map.Get(s.host).(*simulator.HostSystem)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: s.host})
		return body
	}
	var info types.HostServiceInfo
	var fault types.BaseMethodFault
	ctx.WithLock(h, func() {
		if h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
			fault = &types.HostNotConnected{}
			return
		}
		if h.Config != nil && h.Config.Service != nil {
			info = copyServiceInfo(h.Config.Service)
		}
	})
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	ctx.Update(s, []types.PropertyChange{{Name: "serviceInfo", Val: info}})
	body.Res = new(types.RefreshServicesResponse)
	return body
}
