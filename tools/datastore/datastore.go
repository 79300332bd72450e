package datastore

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- datastore_list ----

// DatastoreListArgs filters and pages datastore_list.
type DatastoreListArgs struct {
	params.NameFilter
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only datastores in this datacenter (name, path or ID)"`
	toolkit.Paging
}

func (a *DatastoreListArgs) Validate() error { return params.CheckList(a.Paging, a.Name) }

// DatastoreItem is one row of datastore_list.
type DatastoreItem struct {
	Name       string  `json:"name"`
	ID         string  `json:"id"`
	Type       string  `json:"type"`
	CapacityGB float64 `json:"capacity_gb"`
	FreeGB     float64 `json:"free_gb"`
	UsedPct    float64 `json:"used_pct"`
	Accessible bool    `json:"accessible"`
	VMs        int     `json:"vms"`
}

// DatastoreList is datastore_list's result.
type DatastoreList struct {
	Items      []DatastoreItem `json:"items"`
	Total      int             `json:"total"`
	NextCursor string          `json:"next_cursor"`
}

// Text renders the page as a table.
func (l DatastoreList) Text() string {
	t := toolkit.NewTable("name", "id", "type", "capacity_gb", "free_gb", "used_pct", "accessible", "vms")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, it.Type, fmt.Sprintf("%.1f", it.CapacityGB), fmt.Sprintf("%.1f", it.FreeGB),
			fmt.Sprintf("%.1f", it.UsedPct), toolkit.YesNo(it.Accessible), toolkit.Itoa(it.VMs))
	}
	return toolkit.PageText("datastores", len(l.Items), l.Total, l.NextCursor, t)
}

// usedPct is the share of a datastore in use, one decimal.
func usedPct(capacity, free int64) float64 {
	if capacity <= 0 {
		return 0
	}
	return float64(int64(float64(capacity-free)/float64(capacity)*1000+0.5)) / 10
}

func datastoreList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "datastore_list",
		Title:       "List datastores",
		Description: "List datastores with type, capacity, free space, percent used, accessibility and VM count, filtered by name glob or datacenter.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreListArgs) (DatastoreList, error) {
		q := vcenter.Query{Type: "Datastore", Key: toolkit.QueryKey("datastore_list", a.Name, a.Datacenter)}
		if err := params.Scope(ctx, d.Session, &q, a.Cursor, a.Name, params.Container{Kind: "Datacenter", Ident: a.Datacenter}); err != nil {
			return DatastoreList{}, err
		}
		dss, page, err := params.ListPage[mo.Datastore](ctx, d.Session, q, []string{"name", "summary", "vm"}, a.Paging)
		if err != nil {
			return DatastoreList{}, fmt.Errorf("list datastores: %w", err)
		}
		var vmRefs []types.ManagedObjectReference
		for _, ds := range dss {
			vmRefs = append(vmRefs, ds.Vm...)
		}
		var visible map[types.ManagedObjectReference]bool
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			visible, err = c.VisibleSet(ctx, vmRefs)
			return err
		})
		if err != nil {
			return DatastoreList{}, fmt.Errorf("list datastores: %w", err)
		}
		out := DatastoreList{Items: make([]DatastoreItem, 0, len(dss)), Total: page.Total, NextCursor: page.NextCursor}
		for _, ds := range dss {
			s := ds.Summary
			out.Items = append(out.Items, DatastoreItem{
				Name: ds.Name, ID: ds.Self.Value, Type: s.Type,
				CapacityGB: toolkit.GiBf(s.Capacity), FreeGB: toolkit.GiBf(s.FreeSpace), UsedPct: usedPct(s.Capacity, s.FreeSpace),
				Accessible: s.Accessible, VMs: len(vcenter.InSet(ds.Vm, visible)),
			})
		}
		return out, nil
	})
}

// ---- datastore_get ----

// DatastoreArgs names one datastore.
type DatastoreArgs struct {
	Datastore string `json:"datastore" jsonschema:"The datastore: name, inventory path (/DC0/datastore/ds1) or ID (datastore-42)"`
}

func (a *DatastoreArgs) Validate() error {
	if err := toolkit.RequireIdent("datastore", a.Datastore, "datastore"); err != nil {
		return err
	}
	return nil
}

// DatastoreMount is a host that mounts a datastore.
type DatastoreMount struct {
	Host       string `json:"host"`
	Mounted    bool   `json:"mounted"`
	Accessible bool   `json:"accessible"`
	AccessMode string `json:"access_mode,omitempty"`
}

// maxDatastoreVMs bounds the VM names datastore_get reads and shows.
const maxDatastoreVMs = 100

