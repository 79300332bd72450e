package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- host_service_list ----

// HostService is one service of a host.
type HostService struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Running  bool   `json:"running"`
	Policy   string `json:"policy" jsonschema:"Startup policy: on (start and stop with the host), off (manual) or automatic (with its firewall ports)"`
	Required bool   `json:"required,omitempty"`
}

// HostServiceList is host_service_list's result.
type HostServiceList struct {
	Host     string        `json:"host"`
	ID       string        `json:"id"`
	Services []HostService `json:"services"`
	Running  int           `json:"running"`
}

// Text renders the services as a table under a count line.
func (l HostServiceList) Text() string {
	t := toolkit.NewTable("key", "label", "running", "policy")
	for _, s := range l.Services {
		t.Row(s.Key, s.Label, toolkit.YesNo(s.Running), s.Policy)
	}
	return fmt.Sprintf("Host %s (%s): %d services, %d running\n%s", toolkit.Name(l.Host), l.ID, len(l.Services), l.Running, t.String())
}

func hostServiceList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "host_service_list",
		Title:       "List an ESXi host's services",
		Description: "List the services of one ESXi host (TSM-SSH, ntpd, …) with label, whether each runs and its startup policy (on, off, automatic).",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a HostArgs) (HostServiceList, error) {
		var out HostServiceList
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "HostSystem", a.Host)
			if err != nil {
				return err
			}
			svcs, err := readServices(ctx, c, []vcenter.Object{o})
			if err != nil {
				return err
			}
			out = HostServiceList{Host: o.Name, ID: o.ID(), Services: svcs[o.Ref]}
			for _, s := range out.Services {
				if s.Running {
					out.Running++
				}
			}
			return nil
		})
		return out, err
	})
}

// readServices reads the services of hosts from their config.service, in
// vCenter's order. A host vCenter reports no services for (a disconnected
// one) has none in the map.
func readServices(ctx context.Context, c *vcenter.Conn, hosts []vcenter.Object) (map[types.ManagedObjectReference][]HostService, error) {
	refs := make([]types.ManagedObjectReference, len(hosts))
	for i, h := range hosts {
		refs[i] = h.Ref
	}
	objs, _, err := c.RetrieveMany(ctx, refs, []string{"config.service"})
	if err != nil {
		return nil, fmt.Errorf("read host services: %w", err)
	}
	out := map[types.ManagedObjectReference][]HostService{}
	for _, oc := range objs {
		var info *types.HostServiceInfo
		switch v := vcenter.PropVal(oc, "config.service").(type) {
		case types.HostServiceInfo:
			info = &v
		case *types.HostServiceInfo:
			info = v
		}
		list := []HostService{}
		if info != nil {
			for _, s := range info.Service {
				list = append(list, HostService{Key: s.Key, Label: s.Label, Running: s.Running, Policy: s.Policy, Required: s.Required})
			}
		}
		out[oc.Obj] = list
	}
	return out, nil
}

func serviceKeys(list []HostService) string {
	keys := make([]string, len(list))
	for i, s := range list {
		keys[i] = s.Key
	}
	return strings.Join(keys, ", ")
}

// ---- host_service_start, _stop, _restart, _set_policy ----

// HostServiceArgs names a service on one or more hosts.
type HostServiceArgs struct {
	params.HostTargets
	Service string `json:"service" jsonschema:"The service key, e.g. TSM-SSH or ntpd (host_service_list shows them)"`
}

func (a *HostServiceArgs) Validate() error {
	if err := a.HostTargets.Validate(); err != nil {
		return err
	}
	if strings.TrimSpace(a.Service) == "" {
		return errors.New("service is required: a service key such as TSM-SSH (host_service_list shows a host's keys)")
	}
	return params.CheckServiceKey("service", a.Service)
}

// HostServicePolicyArgs sets a service's startup policy.
type HostServicePolicyArgs struct {
	HostServiceArgs
	Policy string `json:"policy" jsonschema:"enum=on,enum=off,enum=automatic"`
}

var servicePolicies = []string{"on", "off", "automatic"}

