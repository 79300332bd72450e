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
