package vcenter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Query selects the objects of one managed type below some containers.
//
// Paging design: the first page takes a snapshot of the matching object
// references (only references, or the few properties a filter needs), keeps
// it server-side behind an opaque cursor, and fetches the display properties
// of just the objects on the page. A page therefore never costs a scan of
// every object's display properties, following pages cost only their own
// objects, the order is stable while a client pages (inventory order, as
// vCenter's container view gives it), and an object deleted between pages is
// skipped and counted rather than shifting the pages. See README
// "Performance" for the measurements behind this choice.
type Query struct {
	// Type is the managed object type, e.g. "VirtualMachine".
	Type string
	// Roots are the containers to search (recursively); none means the
	// inventory root. Filters that map onto a container (datacenter,
	// cluster, host, folder) are applied here, by vCenter.
	Roots []types.ManagedObjectReference
	// Within are further containers every listed object must also be in
	// (cluster AND host, say); each costs one read of a view's members.
	Within []types.ManagedObjectReference
	// MatchProps are read for every candidate when Match is set; keep them
	// few, they are the cost of a filtered listing.
	MatchProps []string
	// Match keeps the objects a client-side filter selects.
	Match func(types.ObjectContent) bool
	// Key identifies the query's arguments; a cursor only continues the
	// query it came from.
	Key string
}

// Page is one page of a listing.
type Page struct {
	// Objects holds the requested properties of the page's objects, in
	// listing order.
	Objects []types.ObjectContent
	// Total is the number of matching objects in the snapshot.
	Total int
	// NextCursor continues the listing; empty on the last page.
	NextCursor string
	// Vanished counts objects of this page that were deleted since the
	// snapshot was taken.
	Vanished int
}

