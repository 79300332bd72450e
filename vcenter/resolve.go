package vcenter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// Object is a resolved managed object: what a tool acts on and what the
// audit trail and confirmations name.
type Object struct {
	Ref  types.ManagedObjectReference
	Name string
	// Path is the inventory path, e.g. /DC0/vm/web/web-01.
	Path string
}

// ID is the managed object ID, e.g. vm-42.
func (o Object) ID() string { return o.Ref.Value }

// NotFoundError says no object of a kind answers to an identifier.
type NotFoundError struct {
	Kind, Ident string
	// Scoped is set when a scope restricts this kind: the object may exist
	// outside what the caller may see.
	Scoped bool
	// Similar lists names that differ only in case, as a hint.
	Similar []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no %s matches %s", kindLabel(e.Kind), textsafe.Quote(e.Ident, textsafe.PathMax))
	if e.Scoped {
		msg += " within this profile's scope"
	}
	if len(e.Similar) > 0 {
		msg += "; did you mean " + quoteList(e.Similar) + "?"
	}
	return msg + " (" + identHint(e.Kind) + ")"
}

// AmbiguousError says a name matched more than one object.
type AmbiguousError struct {
	Kind, Ident string
	Candidates  []Object
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s matches %d %ss; use an inventory path or ID instead:", textsafe.Quote(e.Ident, textsafe.PathMax), len(e.Candidates), kindLabel(e.Kind))
	for _, c := range e.Candidates {
		fmt.Fprintf(&b, "\n  %s (%s)", textsafe.Path(c.Path), c.Ref.Value)
	}
	return b.String()
}

const maxIdentLen = 2048

var (
	uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// Managed object IDs: vm-42, domain-c7, datastore-11, group-v3, and on
	// ESXi "ha-host", "ha-datacenter" or a bare number for a VM.
	morefPattern = regexp.MustCompile(`^([a-z]+(-[a-z]+)*-[a-z]*\d+|ha-[a-z-]+|\d+)$`)
)

// Resolve finds the one object of kind (a managed object type such as
// "VirtualMachine") that ident names. ident may be an inventory path
// (absolute, or relative to the configured datacenter), a managed object
// ID, an instance or BIOS UUID (VMs, hosts), or a name. A managed object ID
// wins over a name that happens to look like one. A name that matches
// several objects is an AmbiguousError listing them, never a silent pick.
func (c *Conn) Resolve(ctx context.Context, kind, ident string) (Object, error) {
	o, _, err := c.ResolveWith(ctx, kind, ident, nil)
	return o, err
}

// ResolveWith is Resolve that also reads the object's properties props in
// the round trip that reads its path: a tool that shows what it resolved
// saves a read. The content is nil when props is empty.
func (c *Conn) ResolveWith(ctx context.Context, kind, ident string, props []string) (Object, *types.ObjectContent, error) {
	o, oc, err := c.resolve(ctx, kind, ident, props)
	var nf *NotFoundError
	if errors.As(err, &nf) && c.restricts(kind) {
		nf.Scoped = true // the same words whether or not it exists
		markScopeEmptied(ctx)
	}
	if err != nil {
		return o, nil, err
	}
	ok, err := c.permitted(ctx, o)
	if err != nil {
		return Object{}, nil, err
	}
	if !ok {
		// Out of scope reads exactly like not found: the caller learns
		// nothing about objects its role may not see.
		markScopeRefused(ctx)
		markScopeEmptied(ctx)
		return Object{}, nil, &NotFoundError{Kind: kind, Ident: ident, Scoped: true}
	}
	return o, oc, nil
}

func (c *Conn) resolve(ctx context.Context, kind, ident string, props []string) (Object, *types.ObjectContent, error) {
	ident = strings.TrimSpace(ident)
	switch {
	case ident == "":
		return Object{}, nil, fmt.Errorf("no %s given: pass its name, inventory path, or ID", kindLabel(kind))
	case len(ident) > maxIdentLen:
		return Object{}, nil, fmt.Errorf("the %s identifier is %d characters long; the limit is %d", kindLabel(kind), len(ident), maxIdentLen)
	case strings.Contains(ident, "/"):
		return c.resolvePath(ctx, kind, ident, props)
	case uuidPattern.MatchString(ident) && (kind == "VirtualMachine" || kind == "HostSystem"):
		if o, oc, ok, err := c.resolveUUID(ctx, kind, ident, props); ok || err != nil {
			return o, oc, err
		}
	case morefPattern.MatchString(ident):
		o, oc, ok, err := c.resolveMoref(ctx, kind, ident, props)
		if ok || err != nil {
			return o, oc, err
		}
	}
	return c.resolveName(ctx, kind, ident, props)
}

