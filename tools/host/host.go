package host

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- host_list ----

// HostListArgs filters and pages host_list.
type HostListArgs struct {
	params.NameFilter
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only hosts in this datacenter (name, path or ID)"`
	Cluster    string `json:"cluster,omitempty" jsonschema:"Only hosts in this cluster"`
	// ServiceRunning makes "which hosts run SSH" one call.
	ServiceRunning string `json:"service_running,omitempty" jsonschema:"Only hosts where this service runs (a service key, e.g. TSM-SSH)"`
	toolkit.Paging
}

func (a *HostListArgs) Validate() error {
	if err := params.CheckList(a.Paging, a.Name); err != nil {
		return err
	}
	return params.CheckServiceKey("service_running", a.ServiceRunning)
}

// HostItem is one row of host_list.
type HostItem struct {
	Name            string  `json:"name"`
	ID              string  `json:"id"`
	Cluster         string  `json:"cluster,omitempty"`
	ConnectionState string  `json:"connection_state"`
	PowerState      string  `json:"power_state"`
	MaintenanceMode bool    `json:"maintenance_mode"`
	CPUCores        int     `json:"cpu_cores"`
	CPUUsedMHz      int64   `json:"cpu_used_mhz"`
	CPUTotalMHz     int64   `json:"cpu_total_mhz"`
	MemoryUsedGB    float64 `json:"memory_used_gb"`
	MemoryTotalGB   float64 `json:"memory_total_gb"`
	VMs             int     `json:"vms"`
	Version         string  `json:"esxi_version,omitempty"`
}

// HostList is host_list's result.
type HostList struct {
	Items      []HostItem `json:"items"`
	Total      int        `json:"total"`
	NextCursor string     `json:"next_cursor"`
}

// Text renders the page as a table.
func (l HostList) Text() string {
	t := toolkit.NewTable("name", "id", "cluster", "connection", "power", "maintenance", "cores", "cpu_mhz", "memory_gb", "vms", "esxi")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, it.Cluster, it.ConnectionState, it.PowerState, toolkit.YesNo(it.MaintenanceMode), toolkit.Itoa(it.CPUCores),
			toolkit.UsedOf(float64(it.CPUUsedMHz), float64(it.CPUTotalMHz), 0, ""), toolkit.UsedOf(it.MemoryUsedGB, it.MemoryTotalGB, 1, ""),
			toolkit.Itoa(it.VMs), it.Version)
	}
	return toolkit.PageText("hosts", len(l.Items), l.Total, l.NextCursor, t)
}

var hostListProps = append([]string{
	"name", "parent", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
	"summary.config.product.version", "vm",
}, toolkit.HostUsageProps...)

func hostList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "host_list",
		Title: "List ESXi hosts",
		Description: "List ESXi hosts with cluster, connection, power and maintenance state, CPU and memory used vs capacity, VM count and ESXi version, " +
			"filtered by name glob, datacenter, cluster or a running service (service_running: TSM-SSH).",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a HostListArgs) (HostList, error) {
		q := vcenter.Query{Type: "HostSystem", Key: toolkit.QueryKey("host_list", a.Name, a.Datacenter, a.Cluster, a.ServiceRunning)}
		if err := params.Scope(ctx, d.Session, &q, a.Cursor, a.Name, params.HostContainers(a.Cluster, a.Datacenter)...); err != nil {
			return HostList{}, err
		}
		if a.Cursor == "" {
			params.SetHostMatch(&q, a.Name, a.ServiceRunning)
		}
		hosts, page, err := params.ListPage[mo.HostSystem](ctx, d.Session, q, hostListProps, a.Paging)
		if err != nil {
			return HostList{}, fmt.Errorf("list hosts: %w", err)
		}
		var clusters, vms []types.ManagedObjectReference
		for _, h := range hosts {
			if h.Parent != nil && h.Parent.Type == "ClusterComputeResource" {
				clusters = append(clusters, *h.Parent)
			}
			vms = append(vms, h.Vm...)
		}
		var names map[types.ManagedObjectReference]string
		var visible map[types.ManagedObjectReference]bool
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			if names, err = c.Names(ctx, clusters); err != nil {
				return err
			}
			visible, err = c.VisibleSet(ctx, vms)
			return err
		})
		if err != nil {
			return HostList{}, fmt.Errorf("list hosts: %w", err)
		}
		out := HostList{Items: make([]HostItem, 0, len(hosts)), Total: page.Total, NextCursor: page.NextCursor}
		for i := range hosts {
			h := &hosts[i]
			var u toolkit.Usage
			u.AddHost(h)
			it := HostItem{
				Name: h.Name, ID: h.Self.Value,
				ConnectionState: string(h.Runtime.ConnectionState), PowerState: string(h.Runtime.PowerState),
				MaintenanceMode: h.Runtime.InMaintenanceMode,
				CPUUsedMHz:      u.CPUUsedMHz, CPUTotalMHz: u.CPUTotalMHz,
				MemoryUsedGB: u.MemUsedGB(), MemoryTotalGB: u.MemTotalGB(),
				VMs: len(vcenter.InSet(h.Vm, visible)),
			}
			if h.Parent != nil {
				it.Cluster = names[*h.Parent]
			}
			if hw := h.Summary.Hardware; hw != nil {
				it.CPUCores = int(hw.NumCpuCores)
			}
			if p := h.Summary.Config.Product; p != nil {
				it.Version = p.Version
			}
			out.Items = append(out.Items, it)
		}
		return out, nil
	})
}

