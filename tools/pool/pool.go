package pool

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// PoolResult is a pool created, changed or deleted.
type PoolResult struct {
	Action string  `json:"action"`
	Name   string  `json:"name"`
	ID     string  `json:"id"`
	Path   string  `json:"path"`
	Parent string  `json:"parent,omitempty" jsonschema:"The parent pool's path"`
	Config *Config `json:"config,omitempty" jsonschema:"The settings afterwards (as vCenter reads them back)"`
	Before *Config `json:"before,omitempty" jsonschema:"The settings before an update"`
	Moved  int     `json:"moved_vms,omitempty" jsonschema:"VMs moved to the parent pool by a delete"`
	Detail string  `json:"detail,omitempty"`
	Task   string  `json:"task,omitempty"`
}

// Text renders a headline and the settings.
func (r PoolResult) Text() string {
	s := fmt.Sprintf("%s resource pool %s (%s)", r.Action, toolkit.Path(r.Path), r.ID)
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	s += "\n"
	if r.Config != nil {
		s += r.Config.lines(r.Before)
	}
	return s
}

func checkName(arg, s string) error { return params.CheckInventoryName(arg, "the new pool's name", s) }

// explain words vCenter's answers to a pool change.
func explain(err error, name string) error {
	switch {
	case fault.Is(err, &types.DuplicateName{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("the parent has a pool named %s already (DuplicateName); choose another name. Nothing was changed", toolkit.Name(name))}
	case fault.Is(err, &types.InsufficientResourcesFault{}):
		return &toolkit.PlainError{Msg: "the parent cannot guarantee that reservation (InsufficientResourcesFault): lower it, or make the parent's reservation expandable. Nothing was changed"}
	case fault.Is(err, &types.InvalidArgument{}):
		return &toolkit.PlainError{Msg: fmt.Sprintf("vCenter refused the settings (%s). Nothing was changed", vcenter.Explain(err))}
	}
	return err
}

// ---- resource_pool_create ----

// PoolCreateArgs defines a new pool.
type PoolCreateArgs struct {
	Parent string `json:"parent" jsonschema:"Where to create it: a cluster, a standalone host or a resource pool (name, path or ID)"`
	Name   string `json:"name" jsonschema:"The new pool's name"`
	Settings
}

func (a *PoolCreateArgs) Validate() error {
	if err := toolkit.RequireIdent("parent", a.Parent, "cluster, host or pool"); err != nil {
		return err
	}
	if err := checkName("name", a.Name); err != nil {
		return err
	}
	return a.Settings.Validate()
}

// parentPool finds the pool a new pool goes into: a cluster's or a
// standalone host's root pool, or the pool named.
func parentPool(ctx context.Context, c *vcenter.Conn, ident string) (vcenter.Object, error) {
	o, err := c.ResolveAny(ctx, ident, []string{"ClusterComputeResource", "HostSystem", "ResourcePool"})
	if err != nil {
		return vcenter.Object{}, err
	}
	var cr types.ManagedObjectReference
	switch o.Ref.Type {
	case "ResourcePool", "VirtualApp":
		return o, nil
	case "HostSystem":
		var h mo.HostSystem
		if err := c.ReadOne(ctx, o, []string{"parent"}, &h); err != nil {
			return vcenter.Object{}, err
		}
		if h.Parent == nil {
			return vcenter.Object{}, fmt.Errorf("host %s has no compute resource", toolkit.Name(o.Name))
		}
		if h.Parent.Type == "ClusterComputeResource" {
			return vcenter.Object{}, &toolkit.PlainError{Msg: fmt.Sprintf("host %s is in a cluster: create the pool in the cluster (parent = the cluster)", toolkit.Name(o.Name))}
		}
		cr = *h.Parent
	default:
		cr = o.Ref
	}
	var ccr mo.ComputeResource
	if err := c.ReadRef(ctx, cr, []string{"resourcePool"}, &ccr); err != nil {
		return vcenter.Object{}, err
	}
	if ccr.ResourcePool == nil {
		return vcenter.Object{}, fmt.Errorf("%s has no root resource pool", toolkit.Path(o.Path))
	}
	root, err := c.Describe(ctx, *ccr.ResourcePool)
	if err != nil {
		return vcenter.Object{}, err
	}
	return root, nil
}

func readConfig(ctx context.Context, c *vcenter.Conn, o vcenter.Object) (mo.ResourcePool, error) {
	var p mo.ResourcePool
	err := c.ReadOne(ctx, o, []string{"name", "parent", "config", "vm", "resourcePool"}, &p)
	return p, err
}

func resourcePoolCreate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "resource_pool_create",
		Title: "Create a resource pool",
		Description: "Create a resource pool in a cluster, standalone host or pool, with CPU (MHz) and memory (MB) reservations, limits (-1 unlimited) " +
			"and shares (low, normal, high or a number), and whether its reservation is expandable. Unset: no reservation, unlimited, normal shares, expandable.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a PoolCreateArgs) (PoolResult, error) {
		var out PoolResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			parent, err := parentPool(ctx, c, a.Parent)
			if err != nil {
				return err
			}
			spec := defaultSpec()
			a.Settings.apply(&spec)
			if err := guard.Act(ctx, fmt.Sprintf("Create resource pool %s in", toolkit.Name(a.Name)), parent); err != nil {
				return err
			}
			np, err := object.NewResourcePool(c.Client, parent.Ref).Create(ctx, a.Name, spec)
			if err != nil {
				return fmt.Errorf("create resource pool %s in %s: %w", toolkit.Name(a.Name), toolkit.Path(parent.Path), explain(err, a.Name))
			}
			o, err := c.Describe(ctx, np.Reference())
			if err != nil {
				return fmt.Errorf("created resource pool %s (%s) but cannot read it back: %w", toolkit.Name(a.Name), np.Reference().Value, err)
			}
			p, err := readConfig(ctx, c, o)
			if err != nil {
				return err
			}
			cfg := configOf(p.Config)
			out = PoolResult{Action: "Created", Name: o.Name, ID: o.ID(), Path: o.Path, Parent: parent.Path, Config: &cfg}
			return nil
		})
		return out, err
	})
}

