package vm

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

// VMListArgs filters and pages vm_list.
type VMListArgs struct {
	Name       string   `json:"name,omitempty" jsonschema:"Name glob, case-sensitive, e.g. web-*"`
	PowerState string   `json:"power_state,omitempty" jsonschema:"enum=poweredOn,enum=poweredOff,enum=suspended"`
	Datacenter string   `json:"datacenter,omitempty" jsonschema:"Only VMs in this datacenter (name, path or ID)"`
	Cluster    string   `json:"cluster,omitempty" jsonschema:"Only VMs in this cluster"`
	Host       string   `json:"host,omitempty" jsonschema:"Only VMs on this host"`
	Folder     string   `json:"folder,omitempty" jsonschema:"Only VMs in this folder (recursive), e.g. /DC0/vm/web"`
	GuestOS    string   `json:"guest_os,omitempty" jsonschema:"Guest OS glob on guest ID or full name, e.g. *ubuntu*"`
	Tag        string   `json:"tag,omitempty" jsonschema:"category:tag"`
	Fields     []string `json:"fields,omitempty" jsonschema:"Columns besides name and id; default power_state,cpus,memory_mb,guest_os,ip,host; also tools,uptime,uuid,annotation,storage_gb,cpu_usage_mhz,memory_usage_mb"`
	toolkit.Paging
}

func (a *VMListArgs) Validate() error {
	if err := a.Paging.Check(); err != nil {
		return err
	}
	if a.PowerState != "" && !slices.Contains(params.ValidPowerStates, a.PowerState) {
		return fmt.Errorf("power_state %q is not a vSphere power state; use one of %s", a.PowerState, strings.Join(params.ValidPowerStates, ", "))
	}
	if err := toolkit.CheckGlob("name", a.Name); err != nil {
		return err
	}
	if err := toolkit.CheckGlob("guest_os", a.GuestOS); err != nil {
		return err
	}
	if a.Tag != "" {
		if err := params.CheckTagIdent("tag", a.Tag); err != nil {
			return err
		}
	}
	_, err := vmColumns(a.Fields)
	return err
}

// VMItem is one row of vm_list. Only the requested fields are set.
type VMItem struct {
	Name          string  `json:"name"`
	ID            string  `json:"id"`
	Template      bool    `json:"template,omitempty"`
	PowerState    string  `json:"power_state,omitempty"`
	CPUs          int32   `json:"cpus,omitempty"`
	MemoryMB      int32   `json:"memory_mb,omitempty"`
	GuestOS       string  `json:"guest_os,omitempty"`
	IP            string  `json:"ip,omitempty"`
	Host          string  `json:"host,omitempty"`
	Tools         string  `json:"tools,omitempty"`
	UptimeSeconds int32   `json:"uptime_s,omitempty"`
	UUID          string  `json:"uuid,omitempty"`
	Annotation    string  `json:"annotation,omitempty"`
	StorageGB     float64 `json:"storage_gb,omitempty"`
	CPUUsageMHz   int32   `json:"cpu_usage_mhz,omitempty"`
	MemoryUsageMB int32   `json:"memory_usage_mb,omitempty"`
	// Question is set, whatever the fields, when the VM is blocked on one.
	Question *params.Question `json:"question,omitempty"`
}

// VMList is vm_list's result.
type VMList struct {
	Items      []VMItem `json:"items"`
	Total      int      `json:"total"`
	NextCursor string   `json:"next_cursor"`
	columns    []vmColumn
}

// vmColumn is one selectable vm_list field: the property it reads, how it
// fills the item and how it renders.
type vmColumn struct {
	name string
	prop string
	set  func(it *VMItem, s *types.VirtualMachineSummary, hosts map[types.ManagedObjectReference]string)
	text func(it *VMItem) string
}