// List returns one page of the objects q selects, with props read for each.
func (s *Session) List(ctx context.Context, q Query, props []string, limit int, cursor string) (*Page, error) {
	if limit <= 0 {
		return nil, errors.New("limit must be at least 1")
	}
	var snap *snapshot
	offset := 0
	if cursor != "" {
		var err error
		snap, offset, err = s.cursors.get(cursor, q.Key)
		if err != nil {
			return nil, err
		}
	} else {
		var refs []types.ManagedObjectReference
		err := s.Do(ctx, func(c *Conn) error {
			var err error
			refs, err = c.Select(ctx, q)
			if err == nil && len(refs) == 0 && c.restricts(q.Type) {
				markScopeEmptied(ctx)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		snap = &snapshot{key: q.Key, refs: refs}
	}

	end := min(offset+limit, len(snap.refs))
	pageRefs := snap.refs[offset:end]
	page := &Page{Total: len(snap.refs)}
	err := s.Do(ctx, func(c *Conn) error {
		objs, vanished, err := c.RetrieveMany(ctx, pageRefs, props)
		page.Objects, page.Vanished = objs, vanished
		return err
	})
	if err != nil {
		return nil, err
	}
	if end < len(snap.refs) {
		page.NextCursor = s.cursors.put(snap, end)
	}
	return page, nil
}

// Select returns the references q selects, in inventory order.
func (c *Conn) Select(ctx context.Context, q Query) ([]types.ManagedObjectReference, error) {
	roots := q.Roots
	if len(roots) == 0 {
		roots = []types.ManagedObjectReference{c.Client.ServiceContent.RootFolder}
	}
	if c.restricts(q.Type) {
		gated, err := c.gated(ctx, q)
		if err != nil {
			return nil, err
		}
		q = gated
	}
	var out []types.ManagedObjectReference
	seen := make(map[types.ManagedObjectReference]struct{})
	for _, root := range roots {
		v, err := c.views.get(ctx, c.Client, root, q.Type)
		if err != nil {
			return nil, err
		}
		var refs []types.ManagedObjectReference
		if q.Match == nil {
			refs, err = c.viewMembers(ctx, v)
		} else {
			refs, err = c.matchInView(ctx, v, q)
		}
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				out = append(out, r)
			}
		}
	}
	for _, w := range q.Within {
		v, err := c.views.get(ctx, c.Client, w, q.Type)
		if err != nil {
			return nil, err
		}
		members, err := c.viewMembers(ctx, v)
		if err != nil {
			return nil, err
		}
		in := make(map[types.ManagedObjectReference]struct{}, len(members))
		for _, m := range members {
			in[m] = struct{}{}
		}
		out = slices.DeleteFunc(out, func(r types.ManagedObjectReference) bool {
			_, ok := in[r]
			return !ok
		})
	}
	return out, nil
}

// gated adds the gate to q's filter: every candidate is placed (from the
// few properties that takes) and kept only if the gate permits it.
func (c *Conn) gated(ctx context.Context, q Query) (Query, error) {
	pl, err := c.newPlacer(ctx)
	if err != nil {
		return q, err
	}
	props := slices.Clone(q.MatchProps)
	for _, p := range placementProps(q.Type) {
		if !slices.Contains(props, p) {
			props = append(props, p)
		}
	}
	match := q.Match
	gate := c.gate
	q.MatchProps = props
	q.Match = func(oc types.ObjectContent) bool {
		return gate.Permits(pl.place(oc)) && (match == nil || match(oc))
	}
	return q, nil
}

// viewMembers reads a container view's member list: references only, the
// cheapest way to know what a listing covers.
func (c *Conn) viewMembers(ctx context.Context, v types.ManagedObjectReference) ([]types.ManagedObjectReference, error) {
	var cv mo.ContainerView
	pc := property.DefaultCollector(c.Client)
	if err := pc.RetrieveOne(ctx, v, []string{"view"}, &cv); err != nil {
		return nil, fmt.Errorf("read container view: %w", err)
	}
	return cv.View, nil
}

func (c *Conn) matchInView(ctx context.Context, v types.ManagedObjectReference, q Query) ([]types.ManagedObjectReference, error) {
	req := types.RetrieveProperties{
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: []types.ObjectSpec{{
				Obj:       v,
				Skip:      types.NewBool(true),
				SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
			}},
			PropSet: []types.PropertySpec{{Type: q.Type, PathSet: q.MatchProps}},
		}},
	}
	pc := property.DefaultCollector(c.Client)
	res, err := pc.RetrieveProperties(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieve %s properties: %w", q.Type, err)
	}
	if err := missingFault(res.Returnval); err != nil {
		return nil, err
	}
	var refs []types.ManagedObjectReference
	for _, oc := range res.Returnval {
		if q.Match(oc) {
			refs = append(refs, oc.Obj)
		}
	}
	return refs, nil
}

// RetrieveMany reads props of refs, in the order of refs. Objects deleted
// meanwhile are dropped and counted instead of failing the whole read.
func (c *Conn) RetrieveMany(ctx context.Context, refs []types.ManagedObjectReference, props []string) ([]types.ObjectContent, int, error) {
	if len(refs) == 0 {
		return nil, 0, nil
	}
	refs = slices.Clone(refs)
	vanished := 0
	// vCenter fails the whole read with ManagedObjectNotFound naming one
	// missing object; drop it and ask again. Bounded by the page size.
	for len(refs) > 0 {
		objs, err := c.retrieve(ctx, refs, props)
		var nf *types.ManagedObjectNotFound
		if _, ok := fault.As(err, &nf); ok && err != nil {
			i := slices.Index(refs, nf.Obj)
			if i < 0 {
				return nil, vanished, err
			}
			refs = slices.Delete(refs, i, i+1)
			vanished++
			continue
		}
		if err != nil {
			return nil, vanished, err
		}
		return orderLike(objs, refs), vanished, nil
	}
	return nil, vanished, nil
}

