package ovf

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	vapivc "github.com/vmware/govmomi/vapi/vcenter"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// SourceArgs name a package: a local file, or a content library item.
type SourceArgs struct {
	Source  string `json:"source,omitempty" jsonschema:"Local .ova file, or .ovf descriptor with its disks beside it; must be inside an allowed local directory (MCP roots or the profile's local_files.read)"`
	Library string `json:"library,omitempty" jsonschema:"Content library (name or ID) holding the item; instead of source"`
	Item    string `json:"item,omitempty" jsonschema:"Item of library (name or ID)"`
}

func (a *SourceArgs) Validate() error {
	switch {
	case a.Source != "" && (a.Library != "" || a.Item != ""):
		return errors.New("give source (a local .ova/.ovf) or library and item, not both")
	case a.Source == "" && a.Library == "" && a.Item == "":
		return errors.New("source is required: a local .ova or .ovf path (or library and item for a content library item)")
	case a.Source == "" && (a.Library == "" || a.Item == ""):
		return errors.New("a content library item needs both library and item")
	case len(a.Source) > 4096:
		return errors.New("source is too long for a local path")
	}
	return nil
}

// openSource checks and opens a local package.
func openSource(ctx context.Context, d toolkit.Deps, src string) (*params.OVFPackage, error) {
	p, err := params.LocalPath(ctx, d, "source", src, localfiles.Read)
	if err != nil {
		return nil, err
	}
	return params.OpenOVFPackage(p)
}

// TargetArgs are where a package would go, for the acceptance check.
type TargetArgs struct {
	Cluster      string            `json:"cluster,omitempty" jsonschema:"Cluster to deploy to (its root resource pool)"`
	Host         string            `json:"host,omitempty" jsonschema:"Host to deploy to"`
	ResourcePool string            `json:"resource_pool,omitempty" jsonschema:"Resource pool to deploy into"`
	Datastore    string            `json:"datastore,omitempty" jsonschema:"Datastore for the VM's files; default the placement default, else the one with most free space"`
	NetworkMap   map[string]string `json:"network_mapping,omitempty" jsonschema:"OVF network name → vSphere network (name, path or ID); unmapped OVF networks get the default network"`
}

// OVFInspectArgs name a package and optionally a target to check it on.
type OVFInspectArgs struct {
	SourceArgs
	TargetArgs
}

