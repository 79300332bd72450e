package inventory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// This file holds the whole-inventory tools (vcenter_info,
// inventory_summary, datacenter_list, folder_list) and the helpers every
// *_list and *_get of the inventory shares.

// ---- shared helpers ----

// ---- vcenter_info ----

// VCenterInfo is vcenter_info's result.
type VCenterInfo struct {
	Product      string `json:"product"`
	FullName     string `json:"full_name"`
	Version      string `json:"version"`
	Build        string `json:"build"`
	APIType      string `json:"api_type" jsonschema:"VirtualCenter (vCenter) or HostAgent (a standalone ESXi host)"`
	APIVersion   string `json:"api_version"`
	InstanceUUID string `json:"instance_uuid,omitempty"`
	User         string `json:"user"`
	URL          string `json:"url"`
}

// Text renders the product and session as labelled lines, what vCenter
// says of itself escaped like any vCenter text.
func (v VCenterInfo) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", toolkit.Name(v.FullName))
	fmt.Fprintf(&b, "api: %s %s\n", toolkit.Name(v.APIType), toolkit.Name(v.APIVersion))
	if v.InstanceUUID != "" {
		fmt.Fprintf(&b, "instance_uuid: %s\n", toolkit.Name(v.InstanceUUID))
	}
	fmt.Fprintf(&b, "user: %s\nurl: %s\n", toolkit.Name(v.User), toolkit.Path(v.URL))
	return b.String()
}

func vcenterInfo() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vcenter_info",
		Title:       "Show the vCenter",
		Description: "Show the connected vCenter or ESXi host: product, version, build, API type and version, instance UUID and the logged-in user.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, _ toolkit.NoArgs) (VCenterInfo, error) {
		var out VCenterInfo
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			a := c.About
			out = VCenterInfo{
				Product: a.Name, FullName: a.FullName, Version: a.Version, Build: a.Build,
				APIType: a.ApiType, APIVersion: a.ApiVersion, InstanceUUID: a.InstanceUuid, User: c.User,
			}
			return nil
		})
		if u, perr := vcenter.ParseURL(d.Session.Config().URL); perr == nil {
			u.User = nil // never show credentials a URL may carry
			out.URL = u.String()
		}
		return out, err
	})
}

// ---- inventory_summary ----

// SummaryArgs narrows inventory_summary.
type SummaryArgs struct {
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only this datacenter (name, path or ID)"`
}

// SummaryRow counts one scope: the whole inventory, a datacenter or a
// cluster. VMs exclude templates, which are counted apart.
type SummaryRow struct {
	Scope       string `json:"scope" jsonschema:"total, datacenter or cluster"`
	Name        string `json:"name"`
	ID          string `json:"id,omitempty"`
	Datacenter  string `json:"datacenter,omitempty"`
	Datacenters int    `json:"datacenters,omitempty"`
	Clusters    int    `json:"clusters"`
	Hosts       int    `json:"hosts"`
	toolkit.VMCounts
	Datastores     int     `json:"datastores"`
	Networks       int     `json:"networks"`
	CPUUsedMHz     int64   `json:"cpu_used_mhz"`
	CPUTotalMHz    int64   `json:"cpu_total_mhz"`
	MemoryUsedGB   float64 `json:"memory_used_gb"`
	MemoryTotalGB  float64 `json:"memory_total_gb"`
	StorageUsedGB  float64 `json:"storage_used_gb"`
	StorageTotalGB float64 `json:"storage_total_gb"`
}

// InventorySummary is inventory_summary's result: one row for the total,
// then each datacenter followed by its clusters, as the text shows them.
type InventorySummary struct {
	Product string       `json:"product"`
	Rows    []SummaryRow `json:"rows"`
}

