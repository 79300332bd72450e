package cluster

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

// ---- cluster_list ----

// ClusterListArgs filters and pages cluster_list.
type ClusterListArgs struct {
	params.NameFilter
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only clusters in this datacenter (name, path or ID)"`
	toolkit.Paging
}

func (a *ClusterListArgs) Validate() error { return params.CheckList(a.Paging, a.Name) }

// ClusterItem is one row of cluster_list.
type ClusterItem struct {
	Name          string  `json:"name"`
	ID            string  `json:"id"`
	Hosts         int     `json:"hosts"`
	VMs           int     `json:"vms"`
	DRSEnabled    bool    `json:"drs_enabled"`
	HAEnabled     bool    `json:"ha_enabled"`
	CPUUsedMHz    int64   `json:"cpu_used_mhz"`
	CPUTotalMHz   int64   `json:"cpu_total_mhz"`
	MemoryUsedGB  float64 `json:"memory_used_gb"`
	MemoryTotalGB float64 `json:"memory_total_gb"`
}

// ClusterList is cluster_list's result.
type ClusterList struct {
	Items      []ClusterItem `json:"items"`
	Total      int           `json:"total"`
	NextCursor string        `json:"next_cursor"`
}

// Text renders the page as a table.
func (l ClusterList) Text() string {
	t := toolkit.NewTable("name", "id", "hosts", "vms", "drs", "ha", "cpu_mhz", "memory_gb")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, toolkit.Itoa(it.Hosts), toolkit.Itoa(it.VMs), onOff(it.DRSEnabled), onOff(it.HAEnabled),
			toolkit.UsedOf(float64(it.CPUUsedMHz), float64(it.CPUTotalMHz), 0, ""), toolkit.UsedOf(it.MemoryUsedGB, it.MemoryTotalGB, 1, ""))
	}
	return toolkit.PageText("clusters", len(l.Items), l.Total, l.NextCursor, t)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// clusterHostProps read per host of a cluster: usage, and its VMs to count.
var clusterHostProps = append([]string{"vm"}, toolkit.HostUsageProps...)

func clusterList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "cluster_list",
		Title: "List clusters",
		Description: "List clusters with their numbers of hosts and VMs (templates included), DRS and HA state, and CPU and memory used vs capacity, " +
			"filtered by name glob or datacenter.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a ClusterListArgs) (ClusterList, error) {
		q := vcenter.Query{Type: "ClusterComputeResource", Key: toolkit.QueryKey("cluster_list", a.Name, a.Datacenter)}
		if err := params.Scope(ctx, d.Session, &q, a.Cursor, a.Name, params.Container{Kind: "Datacenter", Ident: a.Datacenter}); err != nil {
			return ClusterList{}, err
		}
		clusters, page, err := params.ListPage[mo.ClusterComputeResource](ctx, d.Session, q, []string{"name", "host", "configurationEx"}, a.Paging)
		if err != nil {
			return ClusterList{}, fmt.Errorf("list clusters: %w", err)
		}
		var hostRefs []types.ManagedObjectReference
		for _, cl := range clusters {
			hostRefs = append(hostRefs, cl.Host...)
		}
		var hosts []mo.HostSystem
		var visible map[types.ManagedObjectReference]bool
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			if visible, err = c.VisibleSet(ctx, hostRefs); err != nil {
				return err
			}
			objs, _, err := c.RetrieveMany(ctx, vcenter.InSet(vcenter.UniqueRefs(hostRefs), visible), clusterHostProps)
			if err != nil {
				return err
			}
			hosts = nil
			if err := mo.LoadObjectContent(objs, &hosts); err != nil {
				return err
			}
			var vms []types.ManagedObjectReference
			for _, h := range hosts {
				vms = append(vms, h.Vm...)
			}
			vmVisible, err := c.VisibleSet(ctx, vms)
			for r := range vmVisible {
				visible[r] = true
			}
			return err
		})
		if err != nil {
			return ClusterList{}, fmt.Errorf("list clusters: read their hosts: %w", err)
		}
		byRef := make(map[types.ManagedObjectReference]*mo.HostSystem, len(hosts))
		for i := range hosts {
			byRef[hosts[i].Self] = &hosts[i]
		}
		out := ClusterList{Items: make([]ClusterItem, 0, len(clusters)), Total: page.Total, NextCursor: page.NextCursor}
		for _, cl := range clusters {
			it := ClusterItem{Name: cl.Name, ID: cl.Self.Value}
			it.DRSEnabled, it.HAEnabled = drsHA(cl.ConfigurationEx)
			var u toolkit.Usage
			for _, h := range cl.Host {
				if hs := byRef[h]; hs != nil {
					it.Hosts++
					u.AddHost(hs)
					it.VMs += len(vcenter.InSet(hs.Vm, visible))
				}
			}
			it.CPUUsedMHz, it.CPUTotalMHz = u.CPUUsedMHz, u.CPUTotalMHz
			it.MemoryUsedGB, it.MemoryTotalGB = u.MemUsedGB(), u.MemTotalGB()
			out.Items = append(out.Items, it)
		}
		return out, nil
	})
}

