package tag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- tag_attach, tag_detach ----

// TagObjectsArgs names a tag and the objects to attach it to or detach it
// from: identifiers of any kind, or a vm_list-style filter.
type TagObjectsArgs struct {
	Tag        string           `json:"tag" jsonschema:"The tag: category:tag (e.g. env:test) or its ID"`
	Objects    []string         `json:"objects,omitempty" jsonschema:"Objects of any kind (VMs, hosts, clusters, datastores, folders, pools…), each a name, inventory path or ID"`
	Filter     *params.VMFilter `json:"filter,omitempty" jsonschema:"Instead of objects: the VMs vm_list would select with these filters"`
	MaxTargets int              `json:"max_targets,omitempty" jsonschema:"Refuse when more objects than this are selected; default 10, at most 100"`
}

func (a *TagObjectsArgs) Validate() error {
	if err := params.CheckTagIdent("tag", a.Tag); err != nil {
		return err
	}
	if (len(a.Objects) > 0) == (a.Filter != nil) {
		return errors.New("name the objects with exactly one of objects (a list of identifiers) or filter (VMs, like vm_list)")
	}
	vt := params.VMTargets{Filter: a.Filter, MaxTargets: a.MaxTargets}
	if a.Filter == nil {
		vt.VMs = a.Objects // the same bounds apply to a list of objects
	}
	if err := vt.Validate(); err != nil {
		return errors.New(strings.NewReplacer("VMs given", "objects given", "vm, vms", "objects").Replace(err.Error()))
	}
	for i, o := range a.Objects {
		if strings.TrimSpace(o) == "" {
			return fmt.Errorf("objects[%d] is empty: pass a name, inventory path or ID", i)
		}
	}
	return nil
}

// ObjectResult is the outcome for one object.
type ObjectResult struct {
	Object  string `json:"object"`
	Type    string `json:"type"`
	ID      string `json:"id"`
	Outcome string `json:"outcome" jsonschema:"done, unchanged or failed"`
	Error   string `json:"error,omitempty"`
}

// TagObjectsResult is tag_attach's and tag_detach's result.
type TagObjectsResult struct {
	Action    string         `json:"action"`
	Tag       string         `json:"tag"`
	TagID     string         `json:"tag_id"`
	Results   []ObjectResult `json:"results"`
	Succeeded int            `json:"succeeded"`
	Unchanged int            `json:"unchanged"`
	Failed    int            `json:"failed"`
}

// Text renders a count line and one row per object.
func (r TagObjectsResult) Text() string {
	t := toolkit.NewTable("object", "type", "id", "outcome", "error")
	for _, o := range r.Results {
		t.Row(toolkit.Name(o.Object), o.Type, o.ID, o.Outcome, toolkit.Line(o.Error, 300))
	}
	return fmt.Sprintf("%s tag %s: %d done, %d unchanged, %d failed\n%s", r.Action, toolkit.Name(r.Tag), r.Succeeded, r.Unchanged, r.Failed, t.String())
}

func (r *TagObjectsResult) count() {
	r.Succeeded, r.Unchanged, r.Failed = 0, 0, 0
	for _, o := range r.Results {
		switch o.Outcome {
		case "done":
			r.Succeeded++
		case "unchanged":
			r.Unchanged++
		default:
			r.Failed++
		}
	}
}

func tagAttach() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "tag_attach",
		Title: "Attach a tag to objects",
		Description: "Attach a tag (category:tag) to objects of any kind, or to the VMs a vm_list-style filter selects (bounded by max_targets); " +
			"reports each object. An object already carrying another tag of a single-cardinality category is refused (detach that one first).",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a TagObjectsArgs) (TagObjectsResult, error) {
		return tagObjects(ctx, d, a, true)
	})
}

func tagDetach() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "tag_detach",
		Title:       "Detach a tag from objects",
		Description: "Detach a tag (category:tag) from objects of any kind, or from the VMs a vm_list-style filter selects (bounded by max_targets); reports each object.",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a TagObjectsArgs) (TagObjectsResult, error) {
		return tagObjects(ctx, d, a, false)
	})
}