func (a *HostServicePolicyArgs) Validate() error {
	if err := a.HostServiceArgs.Validate(); err != nil {
		return err
	}
	if !slices.Contains(servicePolicies, a.Policy) {
		return fmt.Errorf("policy must be one of %s (on: starts and stops with the host; off: by hand; automatic: with the firewall ports it needs)", strings.Join(servicePolicies, ", "))
	}
	return nil
}

// serviceOp is one service action.
type serviceOp struct {
	name, title, action, description string
	risk                             policy.Risk
	idempotent                       bool
	// unchanged reports whether the service is already as the action
	// would leave it.
	unchanged func(s HostService, policy string) bool
	run       func(ctx context.Context, ss *object.HostServiceSystem, key, policy string) error
}

var serviceOps = []serviceOp{
	{"host_service_start", "Start a host service", "Start host service",
		"Start a service (e.g. TSM-SSH, ntpd) on ESXi hosts; one already running is left alone.", policy.RiskWrite, true,
		func(s HostService, _ string) bool { return s.Running },
		func(ctx context.Context, ss *object.HostServiceSystem, key, _ string) error {
			return ss.Start(ctx, key)
		}},
	{"host_service_stop", "Stop a host service", "Stop host service",
		"Stop a service on ESXi hosts, cutting off whatever uses it (open SSH sessions, time sync, CIM monitoring); one already stopped is left alone.", policy.RiskDestructive, true,
		func(s HostService, _ string) bool { return !s.Running },
		func(ctx context.Context, ss *object.HostServiceSystem, key, _ string) error { return ss.Stop(ctx, key) }},
	{"host_service_restart", "Restart a host service", "Restart host service",
		"Restart a service on ESXi hosts (a stopped one is started), e.g. after changing its configuration.", policy.RiskWrite, false,
		nil,
		func(ctx context.Context, ss *object.HostServiceSystem, key, _ string) error {
			return ss.Restart(ctx, key)
		}},
	{"host_service_set_policy", "Set a host service's startup policy", "Set startup policy of host service",
		"Set a service's startup policy on ESXi hosts: on (starts with the host), off (manual) or automatic; it does not start or stop the service now.", policy.RiskWrite, true,
		func(s HostService, p string) bool { return s.Policy == p },
		func(ctx context.Context, ss *object.HostServiceSystem, key, p string) error {
			return ss.UpdatePolicy(ctx, key, p)
		}},
}

const targetsHelp = " Takes host, a hosts list, or a host_list-style filter; reports each host's outcome."

func serviceTools() []toolkit.Tool {
	out := make([]toolkit.Tool, 0, len(serviceOps))
	for _, op := range serviceOps {
		spec := toolkit.Spec{Name: op.name, Title: op.title, Description: op.description + targetsHelp, Risk: op.risk, Idempotent: op.idempotent}
		if op.name == "host_service_set_policy" {
			out = append(out, toolkit.Define(spec, func(ctx context.Context, d toolkit.Deps, a HostServicePolicyArgs) (params.BulkResult, error) {
				return runService(ctx, d, op, a.HostServiceArgs, a.Policy)
			}))
			continue
		}
		out = append(out, toolkit.Define(spec, func(ctx context.Context, d toolkit.Deps, a HostServiceArgs) (params.BulkResult, error) {
			return runService(ctx, d, op, a, "")
		}))
	}
	return out
}

// runService resolves the hosts, refuses a service key none of them has
// (before asking the guard: a typo changes nothing and costs no write),
// then, authorized, acts on each host.
func runService(ctx context.Context, d toolkit.Deps, op serviceOp, a HostServiceArgs, pol string) (params.BulkResult, error) {
	targets, err := params.ResolveHosts(ctx, d.Session, a.HostTargets)
	if err != nil {
		return params.BulkResult{}, err
	}
	var svcs map[types.ManagedObjectReference][]HostService
	if err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
		var err error
		svcs, err = readServices(ctx, c, targets)
		return err
	}); err != nil {
		return params.BulkResult{}, err
	}
	known := false
	for _, t := range targets {
		if slices.ContainsFunc(svcs[t.Ref], func(s HostService) bool { return s.Key == a.Service }) {
			known = true
			break
		}
	}
	if !known {
		return params.BulkResult{}, unknownService(targets[0], a.Service, svcs[targets[0].Ref], len(targets))
	}
	what := op.action + " " + a.Service
	if pol != "" {
		what += " to " + pol
	}
	if err := guard.Act(ctx, what, targets...); err != nil {
		return params.BulkResult{}, err
	}
	res := params.RunBulkOf(ctx, what, "hosts", targets, func(t vcenter.Object, _ *guard.Progress) params.TargetResult {
		return serviceOne(ctx, d.Session, op, t, a.Service, pol)
	})
	if res.Failed > 0 && res.Failed == len(targets) {
		return res, res.Failure()
	}
	return res, nil
}

