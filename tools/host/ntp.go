package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- host time and NTP, as host_get shows them ----

// TimeKeeping is what host_get shows of a host's time keeping.
type TimeKeeping struct {
	NTPServers   []string `json:"ntp_servers"`
	NtpdRunning  *bool    `json:"ntpd_running,omitempty" jsonschema:"Whether the NTP daemon runs; absent when the host reports no ntpd service"`
	NtpdPolicy   string   `json:"ntpd_policy,omitempty" jsonschema:"ntpd's startup policy: on, off or automatic"`
	HostTime     string   `json:"host_time,omitempty" jsonschema:"The host's clock (RFC 3339, UTC) as it answered; absent when it could not be asked"`
	DriftSeconds *float64 `json:"drift_s,omitempty" jsonschema:"Host clock minus this machine's clock, in seconds (positive: the host is ahead)"`
}

// readHostTime fills t from a host's config.dateTimeInfo and ntpd service
// (in props, read with hostGetProps) and asks the host for its clock. A
// host that cannot answer (disconnected) just has no time.
func readHostTime(ctx context.Context, c *vcenter.Conn, info *types.HostDateTimeInfo, svc *types.HostServiceInfo, dts *types.ManagedObjectReference) TimeKeeping {
	t := TimeKeeping{NTPServers: []string{}}
	if info != nil && info.NtpConfig != nil {
		t.NTPServers = append(t.NTPServers, info.NtpConfig.Server...)
	}
	if svc != nil {
		if i := slices.IndexFunc(svc.Service, func(s types.HostService) bool { return s.Key == ntpdKey }); i >= 0 {
			running := svc.Service[i].Running
			t.NtpdRunning, t.NtpdPolicy = &running, svc.Service[i].Policy
		}
	}
	if dts == nil || dts.Value == "" {
		return t
	}
	before := time.Now()
	now, err := object.NewHostDateTimeSystem(c.Client, *dts).Query(ctx)
	after := time.Now()
	if err != nil || now == nil {
		return t
	}
	// The host read its clock somewhere during the round trip: compare
	// with its middle.
	mid := before.Add(after.Sub(before) / 2)
	drift := float64(now.Sub(mid).Milliseconds()) / 1000
	t.HostTime = now.UTC().Format(time.RFC3339)
	t.DriftSeconds = &drift
	return t
}

// text renders the time lines of host_get.
func (t TimeKeeping) text(b *strings.Builder) {
	ntp := "no servers"
	if len(t.NTPServers) > 0 {
		ntp = "servers " + toolkit.Names(t.NTPServers)
	}
	if t.NtpdRunning != nil {
		ntp += fmt.Sprintf("; ntpd %s (policy %s)", map[bool]string{true: "running", false: "stopped"}[*t.NtpdRunning], toolkit.Name(t.NtpdPolicy))
	}
	fmt.Fprintf(b, "ntp: %s\n", ntp)
	if t.HostTime != "" && t.DriftSeconds != nil {
		fmt.Fprintf(b, "host_time: %s (drift %+.1fs from this machine's clock)\n", t.HostTime, *t.DriftSeconds)
	}
}

const ntpdKey = "ntpd"

// ---- host_ntp_configure ----

// maxNTPServers bounds the list: ESXi takes more, nobody needs them.
const maxNTPServers = 8

// HostNTPArgs sets the NTP servers of hosts.
type HostNTPArgs struct {
	params.HostTargets
	Servers []string `json:"servers" jsonschema:"The NTP servers, host names or IP addresses; they replace the host's list"`
	Start   bool     `json:"start,omitempty" jsonschema:"Also set ntpd's startup policy to on and restart it, so the servers take effect now"`
}