// drsHA reads whether DRS and HA are enabled from a cluster's configuration.
func drsHA(cfg types.BaseComputeResourceConfigInfo) (drs, ha bool) {
	c, ok := cfg.(*types.ClusterConfigInfoEx)
	if !ok {
		return false, false
	}
	if c.DrsConfig.Enabled != nil {
		drs = *c.DrsConfig.Enabled
	}
	if c.DasConfig.Enabled != nil {
		ha = *c.DasConfig.Enabled
	}
	return drs, ha
}

// ---- cluster_get ----

// ClusterArgs names one cluster.
type ClusterArgs struct {
	Cluster string `json:"cluster" jsonschema:"The cluster: name, inventory path (/DC0/host/prod) or ID (domain-c7)"`
}

func (a *ClusterArgs) Validate() error {
	if err := toolkit.RequireIdent("cluster", a.Cluster, "cluster"); err != nil {
		return err
	}
	return nil
}

// ClusterHost is a host of a cluster with its state.
type ClusterHost struct {
	Name            string `json:"name"`
	ID              string `json:"id"`
	ConnectionState string `json:"connection_state"`
	PowerState      string `json:"power_state"`
	MaintenanceMode bool   `json:"maintenance_mode"`
	VMs             int    `json:"vms"`
}

// ClusterDetail is cluster_get's result: what an admin looks at first.
type ClusterDetail struct {
	Name               string        `json:"name"`
	ID                 string        `json:"id"`
	Path               string        `json:"path"`
	OverallStatus      string        `json:"overall_status,omitempty"`
	DRSEnabled         bool          `json:"drs_enabled"`
	DRSBehavior        string        `json:"drs_behavior,omitempty"`
	HAEnabled          bool          `json:"ha_enabled"`
	HAHostMonitoring   string        `json:"ha_host_monitoring,omitempty"`
	HAAdmissionControl bool          `json:"ha_admission_control"`
	CPUUsedMHz         int64         `json:"cpu_used_mhz"`
	CPUTotalMHz        int64         `json:"cpu_total_mhz"`
	MemoryUsedGB       float64       `json:"memory_used_gb"`
	MemoryTotalGB      float64       `json:"memory_total_gb"`
	VMs                int           `json:"vms"`
	PoweredOn          int           `json:"powered_on"`
	PoweredOff         int           `json:"powered_off"`
	Suspended          int           `json:"suspended"`
	Templates          int           `json:"templates"`
	Hosts              []ClusterHost `json:"hosts"`
	Datastores         []string      `json:"datastores"`
}

// Text renders the cluster as labelled lines (names quoted unless plain)
// and a host table.
func (c ClusterDetail) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster %s (%s) %s\n", toolkit.Name(c.Name), c.ID, toolkit.Path(c.Path))
	if c.OverallStatus != "" {
		fmt.Fprintf(&b, "status: %s\n", c.OverallStatus)
	}
	drs := onOff(c.DRSEnabled)
	if c.DRSEnabled && c.DRSBehavior != "" {
		drs += " (" + c.DRSBehavior + ")"
	}
	ha := onOff(c.HAEnabled)
	if c.HAEnabled {
		ha += fmt.Sprintf(" (host monitoring %s, admission control %s)", c.HAHostMonitoring, onOff(c.HAAdmissionControl))
	}
	fmt.Fprintf(&b, "drs: %s\nha: %s\n", drs, ha)
	fmt.Fprintf(&b, "cpu: used %s\n", toolkit.UsedOf(float64(c.CPUUsedMHz), float64(c.CPUTotalMHz), 0, "MHz"))
	fmt.Fprintf(&b, "memory: used %s\n", toolkit.UsedOf(c.MemoryUsedGB, c.MemoryTotalGB, 1, "GB"))
	fmt.Fprintf(&b, "vms: %d (%d poweredOn, %d poweredOff, %d suspended), templates: %d\n", c.VMs, c.PoweredOn, c.PoweredOff, c.Suspended, c.Templates)
	fmt.Fprintf(&b, "datastores: %s\n", toolkit.Names(c.Datastores))
	fmt.Fprintf(&b, "%d hosts\n", len(c.Hosts))
	if len(c.Hosts) > 0 {
		t := toolkit.NewTable("name", "id", "connection", "power", "maintenance", "vms")
		for _, h := range c.Hosts {
			t.Row(h.Name, h.ID, h.ConnectionState, h.PowerState, toolkit.YesNo(h.MaintenanceMode), toolkit.Itoa(h.VMs))
		}
		b.WriteString(t.String())
	}
	return b.String()
}