var vmColumnCatalog = []vmColumn{
	{"power_state", "summary.runtime.powerState",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.PowerState = string(s.Runtime.PowerState)
		}, func(it *VMItem) string { return it.PowerState }},
	{"cpus", "summary.config.numCpu",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.CPUs = s.Config.NumCpu
		},
		func(it *VMItem) string { return toolkit.Itoa(int(it.CPUs)) }},
	{"memory_mb", "summary.config.memorySizeMB",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.MemoryMB = s.Config.MemorySizeMB
		},
		func(it *VMItem) string { return toolkit.Itoa(int(it.MemoryMB)) }},
	{"guest_os", "summary.config.guestId",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.GuestOS = s.Config.GuestId
		},
		func(it *VMItem) string { return it.GuestOS }},
	{"ip", "summary.guest.ipAddress",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			if s.Guest != nil {
				it.IP = s.Guest.IpAddress
			}
		}, func(it *VMItem) string { return it.IP }},
	{"host", "summary.runtime.host",
		func(it *VMItem, s *types.VirtualMachineSummary, hosts map[types.ManagedObjectReference]string) {
			if s.Runtime.Host != nil {
				it.Host = hosts[*s.Runtime.Host]
			}
		}, func(it *VMItem) string { return it.Host }},
	{"tools", "summary.guest.toolsRunningStatus",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			if s.Guest != nil {
				it.Tools = s.Guest.ToolsRunningStatus
			}
		}, func(it *VMItem) string { return it.Tools }},
	{"uptime", "summary.quickStats.uptimeSeconds",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.UptimeSeconds = s.QuickStats.UptimeSeconds
		}, func(it *VMItem) string { return toolkit.Itoa(int(it.UptimeSeconds)) }},
	{"uuid", "summary.config.instanceUuid",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.UUID = s.Config.InstanceUuid
		},
		func(it *VMItem) string { return it.UUID }},
	{"annotation", "summary.config.annotation",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.Annotation = s.Config.Annotation
		},
		func(it *VMItem) string { return annotationCell(it.Annotation) }},
	{"storage_gb", "summary.storage.committed",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			if s.Storage != nil {
				it.StorageGB = toolkit.GiBf(s.Storage.Committed)
			}
		}, func(it *VMItem) string { return fmt.Sprintf("%.1f", it.StorageGB) }},
	{"cpu_usage_mhz", "summary.quickStats.overallCpuUsage",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.CPUUsageMHz = s.QuickStats.OverallCpuUsage
		}, func(it *VMItem) string { return toolkit.Itoa(int(it.CPUUsageMHz)) }},
	{"memory_usage_mb", "summary.quickStats.guestMemoryUsage",
		func(it *VMItem, s *types.VirtualMachineSummary, _ map[types.ManagedObjectReference]string) {
			it.MemoryUsageMB = s.QuickStats.GuestMemoryUsage
		}, func(it *VMItem) string { return toolkit.Itoa(int(it.MemoryUsageMB)) }},
}

var defaultVMFields = []string{"power_state", "cpus", "memory_mb", "guest_os", "ip", "host"}

func vmColumns(fields []string) ([]vmColumn, error) {
	if len(fields) == 0 {
		fields = defaultVMFields
	}
	var cols []vmColumn
	for _, f := range fields {
		if f == "name" || f == "id" {
			continue // always present
		}
		i := slices.IndexFunc(vmColumnCatalog, func(c vmColumn) bool { return c.name == f })
		if i < 0 {
			names := make([]string, len(vmColumnCatalog))
			for j, c := range vmColumnCatalog {
				names[j] = c.name
			}
			return nil, fmt.Errorf("unknown field %q; fields are %s", f, strings.Join(names, ", "))
		}
		if !slices.ContainsFunc(cols, func(c vmColumn) bool { return c.name == f }) {
			cols = append(cols, vmColumnCatalog[i])
		}
	}
	return cols, nil
}

