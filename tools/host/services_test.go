package host

import (
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// hostObj finds a host of the demo inventory by name, through govmomi.
func (e *env) hostObj(name string) *object.HostSystem {
	e.T.Helper()
	h, err := find.NewFinder(e.Vim).HostSystem(e.Ctx, "/*/host/*/"+name)
	if err != nil {
		e.T.Fatal(err)
	}
	return h
}

// serviceInfo reads a host's services from its HostServiceSystem's
// serviceInfo, as a vSphere client would.
func (e *env) serviceInfo(name string) []types.HostService {
	e.T.Helper()
	ss, err := e.hostObj(name).ConfigManager().ServiceSystem(e.Ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	list, err := ss.Service(e.Ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	return list
}

// service is one service of a host as govmomi reads it.
func (e *env) service(host, key string) types.HostService {
	e.T.Helper()
	list := e.serviceInfo(host)
	i := slices.IndexFunc(list, func(s types.HostService) bool { return s.Key == key })
	if i < 0 {
		e.T.Fatalf("%s has no %s", host, key)
	}
	return list[i]
}

// runningOn lists the IDs of the hosts whose config.service says key runs.
func (e *env) runningOn(key string) []string {
	e.T.Helper()
	var ids []string
	for _, h := range toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", "config.service") {
		for _, s := range h.Config.Service.Service {
			if s.Key == key && s.Running {
				ids = append(ids, h.Self.Value)
			}
		}
	}
	return toolstest.Sorted(ids)
}

func adminEnv(t *testing.T, custom map[string]policy.RoleSpec, role string) *env {
	t.Helper()
	return newPolicyEnv(t, toolstest.Policy(t, role, custom, nil), nil)
}

// one checks a single-host bulk result and returns its row.
func one(t *testing.T, res params.BulkResult, outcome string) params.TargetResult {
	t.Helper()
	if len(res.Results) != 1 || res.Results[0].Outcome != outcome {
		t.Fatalf("want one %s result, got %+v", outcome, res)
	}
	return res.Results[0]
}

// TestHostServices runs the service tools against one simulator, reading
// each effect back through govmomi.
func TestHostServices(t *testing.T) {
	t.Parallel()
	e := adminEnv(t, nil, "admin")
	const h = "DC0_C1_H0"

	t.Run("list matches serviceInfo", func(t *testing.T) {
		e := e.at(t)
		want := e.serviceInfo(h)
		var got HostServiceList
		text := e.OK("host_service_list", map[string]any{"host": h}, &got)
		if got.Host != h || got.ID != e.hostObj(h).Reference().Value || len(got.Services) != len(want) || len(want) < 5 {
			t.Fatalf("got %+v, want %d services", got, len(want))
		}
		running := 0
		for i, s := range want {
			g := got.Services[i]
			if g.Key != s.Key || g.Label != s.Label || g.Running != s.Running || g.Policy != s.Policy || g.Required != s.Required {
				t.Errorf("service %d: got %+v, want %+v", i, g, s)
			}
			if s.Running {
				running++
			}
		}
		if got.Running != running {
			t.Errorf("running %d, want %d", got.Running, running)
		}
		toolstest.MustContain(t, text, "Host "+h+" (host-", "services, ", "key\tlabel\trunning\tpolicy\n", "TSM-SSH\tSSH\tno\toff\n", "ntpd\tNTP Daemon\t")
		toolstest.MustContain(t, e.Fails("host_service_list", map[string]any{"host": "DC9_H9"}), `no host matches "DC9_H9"`)
	})

	t.Run("start stop restart policy", func(t *testing.T) {
		e := e.at(t)
		args := map[string]any{"host": h, "service": "TSM-SSH"}
		var res params.BulkResult
		text := e.OK("host_service_start", args, &res)
		if r := one(t, res, "done"); r.Running == nil || !*r.Running || r.Host != h || r.Service != "TSM-SSH" || r.Policy != "off" {
			t.Errorf("start: %+v", r)
		}
		toolstest.MustContain(t, text, "Start host service TSM-SSH: 1 done, 0 unchanged, 0 failed\nhost\tid\toutcome\tservice\trunning\tpolicy", h+"\thost-")
		if s := e.service(h, "TSM-SSH"); !s.Running {
			t.Fatalf("started, but govmomi reads %+v", s)
		}
		e.OK("host_service_start", args, &res)
		one(t, res, "unchanged")

		e.OK("host_service_set_policy", map[string]any{"host": h, "service": "TSM-SSH", "policy": "on"}, &res)
		if r := one(t, res, "done"); r.Policy != "on" {
			t.Errorf("set_policy: %+v", r)
		}
		if s := e.service(h, "TSM-SSH"); s.Policy != "on" || !s.Running {
			t.Fatalf("policy set, but govmomi reads %+v", s)
		}
		e.OK("host_service_set_policy", map[string]any{"host": h, "service": "TSM-SSH", "policy": "on"}, &res)
		one(t, res, "unchanged")

		e.OK("host_service_stop", args, &res)
		if r := one(t, res, "done"); r.Running == nil || *r.Running {
			t.Errorf("stop: %+v", r)
		}
		if s := e.service(h, "TSM-SSH"); s.Running || s.Policy != "on" {
			t.Fatalf("stopped, but govmomi reads %+v", s)
		}
		e.OK("host_service_stop", args, &res)
		one(t, res, "unchanged")

		e.OK("host_service_restart", args, &res)
		one(t, res, "done")
		if s := e.service(h, "TSM-SSH"); !s.Running {
			t.Fatalf("restarted, but govmomi reads %+v", s)
		}
		e.OK("host_service_restart", args, &res)
		one(t, res, "done") // a restart always restarts

		// Back as it was, for the other subtests.
		e.OK("host_service_stop", args, nil)
		e.OK("host_service_set_policy", map[string]any{"host": h, "service": "TSM-SSH", "policy": "off"}, nil)
	})

	t.Run("errors", func(t *testing.T) {
		e := e.at(t)
		before := e.serviceInfo(h)
		text := e.Fails("host_service_start", map[string]any{"host": h, "service": "sshd"})
		toolstest.MustContain(t, text, "no service sshd on host "+h, "TSM-SSH", "ntpd", "DCUI")
		text = e.Fails("host_service_stop", map[string]any{"hosts": []string{h, "DC0_C1_H1"}, "service": "sshd"})
		toolstest.MustContain(t, text, "no service sshd on any of the 2 hosts", "TSM-SSH")
		tests := []struct {
			tool string
			args map[string]any
			want string
		}{
			{"host_service_start", map[string]any{"host": h}, "service is required"},
			{"host_service_start", map[string]any{"service": "TSM-SSH"}, "exactly one of host, hosts or filter"},
			{"host_service_start", map[string]any{"host": h, "hosts": []string{h}, "service": "TSM-SSH"}, "exactly one of host, hosts or filter"},
			{"host_service_start", map[string]any{"host": h, "service": "TSM SSH"}, "is not a service key"},
			{"host_service_start", map[string]any{"filter": map[string]any{}, "service": "TSM-SSH"}, "filter selects every host"},
			{"host_service_start", map[string]any{"filter": map[string]any{"name": "DC*"}, "max_targets": 2, "service": "TSM-SSH"}, "more than max_targets=2"},
			{"host_service_start", map[string]any{"filter": map[string]any{"name": "nope*"}, "service": "TSM-SSH"}, "the filter selects no hosts"},
			{"host_service_start", map[string]any{"host": h, "service": "TSM-SSH", "max_targets": 101}, "max_targets must be between 1 and 100"},
			{"host_service_start", map[string]any{"host": "DC9_H9", "service": "TSM-SSH"}, `no host matches "DC9_H9"`},
			{"host_service_set_policy", map[string]any{"host": h, "service": "TSM-SSH"}, "policy must be one of on, off, automatic"},
			{"host_service_set_policy", map[string]any{"host": h, "service": "TSM-SSH", "policy": "always"}, "policy must be one of on, off, automatic"},
			{"host_list", map[string]any{"service_running": "a b"}, "is not a service key"},
		}
		for _, tc := range tests {
			toolstest.MustContain(t, e.Fails(tc.tool, tc.args), tc.want)
		}
		if after := e.serviceInfo(h); !slices.Equal(serviceStates(after), serviceStates(before)) {
			t.Errorf("a refused call changed services:\n%v\n%v", before, after)
		}
	})

	t.Run("host_list service_running", func(t *testing.T) {
		e := e.at(t)
		if got := e.runningOn("TSM-SSH"); len(got) != 0 {
			t.Fatalf("SSH runs on %v before the test", got)
		}
		for _, name := range []string{"DC0_C0_H1", "DC1_C1_H0", "DC1_H0"} {
			ss, err := e.hostObj(name).ConfigManager().ServiceSystem(e.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := ss.Start(e.Ctx, "TSM-SSH"); err != nil {
				t.Fatal(err)
			}
		}
		want := e.runningOn("TSM-SSH")
		if len(want) != 3 {
			t.Fatalf("govmomi sees SSH on %v", want)
		}
		var got HostList
		e.OK("host_list", map[string]any{"service_running": "TSM-SSH"}, &got)
		if ids := hostIDs(got.Items); !slices.Equal(ids, want) || got.Total != 3 {
			t.Errorf("service_running: %v (total %d), want %v", ids, got.Total, want)
		}
		e.OK("host_list", map[string]any{"service_running": "TSM-SSH", "datacenter": "DC1", "name": "*_C1_*"}, &got)
		if ids := hostIDs(got.Items); len(ids) != 1 || ids[0] != e.hostObj("DC1_C1_H0").Reference().Value {
			t.Errorf("service_running with datacenter and name: %v", ids)
		}
		e.OK("host_list", map[string]any{"service_running": "no-such-service"}, &got)
		if got.Total != 0 {
			t.Errorf("an unknown service runs on %d hosts", got.Total)
		}

		// "Which hosts run SSH? Turn it off on all of them."
		var res params.BulkResult
		e.OK("host_service_stop", map[string]any{"filter": map[string]any{"service_running": "TSM-SSH"}, "service": "TSM-SSH"}, &res)
		if res.Succeeded != 3 || res.Failed != 0 || len(res.Results) != 3 {
			t.Errorf("stop by filter: %+v", res)
		}
		if got := e.runningOn("TSM-SSH"); len(got) != 0 {
			t.Errorf("SSH still runs on %v", got)
		}
	})

	// Last: it disconnects a host.
	t.Run("bulk with one failing", func(t *testing.T) {
		e := e.at(t)
		task, err := e.hostObj("DC0_C0_H1").Disconnect(e.Ctx)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		var res params.BulkResult
		text := e.OK("host_service_start", map[string]any{"hosts": []string{"DC0_C0_H0", "DC0_C0_H1"}, "service": "ntpd"}, &res)
		if res.Succeeded != 1 || res.Failed != 1 || len(res.Results) != 2 {
			t.Fatalf("bulk: %+v", res)
		}
		for _, r := range res.Results {
			switch r.Host {
			case "DC0_C0_H0":
				if r.Outcome != "done" || r.Running == nil || !*r.Running {
					t.Errorf("connected host: %+v", r)
				}
			case "DC0_C0_H1":
				if r.Outcome != "failed" || !strings.Contains(r.Error, "not connected") {
					t.Errorf("disconnected host: %+v", r)
				}
			default:
				t.Errorf("unexpected row %+v", r)
			}
		}
		toolstest.MustContain(t, text, "1 done, 0 unchanged, 1 failed", "DC0_C0_H1\thost-", "\tfailed\t")
		if !e.service("DC0_C0_H0", "ntpd").Running {
			t.Error("ntpd not running on the connected host")
		}
		// Every host failing is the call's error, with the detail.
		toolstest.MustContain(t, e.Fails("host_service_start", map[string]any{"host": "DC0_C0_H1", "service": "ntpd"}),
			"0 done, 0 unchanged, 1 failed", "not connected")
	})
}

func serviceStates(list []types.HostService) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Key+" "+s.Policy+" "+map[bool]string{true: "running", false: "stopped"}[s.Running])
	}
	return out
}

