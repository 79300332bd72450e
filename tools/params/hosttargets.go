package params

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// HostFilter selects hosts the way host_list does, for bulk actions.
type HostFilter struct {
	Name           string `json:"name,omitempty" jsonschema:"Name glob, e.g. esx-*"`
	Datacenter     string `json:"datacenter,omitempty"`
	Cluster        string `json:"cluster,omitempty"`
	ServiceRunning string `json:"service_running,omitempty" jsonschema:"Only hosts where this service runs (a service key, e.g. TSM-SSH)"`
}

// HostTargets names the hosts of a bulk-capable host action: one, a list,
// or a filter, bounded by max_targets like VMTargets.
type HostTargets struct {
	Host       string      `json:"host,omitempty" jsonschema:"One host: name, inventory path, ID (host-42) or hardware UUID"`
	Hosts      []string    `json:"hosts,omitempty" jsonschema:"Several hosts, each a name, path, ID or UUID"`
	Filter     *HostFilter `json:"filter,omitempty" jsonschema:"Select hosts like host_list does"`
	MaxTargets int         `json:"max_targets,omitempty" jsonschema:"Refuse when more hosts than this are selected; default 10, at most 100"`
}

func (a *HostTargets) Validate() error {
	if err := checkTargets("hosts", "host, hosts", a.Host != "", len(a.Hosts), a.Filter != nil, a.MaxTargets); err != nil {
		return err
	}
	if f := a.Filter; f != nil {
		if *f == (HostFilter{}) {
			return errors.New("filter selects every host; give at least one criterion")
		}
		if err := toolkit.CheckGlob("filter.name", f.Name); err != nil {
			return err
		}
		if err := CheckServiceKey("filter.service_running", f.ServiceRunning); err != nil {
			return err
		}
	}
	return nil
}

func (a *HostTargets) TargetLimit() int { return targetLimit(a.MaxTargets) }

// CheckServiceKey accepts an ESXi service key (TSM-SSH, ntpd,
// sfcbd-watchdog, vmware-fdm): letters, digits, '.', '_' and '-'; empty
// passes (an optional argument).
func CheckServiceKey(arg, key string) error {
	if key == "" {
		return nil
	}
	if len(key) > 64 {
		return fmt.Errorf("%s is too long for a service key (at most 64 characters)", arg)
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%s %s is not a service key (such as TSM-SSH or ntpd; host_service_list shows a host's keys)", arg, toolkit.Name(key))
		}
	}
	return nil
}

// ResolveHosts turns HostTargets into resolved hosts (scope applies in
// vcenter).
func ResolveHosts(ctx context.Context, s *vcenter.Session, a HostTargets) ([]vcenter.Object, error) {
	idents := a.Hosts
	if a.Host != "" {
		idents = []string{a.Host}
	}
	var filter func(*vcenter.Conn) (vcenter.Query, error)
	if f := a.Filter; f != nil {
		filter = func(c *vcenter.Conn) (vcenter.Query, error) {
			q := vcenter.Query{Type: "HostSystem"}
			var err error
			q.Roots, q.Within, err = ContainerFilters(ctx, c, HostContainers(f.Cluster, f.Datacenter))
			SetHostMatch(&q, f.Name, f.ServiceRunning)
			return q, err
		}
	}
	return resolveTargets(ctx, s, "HostSystem", "hosts", "host_list", idents, a.TargetLimit(), filter)
}

// HostContainers are host_list's container filters, most specific first.
func HostContainers(cluster, datacenter string) []Container {
	return []Container{{"ClusterComputeResource", cluster}, {"Datacenter", datacenter}}
}

// SetHostMatch installs host_list's client-side filters: a name glob and
// a running service, reading only the properties they need.
func SetHostMatch(q *vcenter.Query, name, serviceRunning string) {
	if name == "" && serviceRunning == "" {
		return
	}
	var props []string
	if name != "" {
		props = append(props, "name")
	}
	if serviceRunning != "" {
		props = append(props, "config.service")
	}
	q.MatchProps = props
	q.Match = func(oc types.ObjectContent) bool {
		if name != "" {
			n, _ := vcenter.PropVal(oc, "name").(string)
			if !toolkit.GlobMatch(name, n) {
				return false
			}
		}
		if serviceRunning != "" {
			s, ok := HostServiceOf(oc, serviceRunning)
			return ok && s.Running
		}
		return true
	}
}

// HostServiceOf finds the service called key in a host's config.service
// as read.
func HostServiceOf(oc types.ObjectContent, key string) (types.HostService, bool) {
	info, _ := vcenter.PropVal(oc, "config.service").(types.HostServiceInfo)
	if p, ok := vcenter.PropVal(oc, "config.service").(*types.HostServiceInfo); ok && p != nil {
		info = *p
	}
	for _, s := range info.Service {
		if s.Key == key {
			return s, true
		}
	}
	return types.HostService{}, false
}