func (c *Conn) resolvePath(ctx context.Context, kind, p string, props []string) (Object, *types.ObjectContent, error) {
	ref, err := c.findByPath(ctx, p)
	if err != nil {
		return Object{}, nil, err
	}
	if ref == nil || !kindMatches(kind, ref.Type) {
		return Object{}, nil, &NotFoundError{Kind: kind, Ident: p}
	}
	return c.describeWith(ctx, *ref, props)
}

// findByPath looks up an inventory path, absolute or relative to the
// default datacenter; nil means nothing is there.
func (c *Conn) findByPath(ctx context.Context, p string) (*types.ManagedObjectReference, error) {
	full := p
	if !strings.HasPrefix(p, "/") {
		if c.cfg.Datacenter == "" {
			return nil, fmt.Errorf("%s is a relative inventory path and no default datacenter is set: use an absolute path like /DC0/vm/%s or set VSPHERE_DATACENTER", textsafe.Quote(p, textsafe.PathMax), textsafe.Line(p, textsafe.PathMax))
		}
		full = "/" + strings.Trim(c.cfg.Datacenter, "/") + "/" + p
	}
	ref, err := object.NewSearchIndex(c.Client).FindByInventoryPath(ctx, full)
	if err != nil {
		return nil, fmt.Errorf("look up inventory path %s: %w", textsafe.Path(full), err)
	}
	if ref == nil {
		return nil, nil
	}
	r := ref.Reference()
	return &r, nil
}

func (c *Conn) resolveUUID(ctx context.Context, kind, id string, props []string) (Object, *types.ObjectContent, bool, error) {
	si := object.NewSearchIndex(c.Client)
	vmSearch := kind == "VirtualMachine"
	for _, instance := range []bool{true, false} {
		if !vmSearch && instance {
			continue
		}
		ref, err := si.FindByUuid(ctx, nil, id, vmSearch, types.NewBool(instance))
		if err != nil {
			return Object{}, nil, false, fmt.Errorf("look up UUID %s: %w", id, err)
		}
		if ref != nil {
			o, oc, err := c.describeWith(ctx, ref.Reference(), props)
			return o, oc, err == nil, err
		}
	}
	return Object{}, nil, false, nil
}

func (c *Conn) resolveMoref(ctx context.Context, kind, id string, props []string) (Object, *types.ObjectContent, bool, error) {
	for _, t := range concreteKinds(kind) {
		o, oc, err := c.describeWith(ctx, types.ManagedObjectReference{Type: t, Value: id}, props)
		if err == nil {
			return o, oc, true, nil
		}
		if IsNotAuthenticated(err) {
			return Object{}, nil, false, err
		}
	}
	return Object{}, nil, false, nil
}

func (c *Conn) resolveName(ctx context.Context, kind, name string, props []string) (Object, *types.ObjectContent, error) {
	matches, similar, err := c.index.lookup(ctx, kind, name)
	if errors.Is(err, errIndexUnavailable) {
		matches, similar, err = c.scanNames(ctx, kind, name)
	}
	if err != nil {
		return Object{}, nil, err
	}
	if c.restricts(kind) {
		similar = nil // names outside the scope are not hinted at
	}
	return c.pickNamed(ctx, kind, name, matches, similar, props)
}

// scanNames finds the objects of kind called name by reading every
// object's name: the way before the index, and its fallback.
func (c *Conn) scanNames(ctx context.Context, kind, name string) ([]types.ManagedObjectReference, []string, error) {
	v, err := c.views.get(ctx, c.Client, c.Client.ServiceContent.RootFolder, kind)
	if err != nil {
		return nil, nil, err
	}
	var all []mo.ManagedEntity
	pc := property.DefaultCollector(c.Client)
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{{Obj: v, Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}}}},
		PropSet: []types.PropertySpec{{Type: kind, PathSet: []string{"name"}}},
	}}}
	res, err := pc.RetrieveProperties(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("search %ss by name: %w", kindLabel(kind), err)
	}
	if err := missingFault(res.Returnval); err != nil {
		return nil, nil, err
	}
	// Names are read from the property set, not with mo.LoadObjectContent
	// into ManagedEntity: mo.Network has a Name field of its own, which
	// shadows ManagedEntity's, so every network came back nameless.
	for _, oc := range res.Returnval {
		e := mo.ManagedEntity{}
		e.Self = oc.Obj
		for _, p := range oc.PropSet {
			if n, ok := p.Val.(string); ok && p.Name == "name" {
				e.Name = n
			}
		}
		all = append(all, e)
	}
	var matches []types.ManagedObjectReference
	var similar []string
	for _, e := range all {
		switch {
		case e.Name == name:
			matches = append(matches, e.Self)
		case strings.EqualFold(e.Name, name) && len(similar) < 5:
			similar = append(similar, e.Name)
		}
	}
	return matches, similar, nil
}