// Text renders the rows as one table under a one-line overview.
func (s InventorySummary) Text() string {
	var b strings.Builder
	if len(s.Rows) == 0 {
		return toolkit.Name(s.Product) + ": empty inventory\n"
	}
	t := s.Rows[0]
	fmt.Fprintf(&b, "%s: %d datacenters, %d clusters, %d hosts, %d VMs (%d poweredOn, %d poweredOff, %d suspended), %d templates, %d datastores, %d networks\n",
		toolkit.Name(s.Product), t.Datacenters, t.Clusters, t.Hosts, t.VMs, t.PoweredOn, t.PoweredOff, t.Suspended, t.Templates, t.Datastores, t.Networks)
	tb := toolkit.NewTable("scope", "name", "clusters", "hosts", "vms", "on", "off", "suspended", "templates", "datastores", "networks", "cpu_ghz", "memory_gb", "storage_gb")
	for _, r := range s.Rows {
		name, clusters := r.Name, toolkit.Itoa(r.Clusters)
		switch r.Scope {
		case "total":
			name = ""
		case "cluster":
			name, clusters = r.Datacenter+"/"+r.Name, ""
		}
		tb.Row(r.Scope, name, clusters, toolkit.Itoa(r.Hosts), toolkit.Itoa(r.VMs), toolkit.Itoa(r.PoweredOn), toolkit.Itoa(r.PoweredOff), toolkit.Itoa(r.Suspended),
			toolkit.Itoa(r.Templates), toolkit.Itoa(r.Datastores), toolkit.Itoa(r.Networks),
			toolkit.UsedOf(float64(r.CPUUsedMHz)/1000, float64(r.CPUTotalMHz)/1000, 1, ""),
			toolkit.UsedOf(r.MemoryUsedGB, r.MemoryTotalGB, 1, ""), toolkit.UsedOf(r.StorageUsedGB, r.StorageTotalGB, 1, ""))
	}
	b.WriteString(tb.String())
	return b.String()
}

func inventorySummary() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:       "inventory_summary",
		AlwaysLoad: true,
		Title:      "Summarize the inventory",
		Description: "Count datacenters, clusters, hosts, VMs by power state, templates, datastores and networks, with CPU, memory and storage used vs capacity, " +
			"in total, per datacenter and per cluster. Start here; it reads a few properties of every host, VM and datastore.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a SummaryArgs) (InventorySummary, error) {
		var out InventorySummary
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			out, err = summarize(ctx, c, a.Datacenter)
			return err
		})
		if err != nil {
			return InventorySummary{}, fmt.Errorf("summarize the inventory: %w", err)
		}
		return out, nil
	})
}

