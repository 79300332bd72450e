package vcenter

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// Placement locates an object in the inventory: what a scope decides on.
// It mirrors policy.Object field for field, so tools/ converts one into the
// other without vcenter knowing policy.
type Placement struct {
	Type       string
	Name       string
	Path       string
	Datacenter string
	Cluster    string
}

// Gate restricts which objects the caller may see and act on. The Session
// applies it inside Resolve and List, the paths every tool's targets and
// listings go through, so no tool can forget the check.
type Gate interface {
	// Restricts reports whether objects of kind may be hidden at all; when
	// false, listings of kind skip the cost of placing every object.
	Restricts(kind string) bool
	// Permits reports whether the object may be seen.
	Permits(Placement) bool
}

// SessionOption configures a Session.
type SessionOption func(*Session)

// WithoutNameIndex makes the session find objects by name with a scan of
// the inventory, as before the name index (for comparisons and tests).
func WithoutNameIndex() SessionOption {
	return func(s *Session) { s.noIndex = true }
}

// WithGate makes every resolution and listing of the session pass g.
func WithGate(g Gate) SessionOption {
	return func(s *Session) { s.gate = g }
}

func (c *Conn) restricts(kind string) bool {
	return c.gate != nil && c.gate.Restricts(kind)
}

// permitted places one resolved object and asks the gate.
func (c *Conn) permitted(ctx context.Context, o Object) (bool, error) {
	if !c.restricts(o.Ref.Type) && !c.restricts(kindOf(o.Ref.Type)) {
		return true, nil
	}
	p, err := c.place(ctx, o.Ref)
	if err != nil {
		return false, fmt.Errorf("place %s in the inventory: %w", textsafe.Path(o.Path), err)
	}
	return c.gate.Permits(p), nil
}

// kindOf maps concrete types onto the kinds tools ask for.
func kindOf(t string) string {
	switch t {
	case "DistributedVirtualPortgroup", "OpaqueNetwork":
		return "Network"
	case "VirtualApp":
		return "ResourcePool"
	}
	return t
}

// place computes one object's placement from its ancestors (one read) and,
// for a VM, the cluster of its host (two more).
func (c *Conn) place(ctx context.Context, ref types.ManagedObjectReference) (Placement, error) {
	pc := c.Client.ServiceContent.PropertyCollector
	anc, err := mo.Ancestors(ctx, c.Client, pc, ref)
	if err != nil {
		return Placement{}, err
	}
	p := Placement{Type: ref.Type}
	var names []string
	for i, e := range anc {
		if i > 0 { // the root folder has no place in paths
			names = append(names, e.Name)
		}
		switch e.Self.Type {
		case "Datacenter":
			p.Datacenter = e.Name
		case "ClusterComputeResource":
			p.Cluster = e.Name
		}
	}
	p.Path = "/" + strings.Join(names, "/")
	if len(anc) > 0 {
		p.Name = anc[len(anc)-1].Name
	}
	if ref.Type == "VirtualMachine" {
		var vm mo.VirtualMachine
		if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, ref, []string{"runtime.host"}, &vm); err != nil {
			return Placement{}, err
		}
		if vm.Runtime.Host != nil {
			var h mo.HostSystem
			if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, *vm.Runtime.Host, []string{"parent"}, &h); err != nil {
				return Placement{}, err
			}
			if h.Parent != nil && h.Parent.Type == "ClusterComputeResource" {
				var cl mo.ManagedEntity
				if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, *h.Parent, []string{"name"}, &cl); err != nil {
					return Placement{}, err
				}
				p.Cluster = cl.Name
			}
		}
	}
	return p, nil
}

// placer places many objects of a listing from one read of the inventory's
// skeleton (folders, datacenters, compute resources, hosts, pools: names
// and parents), instead of a read per object.
type placer struct {
	ents map[types.ManagedObjectReference]skelEntity
}

type skelEntity struct {
	name   string
	parent *types.ManagedObjectReference
}

var skeletonTypes = []string{"Folder", "Datacenter", "ComputeResource", "HostSystem", "ResourcePool"}