func clusterGet() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "cluster_get",
		Title: "Show a cluster",
		Description: "Show one cluster in detail: DRS and HA configuration, hosts with their state, CPU and memory used vs capacity, " +
			"VM counts by power state, and datastores.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a ClusterArgs) (ClusterDetail, error) {
		var out ClusterDetail
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "ClusterComputeResource", a.Cluster)
			if err != nil {
				return err
			}
			var cl mo.ClusterComputeResource
			if err := c.ReadOne(ctx, o, []string{"host", "datastore", "configurationEx", "overallStatus"}, &cl); err != nil {
				return err
			}
			out, err = clusterDetail(ctx, c, o, &cl)
			return err
		})
		return out, err
	})
}

func clusterDetail(ctx context.Context, c *vcenter.Conn, o vcenter.Object, cl *mo.ClusterComputeResource) (ClusterDetail, error) {
	out := ClusterDetail{Name: o.Name, ID: o.ID(), Path: o.Path, OverallStatus: string(cl.OverallStatus), Hosts: []ClusterHost{}}
	out.DRSEnabled, out.HAEnabled = drsHA(cl.ConfigurationEx)
	if cfg, ok := cl.ConfigurationEx.(*types.ClusterConfigInfoEx); ok {
		out.DRSBehavior = string(cfg.DrsConfig.DefaultVmBehavior)
		out.HAHostMonitoring = cfg.DasConfig.HostMonitoring
		if cfg.DasConfig.AdmissionControlEnabled != nil {
			out.HAAdmissionControl = *cfg.DasConfig.AdmissionControlEnabled
		}
	}

	visible, err := c.VisibleSet(ctx, cl.Host)
	if err != nil {
		return out, err
	}
	objs, _, err := c.RetrieveMany(ctx, vcenter.InSet(cl.Host, visible),
		append([]string{"name", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode"}, clusterHostProps...))
	if err != nil {
		return out, fmt.Errorf("read hosts of cluster %s: %w", toolkit.Path(o.Path), err)
	}
	var hosts []mo.HostSystem
	if err := mo.LoadObjectContent(objs, &hosts); err != nil {
		return out, fmt.Errorf("read hosts of cluster %s: %w", toolkit.Path(o.Path), err)
	}
	var u toolkit.Usage
	var vms []types.ManagedObjectReference
	for i := range hosts {
		vms = append(vms, hosts[i].Vm...)
	}
	vmVisible, err := c.VisibleSet(ctx, vms)
	if err != nil {
		return out, err
	}
	for i := range hosts {
		h := &hosts[i]
		u.AddHost(h)
		out.Hosts = append(out.Hosts, ClusterHost{Name: h.Name, ID: h.Self.Value,
			ConnectionState: string(h.Runtime.ConnectionState), PowerState: string(h.Runtime.PowerState),
			MaintenanceMode: h.Runtime.InMaintenanceMode, VMs: len(vcenter.InSet(h.Vm, vmVisible))})
	}
	out.CPUUsedMHz, out.CPUTotalMHz = u.CPUUsedMHz, u.CPUTotalMHz
	out.MemoryUsedGB, out.MemoryTotalGB = u.MemUsedGB(), u.MemTotalGB()

	vmObjs, _, err := c.RetrieveMany(ctx, vcenter.InSet(vcenter.UniqueRefs(vms), vmVisible), []string{"runtime.powerState", "config.template"})
	if err != nil {
		return out, fmt.Errorf("read VMs of cluster %s: %w", toolkit.Path(o.Path), err)
	}
	var row toolkit.VMCounts
	for _, oc := range vmObjs {
		tmpl, _ := vcenter.PropVal(oc, "config.template").(bool)
		power, _ := vcenter.PropVal(oc, "runtime.powerState").(types.VirtualMachinePowerState)
		row.Add(tmpl, power)
	}
	out.VMs, out.PoweredOn, out.PoweredOff, out.Suspended, out.Templates = row.VMs, row.PoweredOn, row.PoweredOff, row.Suspended, row.Templates

	names, err := c.VisibleNames(ctx, cl.Datastore)
	if err != nil {
		return out, fmt.Errorf("read datastores of cluster %s: %w", toolkit.Path(o.Path), err)
	}
	out.Datastores = vcenter.NamesOf(cl.Datastore, names)
	return out, nil
}
