package network

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

// NetworkListArgs filters and pages network_list.
type NetworkListArgs struct {
	params.NameFilter
	Datacenter string `json:"datacenter,omitempty" jsonschema:"Only networks in this datacenter (name, path or ID)"`
	toolkit.Paging
}

func (a *NetworkListArgs) Validate() error { return params.CheckList(a.Paging, a.Name) }

// NetworkItem is one row of network_list.
type NetworkItem struct {
	Name   string `json:"name"`
	ID     string `json:"id"`
	Type   string `json:"type" jsonschema:"standard, distributed port group or opaque"`
	Switch string `json:"switch,omitempty"`
	VMs    int    `json:"vms"`
	Hosts  int    `json:"hosts"`
}

// NetworkList is network_list's result.
type NetworkList struct {
	Items      []NetworkItem `json:"items"`
	Total      int           `json:"total"`
	NextCursor string        `json:"next_cursor"`
}

// Text renders the page as a table.
func (l NetworkList) Text() string {
	t := toolkit.NewTable("name", "id", "type", "switch", "vms", "hosts")
	for _, it := range l.Items {
		t.Row(it.Name, it.ID, it.Type, it.Switch, toolkit.Itoa(it.VMs), toolkit.Itoa(it.Hosts))
	}
	return toolkit.PageText("networks", len(l.Items), l.Total, l.NextCursor, t)
}

// networkType names a network's kind from its managed object type.
func networkType(moType string) string {
	switch moType {
	case "DistributedVirtualPortgroup":
		return "distributed port group"
	case "OpaqueNetwork":
		return "opaque"
	}
	return "standard"
}

func networkList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "network_list",
		Title: "List networks",
		Description: "List networks (standard port groups, distributed port groups with their switch, opaque networks) with VM and host counts, " +
			"filtered by name glob or datacenter.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a NetworkListArgs) (NetworkList, error) {
		q := vcenter.Query{Type: "Network", Key: toolkit.QueryKey("network_list", a.Name, a.Datacenter)}
		if err := params.Scope(ctx, d.Session, &q, a.Cursor, a.Name, params.Container{Kind: "Datacenter", Ident: a.Datacenter}); err != nil {
			return NetworkList{}, err
		}
		nets, page, err := params.ListPage[mo.Network](ctx, d.Session, q, []string{"name", "vm", "host"}, a.Paging)
		if err != nil {
			return NetworkList{}, fmt.Errorf("list networks: %w", err)
		}
		switches := map[types.ManagedObjectReference]string{}
		var pgs, related []types.ManagedObjectReference
		for _, n := range nets {
			if n.Self.Type == "DistributedVirtualPortgroup" {
				pgs = append(pgs, n.Self)
			}
			related = append(append(related, n.Vm...), n.Host...)
		}
		var visible map[types.ManagedObjectReference]bool
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var err error
			visible, err = c.VisibleSet(ctx, related)
			if err != nil || len(pgs) == 0 {
				return err
			}
			objs, _, err := c.RetrieveMany(ctx, pgs, []string{"config.distributedVirtualSwitch"})
			if err != nil {
				return err
			}
			pgSwitch := map[types.ManagedObjectReference]types.ManagedObjectReference{}
			var dvs []types.ManagedObjectReference
			for _, oc := range objs {
				if s, ok := vcenter.PropVal(oc, "config.distributedVirtualSwitch").(types.ManagedObjectReference); ok {
					pgSwitch[oc.Obj] = s
					dvs = append(dvs, s)
				}
			}
			names, err := c.Names(ctx, dvs)
			if err != nil {
				return err
			}
			for pg, s := range pgSwitch {
				switches[pg] = names[s]
			}
			return nil
		})
		if err != nil {
			return NetworkList{}, fmt.Errorf("list networks: %w", err)
		}
		out := NetworkList{Items: make([]NetworkItem, 0, len(nets)), Total: page.Total, NextCursor: page.NextCursor}
		for _, n := range nets {
			out.Items = append(out.Items, NetworkItem{Name: n.Name, ID: n.Self.Value, Type: networkType(n.Self.Type),
				Switch: switches[n.Self], VMs: len(vcenter.InSet(n.Vm, visible)), Hosts: len(vcenter.InSet(n.Host, visible))})
		}
		return out, nil
	})
}
