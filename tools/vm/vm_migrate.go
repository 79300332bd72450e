package vm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMMigrateArgs name a VM and where it goes: host, resource pool (or
// cluster) and/or datastore.
type VMMigrateArgs struct {
	VM           string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Host         string `json:"host,omitempty" jsonschema:"Destination host (vMotion when the VM runs)"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"Destination cluster (its root resource pool; vCenter/DRS picks the host unless host is given)"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"Destination resource pool"`
	Datastore    string `json:"datastore,omitempty" jsonschema:"Destination datastore for all its disks and files (storage vMotion when the VM runs)"`
}

func (a *VMMigrateArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.Host == "" && a.Cluster == "" && a.ResourcePool == "" && a.Datastore == "" {
		return errors.New("say where to: pass host, cluster, resource_pool and/or datastore")
	}
	if a.Cluster != "" && a.ResourcePool != "" {
		return errors.New("pass cluster or resource_pool, not both: a cluster means its root resource pool")
	}
	return nil
}

// VMLocation is where a VM runs and keeps its files.
type VMLocation struct {
	Host         string   `json:"host,omitempty"`
	ResourcePool string   `json:"resource_pool,omitempty"`
	Datastores   []string `json:"datastores"`
}

func (l VMLocation) String() string {
	return fmt.Sprintf("host %s, pool %s, datastores %s", orDash(toolkit.Path(l.Host)), orDash(toolkit.Path(l.ResourcePool)), orDash(toolkit.Names(l.Datastores)))
}

// VMMigrateResult reports a migration.
type VMMigrateResult struct {
	Action   string     `json:"action" jsonschema:"Migrated, or Unchanged when the VM is already there"`
	Kind     string     `json:"kind" jsonschema:"vMotion, storage vMotion, vMotion + storage vMotion, cold migration, cold relocation or resource pool change"`
	ID       string     `json:"id"`
	Path     string     `json:"path"`
	From     VMLocation `json:"from"`
	To       VMLocation `json:"to"`
	Defaults []string   `json:"defaults,omitempty"`
	Tasks    []string   `json:"tasks"`
}

// Text renders the move from and to.
func (r VMMigrateResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s (%s)", r.Action, r.Kind, toolkit.Path(r.Path), r.ID)
	if len(r.Tasks) > 0 {
		fmt.Fprintf(&b, ", task %s", strings.Join(r.Tasks, ","))
	}
	fmt.Fprintf(&b, "\nfrom: %s\nto:   %s\n", r.From, r.To)
	writeDefaults(&b, r.Defaults)
	return b.String()
}

func vmLocation(ctx context.Context, c *vcenter.Conn, m *mo.VirtualMachine) VMLocation {
	l := VMLocation{Host: describeRef(ctx, c, m.Runtime.Host), ResourcePool: describeRef(ctx, c, m.ResourcePool), Datastores: []string{}}
	for _, ds := range m.Datastore {
		l.Datastores = append(l.Datastores, describeRef(ctx, c, &ds))
	}
	return l
}

func vmMigrate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_migrate",
		Title: "Migrate a VM",
		Description: "Move a VM to another host, resource pool or cluster and/or datastore: vMotion, storage vMotion or both while it runs, " +
			"a cold migration when it is off; the result says which. Storage moves copy every disk and can take many minutes; " +
			"can run as a background task.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a VMMigrateArgs) (VMMigrateResult, error) {
		var out VMMigrateResult
		started := false
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = VMMigrateResult{Action: "Migrated", ID: vm.ID(), Path: vm.Path, Tasks: []string{}}
			m, err := readVMProps(ctx, c, vm, vmStateProps)
			if err != nil {
				return err
			}
			out.From = vmLocation(ctx, c, m)
			template := isTemplate(m)
			if template && (a.ResourcePool != "" || a.Cluster != "") {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is a template, which has no resource pool; pass host and/or datastore (or turn it into a VM with vm_mark_vm first)", toolkit.Path(vm.Path))}
			}
			pl, err := params.ResolvePlacement(ctx, c, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
			}
			var curCompute types.ManagedObjectReference
			if m.Runtime.Host != nil {
				var mh mo.HostSystem
				if err := c.ReadRef(ctx, *m.Runtime.Host, []string{"parent"}, &mh); err == nil && mh.Parent != nil {
					curCompute = *mh.Parent
				}
			}
			spec := types.VirtualMachineRelocateSpec{}
			var touches []vcenter.Object
			hostMove, poolMove := false, false
			if pl != nil {
				sameCompute := pl.Compute.Ref == curCompute
				if pl.Host != nil && (m.Runtime.Host == nil || *m.Runtime.Host != pl.Host.Ref) {
					spec.Host = &pl.Host.Ref
					touches = append(touches, *pl.Host)
					hostMove = true
				}
				switch {
				case template:
				case pl.PoolDefaulted && sameCompute:
					// Same cluster or host: the VM keeps its pool.
				case m.ResourcePool == nil || *m.ResourcePool != pl.Pool.Ref:
					spec.Pool = &pl.Pool.Ref
					touches = append(touches, pl.Pool)
					poolMove = true
					if pl.PoolDefaulted {
						out.Defaults = append(out.Defaults, fmt.Sprintf("resource pool %s: the root pool of %s", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path)))
					}
				}
				if !sameCompute && pl.Host == nil {
					hostMove = true // vCenter (DRS) picks a host in the new cluster
				}
			}
			dsMove := false
			if a.Datastore != "" {
				dest := pl
				if dest == nil || (dest.Host == nil && dest.Compute.Ref == curCompute) {
					// Staying on its host: the datastores that host can use.
					if m.Runtime.Host == nil {
						return fmt.Errorf("%s is registered on no host; pass host with datastore", toolkit.Path(vm.Path))
					}
					h, err := c.Describe(ctx, *m.Runtime.Host)
					if err != nil {
						return err
					}
					dest = &params.Placement{Host: &h}
				}
				dss, _, where, err := dest.Available(ctx, c)
				if err != nil {
					return err
				}
				ds, _, err := params.PickDatastore(ctx, c, a.Datastore, dss, where)
				if err != nil {
					return err
				}
				if len(m.Datastore) != 1 || m.Datastore[0] != ds.Ref {
					spec.Datastore = &ds.Ref
					touches = append(touches, ds)
					dsMove = true
				}
			}
			live := m.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
			out.Kind = migrationKind(live, hostMove, poolMove, dsMove)
			if !hostMove && !poolMove && !dsMove {
				out.Action, out.To = "Unchanged", out.From
				return nil
			}
			if err := guard.ActOn(ctx, "Migrate VM ("+out.Kind+")", vm, touches...); err != nil {
				return err
			}
			task, err := object.NewVirtualMachine(c.Client, vm.Ref).Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("migrate %s: %w", toolkit.Path(vm.Path), err), vm.Name, "")
			}
			started = true
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, out.Kind+" of "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return params.ExplainVMFault(err, vm.Name, "")
			}
			if after, err := readVMProps(ctx, c, vm, vmStateProps); err == nil {
				out.To = vmLocation(ctx, c, after)
			}
			return nil
		})
		return out, params.SessionSafe(err, started)
	})
}

// migrationKind names a relocation the way vSphere admins do.
func migrationKind(live, host, pool, ds bool) string {
	switch {
	case live && host && ds:
		return "vMotion + storage vMotion"
	case live && host:
		return "vMotion"
	case live && ds:
		return "storage vMotion"
	case host && ds:
		return "cold migration of host and storage"
	case host:
		return "cold migration"
	case ds:
		return "cold relocation of storage"
	case pool:
		return "resource pool change"
	}
	return "no change"
}
