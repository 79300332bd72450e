package params

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Helpers of the VM lifecycle tools (vm_lifecycle.go): where a VM goes
// (placement and its defaults), name checks, and faults explained.

// ---- names ----

// MaxVMNameLen is vCenter's limit on a VM's name.
const MaxVMNameLen = 80

// CheckVMName validates a new VM name up front.
func CheckVMName(arg, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%s is required: the new VM's name", arg)
	case name != strings.TrimSpace(name):
		return fmt.Errorf("%s %q has leading or trailing spaces; remove them", arg, name)
	case len([]rune(name)) > MaxVMNameLen:
		return fmt.Errorf("%s is %d characters long; vCenter allows at most %d", arg, len([]rune(name)), MaxVMNameLen)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%s %q contains / or \\, which vCenter escapes and which would make inventory paths ambiguous; choose a name without them", arg, name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("%s contains control characters", arg)
	}
	return nil
}

// CheckInventoryName checks the new name of a folder or pool as vCenter
// takes it: at most 80 characters, no slash, backslash or % (vCenter
// escapes them, and the name would no longer read as a path). what says
// what the name is for ("the folder's new name").
func CheckInventoryName(arg, what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%s is required: %s", arg, what)
	case s != strings.TrimSpace(s):
		return fmt.Errorf("%s must not start or end with spaces", arg)
	case len([]rune(s)) > MaxVMNameLen:
		return fmt.Errorf("%s is %d characters long; vCenter takes at most %d", arg, len([]rune(s)), MaxVMNameLen)
	case strings.ContainsAny(s, `/\%`):
		return fmt.Errorf("%s must not contain /, \\ or %%: inventory paths use them", arg)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%s must not contain control characters", arg)
	}
	return nil
}

// CheckFreeName fails when folder already holds an object called name: the
// DuplicateName vCenter would answer, said before anything starts.
func CheckFreeName(ctx context.Context, c *vcenter.Conn, folder vcenter.Object, name string) error {
	ref, err := object.NewSearchIndex(c.Client).FindChild(ctx, folder.Ref, name)
	if err != nil {
		return fmt.Errorf("look for %s in folder %s: %w", toolkit.Quote(name, 0), toolkit.Path(folder.Path), err)
	}
	if ref == nil {
		return nil
	}
	return DuplicateName(name, folder.Path, ref.Reference().Type)
}

func DuplicateName(name, folder, kind string) error {
	what := "an object"
	switch kind {
	case "VirtualMachine":
		what = "a VM or template"
	case "Folder":
		what = "a folder"
	case "VirtualApp":
		what = "a vApp"
	}
	where := "the target folder"
	if folder != "" {
		where = toolkit.Path(folder)
	}
	return &toolkit.PlainError{Msg: fmt.Sprintf("%s named %s already exists in folder %s (DuplicateName); choose another name, or rename or delete the existing one", what, toolkit.Quote(name, toolkit.NameMax), where)}
}

// ---- where a VM goes ----

// DatacenterOf walks up from ref to its datacenter.
func DatacenterOf(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference) (vcenter.Object, error) {
	cur := ref
	for range 64 {
		if cur.Type == "Datacenter" {
			return c.Describe(ctx, cur)
		}
		var me mo.ManagedEntity
		if err := c.ReadRef(ctx, cur, []string{"parent"}, &me); err != nil {
			return vcenter.Object{}, fmt.Errorf("find the datacenter of %s: %w", ref.Value, err)
		}
		if me.Parent == nil && cur.Type == "VirtualMachine" {
			var vm mo.VirtualMachine
			if err := c.ReadRef(ctx, cur, []string{"parentVApp"}, &vm); err == nil && vm.ParentVApp != nil {
				me.Parent = vm.ParentVApp
			}
		}
		if me.Parent == nil {
			break
		}
		cur = *me.Parent
	}
	return vcenter.Object{}, fmt.Errorf("%s is not inside a datacenter", ref.Value)
}

// PlaceArgs are the compute placement arguments a tool takes.
type PlaceArgs struct {
	Cluster, Host, Pool string
}

func (a PlaceArgs) Given() bool { return a.Cluster != "" || a.Host != "" || a.Pool != "" }

