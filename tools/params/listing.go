package params

import (
	"context"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// NameFilter is the name glob every inventory listing takes.
type NameFilter struct {
	Name string `json:"name,omitempty" jsonschema:"Name glob, case-sensitive, e.g. prod-*"`
}

// CheckList validates what every listing takes: paging and a name glob.
func CheckList(p toolkit.Paging, name string) error {
	if err := p.Check(); err != nil {
		return err
	}
	return toolkit.CheckGlob("name", name)
}

// Scope installs a listing's filters on its first page: containers become
// the query's roots so vCenter applies them, a name glob a match on "name"
// only. A continued listing needs neither: its cursor holds the selection.
func Scope(ctx context.Context, s *vcenter.Session, q *vcenter.Query, cursor, name string, containers ...Container) error {
	if cursor != "" {
		return nil
	}
	if err := InContainers(ctx, s, q, containers); err != nil {
		return err
	}
	if name != "" {
		q.MatchProps = []string{"name"}
		q.Match = func(oc types.ObjectContent) bool {
			n, _ := vcenter.PropVal(oc, "name").(string)
			return toolkit.GlobMatch(name, n)
		}
	}
	return nil
}

// ListPage reads one page of a listing into T, a govmomi mo type.
func ListPage[T any](ctx context.Context, s *vcenter.Session, q vcenter.Query, props []string, p toolkit.Paging) ([]T, *vcenter.Page, error) {
	page, err := s.List(ctx, q, props, p.Size(), p.Cursor)
	if err != nil {
		return nil, nil, err
	}
	var out []T
	if err := mo.LoadObjectContent(page.Objects, &out); err != nil {
		return nil, nil, err
	}
	return out, page, nil
}

type Container struct {
	Kind  string
	Ident string
}

// VMContainers are vm_list's container filters, most specific first: the
// first given one roots the listing.
func VMContainers(host, cluster, folder, datacenter string) []Container {
	return []Container{
		{"HostSystem", host}, {"ClusterComputeResource", cluster}, {"Folder", folder}, {"Datacenter", datacenter},
	}
}

// ContainerFilters resolves the filters that are containers (host, cluster,
// folder, datacenter) so vCenter applies them: the first given one is the
// root of the listing, the rest narrow it.
func ContainerFilters(ctx context.Context, c *vcenter.Conn, fs []Container) (roots, within []types.ManagedObjectReference, err error) {
	for _, f := range fs {
		if f.Ident == "" {
			continue
		}
		o, err := c.Resolve(ctx, f.Kind, f.Ident)
		if err != nil {
			return nil, nil, err
		}
		if roots == nil {
			roots = []types.ManagedObjectReference{o.Ref}
		} else {
			within = append(within, o.Ref)
		}
	}
	return roots, within, nil
}

// InContainers sets q's roots from container filters, resolved in one
// session round.
func InContainers(ctx context.Context, s *vcenter.Session, q *vcenter.Query, fs []Container) error {
	return s.Do(ctx, func(c *vcenter.Conn) error {
		var err error
		q.Roots, q.Within, err = ContainerFilters(ctx, c, fs)
		return err
	})
}