// TestHostServicesPolicy: host changes are admin's alone, and a protected
// host is refused before anything changes, alone or among others.
func TestHostServicesPolicy(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"ops": {Inherits: "admin", Protect: []string{"/DC0/host/DC0_C1"}}}
	e := adminEnv(t, custom, "ops")
	before := e.runningOn("TSM-SSH")
	toolstest.MustContain(t, e.Fails("host_service_start", map[string]any{"host": "DC0_C1_H0", "service": "TSM-SSH"}), "is protected by policy")
	toolstest.MustContain(t, e.Fails("host_service_start", map[string]any{"filter": map[string]any{"datacenter": "DC0"}, "service": "TSM-SSH"}), "is protected by policy")
	if after := e.runningOn("TSM-SSH"); !slices.Equal(after, before) {
		t.Errorf("a refused start changed SSH: %v → %v", before, after)
	}
	// An unprotected host still works under the same role.
	var res params.BulkResult
	e.OK("host_service_start", map[string]any{"host": "DC0_C0_H0", "service": "TSM-SSH"}, &res)
	one(t, res, "done")

	// vm-admin, the strongest role below admin, is not served host
	// changes; it still lists services.
	listed := adminEnv(t, nil, "vm-admin").ListedTools()
	for _, name := range []string{"host_service_start", "host_service_stop", "host_service_restart", "host_service_set_policy"} {
		if slices.Contains(listed, name) {
			t.Errorf("vm-admin is served %s", name)
		}
	}
	if !slices.Contains(listed, "host_service_list") {
		t.Error("vm-admin cannot list host services")
	}
}

