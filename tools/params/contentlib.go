package params

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vapi/library"
	vapivc "github.com/vmware/govmomi/vapi/vcenter"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Content libraries live in vCenter's Automation API (REST), not in the
// inventory: they are found here by name or ID with GET requests only
// (the vAPI's find action is a POST, which the REST write gate counts as a
// change).

// FindLibrary returns the content library called ident (its name, exactly
// or case-insensitively when that is unique, or its ID).
func FindLibrary(ctx context.Context, m *library.Manager, ident string) (*library.Library, error) {
	ident = strings.TrimSpace(ident)
	all, err := m.GetLibraries(ctx)
	if err != nil {
		return nil, fmt.Errorf("list content libraries: %w", vcenter.RESTCause(err))
	}
	var fold []library.Library
	for _, l := range all {
		if l.ID == ident || l.Name == ident {
			return &l, nil
		}
		if strings.EqualFold(l.Name, ident) {
			fold = append(fold, l)
		}
	}
	if len(fold) == 1 {
		return &fold[0], nil
	}
	names := make([]string, 0, len(all))
	for _, l := range all {
		names = append(names, l.Name)
	}
	if len(all) == 0 {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("no content library %s: vCenter has no content libraries", toolkit.Quote(ident, toolkit.NameMax))}
	}
	return nil, &toolkit.PlainError{Msg: fmt.Sprintf("no content library %s; there are: %s (library_list shows them)", toolkit.Quote(ident, toolkit.NameMax), toolkit.Names(names))}
}

// FindLibraryItem returns the item called ident (name or ID) of lib.
func FindLibraryItem(ctx context.Context, m *library.Manager, lib *library.Library, ident string) (*library.Item, error) {
	ident = strings.TrimSpace(ident)
	items, err := m.GetLibraryItems(ctx, lib.ID)
	if err != nil {
		return nil, fmt.Errorf("list the items of content library %s: %w", toolkit.Name(lib.Name), vcenter.RESTCause(err))
	}
	for _, it := range items {
		if it.ID == ident || it.Name == ident {
			return &it, nil
		}
	}
	names := make([]string, 0, min(len(items), 20))
	for _, it := range items[:min(len(items), 20)] {
		names = append(names, it.Name)
	}
	more := ""
	if len(items) > 20 {
		more = fmt.Sprintf(" and %d more", len(items)-20)
	}
	if len(items) == 0 {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("content library %s has no item %s: it is empty", toolkit.Name(lib.Name), toolkit.Quote(ident, toolkit.NameMax))}
	}
	return nil, &toolkit.PlainError{Msg: fmt.Sprintf("content library %s has no item %s; it has %s%s (library_item_list shows them)", toolkit.Name(lib.Name), toolkit.Quote(ident, toolkit.NameMax), toolkit.Names(names), more)}
}

// LibraryItemSize is an item's size: what vCenter reports, else the sum of
// its files (the simulator reports 0).
func LibraryItemSize(ctx context.Context, m *library.Manager, it *library.Item) int64 {
	if it.Size > 0 {
		return it.Size
	}
	files, err := m.ListLibraryItemFiles(ctx, it.ID)
	if err != nil {
		return 0
	}
	var n int64
	for _, f := range files {
		if f.Size != nil {
			n += *f.Size
		}
	}
	return n
}

// LibraryDatastore is the datastore a library stores its items on, for the
// guard (protect patterns name inventory objects).
func LibraryDatastore(ctx context.Context, c *vcenter.Conn, lib *library.Library) (*vcenter.Object, error) {
	for _, s := range lib.Storage {
		if s.DatastoreID == "" {
			continue
		}
		ds, err := c.Resolve(ctx, "Datastore", s.DatastoreID)
		if err != nil {
			return nil, fmt.Errorf("the datastore of content library %s: %w", toolkit.Name(lib.Name), err)
		}
		return &ds, nil
	}
	return nil, nil
}

// SummarizeFilter describes a library OVF item from vCenter's OVF filter
// answer (which lists only the properties a deploy may set).
func SummarizeFilter(f vapivc.FilterResponse, name string) OVFSummary {
	s := OVFSummary{Name: name, Disks: []OVFDisk{}, Networks: []OVFNetwork{}, Properties: []OVFProperty{}, EULA: len(f.EULAs) > 0}
	if f.Name != "" {
		s.Name = f.Name
	}
	for _, n := range f.Networks {
		s.Networks = append(s.Networks, OVFNetwork{Name: n})
	}
	for _, p := range f.AdditionalParams {
		switch p.Type {
		case vapivc.TypePropertyParams:
			for _, pr := range p.Properties {
				key := pr.ID
				if pr.ClassID != "" {
					key = pr.ClassID + "." + key
				}
				if pr.InstanceID != "" {
					key += "." + pr.InstanceID
				}
				s.Properties = append(s.Properties, OVFProperty{Key: key, Type: pr.Type, Default: pr.Value, UserConfigurable: true,
					Password: strings.HasPrefix(pr.Type, "password"), Label: pr.Label, Description: pr.Description})
			}
		case vapivc.TypeDeploymentOptionParams:
			for _, o := range p.DeploymentOptions {
				s.DeploymentOptions = append(s.DeploymentOptions, OVFOption{ID: o.Key, Label: o.Label, Default: o.DefaultChoice})
			}
		case vapivc.TypeSizeParams:
			s.SizeBytes = p.ApproximateDownloadSize
		}
	}
	return s
}
