package vcenter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// EntityKinds are the kinds ResolveAny tries for an identifier whose kind
// the caller does not know, in the order a person most likely means them.
var EntityKinds = []string{
	"VirtualMachine", "HostSystem", "ClusterComputeResource", "Datastore",
	"Datacenter", "ResourcePool", "Folder", "Network",
}

// morefKinds maps the prefix of a vCenter managed object ID onto its kind,
// so an ID resolves with one read instead of a try per kind.
var morefKinds = []struct{ prefix, kind string }{
	{"vm-", "VirtualMachine"},
	{"host-", "HostSystem"},
	{"domain-c", "ClusterComputeResource"},
	{"domain-s", "ComputeResource"},
	{"datastore-", "Datastore"},
	{"datacenter-", "Datacenter"},
	{"resgroup-", "ResourcePool"},
	{"group-", "Folder"},
	{"network-", "Network"},
	{"dvportgroup-", "Network"},
	{"ha-host", "HostSystem"},
	{"ha-datacenter", "Datacenter"},
	{"ha-root-pool", "ResourcePool"},
	{"ha-folder-", "Folder"},
}

// ResolveAny finds the one inventory object that ident names when its kind
// is not known: a managed object ID resolves by its prefix, an inventory
// path by what it points at, a name by a search of each of kinds (nil means
// EntityKinds). A name that objects of several kinds carry is an
// AmbiguousError listing them all; scope applies as in Resolve.
func (c *Conn) ResolveAny(ctx context.Context, ident string, kinds []string) (Object, error) {
	if len(kinds) == 0 {
		kinds = EntityKinds
	}
	ident = strings.TrimSpace(ident)
	if len(kinds) == 1 {
		return c.Resolve(ctx, kinds[0], ident)
	}
	switch {
	case ident == "":
		return Object{}, errors.New("no object given: pass its name, inventory path, or ID")
	case len(ident) > maxIdentLen:
		return Object{}, fmt.Errorf("the identifier is %d characters long; the limit is %d", len(ident), maxIdentLen)
	case strings.Contains(ident, "/"):
		return c.resolveAnyPath(ctx, ident, kinds)
	case morefPattern.MatchString(ident):
		for _, m := range morefKinds {
			if strings.HasPrefix(ident, m.prefix) && slices.Contains(kinds, m.kind) {
				o, err := c.Resolve(ctx, m.kind, ident)
				if err == nil || !IsNotFound(err) {
					return o, err
				}
				break // a name that looks like an ID: search by name below
			}
		}
	}
	var found []Object
	scoped := false
	for _, kind := range kinds {
		o, err := c.Resolve(ctx, kind, ident)
		var nf *NotFoundError
		switch {
		case errors.As(err, &nf):
			scoped = scoped || nf.Scoped
			continue
		case err != nil:
			return Object{}, err
		}
		found = append(found, o)
	}
	switch len(found) {
	case 0:
		return Object{}, &NotFoundError{Kind: "object", Ident: ident, Scoped: scoped}
	case 1:
		return found[0], nil
	}
	return Object{}, &AmbiguousError{Kind: "object", Ident: ident, Candidates: found}
}

func (c *Conn) resolveAnyPath(ctx context.Context, p string, kinds []string) (Object, error) {
	ref, err := c.findByPath(ctx, p)
	if err != nil {
		return Object{}, err
	}
	if ref == nil {
		return Object{}, &NotFoundError{Kind: "object", Ident: p, Scoped: c.gate != nil}
	}
	if o, err := c.describe(ctx, *ref); err != nil {
		return Object{}, err
	} else if ok, err := c.permitted(ctx, o); err != nil || !ok {
		if err == nil {
			markScopeRefused(ctx)
			err = &NotFoundError{Kind: "object", Ident: p, Scoped: true}
		}
		return Object{}, err
	}
	t := ref.Type
	i := slices.IndexFunc(kinds, func(k string) bool { return kindMatches(k, t) })
	if i < 0 {
		return Object{}, fmt.Errorf("%s is a %s, not one of the kinds this takes (%s)", textsafe.Path(p), kindLabel(t), kindList(kinds))
	}
	return c.Resolve(ctx, kinds[i], p)
}

func kindList(kinds []string) string {
	labels := make([]string, len(kinds))
	for i, k := range kinds {
		labels[i] = kindLabel(k)
	}
	return strings.Join(labels, ", ")
}