// resolveObjects resolves the objects of a, in scope.
func resolveObjects(ctx context.Context, d toolkit.Deps, a TagObjectsArgs) ([]vcenter.Object, error) {
	if a.Filter != nil {
		return params.ResolveVMs(ctx, d.Session, params.VMTargets{Filter: a.Filter, MaxTargets: a.MaxTargets})
	}
	var out []vcenter.Object
	err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
		out = out[:0]
		seen := map[types.ManagedObjectReference]bool{}
		for _, id := range a.Objects {
			o, err := c.ResolveAny(ctx, id, nil)
			if err != nil {
				return err
			}
			if !seen[o.Ref] {
				seen[o.Ref] = true
				out = append(out, o)
			}
		}
		return nil
	})
	return out, err
}

// tagObjects attaches or detaches the tag: it resolves the tag and the
// objects, checks each object before anything changes (already so: unchanged;
// a type the category does not apply to, or a second tag of a single
// category: failed, as vCenter would refuse it), asks the guard about the
// rest, then changes them one at a time and reads each back.
func tagObjects(ctx context.Context, d toolkit.Deps, a TagObjectsArgs, attach bool) (TagObjectsResult, error) {
	action := "Detach"
	if attach {
		action = "Attach"
	}
	targets, err := resolveObjects(ctx, d, a)
	if err != nil {
		return TagObjectsResult{}, err
	}
	out := TagObjectsResult{Action: action}
	err = params.WithTags(ctx, d.Session, func(c *vcenter.Conn, m *tags.Manager) error {
		t, err := params.ResolveTag(ctx, m, a.Tag)
		if err != nil {
			return err
		}
		out.Tag, out.TagID = t.Label(), t.ID
		on, err := attachedTags(ctx, m, targets)
		if err != nil {
			return err
		}
		siblings := map[string]string{} // other tags of a single category: ID → name
		if attach && strings.EqualFold(t.Category.Cardinality, "SINGLE") {
			list, err := m.GetTagsForCategory(ctx, t.Category.ID)
			if err != nil {
				return fmt.Errorf("list the tags of category %s: %w", toolkit.Name(t.Category.Name), vcenter.RESTCause(err))
			}
			for _, s := range list {
				if s.ID != t.ID {
					siblings[s.ID] = t.Category.Name + ":" + s.Name
				}
			}
		}
		var change []vcenter.Object
		out.Results = out.Results[:0]
		for _, o := range targets {
			r := ObjectResult{Object: o.Name, Type: o.Ref.Type, ID: o.ID()}
			has := slices.Contains(on[o.Ref], t.ID)
			switch {
			case attach == has:
				r.Outcome = "unchanged"
			case attach && len(t.Category.AssociableTypes) > 0 && !slices.Contains(t.Category.AssociableTypes, o.Ref.Type):
				r.Outcome = "failed"
				r.Error = fmt.Sprintf("category %s applies only to %s, not to a %s", toolkit.Name(t.Category.Name), strings.Join(t.Category.AssociableTypes, ", "), o.Ref.Type)
			case attach && len(siblings) > 0 && slices.ContainsFunc(on[o.Ref], func(id string) bool { return siblings[id] != "" }):
				i := slices.IndexFunc(on[o.Ref], func(id string) bool { return siblings[id] != "" })
				r.Outcome = "failed"
				r.Error = fmt.Sprintf("it carries %s already and category %s takes one tag per object; detach that one first", toolkit.Name(siblings[on[o.Ref][i]]), toolkit.Name(t.Category.Name))
			default:
				change = append(change, o)
			}
			out.Results = append(out.Results, r)
		}
		if len(change) == 0 {
			return nil
		}
		verb := "Detach tag %s from"
		if attach {
			verb = "Attach tag %s to"
		}
		what := fmt.Sprintf(verb+" %d object(s)", toolkit.Name(t.Label()), len(change))
		if err := guard.Act(ctx, what, change...); err != nil {
			return err
		}
		for i, o := range targets {
			if !slices.Contains(change, o) {
				continue
			}
			r := &out.Results[i]
			// One object and one tag per call: detaching several tags at
			// once is not reliable everywhere.
			if attach {
				err = m.AttachTag(ctx, t.ID, o.Ref)
			} else {
				err = m.DetachTag(ctx, t.ID, o.Ref)
			}
			if err == nil {
				err = readBack(ctx, m, o.Ref, t.ID, attach)
			}
			if err != nil {
				r.Outcome, r.Error = "failed", toolkit.Line(vcenter.ErrorText(vcenter.RESTCause(err)), 300)
				continue
			}
			r.Outcome = "done"
		}
		return nil
	})
	if err != nil {
		return TagObjectsResult{}, err
	}
	out.count()
	if out.Failed > 0 && out.Succeeded == 0 && out.Unchanged == 0 {
		return out, &toolkit.PlainError{Msg: strings.TrimSpace(out.Text())}
	}
	return out, nil
}