// Placement is where a VM runs: a resource pool, the compute resource
// (cluster or standalone host) that owns it, and optionally a host.
type Placement struct {
	Pool    vcenter.Object
	Compute vcenter.Object
	Host    *vcenter.Object
	// PoolDefaulted: the pool is the compute resource's root pool because
	// only a cluster or host was named.
	PoolDefaulted bool
}

func (p *Placement) IsCluster() bool { return p.Compute.Ref.Type == "ClusterComputeResource" }

// ResolvePlacement resolves cluster, host and resource pool into one
// placement and checks that they agree. It returns nil when none is given.
func ResolvePlacement(ctx context.Context, c *vcenter.Conn, a PlaceArgs) (*Placement, error) {
	if !a.Given() {
		return nil, nil
	}
	var pl Placement
	var hostCompute types.ManagedObjectReference
	if a.Host != "" {
		h, err := c.Resolve(ctx, "HostSystem", a.Host)
		if err != nil {
			return nil, err
		}
		var mh mo.HostSystem
		if err := c.ReadRef(ctx, h.Ref, []string{"parent"}, &mh); err != nil {
			return nil, fmt.Errorf("read host %s: %w", toolkit.Path(h.Path), err)
		}
		if mh.Parent == nil {
			return nil, fmt.Errorf("host %s belongs to no compute resource", toolkit.Path(h.Path))
		}
		hostCompute = *mh.Parent
		pl.Host = &h
	}
	var cluster *vcenter.Object
	if a.Cluster != "" {
		cl, err := c.Resolve(ctx, "ClusterComputeResource", a.Cluster)
		if err != nil {
			return nil, err
		}
		cluster = &cl
	}
	switch {
	case a.Pool != "":
		p, err := c.Resolve(ctx, "ResourcePool", a.Pool)
		if err != nil {
			return nil, err
		}
		var mp mo.ResourcePool
		if err := c.ReadRef(ctx, p.Ref, []string{"owner"}, &mp); err != nil {
			return nil, fmt.Errorf("read resource pool %s: %w", toolkit.Path(p.Path), err)
		}
		owner, err := c.Describe(ctx, mp.Owner)
		if err != nil {
			return nil, err
		}
		if cluster != nil && cluster.Ref != mp.Owner {
			return nil, fmt.Errorf("resource pool %s belongs to %s, not to cluster %s; pass resource_pool or cluster, not both", toolkit.Path(p.Path), toolkit.Path(owner.Path), toolkit.Path(cluster.Path))
		}
		pl.Pool, pl.Compute = p, owner
	case cluster != nil:
		var mc mo.ComputeResource
		if err := c.ReadRef(ctx, cluster.Ref, []string{"resourcePool"}, &mc); err != nil {
			return nil, fmt.Errorf("read cluster %s: %w", toolkit.Path(cluster.Path), err)
		}
		if mc.ResourcePool == nil {
			return nil, fmt.Errorf("cluster %s has no resource pool", toolkit.Path(cluster.Path))
		}
		p, err := c.Describe(ctx, *mc.ResourcePool)
		if err != nil {
			return nil, err
		}
		pl.Pool, pl.Compute, pl.PoolDefaulted = p, *cluster, true
	default: // host only
		var mc mo.ComputeResource
		if err := c.ReadRef(ctx, hostCompute, []string{"resourcePool"}, &mc); err != nil {
			return nil, fmt.Errorf("read the compute resource of host %s: %w", toolkit.Path(pl.Host.Path), err)
		}
		if mc.ResourcePool == nil {
			return nil, fmt.Errorf("host %s has no resource pool", toolkit.Path(pl.Host.Path))
		}
		p, err := c.Describe(ctx, *mc.ResourcePool)
		if err != nil {
			return nil, err
		}
		owner, err := c.Describe(ctx, hostCompute)
		if err != nil {
			return nil, err
		}
		pl.Pool, pl.Compute, pl.PoolDefaulted = p, owner, true
	}
	if pl.Host != nil && hostCompute != pl.Compute.Ref {
		return nil, fmt.Errorf("host %s is not part of %s (which owns resource pool %s); name a host of %s, or drop host and let vCenter choose", toolkit.Path(pl.Host.Path), toolkit.Path(pl.Compute.Path), toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path))
	}
	return &pl, nil
}

