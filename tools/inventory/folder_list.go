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