// ---- host_get ----

// HostArgs names one host.
type HostArgs struct {
	Host string `json:"host" jsonschema:"The host: name, inventory path, ID (host-42) or hardware UUID"`
}

func (a *HostArgs) Validate() error {
	if err := toolkit.RequireIdent("host", a.Host, "host"); err != nil {
		return err
	}
	return nil
}

// HostDetail is host_get's result: what an admin looks at first.
type HostDetail struct {
	Name            string   `json:"name"`
	ID              string   `json:"id"`
	Path            string   `json:"path"`
	Cluster         string   `json:"cluster,omitempty"`
	ConnectionState string   `json:"connection_state"`
	PowerState      string   `json:"power_state"`
	MaintenanceMode bool     `json:"maintenance_mode"`
	OverallStatus   string   `json:"overall_status,omitempty"`
	Vendor          string   `json:"vendor,omitempty"`
	Model           string   `json:"model,omitempty"`
	UUID            string   `json:"uuid,omitempty"`
	CPUModel        string   `json:"cpu_model,omitempty"`
	CPUSockets      int      `json:"cpu_sockets"`
	CPUCores        int      `json:"cpu_cores"`
	CPUThreads      int      `json:"cpu_threads"`
	CPUUsedMHz      int64    `json:"cpu_used_mhz"`
	CPUTotalMHz     int64    `json:"cpu_total_mhz"`
	MemoryUsedGB    float64  `json:"memory_used_gb"`
	MemoryTotalGB   float64  `json:"memory_total_gb"`
	Product         string   `json:"product,omitempty"`
	Version         string   `json:"esxi_version,omitempty"`
	Build           string   `json:"esxi_build,omitempty"`
	BootTime        string   `json:"boot_time,omitempty"`
	UptimeSeconds   int64    `json:"uptime_s,omitempty"`
	VMs             int      `json:"vms"`
	VMsPoweredOn    int      `json:"vms_powered_on"`
	Datastores      []string `json:"datastores"`
	Networks        []string `json:"networks"`
	TimeKeeping
	CustomAttributes []CustomAttribute `json:"custom_attributes"`
}

// Text renders the host as labelled lines, its names and what vCenter
// reports of its hardware escaped (quoted unless plain).
func (h HostDetail) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Host %s (%s) %s\n", toolkit.Name(h.Name), h.ID, toolkit.Path(h.Path))
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	line("cluster", toolkit.Name(h.Cluster))
	line("state", fmt.Sprintf("%s, %s, maintenance mode %s", h.ConnectionState, h.PowerState, toolkit.YesNo(h.MaintenanceMode)))
	line("status", h.OverallStatus)
	// Hardware descriptions come from the host's firmware, not from
	// anyone with VM rights, and hold commas and parentheses: escaped,
	// not quoted.
	line("hardware", strings.TrimSpace(toolkit.Line(h.Vendor, toolkit.NameMax)+" "+toolkit.Line(h.Model, toolkit.NameMax)))
	line("uuid", toolkit.Name(h.UUID))
	line("cpu", fmt.Sprintf("%s, %d sockets, %d cores, %d threads; used %s", toolkit.Line(h.CPUModel, toolkit.NameMax), h.CPUSockets, h.CPUCores, h.CPUThreads,
		toolkit.UsedOf(float64(h.CPUUsedMHz), float64(h.CPUTotalMHz), 0, "MHz")))
	line("memory", "used "+toolkit.UsedOf(h.MemoryUsedGB, h.MemoryTotalGB, 1, "GB"))
	line("esxi", toolkit.Name(h.Product))
	line("boot_time", h.BootTime)
	if h.UptimeSeconds > 0 {
		line("uptime", (time.Duration(h.UptimeSeconds) * time.Second).String())
	}
	line("vms", fmt.Sprintf("%d (%d poweredOn)", h.VMs, h.VMsPoweredOn))
	line("datastores", toolkit.Names(h.Datastores))
	line("networks", toolkit.Names(h.Networks))
	h.TimeKeeping.text(&b)
	attributesText(&b, h.CustomAttributes)
	return b.String()
}