// TestHostServicesScope: a role scoped to DC0 neither sees nor changes
// DC1's hosts, whether named or selected by a filter.
func TestHostServicesScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0-admin": {Inherits: "admin", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	e := adminEnv(t, custom, "dc0-admin")
	var res params.BulkResult
	e.OK("host_service_start", map[string]any{"filter": map[string]any{"name": "*_H0"}, "service": "TSM-SSH"}, &res)
	var acted []string
	for _, r := range res.Results {
		acted = append(acted, r.Host)
	}
	if want := []string{"DC0_C0_H0", "DC0_C1_H0", "DC0_H0"}; !slices.Equal(toolstest.Sorted(acted), want) || res.Succeeded != 3 {
		t.Errorf("filter acted on %v (%+v), want %v", acted, res, want)
	}
	var inDC0 []string
	for _, name := range []string{"DC0_C0_H0", "DC0_C1_H0", "DC0_H0"} {
		inDC0 = append(inDC0, e.hostObj(name).Reference().Value)
	}
	if got := e.runningOn("TSM-SSH"); !slices.Equal(got, toolstest.Sorted(inDC0)) {
		t.Errorf("SSH runs on %v, want only %v", got, inDC0)
	}
	toolstest.MustContain(t, e.Fails("host_service_start", map[string]any{"host": "DC1_H0", "service": "TSM-SSH"}), `no host matches "DC1_H0"`)
	toolstest.MustContain(t, e.Fails("host_service_list", map[string]any{"host": "DC1_H0"}), `no host matches "DC1_H0"`)
	if e.service("DC1_H0", "TSM-SSH").Running {
		t.Error("an out-of-scope host's SSH was started")
	}
	// Out of scope, DC1's running SSH is not listed either.
	ss, err := e.hostObj("DC1_C0_H0").ConfigManager().ServiceSystem(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Start(e.Ctx, "TSM-SSH"); err != nil {
		t.Fatal(err)
	}
	var got HostList
	e.OK("host_list", map[string]any{"service_running": "TSM-SSH"}, &got)
	if ids := hostIDs(got.Items); !slices.Equal(ids, toolstest.Sorted(inDC0)) {
		t.Errorf("host_list service_running in scope: %v, want %v", ids, inDC0)
	}
}