// PlacementFor makes a placement from a known compute resource (its root
// pool), e.g. the only one there is.
func PlacementFor(ctx context.Context, c *vcenter.Conn, compute vcenter.Object) (*Placement, error) {
	var mc mo.ComputeResource
	if err := c.ReadRef(ctx, compute.Ref, []string{"resourcePool"}, &mc); err != nil {
		return nil, fmt.Errorf("read %s: %w", toolkit.Path(compute.Path), err)
	}
	if mc.ResourcePool == nil {
		return nil, fmt.Errorf("%s has no resource pool", toolkit.Path(compute.Path))
	}
	p, err := c.Describe(ctx, *mc.ResourcePool)
	if err != nil {
		return nil, err
	}
	return &Placement{Pool: p, Compute: compute, PoolDefaulted: true}, nil
}

// OnlyCompute returns the one cluster or standalone host under root (the
// whole inventory when root is nil), or an error listing the candidates.
func OnlyCompute(ctx context.Context, c *vcenter.Conn, root *vcenter.Object) (vcenter.Object, error) {
	q := vcenter.Query{Type: "ComputeResource"}
	where := "the inventory"
	if root != nil {
		q.Roots = []types.ManagedObjectReference{root.Ref}
		where = toolkit.Path(root.Path)
	}
	refs, err := c.Select(ctx, q)
	if err != nil {
		return vcenter.Object{}, err
	}
	switch len(refs) {
	case 0:
		return vcenter.Object{}, fmt.Errorf("there is no cluster or host in %s to place the VM on", where)
	case 1:
		return c.Describe(ctx, refs[0])
	}
	var names []string
	for _, r := range refs[:min(len(refs), 10)] {
		if o, err := c.Describe(ctx, r); err == nil {
			names = append(names, toolkit.Path(o.Path))
		}
	}
	more := ""
	if len(refs) > 10 {
		more = fmt.Sprintf(" and %d more", len(refs)-10)
	}
	return vcenter.Object{}, &toolkit.PlainError{Msg: fmt.Sprintf("%s has %d clusters and standalone hosts, so there is no default placement: pass cluster, host or resource_pool (candidates: %s%s; cluster_list and host_list show them)",
		where, len(refs), strings.Join(names, ", "), more)}
}

// Available returns the datastores and networks a VM placed on pl can use:
// the host's when a host is named, else the compute resource's.
func (p *Placement) Available(ctx context.Context, c *vcenter.Conn) (datastores, networks []types.ManagedObjectReference, where string, err error) {
	if p.Host != nil {
		var mh mo.HostSystem
		if err := c.ReadRef(ctx, p.Host.Ref, []string{"datastore", "network"}, &mh); err != nil {
			return nil, nil, "", fmt.Errorf("read host %s: %w", toolkit.Path(p.Host.Path), err)
		}
		return mh.Datastore, mh.Network, "host " + toolkit.Name(p.Host.Name), nil
	}
	var mc mo.ComputeResource
	if err := c.ReadRef(ctx, p.Compute.Ref, []string{"datastore", "network"}, &mc); err != nil {
		return nil, nil, "", fmt.Errorf("read %s: %w", toolkit.Path(p.Compute.Path), err)
	}
	kind := "host"
	if p.IsCluster() {
		kind = "cluster"
	}
	return mc.Datastore, mc.Network, kind + " " + toolkit.Name(p.Compute.Name), nil
}