var hostGetProps = []string{
	"name", "parent", "overallStatus", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
	"runtime.bootTime", "summary.hardware", "summary.config.product", "summary.quickStats", "datastore", "network", "vm",
	"config.dateTimeInfo", "config.service", "configManager.dateTimeSystem", "customValue",
}

func hostGet() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "host_get",
		Title: "Show an ESXi host",
		Description: "Show one ESXi host in detail: hardware, CPU, memory and their use, ESXi version and build, connection, power and maintenance state, " +
			"uptime, cluster, datastores, networks, VM counts, NTP servers and ntpd state, the host's clock and its drift from this machine's, " +
			"and custom attributes.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a HostArgs) (HostDetail, error) {
		var out HostDetail
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "HostSystem", a.Host)
			if err != nil {
				return err
			}
			var h mo.HostSystem
			if err := c.ReadOne(ctx, o, hostGetProps, &h); err != nil {
				return err
			}
			out, err = hostDetail(ctx, c, o, &h)
			return err
		})
		return out, err
	})
}

func hostDetail(ctx context.Context, c *vcenter.Conn, o vcenter.Object, h *mo.HostSystem) (HostDetail, error) {
	out := HostDetail{
		Name: o.Name, ID: o.ID(), Path: o.Path,
		ConnectionState: string(h.Runtime.ConnectionState), PowerState: string(h.Runtime.PowerState),
		MaintenanceMode: h.Runtime.InMaintenanceMode, OverallStatus: string(h.OverallStatus),
		UptimeSeconds: int64(h.Summary.QuickStats.Uptime),
	}
	var u toolkit.Usage
	u.AddHost(h)
	out.CPUUsedMHz, out.CPUTotalMHz = u.CPUUsedMHz, u.CPUTotalMHz
	out.MemoryUsedGB, out.MemoryTotalGB = u.MemUsedGB(), u.MemTotalGB()
	if hw := h.Summary.Hardware; hw != nil {
		out.Vendor, out.Model, out.UUID, out.CPUModel = hw.Vendor, hw.Model, hw.Uuid, hw.CpuModel
		out.CPUSockets, out.CPUCores, out.CPUThreads = int(hw.NumCpuPkgs), int(hw.NumCpuCores), int(hw.NumCpuThreads)
	}
	if p := h.Summary.Config.Product; p != nil {
		out.Product, out.Version, out.Build = p.FullName, p.Version, p.Build
	}
	if h.Runtime.BootTime != nil {
		out.BootTime = h.Runtime.BootTime.UTC().Format(time.RFC3339)
	}

	if h.Parent != nil && h.Parent.Type == "ClusterComputeResource" {
		// The cluster is the host's own parent: in scope with it.
		names, err := c.Names(ctx, []types.ManagedObjectReference{*h.Parent})
		if err != nil {
			return out, fmt.Errorf("read the cluster of host %s: %w", toolkit.Path(o.Path), err)
		}
		out.Cluster = names[*h.Parent]
	}
	names, err := c.VisibleNames(ctx, append(append([]types.ManagedObjectReference{}, h.Datastore...), h.Network...))
	if err != nil {
		return out, fmt.Errorf("read datastores and networks of host %s: %w", toolkit.Path(o.Path), err)
	}
	out.Datastores = vcenter.NamesOf(h.Datastore, names)
	out.Networks = vcenter.NamesOf(h.Network, names)

	visible, err := c.VisibleSet(ctx, h.Vm)
	if err != nil {
		return out, err
	}
	vmRefs := vcenter.InSet(h.Vm, visible)
	out.VMs = len(vmRefs)
	vms, _, err := c.RetrieveMany(ctx, vmRefs, []string{"runtime.powerState"})
	if err != nil {
		return out, fmt.Errorf("read power states of host %s's VMs: %w", toolkit.Path(o.Path), err)
	}
	for _, oc := range vms {
		if vcenter.PropVal(oc, "runtime.powerState") == types.VirtualMachinePowerStatePoweredOn {
			out.VMsPoweredOn++
		}
	}
	var svc *types.HostServiceInfo
	var dt *types.HostDateTimeInfo
	if h.Config != nil {
		svc, dt = h.Config.Service, h.Config.DateTimeInfo
	}
	out.TimeKeeping = readHostTime(ctx, c, dt, svc, h.ConfigManager.DateTimeSystem)
	if out.CustomAttributes, err = customAttributes(ctx, c, h.CustomValue); err != nil {
		return out, fmt.Errorf("host %s: %w", toolkit.Path(o.Path), err)
	}
	return out, nil
}
