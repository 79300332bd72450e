package params

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Tags live in vCenter's Automation API (REST). Their identifiers are
// shared by the tag toolset and the tag filters of vm_list and the bulk VM
// targets: "category:tag", or a tag ID (urn:vmomi:InventoryServiceTag:…).

const (
	tagIDPrefix      = "urn:vmomi:InventoryServiceTag:"
	categoryIDPrefix = "urn:vmomi:InventoryServiceCategory:"
)

// CheckTagIdent checks a tag argument's shape: category:tag or a tag ID.
func CheckTagIdent(arg, s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return fmt.Errorf("%s is required: category:tag (e.g. env:test) or a tag ID (tag_list shows both)", arg)
	}
	if len(s) > 512 {
		return fmt.Errorf("%s is %d characters long; the limit is 512", arg, len(s))
	}
	if strings.HasPrefix(s, tagIDPrefix) {
		return nil
	}
	cat, name, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(cat) == "" || strings.TrimSpace(name) == "" {
		return fmt.Errorf("%s %s is not category:tag (e.g. env:test) or a tag ID; tag_list shows the tags", arg, toolkit.Quote(s, 80))
	}
	return nil
}

// WithTags runs fn with the session's tag manager (vAPI REST on the same
// login).
func WithTags(ctx context.Context, s *vcenter.Session, fn func(c *vcenter.Conn, m *tags.Manager) error) error {
	return s.Do(ctx, func(c *vcenter.Conn) error {
		return c.DoREST(ctx, func(rc *rest.Client) error {
			return fn(c, tags.NewManager(rc))
		})
	})
}

// Tag is a resolved tag with its category.
type Tag struct {
	tags.Tag
	Category tags.Category
}

// Label is the tag as category:tag.
func (t Tag) Label() string { return t.Category.Name + ":" + t.Name }

// ResolveCategory finds a category by name or ID.
func ResolveCategory(ctx context.Context, m *tags.Manager, ident string) (tags.Category, error) {
	ident = strings.TrimSpace(ident)
	cats, err := m.GetCategories(ctx)
	if err != nil {
		return tags.Category{}, fmt.Errorf("list tag categories: %w", vcenter.RESTCause(err))
	}
	for _, c := range cats {
		if c.ID == ident || c.Name == ident {
			return c, nil
		}
	}
	// vCenter compares category names without case.
	for _, c := range cats {
		if strings.EqualFold(c.Name, ident) {
			return c, nil
		}
	}
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = c.Name
	}
	slices.Sort(names)
	if len(names) == 0 {
		return tags.Category{}, &toolkit.PlainError{Msg: fmt.Sprintf("no tag category %s: vCenter has none yet (create one with tag_category_create)", toolkit.Name(ident))}
	}
	return tags.Category{}, &toolkit.PlainError{Msg: fmt.Sprintf("no tag category %s; the categories are %s", toolkit.Name(ident), toolkit.Names(names))}
}

// ResolveTag finds the tag ident names (category:tag or an ID).
func ResolveTag(ctx context.Context, m *tags.Manager, ident string) (Tag, error) {
	ident = strings.TrimSpace(ident)
	if strings.HasPrefix(ident, tagIDPrefix) {
		t, err := m.GetTag(ctx, ident)
		if err != nil {
			if vcenter.IsRESTNotFound(err) {
				return Tag{}, &toolkit.PlainError{Msg: fmt.Sprintf("no tag with ID %s; tag_list shows the tags", toolkit.Name(ident))}
			}
			return Tag{}, fmt.Errorf("read tag %s: %w", toolkit.Name(ident), vcenter.RESTCause(err))
		}
		c, err := m.GetCategory(ctx, t.CategoryID)
		if err != nil {
			return Tag{}, fmt.Errorf("read the category of tag %s: %w", toolkit.Name(t.Name), vcenter.RESTCause(err))
		}
		return Tag{Tag: *t, Category: *c}, nil
	}
	catName, name, _ := strings.Cut(ident, ":")
	c, err := ResolveCategory(ctx, m, catName)
	if err != nil {
		return Tag{}, err
	}
	list, err := m.GetTagsForCategory(ctx, c.ID)
	if err != nil {
		return Tag{}, fmt.Errorf("list the tags of category %s: %w", toolkit.Name(c.Name), vcenter.RESTCause(err))
	}
	for _, t := range list {
		if t.Name == name {
			return Tag{Tag: t, Category: c}, nil
		}
	}
	for _, t := range list {
		if strings.EqualFold(t.Name, name) {
			return Tag{Tag: t, Category: c}, nil
		}
	}
	names := make([]string, len(list))
	for i, t := range list {
		names[i] = t.Name
	}
	slices.Sort(names)
	msg := fmt.Sprintf("category %s has no tag %s", toolkit.Name(c.Name), toolkit.Name(name))
	if len(names) == 0 {
		msg += "; it has no tags yet (create one with tag_create)"
	} else {
		msg += "; its tags are " + toolkit.Names(names)
	}
	return Tag{}, &toolkit.PlainError{Msg: msg}
}

// TaggedRefs lists the objects carrying tagID that the caller's scope
// shows, of kind when kind is not empty.
func TaggedRefs(ctx context.Context, c *vcenter.Conn, m *tags.Manager, tagID, kind string) ([]types.ManagedObjectReference, error) {
	objs, err := m.ListAttachedObjects(ctx, tagID)
	if err != nil {
		return nil, fmt.Errorf("list the objects carrying the tag: %w", vcenter.RESTCause(err))
	}
	var refs []types.ManagedObjectReference
	for _, o := range objs {
		r := o.Reference()
		if kind == "" || r.Type == kind {
			refs = append(refs, r)
		}
	}
	vis, err := c.VisibleSet(ctx, refs)
	if err != nil {
		return nil, err
	}
	return vcenter.InSet(refs, vis), nil
}

// OnlyRefs narrows q to the objects in set (a tag's, say), after whatever
// else q matches.
func OnlyRefs(q *vcenter.Query, set map[types.ManagedObjectReference]bool) {
	match := q.Match
	q.Match = func(oc types.ObjectContent) bool { return set[oc.Obj] && (match == nil || match(oc)) }
	if len(q.MatchProps) == 0 {
		q.MatchProps = []string{"name"}
	}
}

// VMsTagged returns the set of VMs carrying the tag ident names.
func VMsTagged(ctx context.Context, c *vcenter.Conn, ident string) (map[types.ManagedObjectReference]bool, error) {
	set := map[types.ManagedObjectReference]bool{}
	err := c.DoREST(ctx, func(rc *rest.Client) error {
		m := tags.NewManager(rc)
		t, err := ResolveTag(ctx, m, ident)
		if err != nil {
			return err
		}
		refs, err := TaggedRefs(ctx, c, m, t.ID, "VirtualMachine")
		if err != nil {
			return err
		}
		clear(set)
		for _, r := range refs {
			set[r] = true
		}
		return nil
	})
	return set, err
}

// InTag narrows q to the VMs carrying the tag ident names (none: q is
// left as it is).
func InTag(ctx context.Context, s *vcenter.Session, q *vcenter.Query, ident string) error {
	if ident == "" {
		return nil
	}
	return s.Do(ctx, func(c *vcenter.Conn) error {
		set, err := VMsTagged(ctx, c, ident)
		if err != nil {
			return err
		}
		OnlyRefs(q, set)
		return nil
	})
}
