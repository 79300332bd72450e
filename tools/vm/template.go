package vm

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25/mo"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TemplateListArgs filters and pages template_list.
type TemplateListArgs struct {
	params.NameFilter
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only templates in this datacenter (name, path or ID)"`
	toolkit.Paging
}

func (a *TemplateListArgs) Validate() error { return params.CheckList(a.Paging, a.Name) }

// TemplateItem is one row of template_list.
type TemplateItem struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	GuestOS  string `json:"guest_os"`
	GuestID  string `json:"guest_id"`
	CPUs     int    `json:"cpus"`
	MemoryMB int    `json:"memory_mb"`
}

// TemplateList is template_list's result.
type TemplateList struct {
	Items      []TemplateItem `json:"items"`
	Total      int            `json:"total"`
	NextCursor string         `json:"next_cursor"`
}

// Text renders the page as a table.
func (l TemplateList) Text() string {
	t := toolkit.NewTable("name", "id", "guest_os", "cpus", "memory_mb")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, it.GuestOS, toolkit.Itoa(it.CPUs), toolkit.Itoa(it.MemoryMB))
	}
	return toolkit.PageText("templates", len(l.Items), l.Total, l.NextCursor, t)
}

func templateList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "template_list",
		Title:       "List VM templates",
		Description: "List VM templates with guest OS, CPUs and memory, filtered by name glob or datacenter.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a TemplateListArgs) (TemplateList, error) {
		q := vcenter.Query{Type: "VirtualMachine", Key: toolkit.QueryKey("template_list", a.Name, a.Datacenter)}
		if a.Cursor == "" {
			if err := params.InContainers(ctx, d.Session, &q, []params.Container{{Kind: "Datacenter", Ident: a.Datacenter}}); err != nil {
				return TemplateList{}, err
			}
			template := true
			params.SetVMMatch(&q, a.Name, "", "", &template)
		}
		vms, page, err := params.ListPage[mo.VirtualMachine](ctx, d.Session, q,
			[]string{"name", "summary.config.guestFullName", "summary.config.guestId", "summary.config.numCpu", "summary.config.memorySizeMB"}, a.Paging)
		if err != nil {
			return TemplateList{}, fmt.Errorf("list templates: %w", err)
		}
		out := TemplateList{Items: make([]TemplateItem, 0, len(vms)), Total: page.Total, NextCursor: page.NextCursor}
		for _, vm := range vms {
			c := vm.Summary.Config
			out.Items = append(out.Items, TemplateItem{Name: vm.Name, ID: vm.Self.Value, GuestOS: c.GuestFullName, GuestID: c.GuestId,
				CPUs: int(c.NumCpu), MemoryMB: int(c.MemorySizeMB)})
		}
		return out, nil
	})
}
