package params

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Where an OVF deploy (a local package or a content library item) puts
// the new VM: the same order as vm_create — the argument, the placement
// default, the inventory's only candidate — for the folder, compute
// placement, datastore and each OVF network.

// DeployArgs are an OVF deploy's placement arguments.
type DeployArgs struct {
	Name         string
	Folder       string
	Cluster      string
	Host         string
	ResourcePool string
	Datastore    string
	// NetworkMapping maps OVF network names to vSphere networks.
	NetworkMapping map[string]string
}

// DeployTarget is the resolved placement.
type DeployTarget struct {
	Folder    vcenter.Object
	Place     *Placement
	Datastore vcenter.Object
	// Networks maps each OVF network to the vSphere network it gets.
	Networks []NetworkChoice
	Defaults []string
}

// NetworkChoice is one OVF network and where it goes.
type NetworkChoice struct {
	OVF     string         `json:"ovf"`
	Network vcenter.Object `json:"-"`
	Name    string         `json:"network"`
}

// Touches are the objects besides the folder a deploy places something in.
func (t *DeployTarget) Touches() []vcenter.Object {
	out := []vcenter.Object{t.Place.Pool, t.Datastore}
	if t.Place.Host != nil {
		out = append(out, *t.Place.Host)
	}
	for _, n := range t.Networks {
		if !slices.ContainsFunc(out, func(o vcenter.Object) bool { return o.Ref == n.Network.Ref }) {
			out = append(out, n.Network)
		}
	}
	return out
}

// ResolveDeployTarget resolves a's placement for a package with the given
// OVF networks, checking the name is free in the folder.
func ResolveDeployTarget(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, a DeployArgs, ovfNetworks []string) (*DeployTarget, error) {
	for k := range a.NetworkMapping {
		if !slices.Contains(ovfNetworks, k) {
			if len(ovfNetworks) == 0 {
				return nil, fmt.Errorf("network_mapping names OVF network %s, but the package has no networks; leave network_mapping out", toolkit.Quote(k, 0))
			}
			return nil, fmt.Errorf("network_mapping names OVF network %s, which the package does not have; its networks are %s", toolkit.Quote(k, 0), toolkit.Names(ovfNetworks))
		}
	}
	t := &DeployTarget{}
	var folder *vcenter.Object
	var folderDC vcenter.Object
	folderIdent, folderNote := DefaultFolder(defs, a.Folder)
	if folderIdent != "" {
		f, err := c.Resolve(ctx, "Folder", folderIdent)
		if err != nil {
			if folderNote != "" {
				return nil, fmt.Errorf("the default folder (placement defaults): %w; pass folder to choose another", err)
			}
			return nil, err
		}
		if folderNote != "" {
			t.Defaults = append(t.Defaults, folderNote)
		}
		if err := CheckVMFolder(ctx, c, f); err != nil {
			return nil, err
		}
		if folderDC, err = DatacenterOf(ctx, c, f.Ref); err != nil {
			return nil, err
		}
		folder = &f
	}
	pl, plNote, err := ResolvePlacementOrDefault(ctx, c, defs, PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
	if err != nil {
		return nil, err
	}
	if plNote != "" {
		t.Defaults = append(t.Defaults, plNote)
	}
	switch {
	case pl == nil:
		var root *vcenter.Object
		if folder != nil {
			root = &folderDC
		} else if root, err = DefaultDatacenter(ctx, c, defs); err != nil {
			return nil, err
		}
		compute, err := OnlyCompute(ctx, c, root)
		if err != nil {
			return nil, err
		}
		if pl, err = PlacementFor(ctx, c, compute); err != nil {
			return nil, err
		}
		t.Defaults = append(t.Defaults, fmt.Sprintf("placement %s: the only cluster or host there (root resource pool)", toolkit.Path(compute.Path)))
	case pl.PoolDefaulted:
		t.Defaults = append(t.Defaults, fmt.Sprintf("resource pool %s: the root pool of %s", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path)))
	}
	t.Place = pl
	dc, err := DatacenterOf(ctx, c, pl.Compute.Ref)
	if err != nil {
		return nil, err
	}
	if folder == nil {
		var mdc mo.Datacenter
		if err := c.ReadRef(ctx, dc.Ref, []string{"vmFolder"}, &mdc); err != nil {
			return nil, fmt.Errorf("read datacenter %s: %w", toolkit.Path(dc.Path), err)
		}
		f, err := c.Resolve(ctx, "Folder", mdc.VmFolder.Value)
		if err != nil {
			return nil, err
		}
		folder = &f
		t.Defaults = append(t.Defaults, fmt.Sprintf("folder %s: the vm folder of datacenter %s", toolkit.Path(f.Path), toolkit.Name(dc.Name)))
	} else if folderDC.Ref != dc.Ref {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("folder %s is in datacenter %s but %s is in %s; a VM's folder and placement must be in the same datacenter", toolkit.Path(folder.Path), toolkit.Name(folderDC.Name), toolkit.Path(pl.Compute.Path), toolkit.Name(dc.Name))}
	}
	t.Folder = *folder
	if err := CheckFreeName(ctx, c, t.Folder, a.Name); err != nil {
		return nil, err
	}
	dss, nets, where, err := pl.Available(ctx, c)
	if err != nil {
		return nil, err
	}
	ds, detail, err := PickDatastoreOrDefault(ctx, c, defs, a.Datastore, dss, where)
	if err != nil {
		return nil, err
	}
	if detail != "" {
		t.Defaults = append(t.Defaults, detail)
	}
	t.Datastore = ds
	if err := t.pickHost(ctx, c); err != nil {
		return nil, err
	}
	for _, on := range ovfNetworks {
		n, detail, err := PickNetworkOrDefault(ctx, c, defs, a.NetworkMapping[on], nets, where)
		if err != nil {
			return nil, fmt.Errorf("OVF network %s: %w", toolkit.Quote(on, 0), err)
		}
		if detail != "" {
			detail = strings.TrimSuffix(strings.TrimPrefix(detail, "network "), " (pass network to choose)")
			t.Defaults = append(t.Defaults, fmt.Sprintf("OVF network %s → %s (pass network_mapping to choose)", toolkit.Quote(on, 0), detail))
		}
		t.Networks = append(t.Networks, NetworkChoice{OVF: on, Network: n, Name: n.Name})
	}
	return t, nil
}

