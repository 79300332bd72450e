package tag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- tag_category_list ----

// Category is one tag category.
type Category struct {
	Name            string   `json:"name"`
	ID              string   `json:"id"`
	Description     string   `json:"description,omitempty"`
	Cardinality     string   `json:"cardinality" jsonschema:"single: an object carries at most one tag of the category; multiple: any number"`
	AssociableTypes []string `json:"associable_types,omitempty" jsonschema:"The object types its tags apply to; none: every type"`
	Tags            int      `json:"tags"`
}

// CategoryList is tag_category_list's result.
type CategoryList struct {
	Categories []Category `json:"categories"`
}

// Text renders the categories as a table.
func (l CategoryList) Text() string {
	t := toolkit.NewTable("name", "cardinality", "tags", "associable_types", "id", toolkit.DataColumn("description"))
	for _, c := range l.Categories {
		types := "all"
		if len(c.AssociableTypes) > 0 {
			types = strings.Join(c.AssociableTypes, ",")
		}
		t.Row(toolkit.Name(c.Name), c.Cardinality, toolkit.Itoa(c.Tags), types, c.ID, descCell(c.Description))
	}
	return fmt.Sprintf("%d tag categories\n%s", len(l.Categories), t.String())
}

func descCell(s string) string {
	if s == "" {
		return ""
	}
	return toolkit.Quote(s, 80)
}

func categoryOf(c tags.Category, n int) Category {
	return Category{Name: c.Name, ID: c.ID, Description: c.Description, Cardinality: strings.ToLower(c.Cardinality),
		AssociableTypes: c.AssociableTypes, Tags: n}
}

func tagCategoryList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "tag_category_list",
		Title:       "List tag categories",
		Description: "List vCenter's tag categories with cardinality (single or multiple tags per object), the object types they apply to and how many tags each holds.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, _ toolkit.NoArgs) (CategoryList, error) {
		out := CategoryList{Categories: []Category{}}
		err := params.WithTags(ctx, d.Session, func(_ *vcenter.Conn, m *tags.Manager) error {
			cats, err := m.GetCategories(ctx)
			if err != nil {
				return fmt.Errorf("list tag categories: %w", vcenter.RESTCause(err))
			}
			all, err := m.GetTags(ctx)
			if err != nil {
				return fmt.Errorf("list tags: %w", vcenter.RESTCause(err))
			}
			count := map[string]int{}
			for _, t := range all {
				count[t.CategoryID]++
			}
			sort.Slice(cats, func(i, j int) bool { return cats[i].Name < cats[j].Name })
			out.Categories = out.Categories[:0]
			for _, c := range cats {
				out.Categories = append(out.Categories, categoryOf(c, count[c.ID]))
			}
			return nil
		})
		return out, err
	})
}

// ---- tag_category_create ----

// CategoryCreateArgs defines a new category.
type CategoryCreateArgs struct {
	Name            string   `json:"name" jsonschema:"The category's name, e.g. env"`
	Description     string   `json:"description,omitempty"`
	Cardinality     string   `json:"cardinality,omitempty" jsonschema:"enum=single,enum=multiple"`
	AssociableTypes []string `json:"associable_types,omitempty" jsonschema:"Object types its tags may be attached to, e.g. VirtualMachine, HostSystem, Datastore; none: every type"`
}

// associableTypes are the inventory types a category may name.
var associableTypes = []string{
	"VirtualMachine", "HostSystem", "ClusterComputeResource", "Datastore", "StoragePod", "Datacenter", "Folder",
	"ResourcePool", "VirtualApp", "Network", "DistributedVirtualPortgroup", "VmwareDistributedVirtualSwitch",
	"OpaqueNetwork", "ComputeResource",
}

