package vcenter

import (
	"net"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// hostDateTimeSystem is the HostDateTimeSystem vcsim lacks: its hosts'
// configManager.dateTimeSystem names an object that does not exist, and
// they have no config.dateTimeInfo. This one answers as ESXi does:
// UpdateDateTimeConfig replaces the NTP server list (and time zone, of
// which ESXi only knows UTC: another is InvalidArgument), QueryDateTime
// returns the host's clock, UpdateDateTime sets it; a disconnected host
// answers HostNotConnected. The host's config.dateTimeInfo stays the one
// source of truth; the system's dateTimeInfo mirrors it.
type hostDateTimeSystem struct {
	mo.HostDateTimeSystem // first: vcsim's property collector reads it

	host types.ManagedObjectReference
	// offset is how far the host's clock is from this machine's: zero
	// until someone sets the host's time.
	offset time.Duration
}

// utcZone is the one time zone ESXi offers.
var utcZone = types.HostDateTimeSystemTimeZone{Key: "UTC", Name: "UTC", Description: "UTC", GmtOffset: 0}

// installHostDateTimeSystems gives every host of m a date/time system of
// its own, referenced from its configManager.dateTimeSystem, and a
// config.dateTimeInfo as ESXi reports it out of the box (UTC, NTP, no
// servers). A host that already has one (a model started twice) keeps it.
func installHostDateTimeSystems(m *simulator.Model) {
	reg := m.Map()
	used := map[string]bool{}
	for _, e := range reg.All("HostSystem") {
		h, ok := e.(*simulator.HostSystem)
		if !ok {
			continue
		}
		if ref := h.ConfigManager.DateTimeSystem; ref != nil {
			if _, ok := reg.Get(*ref).(*hostDateTimeSystem); ok {
				used[ref.Value] = true
				continue
			}
		}
		value := hostManagerID(reg, used, h.Self, "HostDateTimeSystem", "dateTimeSystem")
		if h.Config == nil {
			h.Config = new(types.HostConfigInfo)
		}
		if h.Config.DateTimeInfo == nil {
			h.Config.DateTimeInfo = &types.HostDateTimeInfo{
				TimeZone:            utcZone,
				SystemClockProtocol: string(types.HostDateTimeInfoProtocolNtp),
				NtpConfig:           &types.HostNtpConfig{},
			}
		}
		s := &hostDateTimeSystem{host: h.Self}
		s.Self = types.ManagedObjectReference{Type: "HostDateTimeSystem", Value: value}
		s.DateTimeInfo = copyDateTimeInfo(h.Config.DateTimeInfo)
		reg.Put(s)
		ref := s.Self // a new pointer: hosts share their template's
		h.ConfigManager.DateTimeSystem = &ref
	}
}

func copyDateTimeInfo(in *types.HostDateTimeInfo) types.HostDateTimeInfo {
	out := *in
	if in.NtpConfig != nil {
		ntp := *in.NtpConfig
		ntp.Server = append([]string(nil), in.NtpConfig.Server...)
		ntp.ConfigFile = append([]string(nil), in.NtpConfig.ConfigFile...)
		out.NtpConfig = &ntp
	}
	return out
}

// withHost runs f on the host under its lock, refusing a host that is not
// connected as ESXi's agent would be unreachable.
func (s *hostDateTimeSystem) withHost(ctx *simulator.Context, f func(h *simulator.HostSystem) types.BaseMethodFault) types.BaseMethodFault {
	h, ok := ctx.Map.Get(s.host).(*simulator.HostSystem)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: s.host}
	}
	var fault types.BaseMethodFault
	ctx.WithLock(h, func() {
		if h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
			fault = &types.HostNotConnected{}
			return
		}
		fault = f(h)
	})
	return fault
}