// OvfNetworkMapping is t's networks as CreateImportSpec takes them.
func (t *DeployTarget) OvfNetworkMapping() []types.OvfNetworkMapping {
	out := make([]types.OvfNetworkMapping, len(t.Networks))
	for i, n := range t.Networks {
		out[i] = types.OvfNetworkMapping{Name: n.OVF, Network: n.Network.Ref}
	}
	return out
}

// DiskProvisionings are the disk_provisioning values an OVF deploy takes.
var DiskProvisionings = []string{"thin", "thick", "eagerZeroedThick"}

// CheckDiskProvisioning validates disk_provisioning.
func CheckDiskProvisioning(v string) error {
	if v == "" || slices.Contains(DiskProvisionings, v) {
		return nil
	}
	return fmt.Errorf("disk_provisioning must be one of %s (default: as the package says)", strings.Join(DiskProvisionings, ", "))
}

// CheckDeploymentOption validates a deployment option against a package's.
func CheckDeploymentOption(opt string, opts []OVFOption) error {
	if opt == "" {
		return nil
	}
	ids := make([]string, len(opts))
	for i, o := range opts {
		if o.ID == opt {
			return nil
		}
		ids[i] = o.ID
	}
	if len(ids) == 0 {
		return fmt.Errorf("the package has no deployment options; leave deployment_option out")
	}
	return fmt.Errorf("the package has no deployment option %s; it has %s", toolkit.Quote(opt, 0), toolkit.Names(ids))
}

// pickHost names the host an import runs on when vCenter needs one: a
// cluster without DRS (vCenter chooses only with DRS, ImportVApp's host
// "can be omitted" for a standalone host or a DRS cluster). It takes the
// first connected host outside maintenance mode that mounts the datastore.
func (t *DeployTarget) pickHost(ctx context.Context, c *vcenter.Conn) error {
	if t.Place.Host != nil || !t.Place.IsCluster() {
		return nil
	}
	var cl mo.ClusterComputeResource
	if err := c.ReadRef(ctx, t.Place.Compute.Ref, []string{"host", "configurationEx"}, &cl); err != nil {
		return fmt.Errorf("read cluster %s: %w", toolkit.Path(t.Place.Compute.Path), err)
	}
	if ci, ok := cl.ConfigurationEx.(*types.ClusterConfigInfoEx); ok && ci.DrsConfig.Enabled != nil && *ci.DrsConfig.Enabled {
		return nil
	}
	for _, ref := range cl.Host {
		var h mo.HostSystem
		if err := c.ReadRef(ctx, ref, []string{"runtime.connectionState", "runtime.inMaintenanceMode", "datastore"}, &h); err != nil {
			continue
		}
		if h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected || h.Runtime.InMaintenanceMode || !slices.Contains(h.Datastore, t.Datastore.Ref) {
			continue
		}
		o, err := c.Resolve(ctx, "HostSystem", ref.Value) // applies the scope
		if err != nil {
			continue
		}
		t.Place.Host = &o
		t.Defaults = append(t.Defaults, fmt.Sprintf("host %s: cluster %s has no DRS to choose one, so the first connected host with datastore %s (pass host to choose)", toolkit.Name(o.Name), toolkit.Name(t.Place.Compute.Name), toolkit.Name(t.Datastore.Name)))
		return nil
	}
	return &toolkit.PlainError{Msg: fmt.Sprintf("cluster %s has no DRS and no connected host outside maintenance mode that mounts datastore %s; pass host, or another datastore", toolkit.Path(t.Place.Compute.Path), toolkit.Name(t.Datastore.Name))}
}