// DatastoreDetail is datastore_get's result: what an admin looks at first.
type DatastoreDetail struct {
	Name            string           `json:"name"`
	ID              string           `json:"id"`
	Path            string           `json:"path"`
	Type            string           `json:"type"`
	URL             string           `json:"url"`
	CapacityGB      float64          `json:"capacity_gb"`
	FreeGB          float64          `json:"free_gb"`
	UncommittedGB   float64          `json:"uncommitted_gb"`
	UsedPct         float64          `json:"used_pct"`
	Accessible      bool             `json:"accessible"`
	MaintenanceMode string           `json:"maintenance_mode,omitempty"`
	Hosts           []DatastoreMount `json:"hosts"`
	VMCount         int              `json:"vm_count"`
	VMs             []string         `json:"vms" jsonschema:"VM names, at most 100"`
}

// Text renders the datastore as labelled lines, names and URL quoted
// unless plain.
func (ds DatastoreDetail) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Datastore %s (%s) %s\n", toolkit.Name(ds.Name), ds.ID, toolkit.Path(ds.Path))
	fmt.Fprintf(&b, "type: %s\nurl: %s\n", toolkit.Name(ds.Type), toolkit.Path(ds.URL))
	fmt.Fprintf(&b, "capacity: %.1f GB, free %.1f GB, %.1f%% used, uncommitted %.1f GB\n", ds.CapacityGB, ds.FreeGB, ds.UsedPct, ds.UncommittedGB)
	fmt.Fprintf(&b, "accessible: %s\n", toolkit.YesNo(ds.Accessible))
	if ds.MaintenanceMode != "" {
		fmt.Fprintf(&b, "maintenance_mode: %s\n", ds.MaintenanceMode)
	}
	var hosts []string
	for _, h := range ds.Hosts {
		state := h.AccessMode
		if !h.Mounted {
			state = "unmounted"
		} else if !h.Accessible {
			state = "inaccessible"
		}
		hosts = append(hosts, toolkit.Name(h.Host)+" ("+state+")")
	}
	fmt.Fprintf(&b, "hosts: %d: %s\n", len(ds.Hosts), strings.Join(hosts, ", "))
	vms := toolkit.Names(ds.VMs)
	if ds.VMCount > len(ds.VMs) {
		vms += fmt.Sprintf(", … %d more (list them with vm_list)", ds.VMCount-len(ds.VMs))
	}
	fmt.Fprintf(&b, "vms: %d: %s\n", ds.VMCount, vms)
	return b.String()
}

func datastoreGet() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_get",
		Title: "Show a datastore",
		Description: "Show one datastore in detail: type, URL, capacity, free and uncommitted space, accessibility, maintenance mode, " +
			"the hosts that mount it and its VMs (up to 100 named).",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreArgs) (DatastoreDetail, error) {
		var out DatastoreDetail
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "Datastore", a.Datastore)
			if err != nil {
				return err
			}
			var ds mo.Datastore
			if err := c.ReadOne(ctx, o, []string{"summary", "host", "vm"}, &ds); err != nil {
				return err
			}
			out, err = datastoreDetail(ctx, c, o, &ds)
			return err
		})
		return out, err
	})
}

func datastoreDetail(ctx context.Context, c *vcenter.Conn, o vcenter.Object, ds *mo.Datastore) (DatastoreDetail, error) {
	s := ds.Summary
	out := DatastoreDetail{
		Name: o.Name, ID: o.ID(), Path: o.Path, Type: s.Type, URL: s.Url,
		CapacityGB: toolkit.GiBf(s.Capacity), FreeGB: toolkit.GiBf(s.FreeSpace), UncommittedGB: toolkit.GiBf(s.Uncommitted),
		UsedPct: usedPct(s.Capacity, s.FreeSpace), Accessible: s.Accessible, MaintenanceMode: s.MaintenanceMode,
		Hosts: []DatastoreMount{},
	}
	// Hosts and VMs are named only when the caller's scope shows them.
	var hostRefs []types.ManagedObjectReference
	for _, h := range ds.Host {
		hostRefs = append(hostRefs, h.Key)
	}
	hosts, err := c.VisibleNames(ctx, hostRefs)
	if err != nil {
		return out, fmt.Errorf("read hosts of datastore %s: %w", toolkit.Path(o.Path), err)
	}
	for _, h := range ds.Host {
		name, ok := hosts[h.Key]
		if !ok {
			continue
		}
		m := DatastoreMount{Host: name, AccessMode: h.MountInfo.AccessMode}
		if h.MountInfo.Mounted != nil {
			m.Mounted = *h.MountInfo.Mounted
		}
		if h.MountInfo.Accessible != nil {
			m.Accessible = *h.MountInfo.Accessible
		}
		out.Hosts = append(out.Hosts, m)
	}
	vms, err := c.VisibleNames(ctx, ds.Vm)
	if err != nil {
		return out, fmt.Errorf("read VMs of datastore %s: %w", toolkit.Path(o.Path), err)
	}
	out.VMCount = len(vms)
	out.VMs = vcenter.NamesOf(ds.Vm, vms)
	out.VMs = out.VMs[:min(len(out.VMs), maxDatastoreVMs)]
	return out, nil
}