// ---- resource_pool_update ----

// PoolUpdateArgs changes a pool's settings.
type PoolUpdateArgs struct {
	ResourcePool string `json:"resource_pool" jsonschema:"The pool: name, path or ID"`
	Settings
}

func (a *PoolUpdateArgs) Validate() error {
	if err := toolkit.RequireIdent("resource_pool", a.ResourcePool, "resource pool"); err != nil {
		return err
	}
	if a.Settings.empty() {
		return fmt.Errorf("give at least one setting to change: cpu_reservation_mhz, cpu_limit_mhz, cpu_shares, memory_reservation_mb, memory_limit_mb, memory_shares or expandable_reservation")
	}
	return a.Settings.Validate()
}

// rootPool refuses a cluster's or host's own pool, which vCenter manages.
func rootPool(o vcenter.Object, p mo.ResourcePool, verb string) error {
	if p.Parent != nil && strings.HasSuffix(p.Parent.Type, "ComputeResource") {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is the root resource pool of its cluster or host, which cannot be %s; work with a pool below it", toolkit.Path(o.Path), verb)}
	}
	return nil
}

func resourcePoolUpdate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "resource_pool_update",
		Title:       "Change a resource pool's settings",
		Description: "Change a resource pool's CPU and memory reservations, limits, shares or expandable reservation; settings not given stay as they are. Shows before → after.",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a PoolUpdateArgs) (PoolResult, error) {
		var out PoolResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "ResourcePool", a.ResourcePool)
			if err != nil {
				return err
			}
			p, err := readConfig(ctx, c, o)
			if err != nil {
				return err
			}
			if err := rootPool(o, p, "changed"); err != nil {
				return err
			}
			before := configOf(p.Config)
			spec := types.ResourceConfigSpec{CpuAllocation: p.Config.CpuAllocation, MemoryAllocation: p.Config.MemoryAllocation}
			a.Settings.apply(&spec)
			want := configOf(spec)
			if want.CPULimitMHz >= 0 && want.CPUReservationMHz > want.CPULimitMHz {
				return &toolkit.PlainError{Msg: fmt.Sprintf("the CPU reservation (%d MHz) would exceed the limit (%d MHz); nothing was changed", want.CPUReservationMHz, want.CPULimitMHz)}
			}
			if want.MemoryLimitMB >= 0 && want.MemoryReservationMB > want.MemoryLimitMB {
				return &toolkit.PlainError{Msg: fmt.Sprintf("the memory reservation (%d MB) would exceed the limit (%d MB); nothing was changed", want.MemoryReservationMB, want.MemoryLimitMB)}
			}
			out = PoolResult{Action: "Unchanged", Name: o.Name, ID: o.ID(), Path: o.Path, Config: &before, Detail: "it has these settings already"}
			if want == before {
				return nil
			}
			if err := guard.Act(ctx, "Change the CPU and memory settings of resource pool", o); err != nil {
				return err
			}
			if err := object.NewResourcePool(c.Client, o.Ref).UpdateConfig(ctx, "", &spec); err != nil {
				return fmt.Errorf("change resource pool %s: %w", toolkit.Path(o.Path), explain(err, o.Name))
			}
			if p, err = readConfig(ctx, c, o); err != nil {
				return err
			}
			after := configOf(p.Config)
			out = PoolResult{Action: "Changed", Name: o.Name, ID: o.ID(), Path: o.Path, Config: &after, Before: &before}
			if after != want {
				out.Detail = "vCenter read back other values than asked; check them"
			}
			return nil
		})
		return out, err
	})
}