// OVFInspectResult describes a package.
type OVFInspectResult struct {
	Source string `json:"source"`
	params.OVFSummary
	Library string `json:"library,omitempty"`
	Item    string `json:"item,omitempty"`
	// Checked is set when a target was given: what vCenter's
	// CreateImportSpec says of the package there.
	Checked  bool     `json:"checked"`
	Target   string   `json:"target,omitempty"`
	Accepted bool     `json:"accepted,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Defaults []string `json:"defaults,omitempty"`
}

// Text renders the package and the check.
func (r OVFInspectResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Package %s: VM %s", toolkit.Quote(r.Source, 0), toolkit.Name(r.Name))
	if r.Product != "" {
		fmt.Fprintf(&b, ", product %s", toolkit.Name(r.Product))
	}
	if r.SizeBytes > 0 {
		fmt.Fprintf(&b, ", %s GB to transfer", toolkit.GiB(r.SizeBytes))
	}
	if r.CPUs > 0 || r.MemoryMB > 0 {
		fmt.Fprintf(&b, ", %d vCPU, %d MB", r.CPUs, r.MemoryMB)
	}
	if r.GuestOS != "" {
		fmt.Fprintf(&b, ", guest %s", toolkit.Name(r.GuestOS))
	}
	fmt.Fprintf(&b, ", EULA: %s\n", toolkit.YesNo(r.EULA))
	for _, d := range r.Disks {
		fmt.Fprintf(&b, "disk %s: %s GB", toolkit.Name(d.ID), toolkit.GiB(d.CapacityBytes))
		if d.File != "" {
			fmt.Fprintf(&b, " from %s (%s GB)", toolkit.Name(d.File), toolkit.GiB(d.FileBytes))
		}
		b.WriteByte('\n')
	}
	for _, n := range r.Networks {
		fmt.Fprintf(&b, "network %s", toolkit.Name(n.Name))
		if n.Description != "" {
			fmt.Fprintf(&b, ": %s", toolkit.FreeTextN("description", n.Description, 200))
		}
		b.WriteByte('\n')
	}
	for _, o := range r.DeploymentOptions {
		def := ""
		if o.Default {
			def = " (default)"
		}
		fmt.Fprintf(&b, "deployment option %s%s: %s\n", toolkit.Name(o.ID), def, toolkit.Name(o.Label))
	}
	if len(r.Properties) > 0 {
		t := toolkit.NewTable("key", "type", "default", "user_configurable", toolkit.DataColumn("description"))
		for _, p := range r.Properties {
			typ := p.Type
			if p.Qualifiers != "" {
				typ += " " + p.Qualifiers
			}
			def := p.Default
			if p.Password && def != "" {
				def = "(hidden)"
			}
			desc := p.Label
			if p.Description != "" {
				desc = strings.TrimSpace(desc + ": " + p.Description)
			}
			t.Row(p.Key, typ, def, toolkit.YesNo(p.UserConfigurable), desc)
		}
		fmt.Fprintf(&b, "%d vApp properties:\n%s", len(r.Properties), t.String())
	}
	if r.Checked {
		verdict := "accepts it"
		if !r.Accepted {
			verdict = "refuses it"
		}
		fmt.Fprintf(&b, "vCenter %s on %s\n", verdict, r.Target)
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "error: %s\n", e)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "warning: %s\n", w)
		}
	}
	for _, d := range r.Defaults {
		fmt.Fprintf(&b, "default: %s\n", d)
	}
	return b.String()
}

func ovfInspect() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "ovf_inspect",
		Title: "Inspect an OVF/OVA package",
		Description: "Describe a local .ova/.ovf (source) or a content library item (library + item) before deploying it: VM name, size, disks, networks, " +
			"deployment options, vApp properties (key, type, default, user-configurable, description), whether it has a EULA. " +
			"With cluster, host or resource_pool it also asks vCenter whether it accepts the package there (CreateImportSpec errors and warnings); nothing is deployed.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a OVFInspectArgs) (OVFInspectResult, error) {
		if a.Library != "" {
			return inspectLibraryItem(ctx, d, a)
		}
		pkg, err := openSource(ctx, d, a.Source)
		if err != nil {
			return OVFInspectResult{}, err
		}
		out := OVFInspectResult{Source: pkg.Path, OVFSummary: pkg.Summary()}
		if !(params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool}).Given() && a.Datastore == "" && len(a.NetworkMap) == 0 {
			return out, nil
		}
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, err := params.ResolveDeployTarget(ctx, c, d.Defaults, params.DeployArgs{
				Name: "ovf-inspect-check", Cluster: a.Cluster, Host: a.Host, ResourcePool: a.ResourcePool, Datastore: a.Datastore, NetworkMapping: a.NetworkMap,
			}, networkNames(out.Networks))
			if err != nil {
				return err
			}
			res, err := createImportSpec(ctx, c, pkg, t, "ovf-inspect-check", nil, "", "")
			if err != nil {
				return err
			}
			out.Checked, out.Defaults = true, t.Defaults
			out.Target = fmt.Sprintf("pool %s, datastore %s", toolkit.Path(t.Place.Pool.Path), toolkit.Name(t.Datastore.Name))
			out.Errors, out.Warnings = faultTexts(res.Error), faultTexts(res.Warning)
			out.Accepted = len(res.Error) == 0
			return nil
		})
		return out, err
	})
}

func networkNames(ns []params.OVFNetwork) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return out
}

// createImportSpec asks vCenter to turn the package into an import spec
// for target t: a pure computation, which also says what it refuses.
func createImportSpec(ctx context.Context, c *vcenter.Conn, pkg *params.OVFPackage, t *params.DeployTarget, name string, props map[string]string, option, provisioning string) (*types.OvfCreateImportSpecResult, error) {
	cisp := types.OvfCreateImportSpecParams{
		EntityName:       name,
		NetworkMapping:   t.OvfNetworkMapping(),
		DiskProvisioning: provisioning,
		OvfManagerCommonParams: types.OvfManagerCommonParams{
			DeploymentOption: option,
		},
	}
	for k, v := range props {
		cisp.PropertyMapping = append(cisp.PropertyMapping, types.KeyValue{Key: k, Value: v})
	}
	if t.Place.Host != nil {
		cisp.HostSystem = &t.Place.Host.Ref
	}
	res, err := ovf.NewManager(c.Client).CreateImportSpec(ctx, string(pkg.Descriptor), t.Place.Pool.Ref, t.Datastore.Ref, &cisp)
	if err != nil {
		return nil, fmt.Errorf("vCenter could not read the package's descriptor (CreateImportSpec): %w", err)
	}
	return res, nil
}

// faultTexts renders CreateImportSpec's errors or warnings, vCenter's
// words quoted.
func faultTexts(fs []types.LocalizedMethodFault) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		name := ""
		if f.Fault != nil {
			name = strings.TrimPrefix(fmt.Sprintf("%T", f.Fault), "*types.")
		}
		msg := f.LocalizedMessage
		s := toolkit.FreeTextN("vCenter message", msg, 300)
		if name != "" {
			s = name + ": " + s
		}
		out = append(out, s+importHint(name))
	}
	return out
}

// importHint says what to do about the common import faults.
func importHint(fault string) string {
	switch fault {
	case "OvfUnsupportedDiskProvisioning":
		return " (choose another disk_provisioning: thin, thick or eagerZeroedThick)"
	case "OvfUnsupportedType", "OvfUnsupportedDeviceBackingInfo", "OvfUnsupportedElement":
		return " (the package asks for hardware this host cannot give; try another host or a newer hardware version)"
	case "OvfNetworkMappingNotSupported", "OvfNoHostNic", "OvfInvalidValue":
		return " (check network_mapping and the properties)"
	case "OvfUnsupportedPackage":
		return " (the package's format is not supported by this vCenter)"
	}
	return ""
}

// inspectLibraryItem describes a content library item with what vCenter's
// OVF filter says of it.
func inspectLibraryItem(ctx context.Context, d toolkit.Deps, a OVFInspectArgs) (OVFInspectResult, error) {
	var out OVFInspectResult
	err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
		pl, _, err := params.ResolvePlacementOrDefault(ctx, c, d.Defaults, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
		if err != nil {
			return err
		}
		if pl == nil {
			// vCenter describes an item for a target; without one, the
			// inventory's only cluster or host, else the item alone.
			if root, err := params.DefaultDatacenter(ctx, c, d.Defaults); err == nil {
				if compute, err := params.OnlyCompute(ctx, c, root); err == nil {
					pl, _ = params.PlacementFor(ctx, c, compute)
				}
			}
		}
		return c.DoREST(ctx, func(rc *rest.Client) error {
			m := library.NewManager(rc)
			lib, err := params.FindLibrary(ctx, m, a.Library)
			if err != nil {
				return err
			}
			it, err := params.FindLibraryItem(ctx, m, lib, a.Item)
			if err != nil {
				return err
			}
			if it.Type != library.ItemTypeOVF {
				return &toolkit.PlainError{Msg: fmt.Sprintf("item %s of library %s is of type %s, not an OVF package; library_deploy deploys VM templates", toolkit.Name(it.Name), toolkit.Name(lib.Name), toolkit.Name(it.Type))}
			}
			out = OVFInspectResult{Source: "library " + lib.Name + " item " + it.Name, Library: lib.Name, Item: it.Name}
			out.OVFSummary = params.OVFSummary{Name: it.Name, Disks: []params.OVFDisk{}, Networks: []params.OVFNetwork{}, Properties: []params.OVFProperty{}}
			size := params.LibraryItemSize(ctx, m, it)
			if pl == nil {
				out.SizeBytes = size
				out.Defaults = []string{"pass cluster, host or resource_pool for vCenter's description of the item's networks and properties"}
				return nil
			}
			tgt := vapivc.Target{ResourcePoolID: pl.Pool.ID()}
			if pl.Host != nil {
				tgt.HostID = pl.Host.ID()
			}
			f, err := vapivc.NewManager(rc).FilterLibraryItem(ctx, it.ID, vapivc.FilterRequest{Target: tgt})
			if err != nil {
				return fmt.Errorf("ask vCenter to describe library item %s: %w", toolkit.Name(it.Name), vcenter.RESTCause(err))
			}
			out.OVFSummary = params.SummarizeFilter(f, it.Name)
			out.SizeBytes = max(size, out.SizeBytes)
			out.Checked, out.Accepted = true, true
			out.Target = "pool " + toolkit.Path(pl.Pool.Path)
			return nil
		})
	})
	return out, err
}