// pickNamed is the one object of kind called name among matches, or a
// not-found error (with similar names) or an ambiguity listing them.
func (c *Conn) pickNamed(ctx context.Context, kind, name string, matches []types.ManagedObjectReference, similar []string, props []string) (Object, *types.ObjectContent, error) {
	// Objects outside the caller's scope neither resolve nor make a name
	// ambiguous.
	if c.restricts(kind) && len(matches) > 0 {
		var visible []types.ManagedObjectReference
		for _, ref := range matches {
			ok, err := c.permitted(ctx, Object{Ref: ref})
			if err != nil {
				return Object{}, nil, err
			}
			if ok {
				visible = append(visible, ref)
			}
		}
		matches = visible
	}
	switch len(matches) {
	case 0:
		return Object{}, nil, &NotFoundError{Kind: kind, Ident: name, Similar: similar}
	case 1:
		return c.describeWith(ctx, matches[0], props)
	}
	amb := &AmbiguousError{Kind: kind, Ident: name}
	const maxListed = 20
	for _, ref := range matches[:min(len(matches), maxListed)] {
		o, err := c.describe(ctx, ref)
		if err != nil {
			o = Object{Ref: ref, Name: name, Path: "(path unavailable)"}
		}
		amb.Candidates = append(amb.Candidates, o)
	}
	slices.SortFunc(amb.Candidates, func(a, b Object) int { return strings.Compare(a.Path, b.Path) })
	return Object{}, nil, amb
}

// describe reads an object's name and inventory path in one round trip.
func (c *Conn) describe(ctx context.Context, ref types.ManagedObjectReference) (Object, error) {
	o, _, err := c.describeWith(ctx, ref, nil)
	return o, err
}

// Describe returns the name and inventory path of ref.
func (c *Conn) Describe(ctx context.Context, ref types.ManagedObjectReference) (Object, error) {
	return c.describe(ctx, ref)
}

// concreteKinds lists the types a moref of kind may carry: a "Network" may
// be a distributed port group, a compute resource a cluster.
func concreteKinds(kind string) []string {
	switch kind {
	case "Network":
		return []string{"Network", "DistributedVirtualPortgroup", "OpaqueNetwork"}
	case "ComputeResource":
		return []string{"ComputeResource", "ClusterComputeResource"}
	case "ResourcePool":
		return []string{"ResourcePool", "VirtualApp"}
	}
	return []string{kind}
}

func kindMatches(kind, actual string) bool {
	return slices.Contains(concreteKinds(kind), actual)
}

// kindInfo is how errors name a managed object type and how they tell
// the caller to find one: an inventory path and a managed object ID of
// that kind, and the tool that lists them.
type kindInfo struct {
	label, path, id, list string
}

// kinds are the managed object types Resolve takes, by type name.
var kinds = map[string]kindInfo{
	"VirtualMachine":         {"VM", "/DC0/vm/web-01", "vm-42", "vm_list"},
	"HostSystem":             {"host", "/DC0/host/cluster-01/esx-01", "host-12", "host_list"},
	"ClusterComputeResource": {"cluster", "/DC0/host/cluster-01", "domain-c7", "cluster_list"},
	"ComputeResource":        {"compute resource", "/DC0/host/cluster-01", "domain-c7 or domain-s9", "cluster_list or host_list"},
	"Datacenter":             {"datacenter", "/DC0", "datacenter-2", "datacenter_list"},
	"Datastore":              {"datastore", "/DC0/datastore/ds-01", "datastore-11", "datastore_list"},
	"Network":                {"network", "/DC0/network/VM Network", "network-12 or dvportgroup-34", "network_list"},
	"ResourcePool":           {"resource pool", "/DC0/host/cluster-01/Resources/pool-01", "resgroup-8", "resource_pool_list"},
	"Folder":                 {"folder", "/DC0/vm/web", "group-v3", "folder_list"},
}

// kindLabel is how errors name a managed object type.
func kindLabel(kind string) string {
	if k, ok := kinds[kind]; ok {
		return k.label
	}
	return kind
}

// identHint says what identifies an object of kind, with examples of its
// own, and where to list them.
func identHint(kind string) string {
	k, ok := kinds[kind]
	if !ok {
		return "identifiers are case-sensitive: a name, an inventory path like /DC0/vm/web-01, a managed object ID like vm-42, or a UUID; list candidates with the matching *_list tool"
	}
	uuid := ""
	if kind == "VirtualMachine" || kind == "HostSystem" {
		uuid = ", or a UUID"
	}
	return fmt.Sprintf("identifiers are case-sensitive: a name, an inventory path like %s, a managed object ID like %s%s; list them with %s",
		k.path, k.id, uuid, k.list)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = textsafe.Quote(n, textsafe.NameMax)
	}
	return strings.Join(q, ", ")
}

// IsNotFound reports whether err is a NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}