func (a *HostNTPArgs) Validate() error {
	if err := a.HostTargets.Validate(); err != nil {
		return err
	}
	if len(a.Servers) == 0 {
		return errors.New("servers is required: one or more NTP servers, e.g. [\"0.pool.ntp.org\", \"10.0.0.1\"]")
	}
	if len(a.Servers) > maxNTPServers {
		return fmt.Errorf("%d servers given; at most %d", len(a.Servers), maxNTPServers)
	}
	seen := map[string]bool{}
	for _, s := range a.Servers {
		if err := checkNTPServer(s); err != nil {
			return err
		}
		if seen[strings.ToLower(s)] {
			return fmt.Errorf("servers lists %s twice", toolkit.Name(s))
		}
		seen[strings.ToLower(s)] = true
	}
	return nil
}

// checkNTPServer accepts an IP address or a DNS host name.
func checkNTPServer(s string) error {
	bad := fmt.Errorf("server %s is neither an IP address nor a host name (letters, digits, '-' and '.', e.g. ntp1.example.com)", toolkit.Name(s))
	if net.ParseIP(s) != nil {
		return nil
	}
	if s == "" || len(s) > 253 {
		return bad
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return bad
			}
		}
	}
	return nil
}

// NTPHost is one host's NTP configuration after host_ntp_configure.
type NTPHost struct {
	Host    string   `json:"host"`
	ID      string   `json:"id"`
	Servers []string `json:"servers"`
}

// NTPResult is host_ntp_configure's result: per host, the outcome and
// ntpd's state (service, running, policy) and the servers read back.
type NTPResult struct {
	params.BulkResult
	After []NTPHost `json:"after"`
}

// Text renders the bulk table and the servers each host has now.
func (r NTPResult) Text() string {
	var b strings.Builder
	b.WriteString(r.BulkResult.Text())
	if len(r.After) > 0 {
		t := toolkit.NewTable("host", "id", "ntp_servers")
		for _, h := range r.After {
			t.Row(h.Host, h.ID, strings.Join(h.Servers, ", "))
		}
		b.WriteString("NTP servers now:\n")
		b.WriteString(t.String())
	}
	return b.String()
}

func hostNTPConfigure() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "host_ntp_configure",
		Title: "Set ESXi hosts' NTP servers",
		Description: "Set the NTP servers of ESXi hosts (the list replaces theirs); with start=true also set ntpd's startup policy to on and " +
			"restart it so they take effect now. A host already so configured is left alone." + targetsHelp,
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a HostNTPArgs) (NTPResult, error) {
		targets, err := params.ResolveHosts(ctx, d.Session, a.HostTargets)
		if err != nil {
			return NTPResult{}, err
		}
		what := "Set NTP servers to " + toolkit.Names(a.Servers)
		if a.Start {
			what += " and restart ntpd with policy on"
		}
		if err := guard.Act(ctx, what, targets...); err != nil {
			return NTPResult{}, err
		}
		var mu sync.Mutex
		after := map[string][]string{}
		res := params.RunBulkOf(ctx, what, "hosts", targets, func(t vcenter.Object, _ *guard.Progress) params.TargetResult {
			r, servers := ntpOne(ctx, d.Session, t, a.Servers, a.Start)
			mu.Lock()
			after[t.ID()] = servers
			mu.Unlock()
			return r
		})
		out := NTPResult{BulkResult: res, After: []NTPHost{}}
		for _, t := range targets {
			if s, ok := after[t.ID()]; ok && s != nil {
				out.After = append(out.After, NTPHost{Host: t.Name, ID: t.ID(), Servers: s})
			}
		}
		if res.Failed > 0 && res.Failed == len(targets) {
			return out, res.Failure()
		}
		return out, nil
	})
}

// ntpState is a host's NTP configuration and ntpd as read.
type ntpState struct {
	servers       []string
	ntpd          *types.HostService
	dts, services types.ManagedObjectReference
	connected     bool
}

