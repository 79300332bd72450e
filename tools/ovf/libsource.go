package ovf

import (
	"context"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// deployFromLibrary is ovf_deploy of a content library item: vCenter's
// library deploy, as library_deploy does it.
func deployFromLibrary(ctx context.Context, d toolkit.Deps, a OVFDeployArgs) (OVFDeployResult, error) {
	out := OVFDeployResult{Action: "Deployed", Name: a.Name, Source: "library " + a.Library + " item " + a.Item, Networks: []params.NetworkChoice{}}
	started := false
	err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
		prog := guard.NewProgress(ctx)
		res, err := params.DeployLibraryItem(ctx, c, d.Defaults, params.LibraryDeployArgs{
			DeployArgs: deployArgs(a), Library: a.Library, Item: a.Item, Properties: a.Properties,
			DeploymentOption: a.DeploymentOption, DiskProvisioning: a.DiskProvisioning, AcceptEULA: a.AcceptEULA,
		}, prog)
		if vcenter.Permitted(ctx) {
			started = true
		}
		if err != nil {
			return err
		}
		t := res.Target
		out.Source = "library " + res.Library + " item " + res.Item
		out.Defaults = t.Defaults
		out.Folder, out.ResourcePool, out.Datastore, out.Networks = t.Folder.Path, t.Place.Pool.Path, t.Datastore.Name, t.Networks
		return finishDeploy(ctx, c, res.VM, a.Name, t.Folder.Path, a.PowerOn, prog, &out)
	})
	return out, params.SessionSafe(err, started)
}