// Text renders the page as a table.
func (l VMList) Text() string {
	var b strings.Builder
	b.WriteString(toolkit.PageHeader("VMs", len(l.Items), l.Total, l.NextCursor, ""))
	if len(l.Items) == 0 {
		return b.String()
	}
	cols := []string{"name", "id"}
	for _, c := range l.columns {
		if c.name == "annotation" {
			cols = append(cols, toolkit.DataColumn(c.name))
			continue
		}
		cols = append(cols, c.name)
	}
	t := toolkit.NewTable(cols...)
	for i := range l.Items {
		it := &l.Items[i]
		// The marker follows a name that is quoted unless plain, so a VM
		// named "fake [template]" reads as a quoted name, not a template.
		name := toolkit.Name(it.Name)
		if it.Template {
			name += " [template]"
		}
		if it.Question != nil {
			name += " [question]"
		}
		cells := []string{name, it.ID}
		for _, c := range l.columns {
			cells = append(cells, c.text(it))
		}
		t.Row(cells...)
	}
	b.WriteString(t.String())
	for i := range l.Items {
		if q := l.Items[i].Question; q != nil {
			renderQuestion(&b, "question of "+toolkit.Name(l.Items[i].Name)+" ("+l.Items[i].ID+")", q)
		}
	}
	return b.String()
}

// annotationCell shows the start of an annotation in a listing, quoted;
// its column header labels it as data.
func annotationCell(a string) string {
	if a == "" {
		return ""
	}
	return toolkit.Quote(a, 80)
}

func vmList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:       "vm_list",
		AlwaysLoad: true,
		Title:      "List VMs",
		Description: "List virtual machines (and templates) with power state, size, guest OS, IP and host, " +
			"filtered by name glob, power state, datacenter, cluster, host, folder, guest OS or tag. " +
			"Paged: 50 per page by default, up to 1000; continue with cursor.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a VMListArgs) (VMList, error) {
		cols, _ := vmColumns(a.Fields)
		q := vcenter.Query{Type: "VirtualMachine", Key: toolkit.QueryKey("vm_list", a.Name, a.PowerState, a.Datacenter, a.Cluster, a.Host, a.Folder, a.GuestOS, a.Tag)}
		if a.Cursor == "" {
			if err := params.InContainers(ctx, d.Session, &q, params.VMContainers(a.Host, a.Cluster, a.Folder, a.Datacenter)); err != nil {
				return VMList{}, err
			}
			params.SetVMMatch(&q, a.Name, a.PowerState, a.GuestOS, nil)
			if err := params.InTag(ctx, d.Session, &q, a.Tag); err != nil {
				return VMList{}, err
			}
		}
		props := []string{"name", "summary.config.template", "runtime.question"}
		for _, c := range cols {
			props = append(props, c.prop)
		}
		page, err := d.Session.List(ctx, q, props, a.Size(), a.Cursor)
		if err != nil {
			return VMList{}, fmt.Errorf("list VMs: %w", err)
		}
		var vms []mo.VirtualMachine
		if err := mo.LoadObjectContent(page.Objects, &vms); err != nil {
			return VMList{}, fmt.Errorf("list VMs: %w", err)
		}
		hosts, err := hostNames(ctx, d.Session, vms, cols)
		if err != nil {
			return VMList{}, fmt.Errorf("list VMs: %w", err)
		}
		out := VMList{Items: make([]VMItem, 0, len(vms)), Total: page.Total, NextCursor: page.NextCursor, columns: cols}
		for i := range vms {
			vm := &vms[i]
			it := VMItem{Name: vm.Name, ID: vm.Self.Value, Template: vm.Summary.Config.Template, Question: params.QuestionOf(vm.Runtime.Question)}
			for _, c := range cols {
				c.set(&it, &vm.Summary, hosts)
			}
			out.Items = append(out.Items, it)
		}
		return out, nil
	})
}

// hostNames maps the hosts the page refers to onto their names, in one
// read, only when the host column is shown.
func hostNames(ctx context.Context, s *vcenter.Session, vms []mo.VirtualMachine, cols []vmColumn) (map[types.ManagedObjectReference]string, error) {
	if !slices.ContainsFunc(cols, func(c vmColumn) bool { return c.name == "host" }) {
		return nil, nil
	}
	var refs []types.ManagedObjectReference
	for _, vm := range vms {
		if h := vm.Summary.Runtime.Host; h != nil {
			refs = append(refs, *h)
		}
	}
	var out map[types.ManagedObjectReference]string
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		var err error
		out, err = c.Names(ctx, refs)
		return err
	})
	return out, err
}