func readNTP(ctx context.Context, c *vcenter.Conn, t vcenter.Object) (ntpState, error) {
	var st ntpState
	objs, _, err := c.RetrieveMany(ctx, []types.ManagedObjectReference{t.Ref},
		[]string{"config.dateTimeInfo", "config.service", "configManager.dateTimeSystem", "configManager.serviceSystem", "runtime.connectionState"})
	if err != nil {
		return st, fmt.Errorf("read NTP configuration of host %s: %w", toolkit.Name(t.Name), err)
	}
	if len(objs) != 1 {
		return st, fmt.Errorf("host %s is gone from vCenter", toolkit.Name(t.Name))
	}
	oc := objs[0]
	st.connected = vcenter.PropVal(oc, "runtime.connectionState") == types.HostSystemConnectionStateConnected
	st.servers = []string{}
	switch v := vcenter.PropVal(oc, "config.dateTimeInfo").(type) {
	case types.HostDateTimeInfo:
		if v.NtpConfig != nil {
			st.servers = append(st.servers, v.NtpConfig.Server...)
		}
	case *types.HostDateTimeInfo:
		if v != nil && v.NtpConfig != nil {
			st.servers = append(st.servers, v.NtpConfig.Server...)
		}
	}
	if s, ok := params.HostServiceOf(oc, ntpdKey); ok {
		st.ntpd = &s
	}
	st.dts, _ = vcenter.PropVal(oc, "configManager.dateTimeSystem").(types.ManagedObjectReference)
	st.services, _ = vcenter.PropVal(oc, "configManager.serviceSystem").(types.ManagedObjectReference)
	return st, nil
}

// ntpOne configures one host: unchanged when its servers (and, with
// start, ntpd) already are as asked; otherwise the servers, then ntpd's
// policy and a restart, read back.
func ntpOne(ctx context.Context, s *vcenter.Session, t vcenter.Object, servers []string, start bool) (params.TargetResult, []string) {
	r := params.TargetResult{Host: t.Name, ID: t.ID(), Service: ntpdKey}
	var now []string
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		st, err := readNTP(ctx, c, t)
		if err != nil {
			return err
		}
		if !st.connected {
			return fmt.Errorf("host %s is not connected to vCenter (HostNotConnected); reconnect it first", toolkit.Name(t.Name))
		}
		if st.dts.Value == "" {
			return fmt.Errorf("host %s has no date/time system (vCenter reports none)", toolkit.Name(t.Name))
		}
		if start && (st.ntpd == nil || st.services.Value == "") {
			return fmt.Errorf("host %s has no ntpd service to start (host_service_list shows its services)", toolkit.Name(t.Name))
		}
		sameServers := slices.Equal(st.servers, servers)
		ntpdOK := !start || (st.ntpd.Running && st.ntpd.Policy == string(types.HostServicePolicyOn))
		if sameServers && ntpdOK {
			r.Outcome = "unchanged"
		} else {
			if !sameServers {
				cfg := types.HostDateTimeConfig{NtpConfig: &types.HostNtpConfig{Server: servers}}
				if err := object.NewHostDateTimeSystem(c.Client, st.dts).UpdateConfig(ctx, cfg); err != nil {
					return fmt.Errorf("set NTP servers: %w", err)
				}
			}
			if start {
				ss := object.NewHostServiceSystem(c.Client, st.services)
				if err := ss.UpdatePolicy(ctx, ntpdKey, string(types.HostServicePolicyOn)); err != nil {
					return fmt.Errorf("servers set; setting ntpd's policy to on failed: %w", err)
				}
				// A restart, not a start: ntpd reads its servers when it starts.
				if err := ss.Restart(ctx, ntpdKey); err != nil {
					return fmt.Errorf("servers set and ntpd's policy on; restarting ntpd failed: %w", err)
				}
			}
			r.Outcome = "done"
		}
		if after, err := readNTP(ctx, c, t); err == nil {
			now = after.servers
			if after.ntpd != nil {
				r.Running, r.Policy = &after.ntpd.Running, after.ntpd.Policy
			}
		}
		return nil
	})
	if err != nil {
		r.Outcome, r.Running, r.Policy = "failed", nil, ""
		r.Error = explainService(err, t.Name, ntpdKey)
	}
	return r, now
}