func (c *Conn) newPlacer(ctx context.Context) (*placer, error) {
	v, err := c.views.get(ctx, c.Client, c.Client.ServiceContent.RootFolder, strings.Join(skeletonTypes, ","))
	if err != nil {
		return nil, err
	}
	var specs []types.PropertySpec
	for _, t := range skeletonTypes {
		specs = append(specs, types.PropertySpec{Type: t, PathSet: []string{"name", "parent"}})
	}
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{{Obj: v, Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}}}},
		PropSet: specs,
	}}}
	res, err := property.DefaultCollector(c.Client).RetrieveProperties(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read the inventory skeleton: %w", err)
	}
	if err := missingFault(res.Returnval); err != nil {
		return nil, err
	}
	pl := &placer{ents: make(map[types.ManagedObjectReference]skelEntity, len(res.Returnval))}
	for _, oc := range res.Returnval {
		var e skelEntity
		for _, p := range oc.PropSet {
			switch v := p.Val.(type) {
			case string:
				e.name = v
			case types.ManagedObjectReference:
				e.parent = &v
			}
		}
		pl.ents[oc.Obj] = e
	}
	return pl, nil
}

// placementProps are the properties placer.place reads from each object.
func placementProps(kind string) []string {
	if kind == "VirtualMachine" {
		return []string{"name", "parent", "runtime.host"}
	}
	return []string{"name", "parent"}
}

func (pl *placer) place(oc types.ObjectContent) Placement {
	p := Placement{Type: oc.Obj.Type}
	var parent, host *types.ManagedObjectReference
	for _, prop := range oc.PropSet {
		switch prop.Name {
		case "name":
			p.Name, _ = prop.Val.(string)
		case "parent":
			if r, ok := prop.Val.(types.ManagedObjectReference); ok {
				parent = &r
			}
		case "runtime.host":
			if r, ok := prop.Val.(types.ManagedObjectReference); ok {
				host = &r
			}
		}
	}
	segs := []string{p.Name}
	for r := parent; r != nil; {
		e, ok := pl.ents[*r]
		if !ok || e.parent == nil { // the root folder, or unknown: stop
			break
		}
		segs = append(segs, e.name)
		switch r.Type {
		case "Datacenter":
			p.Datacenter = e.name
		case "ClusterComputeResource":
			p.Cluster = e.name
		}
		r = e.parent
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	p.Path = "/" + strings.Join(segs, "/")
	if host != nil {
		if h, ok := pl.ents[*host]; ok && h.parent != nil && h.parent.Type == "ClusterComputeResource" {
			p.Cluster = pl.ents[*h.parent].name
		}
	}
	return p
}

// Visible returns the refs the gate lets the caller see, in order. Tools
// use it where they name objects they did not list or resolve themselves
// (the VMs of a datastore, the hosts of a cluster), so a scoped role does
// not learn of objects outside its scope.
func (c *Conn) Visible(ctx context.Context, refs []types.ManagedObjectReference) ([]types.ManagedObjectReference, error) {
	restricted := false
	for _, r := range refs {
		if c.restricts(r.Type) || c.restricts(kindOf(r.Type)) {
			restricted = true
			break
		}
	}
	if !restricted || len(refs) == 0 {
		return refs, nil
	}
	pl, err := c.newPlacer(ctx)
	if err != nil {
		return nil, err
	}
	props := []string{"name", "parent", "runtime.host"}
	var out []types.ManagedObjectReference
	byType := map[string][]types.ManagedObjectReference{}
	for _, r := range refs {
		byType[r.Type] = append(byType[r.Type], r)
	}
	keep := map[types.ManagedObjectReference]bool{}
	for t, rs := range byType {
		if !c.restricts(t) && !c.restricts(kindOf(t)) {
			for _, r := range rs {
				keep[r] = true
			}
			continue
		}
		ps := props[:2]
		if t == "VirtualMachine" {
			ps = props
		}
		objs, _, err := c.RetrieveMany(ctx, rs, ps)
		if err != nil {
			return nil, err
		}
		for _, oc := range objs {
			if c.gate.Permits(pl.place(oc)) {
				keep[oc.Obj] = true
			}
		}
	}
	for _, r := range refs {
		if keep[r] {
			out = append(out, r)
		}
	}
	return out, nil
}