// summarize counts per datacenter through container views rooted at each
// datacenter (references only), then reads the few properties the sums need.
func summarize(ctx context.Context, c *vcenter.Conn, datacenter string) (InventorySummary, error) {
	out := InventorySummary{Product: c.About.FullName}
	var dcs, cls []SummaryRow
	var dcRefs []types.ManagedObjectReference
	if datacenter != "" {
		o, err := c.Resolve(ctx, "Datacenter", datacenter)
		if err != nil {
			return out, err
		}
		dcRefs = []types.ManagedObjectReference{o.Ref}
	} else {
		var err error
		if dcRefs, err = c.Select(ctx, vcenter.Query{Type: "Datacenter"}); err != nil {
			return out, err
		}
	}
	dcNames, err := c.Names(ctx, dcRefs)
	if err != nil {
		return out, err
	}

	// Which datacenter each object is in.
	kinds := []string{"HostSystem", "ClusterComputeResource", "VirtualMachine", "Datastore", "Network"}
	in := map[types.ManagedObjectReference]int{}
	refs := map[string][]types.ManagedObjectReference{}
	for i, dc := range dcRefs {
		dcs = append(dcs, SummaryRow{Scope: "datacenter", Name: dcNames[dc], ID: dc.Value})
		for _, k := range kinds {
			members, err := c.Select(ctx, vcenter.Query{Type: k, Roots: []types.ManagedObjectReference{dc}})
			if err != nil {
				return out, err
			}
			for _, m := range members {
				if _, dup := in[m]; !dup {
					in[m] = i
					refs[k] = append(refs[k], m)
					if k == "Network" {
						dcs[i].Networks++
					}
				}
			}
		}
	}

	hostObjs, _, err := c.RetrieveMany(ctx, refs["HostSystem"], append([]string{"parent"}, toolkit.HostUsageProps...))
	if err != nil {
		return out, err
	}
	var hosts []mo.HostSystem
	if err := mo.LoadObjectContent(hostObjs, &hosts); err != nil {
		return out, err
	}
	clObjs, _, err := c.RetrieveMany(ctx, refs["ClusterComputeResource"], []string{"name", "datastore", "network"})
	if err != nil {
		return out, err
	}
	var clusters []mo.ClusterComputeResource
	if err := mo.LoadObjectContent(clObjs, &clusters); err != nil {
		return out, err
	}
	vmObjs, _, err := c.RetrieveMany(ctx, refs["VirtualMachine"], []string{"runtime.powerState", "config.template", "runtime.host"})
	if err != nil {
		return out, err
	}
	dsObjs, _, err := c.RetrieveMany(ctx, refs["Datastore"], []string{"summary.capacity", "summary.freeSpace"})
	if err != nil {
		return out, err
	}

	clusterIdx := map[types.ManagedObjectReference]int{}
	clUsage := make([]toolkit.Usage, len(clusters))
	for i, cl := range clusters {
		clusterIdx[cl.Self] = i
		cls = append(cls, SummaryRow{
			Scope: "cluster", Name: cl.Name, ID: cl.Self.Value, Datacenter: dcNames[dcRefs[in[cl.Self]]],
			Datastores: countSelected(cl.Datastore, in), Networks: countSelected(cl.Network, in),
		})
		dcs[in[cl.Self]].Clusters++
	}
	dcUsage := make([]toolkit.Usage, len(dcRefs))
	var total toolkit.Usage
	hostCluster := map[types.ManagedObjectReference]int{}
	for i := range hosts {
		h := &hosts[i]
		dc := in[h.Self]
		dcs[dc].Hosts++
		dcUsage[dc].AddHost(h)
		total.AddHost(h)
		if h.Parent != nil {
			if ci, ok := clusterIdx[*h.Parent]; ok {
				hostCluster[h.Self] = ci
				cls[ci].Hosts++
				clUsage[ci].AddHost(h)
			}
		}
	}
	for _, oc := range vmObjs {
		rows := []*SummaryRow{&dcs[in[oc.Obj]]}
		if h, ok := vcenter.PropVal(oc, "runtime.host").(types.ManagedObjectReference); ok {
			if ci, ok := hostCluster[h]; ok {
				rows = append(rows, &cls[ci])
			}
		}
		tmpl, _ := vcenter.PropVal(oc, "config.template").(bool)
		power, _ := vcenter.PropVal(oc, "runtime.powerState").(types.VirtualMachinePowerState)
		for _, r := range rows {
			r.Add(tmpl, power)
		}
	}

	dsCap := map[types.ManagedObjectReference][2]int64{}
	dcStorage := make([][2]int64, len(dcRefs))
	for _, oc := range dsObjs {
		capacity, _ := vcenter.PropVal(oc, "summary.capacity").(int64)
		free, _ := vcenter.PropVal(oc, "summary.freeSpace").(int64)
		dsCap[oc.Obj] = [2]int64{capacity - free, capacity}
		dc := in[oc.Obj]
		dcs[dc].Datastores++
		dcStorage[dc][0] += capacity - free
		dcStorage[dc][1] += capacity
	}

	for i := range dcs {
		setUsage(&dcs[i], dcUsage[i], dcStorage[i])
	}
	for i, cl := range clusters {
		var st [2]int64
		for _, ds := range vcenter.UniqueRefs(cl.Datastore) { // dsCap holds only those in scope
			st[0] += dsCap[ds][0]
			st[1] += dsCap[ds][1]
		}
		setUsage(&cls[i], clUsage[i], st)
	}

	t := SummaryRow{Scope: "total", Name: "total", Datacenters: len(dcRefs), Clusters: len(clusters), Hosts: len(hosts)}
	var st [2]int64
	for _, dc := range dcs {
		t.VMs += dc.VMs
		t.PoweredOn += dc.PoweredOn
		t.PoweredOff += dc.PoweredOff
		t.Suspended += dc.Suspended
		t.Templates += dc.Templates
		t.Datastores += dc.Datastores
		t.Networks += dc.Networks
	}
	for _, s := range dcStorage {
		st[0] += s[0]
		st[1] += s[1]
	}
	setUsage(&t, total, st)
	out.Rows = append(out.Rows, t)
	for i, dc := range dcs {
		out.Rows = append(out.Rows, dc)
		for j, cl := range cls {
			if in[clusters[j].Self] == i {
				out.Rows = append(out.Rows, cl)
			}
		}
	}
	return out, nil
}

