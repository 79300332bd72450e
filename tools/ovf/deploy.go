package ovf

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// OVFDeployArgs describe a deploy.
type OVFDeployArgs struct {
	SourceArgs
	Name             string            `json:"name" jsonschema:"Name of the new VM: at most 80 characters, no / or \\"`
	Folder           string            `json:"folder,omitempty" jsonschema:"VM folder (path or ID); default the placement default, else the datacenter's vm folder"`
	Cluster          string            `json:"cluster,omitempty" jsonschema:"Cluster to run on (its root resource pool)"`
	Host             string            `json:"host,omitempty" jsonschema:"Host to run on"`
	ResourcePool     string            `json:"resource_pool,omitempty" jsonschema:"Resource pool to run in"`
	Datastore        string            `json:"datastore,omitempty" jsonschema:"Datastore for the VM's files; default the placement default, else the one with most free space"`
	NetworkMapping   map[string]string `json:"network_mapping,omitempty" jsonschema:"OVF network name → vSphere network (name, path or ID); unmapped OVF networks get the default network"`
	Properties       map[string]string `json:"properties,omitempty" jsonschema:"vApp property key → value (ovf_inspect lists the keys and types); checked against the package's types before anything is uploaded"`
	DeploymentOption string            `json:"deployment_option,omitempty" jsonschema:"Deployment option (sizing) ID; default the package's default"`
	DiskProvisioning string            `json:"disk_provisioning,omitempty" jsonschema:"enum=thin,enum=thick,enum=eagerZeroedThick"`
	AcceptEULA       bool              `json:"accept_eula,omitempty" jsonschema:"Accept the package's EULA (a package with one is refused otherwise, as vCenter and ovftool do); only when the person you work for agrees"`
	PowerOn          bool              `json:"power_on,omitempty" jsonschema:"Power the VM on once deployed"`
}

func (a *OVFDeployArgs) Validate() error {
	if err := a.SourceArgs.Validate(); err != nil {
		return err
	}
	if err := params.CheckVMName("name", a.Name); err != nil {
		return err
	}
	if len(a.Properties) > 1000 || len(a.NetworkMapping) > 100 {
		return errors.New("too many properties or network mappings")
	}
	return params.CheckDiskProvisioning(a.DiskProvisioning)
}

// OVFDeployResult is the new VM.
type OVFDeployResult struct {
	Action       string                 `json:"action"`
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Path         string                 `json:"path"`
	PowerState   string                 `json:"power_state"`
	Source       string                 `json:"source"`
	CPUs         int32                  `json:"cpus"`
	MemoryMB     int32                  `json:"memory_mb"`
	Disks        int                    `json:"disks"`
	Folder       string                 `json:"folder"`
	ResourcePool string                 `json:"resource_pool"`
	Host         string                 `json:"host,omitempty"`
	Datastore    string                 `json:"datastore"`
	Networks     []params.NetworkChoice `json:"networks"`
	Properties   map[string]string      `json:"properties,omitempty" jsonschema:"The vApp properties as vCenter holds them (passwords hidden)"`
	Uploaded     int64                  `json:"uploaded_bytes"`
	Warnings     []string               `json:"warnings,omitempty"`
	Defaults     []string               `json:"defaults,omitempty" jsonschema:"What vsphere-mcp chose for arguments left out, and why"`
}

// Text renders the new VM in a few lines.
func (r OVFDeployResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s VM %s (%s) %s from %s, %s\n", r.Action, toolkit.Name(r.Name), r.ID, toolkit.Path(r.Path), toolkit.Quote(r.Source, 0), r.PowerState)
	fmt.Fprintf(&b, "hardware: %d vCPU, %d MB, %d disks; %s GB uploaded\n", r.CPUs, r.MemoryMB, r.Disks, toolkit.GiB(r.Uploaded))
	params.WriteDeployedPlacement(&b, r.ResourcePool, r.Datastore, r.Folder, r.Host, r.Networks, r.Properties)
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, d := range r.Defaults {
		fmt.Fprintf(&b, "default: %s\n", d)
	}
	return b.String()
}

