package params

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Placement defaults (toolkit.Deps.Defaults: the profile's defaults:,
// VSPHERE_* and GOVC_* variables) fill the arguments a tool left out.
// The order everywhere: the argument, then the default, then the
// inventory's only candidate (or the pick the tool documents), else an
// error listing the candidates. Each helper returns a note for the
// result's defaults list when a default was used.

// DefaultFor returns arg, or the default def when arg is empty; note says
// so ("datastore X: the placement default"), empty when arg was given or
// there is no default.
func DefaultFor(what, arg, def string) (ident, note string) {
	if arg != "" || def == "" {
		return arg, ""
	}
	return def, fmt.Sprintf("%s %s: the placement default", what, toolkit.Quote(def, toolkit.NameMax))
}

// DefaultNetwork is the network argument or the default network.
func DefaultNetwork(defs vcenter.Defaults, arg string) (ident, note string) {
	return DefaultFor("network", arg, defs.Network)
}

// DefaultDatastore is the datastore argument or the default datastore.
func DefaultDatastore(defs vcenter.Defaults, arg string) (ident, note string) {
	return DefaultFor("datastore", arg, defs.Datastore)
}

// DefaultFolder is the folder argument or the default folder.
func DefaultFolder(defs vcenter.Defaults, arg string) (ident, note string) {
	return DefaultFor("folder", arg, defs.Folder)
}

// DefaultPlacement is the compute placement arguments, or when none is
// given the default cluster, host and resource pool (together: they are
// one choice, so a named host never mixes with a default cluster).
func DefaultPlacement(defs vcenter.Defaults, a PlaceArgs) (PlaceArgs, string) {
	if a.Given() {
		return a, ""
	}
	d := PlaceArgs{Cluster: defs.Cluster, Host: defs.Host, Pool: defs.ResourcePool}
	if !d.Given() {
		return a, ""
	}
	var parts []string
	for _, p := range []struct{ k, v string }{{"cluster", d.Cluster}, {"host", d.Host}, {"resource_pool", d.Pool}} {
		if p.v != "" {
			parts = append(parts, p.k+" "+toolkit.Quote(p.v, toolkit.NameMax))
		}
	}
	return d, "placement " + strings.Join(parts, ", ") + ": the placement defaults"
}

// DefaultDatacenter resolves the default datacenter, nil when there is
// none: where the inventory's only candidate is looked for.
func DefaultDatacenter(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults) (*vcenter.Object, error) {
	if defs.Datacenter == "" {
		return nil, nil
	}
	dc, err := c.Resolve(ctx, "Datacenter", defs.Datacenter)
	if err != nil {
		return nil, fmt.Errorf("the default datacenter (placement defaults): %w", err)
	}
	return &dc, nil
}

// PickNetworkOrDefault is PickNetwork of the argument, else of the default
// network, else of the placement's own choice. An unusable default is an
// error that says it is the default, so the caller knows to pass network.
func PickNetworkOrDefault(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, arg string, candidates []types.ManagedObjectReference, where string) (vcenter.Object, string, error) {
	ident, note := DefaultNetwork(defs, arg)
	n, detail, err := PickNetwork(ctx, c, ident, candidates, where)
	if err != nil && note != "" {
		return n, "", fmt.Errorf("the default network (placement defaults): %w; pass network to choose another", err)
	}
	if note != "" {
		detail = note
	}
	return n, detail, err
}

// PickDatastoreOrDefault is PickDatastore of the argument, else of the
// default datastore, else the placement's datastore with most free space.
func PickDatastoreOrDefault(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, arg string, candidates []types.ManagedObjectReference, where string) (vcenter.Object, string, error) {
	ident, note := DefaultDatastore(defs, arg)
	ds, detail, err := PickDatastore(ctx, c, ident, candidates, where)
	if err != nil && note != "" {
		return ds, "", fmt.Errorf("the default datastore (placement defaults): %w; pass datastore to choose another", err)
	}
	if note != "" {
		detail = note
	}
	return ds, detail, err
}

// ResolvePlacementOrDefault is ResolvePlacement of the arguments, else of
// the default cluster, host and resource pool; nil when neither names
// one. note is set when the defaults were used.
func ResolvePlacementOrDefault(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, a PlaceArgs) (*Placement, string, error) {
	pa, note := DefaultPlacement(defs, a)
	pl, err := ResolvePlacement(ctx, c, pa)
	if err != nil && note != "" {
		return nil, "", fmt.Errorf("the default placement (placement defaults): %w; pass cluster, host or resource_pool to choose another", err)
	}
	return pl, note, err
}
