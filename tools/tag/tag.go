package tag

import (
	"context"
	"fmt"
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

// ---- tag_list ----

// TagListArgs filters tag_list.
type TagListArgs struct {
	Category string `json:"category,omitempty" jsonschema:"Only the tags of this category (name or ID)"`
}

// TagItem is one tag.
type TagItem struct {
	Tag         string `json:"tag" jsonschema:"category:tag, as the tools take it"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	Objects     int    `json:"objects" jsonschema:"How many objects this profile sees carry it"`
}

// TagList is tag_list's result.
type TagList struct {
	Tags []TagItem `json:"tags"`
}

// Text renders the tags as a table.
func (l TagList) Text() string {
	t := toolkit.NewTable("tag", "objects", "id", toolkit.DataColumn("description"))
	for _, it := range l.Tags {
		t.Row(toolkit.Name(it.Tag), toolkit.Itoa(it.Objects), it.ID, descCell(it.Description))
	}
	return fmt.Sprintf("%d tags\n%s", len(l.Tags), t.String())
}

func tagItem(t tags.Tag, cat string, n int) TagItem {
	return TagItem{Tag: cat + ":" + t.Name, Name: t.Name, Category: cat, ID: t.ID, Description: t.Description, Objects: n}
}

func tagList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "tag_list",
		Title:       "List tags",
		Description: "List tags as category:tag, optionally of one category, with how many objects carry each (only objects this profile may see are counted).",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a TagListArgs) (TagList, error) {
		out := TagList{Tags: []TagItem{}}
		err := params.WithTags(ctx, d.Session, func(c *vcenter.Conn, m *tags.Manager) error {
			cats, err := m.GetCategories(ctx)
			if err != nil {
				return fmt.Errorf("list tag categories: %w", vcenter.RESTCause(err))
			}
			catName := map[string]string{}
			for _, c := range cats {
				catName[c.ID] = c.Name
			}
			var list []tags.Tag
			if a.Category != "" {
				cat, err := params.ResolveCategory(ctx, m, a.Category)
				if err != nil {
					return err
				}
				if list, err = m.GetTagsForCategory(ctx, cat.ID); err != nil {
					return fmt.Errorf("list the tags of category %s: %w", toolkit.Name(cat.Name), vcenter.RESTCause(err))
				}
			} else if list, err = m.GetTags(ctx); err != nil {
				return fmt.Errorf("list tags: %w", vcenter.RESTCause(err))
			}
			counts, err := visibleCounts(ctx, c, m, list)
			if err != nil {
				return err
			}
			out.Tags = out.Tags[:0]
			for _, t := range list {
				out.Tags = append(out.Tags, tagItem(t, catName[t.CategoryID], counts[t.ID]))
			}
			sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Tag < out.Tags[j].Tag })
			return nil
		})
		return out, err
	})
}

// visibleCounts counts, per tag, the objects carrying it that the
// caller's scope shows, in one association read.
func visibleCounts(ctx context.Context, c *vcenter.Conn, m *tags.Manager, list []tags.Tag) (map[string]int, error) {
	out := map[string]int{}
	if len(list) == 0 {
		return out, nil
	}
	ids := make([]string, len(list))
	for i, t := range list {
		ids[i] = t.ID
	}
	on, err := m.ListAttachedObjectsOnTags(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("count the objects carrying the tags: %w", vcenter.RESTCause(err))
	}
	var refs []types.ManagedObjectReference
	for _, a := range on {
		for _, o := range a.ObjectIDs {
			refs = append(refs, o.Reference())
		}
	}
	vis, err := c.VisibleSet(ctx, refs)
	if err != nil {
		return nil, err
	}
	for _, a := range on {
		for _, r := range vcenter.UniqueRefs(refsOf(a.ObjectIDs)) {
			if vis[r] {
				out[a.TagID]++
			}
		}
	}
	return out, nil
}

// ---- tag_create ----

// TagCreateArgs defines a new tag.
type TagCreateArgs struct {
	Category    string `json:"category" jsonschema:"The category it belongs to (name or ID); create one with tag_category_create"`
	Name        string `json:"name" jsonschema:"The tag's name, e.g. test"`
	Description string `json:"description,omitempty"`
}

func (a *TagCreateArgs) Validate() error {
	if strings.TrimSpace(a.Category) == "" {
		return fmt.Errorf("category is required: the category the tag belongs to (tag_category_list shows them)")
	}
	if err := checkName("name", a.Name, "tag"); err != nil {
		return err
	}
	return checkText("description", a.Description)
}

// TagResult is a tag created or deleted.
type TagResult struct {
	Action string  `json:"action"`
	Tag    TagItem `json:"tag"`
}

// Text renders the action on one line.
func (r TagResult) Text() string {
	s := fmt.Sprintf("%s tag %s (%s)", r.Action, toolkit.Name(r.Tag.Tag), r.Tag.ID)
	if r.Action == "Deleted" {
		s += fmt.Sprintf("; it was removed from the %d objects that carried it", r.Tag.Objects)
	}
	return s + "\n"
}

// tagObject stands for a tag in the guard's checks, the confirmation and
// the audit trail.
func tagObject(t params.Tag) vcenter.Object {
	return vcenter.Object{Ref: types.ManagedObjectReference{Type: "Tag", Value: t.ID}, Name: t.Label(), Path: "tag " + t.Label()}
}

func tagCreate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "tag_create",
		Title:       "Create a tag",
		Description: "Create a tag in a category (tag_create category=env name=test makes env:test), to attach to objects with tag_attach.",
		Risk:        policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a TagCreateArgs) (TagResult, error) {
		var out TagResult
		err := params.WithTags(ctx, d.Session, func(_ *vcenter.Conn, m *tags.Manager) error {
			cat, err := params.ResolveCategory(ctx, m, a.Category)
			if err != nil {
				return err
			}
			if t, err := params.ResolveTag(ctx, m, cat.Name+":"+a.Name); err == nil {
				return &toolkit.PlainError{Msg: fmt.Sprintf("tag %s exists already (%s); nothing was created", toolkit.Name(t.Label()), t.ID)}
			}
			if err := guard.Act(ctx, fmt.Sprintf("Create tag %s", toolkit.Name(cat.Name+":"+a.Name))); err != nil {
				return err
			}
			id, err := m.CreateTag(ctx, &tags.Tag{Name: a.Name, Description: a.Description, CategoryID: cat.ID})
			if err != nil {
				return fmt.Errorf("create tag %s: %w", toolkit.Name(cat.Name+":"+a.Name), vcenter.RESTCause(err))
			}
			t, err := m.GetTag(ctx, id)
			if err != nil {
				return fmt.Errorf("created tag %s (%s) but cannot read it back: %w", toolkit.Name(a.Name), id, vcenter.RESTCause(err))
			}
			out = TagResult{Action: "Created", Tag: tagItem(*t, cat.Name, 0)}
			return nil
		})
		return out, err
	})
}

// ---- tag_delete ----

// TagArgs names one tag.
type TagArgs struct {
	Tag string `json:"tag" jsonschema:"The tag: category:tag (e.g. env:test) or its ID"`
}

func (a *TagArgs) Validate() error { return params.CheckTagIdent("tag", a.Tag) }

func tagDelete() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "tag_delete",
		Title:       "Delete a tag",
		Description: "Delete a tag, removing it from every object that carries it. Irreversible: a person confirms, told how many objects carry it.",
		Risk:        policy.RiskIrreversible,
	}, func(ctx context.Context, d toolkit.Deps, a TagArgs) (TagResult, error) {
		var out TagResult
		err := params.WithTags(ctx, d.Session, func(c *vcenter.Conn, m *tags.Manager) error {
			t, err := params.ResolveTag(ctx, m, a.Tag)
			if err != nil {
				return err
			}
			on, err := carriers(ctx, c, m, []string{t.ID}, "tag "+toolkit.Name(t.Label()))
			if err != nil {
				return err
			}
			n := len(on)
			what := fmt.Sprintf("Delete tag %s, removing it from the %d objects that carry it", toolkit.Name(t.Label()), n)
			if err := guard.ActOn(ctx, what, tagObject(t), on...); err != nil {
				return err
			}
			if err := m.DeleteTag(ctx, &t.Tag); err != nil {
				return fmt.Errorf("delete tag %s: %w", toolkit.Name(t.Label()), vcenter.RESTCause(err))
			}
			out = TagResult{Action: "Deleted", Tag: tagItem(t.Tag, t.Category.Name, n)}
			return nil
		})
		return out, err
	})
}