func ovfDeploy() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "ovf_deploy",
		Title: "Deploy an OVF/OVA package as a VM",
		Description: "Deploy a local .ova/.ovf (source) or a content library OVF item (library + item) as a new VM called name. Placement, folder, datastore and networks " +
			"default from the placement defaults, then the inventory when unambiguous. network_mapping maps the package's networks, properties sets its vApp properties " +
			"(checked against their types first). vCenter's objections are reported before anything is uploaded; the disks then go through an import lease with progress by bytes. " +
			"Takes as long as the upload; can run as a background task, and cancelling it aborts the import and removes the half-imported VM.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a OVFDeployArgs) (OVFDeployResult, error) {
		if a.Library != "" {
			return deployFromLibrary(ctx, d, a)
		}
		pkg, err := openSource(ctx, d, a.Source)
		if err != nil {
			return OVFDeployResult{}, err
		}
		sum := pkg.Summary()
		props, err := params.ResolveOVFProperties(sum.Properties, a.Properties)
		if err != nil {
			return OVFDeployResult{}, &toolkit.ArgError{Msg: err.Error() + "; nothing was deployed"}
		}
		if err := params.CheckDeploymentOption(a.DeploymentOption, sum.DeploymentOptions); err != nil {
			return OVFDeployResult{}, &toolkit.ArgError{Msg: err.Error()}
		}
		if sum.EULA && !a.AcceptEULA {
			return OVFDeployResult{}, &toolkit.ArgError{Msg: "the package has a EULA, which the deployer must accept: read it (ovf_inspect says it is there) and pass accept_eula: true if the person you work for agrees; nothing was deployed"}
		}
		out := OVFDeployResult{Action: "Deployed", Name: a.Name, Source: pkg.Path, Networks: []params.NetworkChoice{}}
		started := false
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, err := params.ResolveDeployTarget(ctx, c, d.Defaults, deployArgs(a), networkNames(sum.Networks))
			if err != nil {
				return err
			}
			out.Defaults = t.Defaults
			spec, err := createImportSpec(ctx, c, pkg, t, a.Name, props, a.DeploymentOption, a.DiskProvisioning)
			if err != nil {
				return err
			}
			out.Warnings = faultTexts(spec.Warning)
			if len(spec.Error) > 0 {
				return &toolkit.PlainError{Msg: fmt.Sprintf("vCenter refuses to import %s on pool %s, datastore %s; nothing was uploaded:\n%s",
					toolkit.Quote(pkg.Path, 0), toolkit.Path(t.Place.Pool.Path), toolkit.Name(t.Datastore.Name), strings.Join(faultTexts(spec.Error), "\n"))}
			}
			if err := guard.ActOn(ctx, fmt.Sprintf("Deploy OVF package %s as VM %s in folder", toolkit.Quote(pkg.Path, 0), toolkit.Quote(a.Name, toolkit.NameMax)), t.Folder, t.Touches()...); err != nil {
				return err
			}
			started = true
			prog := guard.NewProgress(ctx)
			vmRef, sent, err := importPackage(ctx, c, pkg, t, spec, prog)
			out.Uploaded = sent
			if err != nil {
				return params.ExplainVMFault(err, a.Name, t.Folder.Path)
			}
			out.Folder, out.ResourcePool, out.Datastore, out.Networks = t.Folder.Path, t.Place.Pool.Path, t.Datastore.Name, t.Networks
			return finishDeploy(ctx, c, vmRef, a.Name, t.Folder.Path, a.PowerOn, prog, &out)
		})
		return out, params.SessionSafe(err, started)
	})
}

func deployArgs(a OVFDeployArgs) params.DeployArgs {
	return params.DeployArgs{Name: a.Name, Folder: a.Folder, Cluster: a.Cluster, Host: a.Host, ResourcePool: a.ResourcePool, Datastore: a.Datastore, NetworkMapping: a.NetworkMapping}
}

// finishDeploy powers the new VM on when asked and reads it back.
func finishDeploy(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference, name, folder string, powerOn bool, prog *guard.Progress, out *OVFDeployResult) error {
	vm, err := params.FinishDeploy(ctx, c, ref, name, folder, powerOn, prog)
	out.ID, out.Path, out.PowerState, out.Host = vm.ID, vm.Path, vm.PowerState, vm.Host
	out.CPUs, out.MemoryMB, out.Disks, out.Properties = vm.CPUs, vm.MemoryMB, vm.Disks, vm.Properties
	if err == nil {
		prog.Report(100, "deployed VM "+toolkit.Name(name))
	}
	return err
}

// importVApp starts the import: a lease whose device URLs take the disks.
func importVApp(ctx context.Context, c *vcenter.Conn, t *params.DeployTarget, spec *types.OvfCreateImportSpecResult) (types.ManagedObjectReference, error) {
	req := types.ImportVApp{This: t.Place.Pool.Ref, Spec: spec.ImportSpec, Folder: &t.Folder.Ref}
	if t.Place.Host != nil {
		req.Host = &t.Place.Host.Ref
	}
	res, err := methods.ImportVApp(ctx, c.Client, &req)
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("start the import (ImportVApp): %w; nothing was created", err)
	}
	return res.Returnval, nil
}
