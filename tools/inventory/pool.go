package inventory

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// PoolListArgs filters and pages resource_pool_list.
type PoolListArgs struct {
	params.NameFilter
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only pools in this datacenter (name, path or ID)"`
	Cluster    string `json:"cluster,omitempty" jsonschema:"Only pools of this cluster"`
	toolkit.Paging
}

func (a *PoolListArgs) Validate() error { return params.CheckList(a.Paging, a.Name) }

// PoolItem is one row of resource_pool_list. A limit of -1 means
// unlimited.
type PoolItem struct {
	Name              string `json:"name"`
	ID                string `json:"id"`
	Path              string `json:"path"`
	VMs               int    `json:"vms"`
	CPUReservationMHz int64  `json:"cpu_reservation_mhz"`
	CPULimitMHz       int64  `json:"cpu_limit_mhz" jsonschema:"-1: unlimited"`
	MemReservationMB  int64  `json:"memory_reservation_mb"`
	MemLimitMB        int64  `json:"memory_limit_mb" jsonschema:"-1: unlimited"`
}

// PoolList is resource_pool_list's result.
type PoolList struct {
	Items      []PoolItem `json:"items"`
	Total      int        `json:"total"`
	NextCursor string     `json:"next_cursor"`
}

// Text renders the page as a table.
func (l PoolList) Text() string {
	t := toolkit.NewTable("name", "id", "vms", "cpu_reservation_mhz", "cpu_limit_mhz", "memory_reservation_mb", "memory_limit_mb", "path")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, toolkit.Itoa(it.VMs), toolkit.I64toa(it.CPUReservationMHz), limit(it.CPULimitMHz),
			toolkit.I64toa(it.MemReservationMB), limit(it.MemLimitMB), it.Path)
	}
	return toolkit.PageText("resource pools", len(l.Items), l.Total, l.NextCursor, t)
}

func limit(v int64) string {
	if v < 0 {
		return "unlimited"
	}
	return toolkit.I64toa(v)
}

func allocation(a types.ResourceAllocationInfo) (reservation, limit int64) {
	limit = -1
	if a.Reservation != nil {
		reservation = *a.Reservation
	}
	if a.Limit != nil {
		limit = *a.Limit
	}
	return reservation, limit
}

func resourcePoolList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "resource_pool_list",
		Title: "List resource pools",
		Description: "List resource pools (and vApps) with their inventory path, VM count (direct members) and CPU and memory reservation and limit, " +
			"filtered by name glob, datacenter or cluster.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a PoolListArgs) (PoolList, error) {
		q := vcenter.Query{Type: "ResourcePool", Key: toolkit.QueryKey("resource_pool_list", a.Name, a.Datacenter, a.Cluster)}
		if err := params.Scope(ctx, d.Session, &q, a.Cursor, a.Name,
			params.Container{Kind: "ClusterComputeResource", Ident: a.Cluster}, params.Container{Kind: "Datacenter", Ident: a.Datacenter}); err != nil {
			return PoolList{}, err
		}
		pools, page, err := params.ListPage[mo.ResourcePool](ctx, d.Session, q,
			[]string{"name", "vm", "config.cpuAllocation", "config.memoryAllocation"}, a.Paging)
		if err != nil {
			return PoolList{}, fmt.Errorf("list resource pools: %w", err)
		}
		var paths map[types.ManagedObjectReference]string
		var visible map[types.ManagedObjectReference]bool
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			refs := make([]types.ManagedObjectReference, len(pools))
			var vms []types.ManagedObjectReference
			for i, p := range pools {
				refs[i] = p.Self
				vms = append(vms, p.Vm...)
			}
			var err error
			if paths, err = c.InventoryPaths(ctx, refs); err != nil {
				return err
			}
			visible, err = c.VisibleSet(ctx, vms)
			return err
		})
		if err != nil {
			return PoolList{}, fmt.Errorf("list resource pools: %w", err)
		}
		out := PoolList{Items: make([]PoolItem, 0, len(pools)), Total: page.Total, NextCursor: page.NextCursor}
		for _, p := range pools {
			it := PoolItem{Name: p.Name, ID: p.Self.Value, Path: paths[p.Self], VMs: len(vcenter.InSet(p.Vm, visible))}
			it.CPUReservationMHz, it.CPULimitMHz = allocation(p.Config.CpuAllocation)
			it.MemReservationMB, it.MemLimitMB = allocation(p.Config.MemoryAllocation)
			out.Items = append(out.Items, it)
		}
		return out, nil
	})
}