// PickDatastore resolves the named datastore and checks that it is among
// candidates, or, when none is named, picks the accessible candidate with
// the most free space. The detail says what was picked and why.
func PickDatastore(ctx context.Context, c *vcenter.Conn, ident string, candidates []types.ManagedObjectReference, where string) (ds vcenter.Object, detail string, err error) {
	if ident != "" {
		ds, err := resolveAmong(ctx, c, "Datastore", ident, candidates)
		if err != nil {
			return ds, "", err
		}
		if !slices.Contains(candidates, ds.Ref) {
			return ds, "", &toolkit.PlainError{Msg: fmt.Sprintf("datastore %s is not mounted on %s; choose one it can use (%s)", toolkit.Path(ds.Path), where, RefNames(ctx, c, candidates))}
		}
		return ds, "", nil
	}
	var all []mo.Datastore
	if len(candidates) > 0 {
		if err := property.DefaultCollector(c.Client).Retrieve(ctx, candidates, []string{"name", "summary"}, &all); err != nil {
			return ds, "", fmt.Errorf("read the datastores of %s: %w", where, err)
		}
	}
	slices.SortStableFunc(all, func(a, b mo.Datastore) int {
		switch {
		case a.Summary.FreeSpace > b.Summary.FreeSpace:
			return -1
		case a.Summary.FreeSpace < b.Summary.FreeSpace:
			return 1
		}
		return 0
	})
	usable := 0
	for _, d := range all {
		if !d.Summary.Accessible || (d.Summary.MaintenanceMode != "" && d.Summary.MaintenanceMode != string(types.DatastoreSummaryMaintenanceModeStateNormal)) {
			continue
		}
		usable++
		if ds.Path != "" {
			continue
		}
		o, err := c.Resolve(ctx, "Datastore", d.Self.Value) // applies the scope
		if err != nil {
			if vcenter.IsNotFound(err) {
				continue
			}
			return ds, "", err
		}
		ds = o
		detail = fmt.Sprintf("datastore %s: the most free space (%s GB) of the datastores %s can use", toolkit.Name(o.Name), toolkit.GiB(d.Summary.FreeSpace), where)
	}
	if ds.Path == "" {
		return ds, "", fmt.Errorf("no accessible datastore is mounted on %s; pass datastore", where)
	}
	return ds, detail, nil
}

// PickNetwork resolves the named network and checks that it is among
// candidates, or, when none is named, picks the first network vCenter lists
// for the placement (skipping distributed switch uplink port groups).
func PickNetwork(ctx context.Context, c *vcenter.Conn, ident string, candidates []types.ManagedObjectReference, where string) (net vcenter.Object, detail string, err error) {
	if ident != "" {
		n, err := resolveAmong(ctx, c, "Network", ident, candidates)
		if err != nil {
			return n, "", err
		}
		if !slices.Contains(candidates, n.Ref) {
			return n, "", &toolkit.PlainError{Msg: fmt.Sprintf("network %s is not available on %s; choose one it has (%s)", toolkit.Path(n.Path), where, RefNames(ctx, c, candidates))}
		}
		if IsUplink(ctx, c, n.Ref) {
			return n, "", &toolkit.PlainError{Msg: fmt.Sprintf("network %s is a distributed switch uplink port group, which VMs cannot use; choose another (%s)", toolkit.Path(n.Path), RefNames(ctx, c, candidates))}
		}
		return n, "", nil
	}
	var usable []vcenter.Object
	for _, ref := range candidates {
		if IsUplink(ctx, c, ref) {
			continue
		}
		o, err := c.Resolve(ctx, "Network", ref.Value) // applies the scope
		if err != nil {
			if vcenter.IsNotFound(err) {
				continue
			}
			return net, "", err
		}
		usable = append(usable, o)
	}
	if len(usable) == 0 {
		return net, "", fmt.Errorf("no network is available on %s; pass network", where)
	}
	net = usable[0]
	if len(usable) == 1 {
		return net, fmt.Sprintf("network %s: the only one %s has", toolkit.Name(net.Name), where), nil
	}
	return net, fmt.Sprintf("network %s: the first of %d networks %s has (pass network to choose)", toolkit.Name(net.Name), len(usable), where), nil
}

// resolveAmong resolves ident, taking a plain name that exactly one of
// candidates has as that one: a datastore or network name that repeats in
// other datacenters is not ambiguous where the VM goes.
func resolveAmong(ctx context.Context, c *vcenter.Conn, kind, ident string, candidates []types.ManagedObjectReference) (vcenter.Object, error) {
	if len(candidates) > 0 && !strings.Contains(ident, "/") {
		if names, err := c.Names(ctx, candidates); err == nil {
			var hit []types.ManagedObjectReference
			for ref, name := range names {
				if name == ident {
					hit = append(hit, ref)
				}
			}
			if len(hit) == 1 {
				return c.Resolve(ctx, kind, hit[0].Value) // applies the scope
			}
		}
	}
	return c.Resolve(ctx, kind, ident)
}

// IsUplink reports whether ref is a distributed switch's uplink port group.
func IsUplink(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference) bool {
	if ref.Type != "DistributedVirtualPortgroup" {
		return false
	}
	var pg mo.DistributedVirtualPortgroup
	if err := c.ReadRef(ctx, ref, []string{"config.uplink", "tag"}, &pg); err != nil {
		return false
	}
	if pg.Config.Uplink != nil && *pg.Config.Uplink {
		return true
	}
	for _, t := range pg.Tag {
		if t.Key == "SYSTEM/DVS.UPLINKPG" {
			return true
		}
	}
	return false
}