// ---- resource_pool_delete ----

// PoolArgs names one pool.
type PoolArgs struct {
	ResourcePool string `json:"resource_pool" jsonschema:"The pool: name, path or ID"`
}

func (a *PoolArgs) Validate() error {
	return toolkit.RequireIdent("resource_pool", a.ResourcePool, "resource pool")
}

func resourcePoolDelete() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "resource_pool_delete",
		Title: "Delete a resource pool",
		Description: "Delete a resource pool. Its VMs and child pools move to its parent pool, losing the pool's reservations and limits; " +
			"a person confirms, told how many VMs move.",
		Risk: policy.RiskDestructive,
	}, func(ctx context.Context, d toolkit.Deps, a PoolArgs) (PoolResult, error) {
		var out PoolResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "ResourcePool", a.ResourcePool)
			if err != nil {
				return err
			}
			p, err := readConfig(ctx, c, o)
			if err != nil {
				return err
			}
			if err := rootPool(o, p, "deleted"); err != nil {
				return err
			}
			if vis, err := c.VisibleSet(ctx, p.Vm); err != nil {
				return err
			} else if hidden := len(p.Vm) - len(vcenter.InSet(p.Vm, vis)); hidden > 0 {
				return &toolkit.PlainError{Msg: fmt.Sprintf("resource pool %s holds %d VMs outside this profile's scope; it can only be deleted by a profile that sees them. Nothing was deleted", toolkit.Path(o.Path), hidden)}
			}
			parent, err := c.Describe(ctx, *p.Parent)
			if err != nil {
				return err
			}
			what := fmt.Sprintf("Delete resource pool; its %d VMs and %d child pools move to %s", len(p.Vm), len(p.ResourcePool), toolkit.Path(parent.Path))
			guard.Confirm(ctx)
			if err := guard.ActOn(ctx, what, o, parent); err != nil {
				return err
			}
			task, err := object.NewResourcePool(c.Client, o.Ref).Destroy(ctx)
			if err != nil {
				return fmt.Errorf("delete resource pool %s: %w; nothing was deleted", toolkit.Path(o.Path), err)
			}
			out = PoolResult{Action: "Deleted", Name: o.Name, ID: o.ID(), Path: o.Path, Parent: parent.Path, Task: task.Reference().Value, Moved: len(p.Vm),
				Detail: fmt.Sprintf("%d VMs and %d child pools moved to %s", len(p.Vm), len(p.ResourcePool), toolkit.Path(parent.Path))}
			if _, err := guard.WaitTask(ctx, task, "delete resource pool "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return fmt.Errorf("delete resource pool %s: %w", toolkit.Path(o.Path), err)
			}
			return nil
		})
		return out, err
	})
}