func unknownService(h vcenter.Object, key string, list []HostService, n int) error {
	on := "host " + toolkit.Name(h.Name)
	if n > 1 {
		on = fmt.Sprintf("any of the %d hosts", n)
	}
	if len(list) == 0 {
		return fmt.Errorf("no service %s on %s, which reports no services (is it connected? check with host_get)", toolkit.Name(key), on)
	}
	return fmt.Errorf("no service %s on %s; %s has: %s", toolkit.Name(key), on, toolkit.Name(h.Name), serviceKeys(list))
}

// serviceOne acts on one host: reads the service, reports "unchanged"
// when it already is as asked, otherwise calls the host's service system
// and reads the result back.
func serviceOne(ctx context.Context, s *vcenter.Session, op serviceOp, t vcenter.Object, key, pol string) params.TargetResult {
	r := params.TargetResult{Host: t.Name, ID: t.ID(), Service: key}
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		svc, err := oneService(ctx, c, t, key)
		if err != nil {
			return err
		}
		if op.unchanged != nil && op.unchanged(svc, pol) {
			r.Outcome = "unchanged"
			r.Running, r.Policy = &svc.Running, svc.Policy
			return nil
		}
		props, _, err := c.RetrieveMany(ctx, []types.ManagedObjectReference{t.Ref}, []string{"configManager.serviceSystem"})
		if err != nil {
			return err
		}
		var ref types.ManagedObjectReference
		if len(props) == 1 {
			ref, _ = vcenter.PropVal(props[0], "configManager.serviceSystem").(types.ManagedObjectReference)
		}
		if ref.Value == "" {
			return fmt.Errorf("host %s has no service system (vCenter reports none; is it connected?)", toolkit.Name(t.Name))
		}
		if err := op.run(ctx, object.NewHostServiceSystem(c.Client, ref), key, pol); err != nil {
			return err
		}
		if after, err := oneService(ctx, c, t, key); err == nil {
			r.Running, r.Policy = &after.Running, after.Policy
		}
		r.Outcome = "done"
		return nil
	})
	if err != nil {
		r.Outcome = "failed"
		r.Running, r.Policy = nil, ""
		r.Error = explainService(err, t.Name, key)
	}
	return r
}

// unknownKeyError is a service key the host does not have.
type unknownKeyError struct{ msg string }

func (e *unknownKeyError) Error() string { return e.msg }

func oneService(ctx context.Context, c *vcenter.Conn, t vcenter.Object, key string) (HostService, error) {
	svcs, err := readServices(ctx, c, []vcenter.Object{t})
	if err != nil {
		return HostService{}, err
	}
	list := svcs[t.Ref]
	i := slices.IndexFunc(list, func(s HostService) bool { return s.Key == key })
	if i < 0 {
		return HostService{}, &unknownKeyError{unknownService(t, key, list, 1).Error()}
	}
	return list[i], nil
}

// explainService names the fault the host answered and says what to do.
func explainService(err error, host, key string) string {
	var uk *unknownKeyError
	if errors.As(err, &uk) {
		return uk.msg
	}
	if fault.Is(err, &types.NotFound{}) {
		return fmt.Sprintf("host %s has no service %s (NotFound); host_service_list shows its services", toolkit.Name(host), toolkit.Name(key))
	}
	if fault.Is(err, &types.HostNotConnected{}) {
		return fmt.Sprintf("host %s is not connected to vCenter (HostNotConnected); reconnect it first", toolkit.Name(host))
	}
	return vcenter.Explain(err)
}
