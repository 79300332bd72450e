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
	Tag        string `json:"tag,omitempty"` // category:tag or a tag ID, as vm_list's tag; no schema text, for the default catalog's size budget
}

// VMTargets names the VMs of a bulk-capable action: one, a list, or a
// filter. A filter must not select more than max_targets VMs, so a loose
// pattern cannot act on the whole inventory.
type VMTargets struct {
	VM         string    `json:"vm,omitempty" jsonschema:"One VM: name, path, ID or UUID"`
	VMs        []string  `json:"vms,omitempty" jsonschema:"Several VMs, each as for vm"`
	Filter     *VMFilter `json:"filter,omitempty" jsonschema:"Select VMs like vm_list does"`
	MaxTargets int       `json:"max_targets,omitempty" jsonschema:"Refuse more VMs than this (default 10, max 100)"`
}

func (a *VMTargets) Validate() error {
	if err := checkTargets("VMs", "vm, vms", a.VM != "", len(a.VMs), a.Filter != nil, a.MaxTargets); err != nil {
		return err
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
		if f.Tag != "" {
			if err := CheckTagIdent("filter.tag", f.Tag); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *VMTargets) TargetLimit() int { return targetLimit(a.MaxTargets) }

// checkTargets is what every bulk target shape checks: exactly one of the
// single, list and filter forms (args names the first two), and the list
// and max_targets within bounds.
func checkTargets(noun, args string, one bool, many int, filter bool, maxTargets int) error {
	n := 0
	for _, given := range []bool{one, many > 0, filter} {
		if given {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("name the %s with exactly one of %s or filter", noun, args)
	}
	if maxTargets < 0 || maxTargets > hardMaxTargets {
		return fmt.Errorf("max_targets must be between 1 and %d", hardMaxTargets)
	}
	if limit := targetLimit(maxTargets); many > limit {
		return fmt.Errorf("%d %s given; at most %d at once (raise max_targets up to %d)", many, noun, limit, hardMaxTargets)
	}
	return nil
}

// targetLimit is max_targets, or its default when unset.
func targetLimit(maxTargets int) int {
	if maxTargets == 0 {
		return defaultMaxTargets
	}
	return maxTargets
}

// ResolveVMs turns VMTargets into resolved VMs (scope applies in vcenter).
func ResolveVMs(ctx context.Context, s *vcenter.Session, a VMTargets) ([]vcenter.Object, error) {
	idents := a.VMs
	if a.VM != "" {
		idents = []string{a.VM}
	}
	var filter func(*vcenter.Conn) (vcenter.Query, error)
	if f := a.Filter; f != nil {
		filter = func(c *vcenter.Conn) (vcenter.Query, error) {
			q := vcenter.Query{Type: "VirtualMachine"}
			var err error
			q.Roots, q.Within, err = ContainerFilters(ctx, c, VMContainers(f.Host, f.Cluster, f.Folder, f.Datacenter))
			notTemplate := false
			SetVMMatch(&q, f.Name, f.PowerState, f.GuestOS, &notTemplate)
			if err == nil && f.Tag != "" {
				var set map[types.ManagedObjectReference]bool
				if set, err = VMsTagged(ctx, c, f.Tag); err == nil {
					OnlyRefs(&q, set)
				}
			}
			return q, err
		}
	}
	return resolveTargets(ctx, s, "VirtualMachine", "VMs", "vm_list", idents, a.TargetLimit(), filter)
}

// resolveTargets resolves a bulk target shape: the objects the filter's
// query selects (at least one, at most limit), or else each identifier,
// once. noun and listTool word the errors ("VMs", "vm_list").
func resolveTargets(ctx context.Context, s *vcenter.Session, kind, noun, listTool string, idents []string, limit int,
	filter func(*vcenter.Conn) (vcenter.Query, error)) ([]vcenter.Object, error) {
	var out []vcenter.Object
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		out = out[:0]
		if filter != nil {
			q, err := filter(c)
			if err != nil {
				return err
			}
			refs, err := c.Select(ctx, q)
			if err != nil {
				return err
			}
			if len(refs) == 0 {
				return fmt.Errorf("the filter selects no %s; check it with %s", noun, listTool)
			}
			if len(refs) > limit {
				return fmt.Errorf("the filter selects %d %s, more than max_targets=%d; narrow the filter, or raise max_targets (at most %d) if you mean all of them", len(refs), noun, limit, hardMaxTargets)
			}
			for _, r := range refs {
				o, err := c.Describe(ctx, r)
				if err != nil {
					return err
				}
				out = append(out, o)
			}
			return nil
		}
		seen := map[types.ManagedObjectReference]bool{}
		for _, id := range idents {
			o, err := c.Resolve(ctx, kind, id)
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