func (a *CategoryCreateArgs) Validate() error {
	if err := checkName("name", a.Name, "category"); err != nil {
		return err
	}
	if a.Cardinality != "" && a.Cardinality != "single" && a.Cardinality != "multiple" {
		return fmt.Errorf("cardinality must be single (one tag of the category per object) or multiple")
	}
	for _, t := range a.AssociableTypes {
		if !slices.Contains(associableTypes, t) {
			return fmt.Errorf("associable_types: %s is not an object type tags apply to; use %s", toolkit.Name(t), strings.Join(associableTypes, ", "))
		}
	}
	return checkText("description", a.Description)
}

// checkName checks a new category or tag name: vCenter takes up to 256
// characters; a colon would make category:tag ambiguous.
func checkName(arg, s, noun string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%s is required: the %s's name", arg, noun)
	case s != strings.TrimSpace(s):
		return fmt.Errorf("%s must not start or end with spaces", arg)
	case len(s) > 256:
		return fmt.Errorf("%s is %d characters long; vCenter takes at most 256", arg, len(s))
	case strings.Contains(s, ":"):
		return fmt.Errorf("%s must not contain a colon: tags are named category:tag", arg)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%s must not contain control characters", arg)
	}
	return nil
}

func checkText(arg, s string) error {
	if len(s) > 2048 {
		return fmt.Errorf("%s is %d characters long; the limit is 2048", arg, len(s))
	}
	return nil
}

// CategoryResult is a category created or deleted.
type CategoryResult struct {
	Action   string   `json:"action"`
	Category Category `json:"category"`
	// Removed lists the tags deleted with the category.
	Removed []string `json:"removed_tags,omitempty"`
}

// Text renders the action on one line.
func (r CategoryResult) Text() string {
	c := r.Category
	types := "every object type"
	if len(c.AssociableTypes) > 0 {
		types = strings.Join(c.AssociableTypes, ", ")
	}
	s := fmt.Sprintf("%s tag category %s (%s): %s, for %s", r.Action, toolkit.Name(c.Name), c.ID, c.Cardinality, types)
	if len(r.Removed) > 0 {
		s += fmt.Sprintf("; its %d tags went with it: %s", len(r.Removed), toolkit.Names(r.Removed))
	}
	return s + "\n"
}

// categoryObject stands for a category in the guard's checks, the
// confirmation and the audit trail.
func categoryObject(c tags.Category) vcenter.Object {
	return vcenter.Object{Ref: types.ManagedObjectReference{Type: "TagCategory", Value: c.ID}, Name: c.Name, Path: "tag category " + c.Name}
}

func tagCategoryCreate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "tag_category_create",
		Title:       "Create a tag category",
		Description: "Create a tag category (e.g. env) whose tags (env:test, env:prod) are then created with tag_create; cardinality single (the default) allows one tag of it per object, multiple any number.",
		Risk:        policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a CategoryCreateArgs) (CategoryResult, error) {
		card := "SINGLE"
		if a.Cardinality == "multiple" {
			card = "MULTIPLE"
		}
		var out CategoryResult
		err := params.WithTags(ctx, d.Session, func(_ *vcenter.Conn, m *tags.Manager) error {
			if c, err := params.ResolveCategory(ctx, m, a.Name); err == nil {
				return &toolkit.PlainError{Msg: fmt.Sprintf("tag category %s exists already (%s); nothing was created", toolkit.Name(c.Name), c.ID)}
			}
			if err := guard.Act(ctx, "Create tag category "+toolkit.Name(a.Name)); err != nil {
				return err
			}
			id, err := m.CreateCategory(ctx, &tags.Category{Name: a.Name, Description: a.Description, Cardinality: card, AssociableTypes: a.AssociableTypes})
			if err != nil {
				return fmt.Errorf("create tag category %s: %w", toolkit.Name(a.Name), vcenter.RESTCause(err))
			}
			c, err := m.GetCategory(ctx, id)
			if err != nil {
				return fmt.Errorf("created tag category %s (%s) but cannot read it back: %w", toolkit.Name(a.Name), id, vcenter.RESTCause(err))
			}
			out = CategoryResult{Action: "Created", Category: categoryOf(*c, 0)}
			return nil
		})
		return out, err
	})
}

