package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// placement defaults: key (as in the profile's defaults:), flag, VSPHERE_*
// variable, govc's variable ("" when govc has none) and the kind of object
// it names. The datacenter default is the datacenter connection setting
// (settings.go): one value for relative paths and where new VMs go.
var defaultKeys = []struct {
	key, flag, env, govc, kind, help string
}{
	{"cluster", "default-cluster", "VSPHERE_CLUSTER", "", "ClusterComputeResource", "cluster new VMs run on when a tool is not told"},
	{"host", "default-host", "VSPHERE_HOST", "GOVC_HOST", "HostSystem", "host new VMs run on when a tool is not told"},
	{"resource_pool", "default-resource-pool", "VSPHERE_RESOURCE_POOL", "GOVC_RESOURCE_POOL", "ResourcePool", "resource pool of new VMs when a tool is not told"},
	{"folder", "default-folder", "VSPHERE_FOLDER", "GOVC_FOLDER", "Folder", "VM folder of new VMs when a tool is not told"},
	{"datastore", "default-datastore", "VSPHERE_DATASTORE", "GOVC_DATASTORE", "Datastore", "datastore of new VMs and disks when a tool is not told"},
	{"network", "default-network", "VSPHERE_NETWORK", "GOVC_NETWORK", "Network", "network of new NICs when a tool is not told"},
}

// addDefaultFlags declares the placement default flags.
func addDefaultFlags(fs *pflag.FlagSet) {
	for _, k := range defaultKeys {
		fs.String(k.flag, "", k.help+" [$"+k.env+"]")
	}
}

// profileDefaults is a profile's defaults: section by key.
func profileDefaults(d config.Defaults) map[string]string {
	return map[string]string{
		"cluster": d.Cluster, "host": d.Host, "resource_pool": d.ResourcePool,
		"folder": d.Folder, "datastore": d.Datastore, "network": d.Network,
	}
}

// placementDefaults resolves the placement defaults with the precedence of
// the connection settings: flags over VSPHERE_* over the profile's
// defaults: over govc's GOVC_*. datacenter is the effective datacenter
// connection setting. The settings returned say where each came from.
func placementDefaults(fs *pflag.FlagSet, getenv func(string) string, profile config.Defaults, profileLabel, datacenter string) (vcenter.Defaults, []setting) {
	pm := profileDefaults(profile)
	var out []setting
	vals := map[string]string{}
	for _, k := range defaultKeys {
		v, src := "", ""
		if f := fs.Lookup(k.flag); f != nil && f.Changed {
			v, src = f.Value.String(), "flag --"+k.flag
		} else if e := getenv(k.env); e != "" {
			v, src = e, "env "+k.env
		} else if p := pm[k.key]; p != "" {
			v, src = p, profileLabel+" defaults"
		} else if k.govc != "" && getenv(k.govc) != "" {
			v, src = getenv(k.govc), "env "+k.govc
		}
		vals[k.key] = v
		out = append(out, setting{key: k.key, value: v, source: src})
	}
	return vcenter.Defaults{
		Datacenter: datacenter, Cluster: vals["cluster"], Host: vals["host"], ResourcePool: vals["resource_pool"],
		Folder: vals["folder"], Datastore: vals["datastore"], Network: vals["network"],
	}, out
}

// defaults are the placement defaults of these settings, with the
// effective datacenter. Under --simulator there are none: like the
// connection settings, they name objects of the profile's vCenter.
func (o *globalOptions) defaults(fs *pflag.FlagSet, s *settings, datacenter string) (vcenter.Defaults, []setting) {
	if o.simulator != "" {
		// Only the datacenter a --datacenter flag gave the demo.
		return vcenter.Defaults{Datacenter: datacenter}, nil
	}
	return placementDefaults(fs, o.getenv, s.profile.Defaults, s.profileLabel(), datacenter)
}

// defaultKind is the kind of object a default names.
func defaultKind(key string) string {
	if key == "datacenter" {
		return "Datacenter"
	}
	for _, k := range defaultKeys {
		if k.key == key {
			return k.kind
		}
	}
	return ""
}

// checkDefaults resolves each placement default set, for doctor: one line
// per default, a failure for each that names nothing.
func (d *doctor) checkDefaults(ctx context.Context, c *vcenter.Conn, dc string, srcs []setting) {
	all := srcs
	if dc != "" {
		all = append([]setting{{key: "datacenter", value: dc, source: "the datacenter setting"}}, srcs...)
	}
	// A datastore or network default is looked up as the tools look it up:
	// among those the default placement can use, so a name another
	// datacenter has too is not ambiguous (README, Placement defaults).
	var dss, nets []types.ManagedObjectReference
	where := ""
	defs := vcenter.Defaults{}
	for _, st := range srcs {
		switch st.key {
		case "cluster":
			defs.Cluster = st.value
		case "host":
			defs.Host = st.value
		case "resource_pool":
			defs.ResourcePool = st.value
		}
	}
	if pl, _, err := params.ResolvePlacementOrDefault(ctx, c, defs, params.PlaceArgs{}); err == nil && pl != nil {
		dss, nets, where, _ = pl.Available(ctx, c)
	}
	n := 0
	for _, st := range all {
		if st.value == "" {
			continue
		}
		n++
		var o vcenter.Object
		var err error
		switch {
		case st.key == "datastore" && where != "":
			o, _, err = params.PickDatastore(ctx, c, st.value, dss, where)
		case st.key == "network" && where != "":
			o, _, err = params.PickNetwork(ctx, c, st.value, nets, where)
		default:
			o, err = c.Resolve(ctx, defaultKind(st.key), st.value)
		}
		if err != nil {
			d.fail("defaults", "%s %q (from %s) does not resolve: %s; fix it or remove it, or tools fail where they use it", st.key, st.value, st.source, vcenter.Explain(err))
			continue
		}
		d.ok("defaults", "%s %s (%s), from %s", st.key, o.Path, o.ID(), st.source)
	}
	if n == 0 {
		d.ok("defaults", "no placement defaults: tools take the inventory's only candidate or ask (set defaults: in the profile, or VSPHERE_DATASTORE, VSPHERE_NETWORK, ...)")
	}
}

// describeDefault is a default's line in config show.
func describeDefault(st setting) string {
	if st.value == "" {
		return fmt.Sprintf("  %s\t-\t\n", st.key)
	}
	return fmt.Sprintf("  %s\t%s\t%s\n", st.key, st.value, st.source)
}
