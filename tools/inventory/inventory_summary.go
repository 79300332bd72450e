package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

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