// countSelected counts the distinct refs a summary selected (those in
// scope).
func countSelected(refs []types.ManagedObjectReference, in map[types.ManagedObjectReference]int) int {
	n := 0
	for _, r := range vcenter.UniqueRefs(refs) {
		if _, ok := in[r]; ok {
			n++
		}
	}
	return n
}

func setUsage(r *SummaryRow, u toolkit.Usage, storage [2]int64) {
	r.CPUUsedMHz, r.CPUTotalMHz = u.CPUUsedMHz, u.CPUTotalMHz
	r.MemoryUsedGB, r.MemoryTotalGB = u.MemUsedGB(), u.MemTotalGB()
	r.StorageUsedGB, r.StorageTotalGB = toolkit.GiBf(storage[0]), toolkit.GiBf(storage[1])
}

// ---- datacenter_list ----

// DatacenterListArgs filters and pages datacenter_list.
type DatacenterListArgs struct {
	params.NameFilter
	toolkit.Paging
}

func (a *DatacenterListArgs) Validate() error { return params.CheckList(a.Paging, a.Name) }

// DatacenterItem is one row of datacenter_list.
type DatacenterItem struct {
	Name       string `json:"name"`
	ID         string `json:"id"`
	Clusters   int    `json:"clusters"`
	Hosts      int    `json:"hosts"`
	VMs        int    `json:"vms"`
	Datastores int    `json:"datastores"`
	Networks   int    `json:"networks"`
}

// DatacenterList is datacenter_list's result.
type DatacenterList struct {
	Items      []DatacenterItem `json:"items"`
	Total      int              `json:"total"`
	NextCursor string           `json:"next_cursor"`
}

// Text renders the page as a table.
func (l DatacenterList) Text() string {
	t := toolkit.NewTable("name", "id", "clusters", "hosts", "vms", "datastores", "networks")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, toolkit.Itoa(it.Clusters), toolkit.Itoa(it.Hosts), toolkit.Itoa(it.VMs), toolkit.Itoa(it.Datastores), toolkit.Itoa(it.Networks))
	}
	return toolkit.PageText("datacenters", len(l.Items), l.Total, l.NextCursor, t)
}

func datacenterList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "datacenter_list",
		Title:       "List datacenters",
		Description: "List datacenters with their numbers of clusters, hosts, VMs (templates included), datastores and networks.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a DatacenterListArgs) (DatacenterList, error) {
		q := vcenter.Query{Type: "Datacenter", Key: toolkit.QueryKey("datacenter_list", a.Name)}
		if err := params.Scope(ctx, d.Session, &q, a.Cursor, a.Name); err != nil {
			return DatacenterList{}, err
		}
		dcs, page, err := params.ListPage[mo.Datacenter](ctx, d.Session, q, []string{"name"}, a.Paging)
		if err != nil {
			return DatacenterList{}, fmt.Errorf("list datacenters: %w", err)
		}
		out := DatacenterList{Items: make([]DatacenterItem, 0, len(dcs)), Total: page.Total, NextCursor: page.NextCursor}
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			out.Items = out.Items[:0]
			for _, dc := range dcs {
				it := DatacenterItem{Name: dc.Name, ID: dc.Self.Value}
				// Counted through listings, so a scoped role counts only
				// what it may see.
				for _, k := range []struct {
					kind string
					n    *int
				}{{"ClusterComputeResource", &it.Clusters}, {"HostSystem", &it.Hosts}, {"VirtualMachine", &it.VMs},
					{"Datastore", &it.Datastores}, {"Network", &it.Networks}} {
					refs, err := c.Select(ctx, vcenter.Query{Type: k.kind, Roots: []types.ManagedObjectReference{dc.Self}})
					if err != nil {
						return err
					}
					*k.n = len(refs)
				}
				out.Items = append(out.Items, it)
			}
			return nil
		})
		if err != nil {
			return DatacenterList{}, fmt.Errorf("count datacenter contents: %w", err)
		}
		return out, nil
	})
}