// RefNames renders a few objects' names for a hint.
func RefNames(ctx context.Context, c *vcenter.Conn, refs []types.ManagedObjectReference) string {
	var ents []mo.ManagedEntity
	if len(refs) == 0 {
		return "none"
	}
	if err := property.DefaultCollector(c.Client).Retrieve(ctx, refs[:min(len(refs), 10)], []string{"name"}, &ents); err != nil {
		return fmt.Sprintf("%d of them", len(refs))
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name
	}
	s := toolkit.Names(names)
	if len(refs) > 10 {
		s += fmt.Sprintf(" and %d more", len(refs)-10)
	}
	return s
}

// vmFolderOf checks that f is a folder that can hold VMs.
func CheckVMFolder(ctx context.Context, c *vcenter.Conn, f vcenter.Object) error {
	var mf mo.Folder
	if err := c.ReadRef(ctx, f.Ref, []string{"childType"}, &mf); err != nil {
		return fmt.Errorf("read folder %s: %w", toolkit.Path(f.Path), err)
	}
	if !slices.Contains(mf.ChildType, "VirtualMachine") {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is not a VM folder (it holds %s); name a folder under a datacenter's vm folder, e.g. /DC0/vm or /DC0/vm/web (folder_list shows them)", toolkit.Path(f.Path), strings.Join(mf.ChildType, ", "))}
	}
	return nil
}

// ---- policy for the objects a call touches besides its target ----

// ---- faults ----

// ExplainVMFault turns the faults of VM lifecycle tasks into what happened
// and what to do; other errors pass on to vcenter.Explain. vm and folder
// are the raw name and path: it escapes them.
func ExplainVMFault(err error, vm, folder string) error {
	if err == nil {
		return nil
	}
	var dup *types.DuplicateName
	if _, ok := fault.As(err, &dup); ok && dup != nil {
		return DuplicateName(dup.Name, folder, dup.Object.Type)
	}
	var ips *types.InvalidPowerState
	if _, ok := fault.As(err, &ips); ok && ips != nil {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s: %s is %s, which does not allow this (InvalidPowerState); check it with vm_get and change its power state first", vcenter.ErrorText(err), toolkit.Name(vm), ips.ExistingState)}
	}
	switch {
	case toolkit.HasFault[types.BaseInsufficientResourcesFault](err), toolkit.HasFault[*types.NotEnoughLicenses](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (%s): the destination lacks the CPU, memory or licences for this; choose another host or cluster, or make room", vcenter.ErrorText(err), toolkit.FaultName(err))}
	case toolkit.HasFault[*types.NoDiskSpace](err), toolkit.HasFault[*types.InsufficientStorageSpace](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (%s): the datastore is out of space; choose another datastore (datastore_list shows free space)", vcenter.ErrorText(err), toolkit.FaultName(err))}
	case toolkit.HasFault[types.BaseMigrationFault](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (%s): vCenter cannot migrate the VM there as it is; check the destination's networks, datastores and CPU compatibility, or power the VM off for a cold migration", vcenter.ErrorText(err), toolkit.FaultName(err))}
	case toolkit.HasFault[types.BaseCustomizationFault](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (%s): the customization spec does not fit this VM (e.g. its NIC count or guest OS); fix the spec in vCenter or clone without customization", vcenter.ErrorText(err), toolkit.FaultName(err))}
	case toolkit.HasFault[*types.NotSupported](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (NotSupported): vCenter does not support this operation on %s in its current state", vcenter.ErrorText(err), toolkit.Name(vm))}
	}
	return err
}

// SessionSafe keeps an error from reading as NotAuthenticated once work
// has started on vCenter: Session.Do runs its function again after a lost
// session, which must never start a clone or create twice.
func SessionSafe(err error, started bool) error {
	if err == nil || !started || !vcenter.IsNotAuthenticated(err) {
		return err
	}
	return errors.New(strings.TrimSpace(vcenter.ErrorText(err)) + " (the vCenter session was lost while waiting; the work goes on in vCenter: check it with task_list / task_get before retrying)")
}