// ---- tag_category_delete ----

// CategoryArgs names one category.
type CategoryArgs struct {
	Category string `json:"category" jsonschema:"The category: name or ID"`
}

func (a *CategoryArgs) Validate() error {
	if strings.TrimSpace(a.Category) == "" {
		return errors.New("category is required: its name or ID (tag_category_list shows them)")
	}
	return nil
}

func tagCategoryDelete() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "tag_category_delete",
		Title: "Delete a tag category",
		Description: "Delete a tag category together with all its tags, which are removed from every object carrying them. " +
			"Irreversible: a person confirms, told how many tags and tagged objects go.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, d toolkit.Deps, a CategoryArgs) (CategoryResult, error) {
		var out CategoryResult
		err := params.WithTags(ctx, d.Session, func(c *vcenter.Conn, m *tags.Manager) error {
			cat, err := params.ResolveCategory(ctx, m, a.Category)
			if err != nil {
				return err
			}
			list, err := m.GetTagsForCategory(ctx, cat.ID)
			if err != nil {
				return fmt.Errorf("list the tags of category %s: %w", toolkit.Name(cat.Name), vcenter.RESTCause(err))
			}
			ids := make([]string, len(list))
			names := make([]string, len(list))
			for i, t := range list {
				ids[i], names[i] = t.ID, cat.Name+":"+t.Name
			}
			on, err := carriers(ctx, c, m, ids, "category "+toolkit.Name(cat.Name))
			if err != nil {
				return err
			}
			what := fmt.Sprintf("Delete tag category %s with its %d tags, removing them from the %d objects that carry them", toolkit.Name(cat.Name), len(list), len(on))
			if err := guard.ActOn(ctx, what, categoryObject(cat), on...); err != nil {
				return err
			}
			if err := m.DeleteCategory(ctx, &cat); err != nil {
				return fmt.Errorf("delete tag category %s: %w", toolkit.Name(cat.Name), vcenter.RESTCause(err))
			}
			out = CategoryResult{Action: "Deleted", Category: categoryOf(cat, len(list)), Removed: names}
			return nil
		})
		return out, err
	})
}

// carriers lists the objects that carry any of tagIDs, refusing when the
// caller's scope does not show all of them: deleting a tag changes every
// object it is on, and a scoped profile may change only what it sees. The
// guard is told about them too, so a protected object refuses the delete.
func carriers(ctx context.Context, c *vcenter.Conn, m *tags.Manager, tagIDs []string, what string) ([]vcenter.Object, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	on, err := m.ListAttachedObjectsOnTags(ctx, tagIDs)
	if err != nil {
		return nil, fmt.Errorf("list the objects carrying the tags of %s: %w", what, vcenter.RESTCause(err))
	}
	var refs []types.ManagedObjectReference
	for _, a := range on {
		refs = append(refs, refsOf(a.ObjectIDs)...)
	}
	refs = vcenter.UniqueRefs(refs)
	// A stable order: the person's answer is bound to exactly these objects.
	sort.Slice(refs, func(i, j int) bool {
		return refs[i].Type < refs[j].Type || refs[i].Type == refs[j].Type && refs[i].Value < refs[j].Value
	})
	vis, err := c.VisibleSet(ctx, refs)
	if err != nil {
		return nil, err
	}
	if hidden := len(refs) - len(vcenter.InSet(refs, vis)); hidden > 0 {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("%s is on %d objects outside this profile's scope; it can only be deleted by a profile that sees them. Nothing was deleted", what, hidden)}
	}
	paths, err := c.InventoryPaths(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make([]vcenter.Object, 0, len(refs))
	for _, r := range refs {
		p, ok := paths[r]
		if !ok {
			continue // deleted meanwhile
		}
		out = append(out, vcenter.Object{Ref: r, Name: p[strings.LastIndex(p, "/")+1:], Path: p})
	}
	return out, nil
}