// validNTPServer accepts what ESXi's ntp.conf takes: an IP address or a
// host name.
func validNTPServer(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func (s *hostDateTimeSystem) UpdateDateTimeConfig(ctx *simulator.Context, req *types.UpdateDateTimeConfig) soap.HasFault {
	body := &methods.UpdateDateTimeConfigBody{}
	cfg := req.Config
	if cfg.TimeZone != "" && cfg.TimeZone != utcZone.Key {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "timeZone"})
		return body
	}
	if cfg.NtpConfig != nil {
		for _, srv := range cfg.NtpConfig.Server {
			if !validNTPServer(srv) {
				body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "ntpConfig.server"})
				return body
			}
		}
	}
	var info types.HostDateTimeInfo
	fault := s.withHost(ctx, func(h *simulator.HostSystem) types.BaseMethodFault {
		next := copyDateTimeInfo(h.Config.DateTimeInfo)
		if cfg.NtpConfig != nil {
			// The given configuration replaces the servers (and, when
			// given, the config file lines) as on ESXi.
			ntp := types.HostNtpConfig{Server: append([]string(nil), cfg.NtpConfig.Server...)}
			if cfg.NtpConfig.ConfigFile != nil {
				ntp.ConfigFile = append([]string(nil), cfg.NtpConfig.ConfigFile...)
			} else if next.NtpConfig != nil {
				ntp.ConfigFile = next.NtpConfig.ConfigFile
			}
			next.NtpConfig = &ntp
		}
		if cfg.Protocol != "" {
			next.SystemClockProtocol = cfg.Protocol
		}
		if cfg.Enabled != nil {
			next.Enabled = cfg.Enabled
		}
		info = copyDateTimeInfo(&next)
		ctx.Update(h, []types.PropertyChange{{Name: "config.dateTimeInfo", Val: &next}})
		return nil
	})
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	ctx.Update(s, []types.PropertyChange{{Name: "dateTimeInfo", Val: info}})
	body.Res = new(types.UpdateDateTimeConfigResponse)
	return body
}

func (s *hostDateTimeSystem) QueryDateTime(ctx *simulator.Context, req *types.QueryDateTime) soap.HasFault {
	body := &methods.QueryDateTimeBody{}
	var now time.Time
	fault := s.withHost(ctx, func(*simulator.HostSystem) types.BaseMethodFault {
		now = time.Now().Add(s.offset).UTC()
		return nil
	})
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	body.Res = &types.QueryDateTimeResponse{Returnval: now}
	return body
}

// UpdateDateTime sets the host's clock; ESXi keeps counting from there.
func (s *hostDateTimeSystem) UpdateDateTime(ctx *simulator.Context, req *types.UpdateDateTime) soap.HasFault {
	body := &methods.UpdateDateTimeBody{}
	fault := s.withHost(ctx, func(*simulator.HostSystem) types.BaseMethodFault {
		s.offset = time.Until(req.DateTime)
		return nil
	})
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	body.Res = new(types.UpdateDateTimeResponse)
	return body
}

func (s *hostDateTimeSystem) QueryAvailableTimeZones(ctx *simulator.Context, req *types.QueryAvailableTimeZones) soap.HasFault {
	return &methods.QueryAvailableTimeZonesBody{Res: &types.QueryAvailableTimeZonesResponse{Returnval: []types.HostDateTimeSystemTimeZone{utcZone}}}
}

// RefreshDateTimeSystem re-reads the host's configuration into dateTimeInfo.
func (s *hostDateTimeSystem) RefreshDateTimeSystem(ctx *simulator.Context, req *types.RefreshDateTimeSystem) soap.HasFault {
	body := &methods.RefreshDateTimeSystemBody{}
	var info types.HostDateTimeInfo
	fault := s.withHost(ctx, func(h *simulator.HostSystem) types.BaseMethodFault {
		info = copyDateTimeInfo(h.Config.DateTimeInfo)
		return nil
	})
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	ctx.Update(s, []types.PropertyChange{{Name: "dateTimeInfo", Val: info}})
	body.Res = new(types.RefreshDateTimeSystemResponse)
	return body
}