func (c *Conn) retrieve(ctx context.Context, refs []types.ManagedObjectReference, props []string) ([]types.ObjectContent, error) {
	var spec types.PropertyFilterSpec
	kinds := make(map[string]bool)
	for _, r := range refs {
		spec.ObjectSet = append(spec.ObjectSet, types.ObjectSpec{Obj: r})
		if !kinds[r.Type] {
			kinds[r.Type] = true
			spec.PropSet = append(spec.PropSet, types.PropertySpec{Type: r.Type, PathSet: props})
		}
	}
	pc := property.DefaultCollector(c.Client)
	res, err := pc.RetrieveProperties(ctx, types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{spec}})
	if err != nil {
		return nil, err
	}
	if err := missingFault(res.Returnval); err != nil {
		return nil, err
	}
	return res.Returnval, nil
}

func orderLike(objs []types.ObjectContent, refs []types.ManagedObjectReference) []types.ObjectContent {
	pos := make(map[types.ManagedObjectReference]int, len(refs))
	for i, r := range refs {
		pos[r] = i
	}
	slices.SortFunc(objs, func(a, b types.ObjectContent) int { return pos[a.Obj] - pos[b.Obj] })
	return objs
}

// missingFault returns the first per-property fault that means the read as
// a whole did not happen (session lost, object gone); property reads report
// these in MissingSet rather than as a SOAP fault.
func missingFault(objs []types.ObjectContent) error {
	for _, oc := range objs {
		for _, m := range oc.MissingSet {
			switch m.Fault.Fault.(type) {
			case *types.NotAuthenticated, *types.ManagedObjectNotFound:
				return soap.WrapVimFault(m.Fault.Fault)
			}
		}
	}
	return nil
}

// viewCache keeps one container view per (root, type) for the life of a
// session: creating a view walks the inventory, reading one does not, and
// vCenter keeps views current as the inventory changes.
type viewCache struct {
	mu    sync.Mutex
	views map[viewKey]*cachedView
	tick  uint64 // use counter, for least-recently-used eviction
}

// maxViews bounds the views a session keeps on vCenter: a listing per
// datacenter or cluster makes one each, and each holds server memory.
const maxViews = 64

type cachedView struct {
	ref      types.ManagedObjectReference
	lastUsed uint64
}

type viewKey struct {
	root types.ManagedObjectReference
	kind string
}

func (vc *viewCache) get(ctx context.Context, c *vim25.Client, root types.ManagedObjectReference, kind string) (types.ManagedObjectReference, error) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	vc.tick++
	k := viewKey{root, kind}
	if v, ok := vc.views[k]; ok {
		v.lastUsed = vc.tick
		return v.ref, nil
	}
	// kind may list several types, comma-separated.
	v, err := view.NewManager(c).CreateContainerView(ctx, root, strings.Split(kind, ","), true)
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("create %s view of %s: %w", kind, root.Value, err)
	}
	if vc.views == nil {
		vc.views = make(map[viewKey]*cachedView)
	}
	if len(vc.views) >= maxViews {
		vc.evictLocked(ctx, c)
	}
	vc.views[k] = &cachedView{ref: v.Reference(), lastUsed: vc.tick}
	return v.Reference(), nil
}

// evictLocked destroys the least recently used view. A call still reading
// it gets ManagedObjectNotFound, which Session.Do answers by rebuilding the
// view (see lostView).
func (vc *viewCache) evictLocked(ctx context.Context, c *vim25.Client) {
	var oldest viewKey
	var found *cachedView
	for k, v := range vc.views {
		if found == nil || v.lastUsed < found.lastUsed {
			oldest, found = k, v
		}
	}
	if found == nil {
		return
	}
	delete(vc.views, oldest)
	_, _ = methods.DestroyView(ctx, c, &types.DestroyView{This: found.ref})
}

// forget drops ref from the cache; it reports whether ref was cached.
func (vc *viewCache) forget(ref types.ManagedObjectReference) bool {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	for k, v := range vc.views {
		if v.ref == ref {
			delete(vc.views, k)
			return true
		}
	}
	return false
}

func (vc *viewCache) destroyAll(ctx context.Context, c *vim25.Client) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	for k, v := range vc.views {
		_, _ = methods.DestroyView(ctx, c, &types.DestroyView{This: v.ref})
		delete(vc.views, k)
	}
}
