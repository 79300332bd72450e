package vcenter

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// The reads every toolset shares: one object's properties, the names,
// visibility and inventory paths of many. They live here, beside the scope
// gate, so a toolset cannot read names of objects its caller may not see
// by writing its own variant.

// ReadOne reads props of a resolved object into dst (a *mo.X). An object
// deleted since it was resolved is a NotFoundError naming o.
func (c *Conn) ReadOne(ctx context.Context, o Object, props []string, dst any) error {
	objs, _, err := c.RetrieveMany(ctx, []types.ManagedObjectReference{o.Ref}, props)
	if err != nil {
		return fmt.Errorf("read %s: %w", textsafe.Path(o.Path), err)
	}
	if len(objs) == 0 {
		return &NotFoundError{Kind: kindOf(o.Ref.Type), Ident: o.Path}
	}
	if err := mo.LoadObjectContent(objs, dst); err != nil {
		return fmt.Errorf("read %s: %w", textsafe.Path(o.Path), err)
	}
	return nil
}

// ReadRef reads props of an object known only by reference (a VM's host,
// a pool's owner) into dst. Unlike ReadOne it does not apply the scope:
// callers use it for objects the result does not name.
func (c *Conn) ReadRef(ctx context.Context, ref types.ManagedObjectReference, props []string, dst any) error {
	return c.ReadOne(ctx, Object{Ref: ref, Path: ref.Value}, props, dst)
}

// PropVal returns the value of one property of oc, or nil.
func PropVal(oc types.ObjectContent, name string) any {
	for _, p := range oc.PropSet {
		if p.Name == name {
			return p.Val
		}
	}
	return nil
}

// Names returns the names of refs: from the name index when it is current
// with this connection's writes and holds them all, else read in one round
// trip. It does not apply the scope: use VisibleNames for objects a result
// lists.
func (c *Conn) Names(ctx context.Context, refs []types.ManagedObjectReference) (map[types.ManagedObjectReference]string, error) {
	refs = UniqueRefs(refs)
	if names, ok := c.index.namesOf(ctx, refs); ok {
		return names, nil
	}
	out := make(map[types.ManagedObjectReference]string, len(refs))
	objs, _, err := c.RetrieveMany(ctx, refs, []string{"name"})
	if err != nil {
		return nil, fmt.Errorf("read names: %w", err)
	}
	for _, oc := range objs {
		out[oc.Obj], _ = PropVal(oc, "name").(string)
	}
	return out, nil
}

// VisibleSet returns which of refs the caller's scope shows: all of them,
// at no cost, for an unscoped role. Tools pass every object they name or
// count but did not list or resolve themselves (the VMs of a host, the
// hosts of a datastore) through it, so a scoped role learns nothing of
// objects outside its scope.
func (c *Conn) VisibleSet(ctx context.Context, refs []types.ManagedObjectReference) (map[types.ManagedObjectReference]bool, error) {
	vis, err := c.Visible(ctx, UniqueRefs(refs))
	if err != nil {
		return nil, fmt.Errorf("apply the profile's scope: %w", err)
	}
	set := make(map[types.ManagedObjectReference]bool, len(vis))
	for _, r := range vis {
		set[r] = true
	}
	return set, nil
}

// VisibleNames reads the names of those of refs the caller's scope shows.
func (c *Conn) VisibleNames(ctx context.Context, refs []types.ManagedObjectReference) (map[types.ManagedObjectReference]string, error) {
	set, err := c.VisibleSet(ctx, refs)
	if err != nil {
		return nil, err
	}
	return c.Names(ctx, InSet(refs, set))
}

// InSet keeps the refs in set, in order.
func InSet(refs []types.ManagedObjectReference, set map[types.ManagedObjectReference]bool) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	for _, r := range refs {
		if set[r] {
			out = append(out, r)
		}
	}
	return out
}

// NamesOf maps refs onto their names, in order, skipping vanished objects.
func NamesOf(refs []types.ManagedObjectReference, names map[types.ManagedObjectReference]string) []string {
	out := make([]string, 0, len(refs))
	for _, r := range UniqueRefs(refs) {
		if n, ok := names[r]; ok {
			out = append(out, n)
		}
	}
	return out
}

// UniqueRefs drops repeated references, keeping the first of each.
func UniqueRefs(refs []types.ManagedObjectReference) []types.ManagedObjectReference {
	seen := make(map[types.ManagedObjectReference]bool, len(refs))
	out := make([]types.ManagedObjectReference, 0, len(refs))
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// InventoryPaths returns the inventory path of each ref (as govc and
// find.InventoryPath print it), reading names and parents one tree level
// per round trip for the whole page rather than one walk per object.
func (c *Conn) InventoryPaths(ctx context.Context, refs []types.ManagedObjectReference) (map[types.ManagedObjectReference]string, error) {
	type node struct {
		name   string
		parent *types.ManagedObjectReference
	}
	nodes := map[types.ManagedObjectReference]node{}
	todo := UniqueRefs(refs)
	for depth := 0; len(todo) > 0 && depth < 64; depth++ {
		objs, _, err := c.RetrieveMany(ctx, todo, []string{"name", "parent"})
		if err != nil {
			return nil, fmt.Errorf("read inventory paths: %w", err)
		}
		for _, oc := range objs {
			nodes[oc.Obj] = node{}
		}
		var next []types.ManagedObjectReference
		for _, oc := range objs {
			var n node
			n.name, _ = PropVal(oc, "name").(string)
			if p, ok := PropVal(oc, "parent").(types.ManagedObjectReference); ok {
				n.parent = &p
				if _, known := nodes[p]; !known {
					nodes[p] = node{} // queued; filled in by the next round
					next = append(next, p)
				}
			}
			nodes[oc.Obj] = n
		}
		todo = next
	}
	memo := map[types.ManagedObjectReference]string{}
	var pathOf func(types.ManagedObjectReference, int) string
	pathOf = func(r types.ManagedObjectReference, depth int) string {
		if p, ok := memo[r]; ok {
			return p
		}
		n, ok := nodes[r]
		if !ok || n.parent == nil || depth > 64 {
			return "" // the root folder is not part of a path
		}
		p := pathOf(*n.parent, depth+1) + "/" + n.name
		memo[r] = p
		return p
	}
	out := make(map[types.ManagedObjectReference]string, len(refs))
	for _, r := range refs {
		if p := pathOf(r, 0); p != "" {
			out[r] = p
		} else if _, ok := nodes[r]; ok {
			out[r] = "/"
		}
	}
	return out, nil
}