// attachedTags reads the tag IDs each object carries, in one call.
func attachedTags(ctx context.Context, m *tags.Manager, objs []vcenter.Object) (map[types.ManagedObjectReference][]string, error) {
	refs := make([]mo.Reference, len(objs))
	for i, o := range objs {
		refs[i] = o.Ref
	}
	list, err := m.ListAttachedTagsOnObjects(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("read the tags on the objects: %w", vcenter.RESTCause(err))
	}
	out := map[types.ManagedObjectReference][]string{}
	for _, a := range list {
		out[a.ObjectID.Reference()] = a.TagIDs
	}
	return out, nil
}

func readBack(ctx context.Context, m *tags.Manager, ref types.ManagedObjectReference, tagID string, want bool) error {
	ids, err := m.ListAttachedTags(ctx, ref)
	if err != nil {
		return fmt.Errorf("read the object's tags back: %w", vcenter.RESTCause(err))
	}
	if slices.Contains(ids, tagID) != want {
		return errors.New("vCenter accepted the change but the object's tags read back unchanged; check with tag_object_list")
	}
	return nil
}

func refsOf(objs []mo.Reference) []types.ManagedObjectReference {
	out := make([]types.ManagedObjectReference, len(objs))
	for i, o := range objs {
		out[i] = o.Reference()
	}
	return out
}

// ---- tag_object_list ----

// ObjectArgs names one object of any kind.
type ObjectArgs struct {
	Object string `json:"object" jsonschema:"The object: a VM, host, cluster, datastore, folder, pool…, by name, inventory path or ID"`
}

func (a *ObjectArgs) Validate() error { return toolkit.RequireIdent("object", a.Object, "object") }

// ObjectTag is one tag on an object.
type ObjectTag struct {
	Tag         string `json:"tag" jsonschema:"category:tag, as the tools take it"`
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
}

// ObjectTags is tag_object_list's result.
type ObjectTags struct {
	Object string      `json:"object"`
	Type   string      `json:"type"`
	ID     string      `json:"id"`
	Path   string      `json:"path"`
	Tags   []ObjectTag `json:"tags"`
}

// Text renders the tags as category:tag lines.
func (o ObjectTags) Text() string {
	t := toolkit.NewTable("tag", "id")
	for _, it := range o.Tags {
		t.Row(toolkit.Name(it.Tag), it.ID)
	}
	return fmt.Sprintf("%s %s (%s): %d tags\n%s", o.Type, toolkit.Path(o.Path), o.ID, len(o.Tags), t.String())
}

func tagObjectList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "tag_object_list",
		Title:       "List the tags on an object",
		Description: "List the tags (category:tag) attached to one object of any kind: VM, host, cluster, datastore, folder, pool….",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a ObjectArgs) (ObjectTags, error) {
		var out ObjectTags
		err := params.WithTags(ctx, d.Session, func(c *vcenter.Conn, m *tags.Manager) error {
			o, err := c.ResolveAny(ctx, a.Object, nil)
			if err != nil {
				return err
			}
			list, err := m.GetAttachedTags(ctx, o.Ref)
			if err != nil {
				return fmt.Errorf("read the tags on %s: %w", toolkit.Path(o.Path), vcenter.RESTCause(err))
			}
			cats, err := m.GetCategories(ctx)
			if err != nil {
				return fmt.Errorf("list tag categories: %w", vcenter.RESTCause(err))
			}
			catName := map[string]string{}
			for _, c := range cats {
				catName[c.ID] = c.Name
			}
			out = ObjectTags{Object: o.Name, Type: o.Ref.Type, ID: o.ID(), Path: o.Path, Tags: []ObjectTag{}}
			for _, t := range list {
				out.Tags = append(out.Tags, ObjectTag{Tag: catName[t.CategoryID] + ":" + t.Name, ID: t.ID, Description: t.Description})
			}
			sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Tag < out.Tags[j].Tag })
			return nil
		})
		return out, err
	})
}
