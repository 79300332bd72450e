package vcenter

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/types"
)

// Named is an object known by its name: a completion candidate.
type Named struct {
	Ref  types.ManagedObjectReference
	Name string
}

// maxCompleteCandidates bounds how many matches are passed through the
// scope before the first limit visible ones are returned: a prefix that
// matches thousands of objects outside the scope costs one bounded read.
const maxCompleteCandidates = 500

// NamesWithPrefix returns up to limit objects of kind whose name starts
// with prefix (case-insensitively) or whose managed object ID does,
// sorted by name, the caller's scope applied: for completions. It answers
// from the name index, or, until the index is ready (or after it failed),
// from a scan of the names. more reports that further matches exist.
func (c *Conn) NamesWithPrefix(ctx context.Context, kind, prefix string, limit int) (out []Named, more bool, err error) {
	if limit <= 0 {
		return nil, false, nil
	}
	cands, ok := c.index.withPrefix(kind, prefix)
	if !ok {
		if cands, err = c.scanPrefix(ctx, kind, prefix); err != nil {
			return nil, false, err
		}
	}
	slices.SortFunc(cands, func(a, b Named) int {
		if d := strings.Compare(a.Name, b.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Ref.Value, b.Ref.Value)
	})
	truncated := len(cands) > maxCompleteCandidates
	cands = cands[:min(len(cands), maxCompleteCandidates)]
	refs := make([]types.ManagedObjectReference, len(cands))
	for i, n := range cands {
		refs[i] = n.Ref
	}
	vis, err := c.VisibleSet(ctx, refs)
	if err != nil {
		return nil, false, err
	}
	for _, n := range cands {
		if !vis[n.Ref] {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, n)
	}
	return out, truncated, nil
}

func prefixMatch(name, id, prefix string) bool {
	return strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) || strings.HasPrefix(id, prefix)
}

// withPrefix is the index's answer to NamesWithPrefix before the scope;
// false: not ready, scan.
func (ix *nameIndex) withPrefix(kind, prefix string) ([]Named, bool) {
	if ix == nil || !indexes(kind) {
		return nil, false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.ready || ix.failed {
		return nil, false
	}
	var out []Named
	for ref, n := range ix.names {
		if kindMatches(kind, ref.Type) && prefixMatch(n, ref.Value, prefix) {
			out = append(out, Named{Ref: ref, Name: n})
		}
	}
	return out, true
}

// scanPrefix reads every name of kind: the fallback without an index.
func (c *Conn) scanPrefix(ctx context.Context, kind, prefix string) ([]Named, error) {
	v, err := c.views.get(ctx, c.Client, c.Client.ServiceContent.RootFolder, kind)
	if err != nil {
		return nil, err
	}
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{{Obj: v, Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}}}},
		PropSet: []types.PropertySpec{{Type: kind, PathSet: []string{"name"}}},
	}}}
	res, err := property.DefaultCollector(c.Client).RetrieveProperties(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list %s names: %w", kindLabel(kind), err)
	}
	if err := missingFault(res.Returnval); err != nil {
		return nil, err
	}
	var out []Named
	for _, oc := range res.Returnval {
		n, _ := PropVal(oc, "name").(string)
		if prefixMatch(n, oc.Obj.Value, prefix) {
			out = append(out, Named{Ref: oc.Obj, Name: n})
		}
	}
	return out, nil
}

// IsManagedObjectID reports whether s has the shape of a managed object ID
// (vm-42, domain-c7, ha-host, a bare number on ESXi): what Resolve tries as
// an ID before it tries a name.
func IsManagedObjectID(s string) bool { return len(s) <= 80 && morefPattern.MatchString(s) }
