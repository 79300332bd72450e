package params

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMFilter selects VMs the way vm_list does, for bulk actions.
type VMFilter struct {
	Name       string `json:"name,omitempty" jsonschema:"Name glob, e.g. web-*"`
	PowerState string `json:"power_state,omitempty" jsonschema:"enum=poweredOn,enum=poweredOff,enum=suspended"`
	Datacenter string `json:"datacenter,omitempty"`
	Cluster    string `json:"cluster,omitempty"`
	Host       string `json:"host,omitempty"`
	Folder     string `json:"folder,omitempty"`
	GuestOS    string `json:"guest_os,omitempty"`
}

// VMTargets names the VMs of a bulk-capable action: one, a list, or a
// filter. A filter must not select more than max_targets VMs, so a loose
// pattern cannot act on the whole inventory.
type VMTargets struct {
	VM         string    `json:"vm,omitempty" jsonschema:"One VM: name, inventory path, ID or UUID"`
	VMs        []string  `json:"vms,omitempty" jsonschema:"Several VMs, each a name, path, ID or UUID"`
	Filter     *VMFilter `json:"filter,omitempty" jsonschema:"Select VMs like vm_list does"`
	MaxTargets int       `json:"max_targets,omitempty" jsonschema:"Refuse when more VMs than this are selected; default 10, at most 100"`
}

func (a *VMTargets) Validate() error {
	n := 0
	if a.VM != "" {
		n++
	}
	if len(a.VMs) > 0 {
		n++
	}
	if a.Filter != nil {
		n++
	}
	if n != 1 {
		return errors.New("name the VMs with exactly one of vm, vms or filter")
	}
	if a.MaxTargets < 0 || a.MaxTargets > hardMaxTargets {
		return fmt.Errorf("max_targets must be between 1 and %d", hardMaxTargets)
	}
	if len(a.VMs) > a.TargetLimit() {
		return fmt.Errorf("%d VMs given; at most %d at once (raise max_targets up to %d)", len(a.VMs), a.TargetLimit(), hardMaxTargets)
	}
	if f := a.Filter; f != nil {
		if *f == (VMFilter{}) {
			return errors.New("filter selects every VM; give at least one criterion")
		}
		if f.PowerState != "" && !slices.Contains(ValidPowerStates, f.PowerState) {
			return fmt.Errorf("filter.power_state %q is not a vSphere power state; use one of %s", f.PowerState, strings.Join(ValidPowerStates, ", "))
		}
		if err := toolkit.CheckGlob("filter.name", f.Name); err != nil {
			return err
		}
		if err := toolkit.CheckGlob("filter.guest_os", f.GuestOS); err != nil {
			return err
		}
	}
	return nil
}

func (a *VMTargets) TargetLimit() int {
	if a.MaxTargets == 0 {
		return defaultMaxTargets
	}
	return a.MaxTargets
}

// ResolveVMs turns VMTargets into resolved VMs (scope applies in vcenter).
func ResolveVMs(ctx context.Context, s *vcenter.Session, a VMTargets) ([]vcenter.Object, error) {
	idents := a.VMs
	if a.VM != "" {
		idents = []string{a.VM}
	}
	var out []vcenter.Object
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		out = out[:0]
		if a.Filter != nil {
			return resolveFilter(ctx, c, *a.Filter, a.TargetLimit(), &out)
		}
		seen := map[types.ManagedObjectReference]bool{}
		for _, id := range idents {
			o, err := c.Resolve(ctx, "VirtualMachine", id)
			if err != nil {
				return err
			}
			if !seen[o.Ref] {
				seen[o.Ref] = true
				out = append(out, o)
			}
		}
		return nil
	})
	return out, err
}

func resolveFilter(ctx context.Context, c *vcenter.Conn, f VMFilter, max int, out *[]vcenter.Object) error {
	q := vcenter.Query{Type: "VirtualMachine"}
	var err error
	if q.Roots, q.Within, err = ContainerFilters(ctx, c, VMContainers(f.Host, f.Cluster, f.Folder, f.Datacenter)); err != nil {
		return err
	}
	notTemplate := false
	SetVMMatch(&q, f.Name, f.PowerState, f.GuestOS, &notTemplate)
	refs, err := c.Select(ctx, q)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return errors.New("the filter selects no VMs; check it with vm_list")
	}
	if len(refs) > max {
		return fmt.Errorf("the filter selects %d VMs, more than max_targets=%d; narrow the filter, or raise max_targets (at most %d) if you mean all of them", len(refs), max, hardMaxTargets)
	}
	for _, r := range refs {
		o, err := c.Describe(ctx, r)
		if err != nil {
			return err
		}
		*out = append(*out, o)
	}
	return nil
}

const (
	defaultMaxTargets = 10
	hardMaxTargets    = 100
)

var ValidPowerStates = []string{"poweredOn", "poweredOff", "suspended"}

// SetVMMatch installs the client-side filters vCenter cannot apply, reading
// only the properties they need.
func SetVMMatch(q *vcenter.Query, name, power, guest string, template *bool) {
	if name == "" && power == "" && guest == "" && template == nil {
		return
	}
	var props []string
	if name != "" {
		props = append(props, "name")
	}
	if power != "" {
		props = append(props, "runtime.powerState")
	}
	if guest != "" {
		props = append(props, "config.guestId", "config.guestFullName")
	}
	if template != nil {
		props = append(props, "config.template")
	}
	q.MatchProps = props
	q.Match = func(oc types.ObjectContent) bool {
		var vName, vPower, gid, gfull string
		var tmpl bool
		for _, p := range oc.PropSet {
			switch p.Name {
			case "name":
				vName, _ = p.Val.(string)
			case "runtime.powerState":
				if ps, ok := p.Val.(types.VirtualMachinePowerState); ok {
					vPower = string(ps)
				}
			case "config.guestId":
				gid, _ = p.Val.(string)
			case "config.guestFullName":
				gfull, _ = p.Val.(string)
			case "config.template":
				tmpl, _ = p.Val.(bool)
			}
		}
		switch {
		case name != "" && !toolkit.GlobMatch(name, vName):
			return false
		case power != "" && vPower != power:
			return false
		case guest != "" && !toolkit.GlobMatch(guest, gid) && !toolkit.GlobMatch(guest, gfull):
			return false
		case template != nil && tmpl != *template:
			return false
		}
		return true
	}
}

// VMArgs names one VM.
type VMArgs struct {
	VM string `json:"vm" jsonschema:"The VM: name, inventory path (/DC0/vm/web-01), ID (vm-42) or instance UUID"`
}

func (a *VMArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return nil
}
