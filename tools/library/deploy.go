package library

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// LibraryDeployArgs describe a deploy of a library OVF item.
type LibraryDeployArgs struct {
	Library          string            `json:"library" jsonschema:"The content library: name or ID"`
	Item             string            `json:"item" jsonschema:"The OVF or vm-template item: name or ID (library_item_list shows them)"`
	Name             string            `json:"name" jsonschema:"Name of the new VM: at most 80 characters, no / or \\"`
	Folder           string            `json:"folder,omitempty" jsonschema:"VM folder (path or ID); default the placement default, else the datacenter's vm folder"`
	Cluster          string            `json:"cluster,omitempty" jsonschema:"Cluster to run on (its root resource pool)"`
	Host             string            `json:"host,omitempty" jsonschema:"Host to run on"`
	ResourcePool     string            `json:"resource_pool,omitempty" jsonschema:"Resource pool to run in"`
	Datastore        string            `json:"datastore,omitempty" jsonschema:"Datastore for the VM's files; default the placement default, else the one with most free space"`
	NetworkMapping   map[string]string `json:"network_mapping,omitempty" jsonschema:"OVF network name → vSphere network (name, path or ID); unmapped OVF networks get the default network"`
	Properties       map[string]string `json:"properties,omitempty" jsonschema:"vApp property key → value, checked against the item's OVF types before the deploy starts"`
	DeploymentOption string            `json:"deployment_option,omitempty" jsonschema:"Deployment option (sizing) ID; default the item's default"`
	DiskProvisioning string            `json:"disk_provisioning,omitempty" jsonschema:"enum=thin,enum=thick,enum=eagerZeroedThick"`
	AcceptEULA       bool              `json:"accept_eula,omitempty" jsonschema:"Accept the item's EULA (vCenter refuses to deploy an item with a EULA otherwise); only when the person you work for agrees"`
	PowerOn          bool              `json:"power_on,omitempty" jsonschema:"Power the VM on once deployed"`
}

func (a *LibraryDeployArgs) Validate() error {
	if strings.TrimSpace(a.Library) == "" || strings.TrimSpace(a.Item) == "" {
		return errors.New("library and item are required: the content library and its OVF item (library_item_list shows them)")
	}
	if err := params.CheckVMName("name", a.Name); err != nil {
		return err
	}
	if len(a.Properties) > 1000 || len(a.NetworkMapping) > 100 {
		return errors.New("too many properties or network mappings")
	}
	return params.CheckDiskProvisioning(a.DiskProvisioning)
}

// LibraryDeployResult is the new VM.
type LibraryDeployResult struct {
	Action       string                 `json:"action"`
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Path         string                 `json:"path"`
	PowerState   string                 `json:"power_state"`
	Library      string                 `json:"library"`
	Item         string                 `json:"item"`
	CPUs         int32                  `json:"cpus"`
	MemoryMB     int32                  `json:"memory_mb"`
	Disks        int                    `json:"disks"`
	Folder       string                 `json:"folder"`
	ResourcePool string                 `json:"resource_pool"`
	Host         string                 `json:"host,omitempty"`
	Datastore    string                 `json:"datastore"`
	Networks     []params.NetworkChoice `json:"networks"`
	Properties   map[string]string      `json:"properties,omitempty" jsonschema:"The vApp properties as vCenter holds them (passwords hidden)"`
	Defaults     []string               `json:"defaults,omitempty" jsonschema:"What vsphere-mcp chose for arguments left out, and why"`
}

// Text renders the new VM in a few lines.
func (r LibraryDeployResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s VM %s (%s) %s from library %s item %s, %s\n", r.Action, toolkit.Name(r.Name), r.ID, toolkit.Path(r.Path), toolkit.Name(r.Library), toolkit.Name(r.Item), r.PowerState)
	fmt.Fprintf(&b, "hardware: %d vCPU, %d MB, %d disks\n", r.CPUs, r.MemoryMB, r.Disks)
	params.WriteDeployedPlacement(&b, r.ResourcePool, r.Datastore, r.Folder, r.Host, r.Networks, r.Properties)
	for _, d := range r.Defaults {
		fmt.Fprintf(&b, "default: %s\n", d)
	}
	return b.String()
}

func libraryDeploy() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "library_deploy",
		Title: "Deploy a content library item as a VM",
		Description: "Deploy an OVF or vm-template item of a content library as a new VM called name. Placement, folder, datastore and networks default from the placement defaults, " +
			"then the inventory when unambiguous; for OVF items network_mapping maps the item's networks and properties sets its vApp properties (checked against the item's OVF types first). " +
			"vCenter copies the disks from the library: minutes for large items; can run as a background task.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a LibraryDeployArgs) (LibraryDeployResult, error) {
		out := LibraryDeployResult{Action: "Deployed", Name: a.Name, Library: a.Library, Item: a.Item, Networks: []params.NetworkChoice{}}
		started := false
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			prog := guard.NewProgress(ctx)
			res, err := params.DeployLibraryItem(ctx, c, d.Defaults, params.LibraryDeployArgs{
				DeployArgs: params.DeployArgs{Name: a.Name, Folder: a.Folder, Cluster: a.Cluster, Host: a.Host, ResourcePool: a.ResourcePool, Datastore: a.Datastore, NetworkMapping: a.NetworkMapping},
				Library:    a.Library, Item: a.Item, Properties: a.Properties, DeploymentOption: a.DeploymentOption, DiskProvisioning: a.DiskProvisioning, AcceptEULA: a.AcceptEULA,
			}, prog)
			if vcenter.Permitted(ctx) {
				started = true
			}
			if err != nil {
				return err
			}
			t := res.Target
			out.Library, out.Item, out.Defaults = res.Library, res.Item, t.Defaults
			out.Folder, out.ResourcePool, out.Datastore, out.Networks = t.Folder.Path, t.Place.Pool.Path, t.Datastore.Name, t.Networks
			vm, err := params.FinishDeploy(ctx, c, res.VM, a.Name, t.Folder.Path, a.PowerOn, prog)
			out.ID, out.Path, out.PowerState, out.Host = vm.ID, vm.Path, vm.PowerState, vm.Host
			out.CPUs, out.MemoryMB, out.Disks, out.Properties = vm.CPUs, vm.MemoryMB, vm.Disks, vm.Properties
			if err == nil {
				prog.Report(100, "deployed VM "+toolkit.Name(a.Name))
			}
			return err
		})
		return out, params.SessionSafe(err, started)
	})
}