// ---- folder_list ----

var folderTypes = []string{"vm", "host", "datastore", "network", "datacenter"}

// FolderListArgs filters and pages folder_list.
type FolderListArgs struct {
	params.NameFilter
	Type       string `json:"type,omitempty" jsonschema:"enum=vm,enum=host,enum=datastore,enum=network,enum=datacenter"`
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only folders in this datacenter"`
	toolkit.Paging
}

func (a *FolderListArgs) Validate() error {
	if a.Type != "" && !slices.Contains(folderTypes, a.Type) {
		return fmt.Errorf("type %q is not a folder type; use one of %s", a.Type, strings.Join(folderTypes, ", "))
	}
	return params.CheckList(a.Paging, a.Name)
}

// FolderItem is one row of folder_list.
type FolderItem struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Path     string `json:"path"`
	Type     string `json:"type"`
	Children int    `json:"children"`
}

// FolderList is folder_list's result.
type FolderList struct {
	Items      []FolderItem `json:"items"`
	Total      int          `json:"total"`
	NextCursor string       `json:"next_cursor"`
}

// Text renders the page as a table.
func (l FolderList) Text() string {
	t := toolkit.NewTable("name", "id", "type", "children", "path")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, it.Type, toolkit.Itoa(it.Children), it.Path)
	}
	return toolkit.PageText("folders", len(l.Items), l.Total, l.NextCursor, t)
}

// folderType names what a folder holds, from its childType.
func folderType(childType []string) string {
	for _, t := range childType {
		switch t {
		case "VirtualMachine":
			return "vm"
		case "ComputeResource":
			return "host"
		case "Datastore":
			return "datastore"
		case "Network":
			return "network"
		case "Datacenter":
			return "datacenter"
		}
	}
	return ""
}

func folderList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "folder_list",
		Title:       "List folders",
		Description: "List inventory folders with their path, type (what they hold: vm, host, datastore, network or datacenter) and number of children.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a FolderListArgs) (FolderList, error) {
		q := vcenter.Query{Type: "Folder", Key: toolkit.QueryKey("folder_list", a.Name, a.Type, a.Datacenter)}
		if err := params.Scope(ctx, d.Session, &q, a.Cursor, a.Name, params.Container{Kind: "Datacenter", Ident: a.Datacenter}); err != nil {
			return FolderList{}, err
		}
		if a.Cursor == "" && a.Type != "" {
			byName := q.Match
			q.MatchProps = append(q.MatchProps, "childType")
			q.Match = func(oc types.ObjectContent) bool {
				ct, _ := vcenter.PropVal(oc, "childType").(types.ArrayOfString)
				return folderType(ct.String) == a.Type && (byName == nil || byName(oc))
			}
		}
		folders, page, err := params.ListPage[mo.Folder](ctx, d.Session, q, []string{"name", "childType", "childEntity"}, a.Paging)
		if err != nil {
			return FolderList{}, fmt.Errorf("list folders: %w", err)
		}
		var paths map[types.ManagedObjectReference]string
		var visible map[types.ManagedObjectReference]bool
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			refs := make([]types.ManagedObjectReference, len(folders))
			var children []types.ManagedObjectReference
			for i, f := range folders {
				refs[i] = f.Self
				children = append(children, f.ChildEntity...)
			}
			var err error
			if paths, err = c.InventoryPaths(ctx, refs); err != nil {
				return err
			}
			visible, err = c.VisibleSet(ctx, children)
			return err
		})
		if err != nil {
			return FolderList{}, fmt.Errorf("list folders: %w", err)
		}
		out := FolderList{Items: make([]FolderItem, 0, len(folders)), Total: page.Total, NextCursor: page.NextCursor}
		for _, f := range folders {
			out.Items = append(out.Items, FolderItem{Name: f.Name, ID: f.Self.Value, Path: paths[f.Self],
				Type: folderType(f.ChildType), Children: len(vcenter.InSet(f.ChildEntity, visible))})
		}
		return out, nil
	})
}
