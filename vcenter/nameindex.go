package vcenter

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// The name index answers "which objects are called X" without a scan of
// the inventory (a scan costs 200-300 ms at 10,000 VMs). One index per
// connection, filled in the background after login from a container view
// over the root folder and kept current by one WaitForUpdatesEx loop on
// the objects' names, in a property collector of its own.
//
// Consistency rules:
//   - Until the first complete fill, and once the loop has failed (the
//     session was lost), lookups fall back to the scan. A new connection
//     after re-login builds a new index.
//   - A change this server made is visible to the next lookup: every write
//     the session sends bumps a generation counter (the write gate), and a
//     lookup that finds the index behind the counter first asks the loop to
//     collect what vCenter has pending (CancelWaitForUpdates, then a wait of
//     zero seconds) and waits for it, up to syncTimeout, else scans.
//   - Changes made by others (another client, the vSphere client) show
//     when vCenter reports them: usually well under a second.
//   - The index holds every object with a name, so ambiguity detection
//     stays exact; scope is applied after the lookup, as for the scan.
//   - Conn.Names answers from the index under the same rules (the names
//     of a VM's host, pool and datastores in vm_get, say), and reads from
//     vCenter when the index is not ready or lacks one of the objects.

// indexedKinds are the managed object types the index holds: those the
// tools resolve by name.
var indexedKinds = []string{
	"VirtualMachine", "HostSystem", "ClusterComputeResource", "ComputeResource", "Datacenter",
	"Datastore", "StoragePod", "Network", "DistributedVirtualPortgroup", "OpaqueNetwork",
	"VmwareDistributedVirtualSwitch", "Folder", "ResourcePool", "VirtualApp",
}

const (
	// indexWait bounds one long poll. vCenter ends a poll when its session
	// ends, but the simulator waits it out, and its server's Close waits
	// for the poll: short enough not to hold up a test that killed the
	// session, long enough to cost nothing (one tiny request per period).
	indexWait = 10 * time.Second
	// indexPage is how many objects one update carries while filling.
	indexPage = 2000
	// syncTimeout is how long a lookup waits for the index to catch up
	// with this server's own writes before it scans instead.
	syncTimeout = 3 * time.Second
)

// writeCounter counts the writes a connection sent; the write gate bumps
// it, the index compares.
type writeCounter = atomic.Uint64

type nameIndex struct {
	wait   int32 // seconds of one long poll
	client *vim25.Client
	log    *slog.Logger
	writes *writeCounter

	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	ready  bool
	failed bool
	byName map[string][]types.ManagedObjectReference
	names  map[types.ManagedObjectReference]string
	// synced is the write count the index has caught up with.
	synced uint64
	// waiters are lookups waiting for the next catch-up round.
	waiters  []chan struct{}
	syncWant bool
	pc       types.ManagedObjectReference
}

// startNameIndex fills an index for client in the background.
func startNameIndex(client *vim25.Client, writes *writeCounter, log *slog.Logger, wait time.Duration) *nameIndex {
	ctx, cancel := context.WithCancel(context.Background())
	if wait <= 0 {
		wait = indexWait
	}
	ix := &nameIndex{wait: int32(max(1, wait/time.Second)), client: client, log: log, writes: writes, cancel: cancel, done: make(chan struct{}),
		byName: map[string][]types.ManagedObjectReference{}, names: map[types.ManagedObjectReference]string{}}
	go ix.run(ctx)
	return ix
}

// stop ends the loop and waits for it (briefly: its long poll is cut by
// the cancelled context).
func (ix *nameIndex) stop() {
	if ix == nil {
		return
	}
	ix.cancel()
	select {
	case <-ix.done:
	case <-time.After(5 * time.Second):
	}
}

func (ix *nameIndex) run(ctx context.Context) {
	defer close(ix.done)
	err := ix.loop(ctx)
	ix.mu.Lock()
	ix.failed, ix.ready = true, false
	for _, w := range ix.waiters {
		close(w)
	}
	ix.waiters = nil
	ix.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		ix.log.Debug("name index stopped; name lookups scan the inventory", "error", err)
	}
}

func (ix *nameIndex) loop(ctx context.Context) error {
	c := ix.client
	pcRes, err := methods.CreatePropertyCollector(ctx, c, &types.CreatePropertyCollector{This: c.ServiceContent.PropertyCollector})
	if err != nil {
		return err
	}
	pc := pcRes.Returnval
	ix.mu.Lock()
	ix.pc = pc
	ix.mu.Unlock()
	cleanup := func(f func(context.Context)) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f(cctx)
	}
	defer cleanup(func(cctx context.Context) {
		_, _ = methods.DestroyPropertyCollector(cctx, c, &types.DestroyPropertyCollector{This: pc})
	})
	vRes, err := methods.CreateContainerView(ctx, c, &types.CreateContainerView{
		This: *c.ServiceContent.ViewManager, Container: c.ServiceContent.RootFolder, Type: indexedKinds, Recursive: true})
	if err != nil {
		return err
	}
	view := vRes.Returnval
	defer cleanup(func(cctx context.Context) { _, _ = methods.DestroyView(cctx, c, &types.DestroyView{This: view}) })

	// Two kinds of filter, neither a traversal: one watches which objects
	// the view holds; filters on the objects themselves, made as objects
	// appear, watch their names. The simulator deadlocks a filter that
	// traverses a view against objects being created into it, and spends
	// minutes on a traversal of a large inventory from the root folder.
	membership := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: view}},
		PropSet:   []types.PropertySpec{{Type: "ContainerView", PathSet: []string{"view"}}},
	}
	if _, err := methods.CreateFilter(ctx, c, &types.CreateFilter{This: pc, Spec: membership}); err != nil {
		return err
	}

	known := map[types.ManagedObjectReference]bool{}
	version := ""
	for {
		ix.mu.Lock()
		// The writes counted when this round starts: whatever this round
		// or the one after returns includes their changes.
		target := ix.writes.Load()
		wait := ix.wait
		if ix.syncWant || !ix.ready {
			wait = 0
		}
		ix.syncWant = false
		ix.mu.Unlock()

		res, err := methods.WaitForUpdatesEx(ctx, c, &types.WaitForUpdatesEx{This: pc, Version: version,
			Options: &types.WaitOptions{MaxWaitSeconds: &wait, MaxObjectUpdates: indexPage}})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if fault.Is(err, &types.RequestCanceled{}) {
				continue // a lookup asked for a catch-up
			}
			return err
		}
		set := res.Returnval
		truncated := false
		var added []types.ManagedObjectReference
		if set != nil {
			version = set.Version
			truncated = set.Truncated != nil && *set.Truncated
			added = ix.apply(set, view, known)
		}
		for len(added) > 0 {
			n := min(len(added), indexFilterBatch)
			if err := ix.watchNames(ctx, pc, added[:n]); err != nil {
				return err
			}
			added = added[n:]
		}
		if truncated || version == "" {
			continue // more pages of this round: they come at once
		}
		ix.mu.Lock()
		if len(known) > 0 && len(ix.names) >= len(known) {
			ix.ready = true // every object the view holds has its name
		}
		if wait == 0 && ix.ready {
			// A round that asked for everything pending has it: the
			// writes counted when it started are in the index.
			ix.synced = max(ix.synced, target)
			for _, w := range ix.waiters {
				close(w)
			}
			ix.waiters = nil
		}
		ix.mu.Unlock()
	}
}

// indexFilterBatch is how many objects one name filter names.
const indexFilterBatch = 1000

// watchNames adds a filter on the names of refs, for their changes, and
// reads their names now: vCenter reports a new filter's objects in the
// next round, the simulator only once something changes.
func (ix *nameIndex) watchNames(ctx context.Context, pc types.ManagedObjectReference, refs []types.ManagedObjectReference) error {
	spec := types.PropertyFilterSpec{}
	kinds := map[string]bool{}
	for _, r := range refs {
		spec.ObjectSet = append(spec.ObjectSet, types.ObjectSpec{Obj: r})
		if !kinds[r.Type] {
			kinds[r.Type] = true
			spec.PropSet = append(spec.PropSet, types.PropertySpec{Type: r.Type, PathSet: []string{"name"}})
		}
	}
	if _, err := methods.CreateFilter(ctx, ix.client, &types.CreateFilter{This: pc, Spec: spec}); err != nil {
		return err
	}
	res, err := methods.RetrieveProperties(ctx, ix.client, &types.RetrieveProperties{This: ix.client.ServiceContent.PropertyCollector, SpecSet: []types.PropertyFilterSpec{spec}})
	if err != nil {
		if fault.Is(err, &types.ManagedObjectNotFound{}) {
			return nil // one went meanwhile; the rest come with the filter's next round
		}
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, oc := range res.Returnval {
		for _, p := range oc.PropSet {
			if n, ok := p.Val.(string); ok && p.Name == "name" {
				ix.remove(oc.Obj)
				ix.names[oc.Obj] = n
				ix.byName[n] = append(ix.byName[n], oc.Obj)
			}
		}
	}
	return nil
}

// apply records what an update set carries: the view's membership
// (returning the objects new to it, whose names are not watched yet) and
// objects' names.
func (ix *nameIndex) apply(set *types.UpdateSet, view types.ManagedObjectReference, known map[types.ManagedObjectReference]bool) []types.ManagedObjectReference {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var added []types.ManagedObjectReference
	for _, fs := range set.FilterSet {
		for _, ou := range fs.ObjectSet {
			ref := ou.Obj
			if ref == view {
				for _, ch := range ou.ChangeSet {
					if ch.Name == "view" {
						added = append(added, ix.membership(ch.Val, known)...)
					}
				}
				continue
			}
			if ou.Kind == types.ObjectUpdateKindLeave {
				ix.remove(ref)
				continue
			}
			for _, ch := range ou.ChangeSet {
				if ch.Name != "name" {
					continue
				}
				ix.remove(ref)
				if n, ok := ch.Val.(string); ok && ch.Op != types.PropertyChangeOpRemove && known[ref] {
					ix.names[ref] = n
					ix.byName[n] = append(ix.byName[n], ref)
				}
			}
		}
	}
	return added
}

// membership applies the view's new member list: objects gone leave the
// index; new ones are returned to be watched.
func (ix *nameIndex) membership(val any, known map[types.ManagedObjectReference]bool) []types.ManagedObjectReference {
	var refs []types.ManagedObjectReference
	switch a := val.(type) {
	case types.ArrayOfManagedObjectReference:
		refs = a.ManagedObjectReference
	case []types.ManagedObjectReference:
		refs = a
	}
	var added []types.ManagedObjectReference
	now := make(map[types.ManagedObjectReference]bool, len(refs))
	for _, r := range refs {
		now[r] = true
		if !known[r] {
			known[r] = true
			added = append(added, r)
		}
	}
	for r := range known {
		if !now[r] {
			delete(known, r)
			ix.remove(r)
		}
	}
	return added
}

func (ix *nameIndex) remove(ref types.ManagedObjectReference) {
	old, ok := ix.names[ref]
	if !ok {
		return
	}
	delete(ix.names, ref)
	refs := slices.DeleteFunc(ix.byName[old], func(r types.ManagedObjectReference) bool { return r == ref })
	if len(refs) == 0 {
		delete(ix.byName, old)
	} else {
		ix.byName[old] = refs
	}
}

// errIndexUnavailable: the caller scans instead.
var errIndexUnavailable = errors.New("name index unavailable")

// lookup returns the objects of kind called name, and up to five names
// of kind that differ only in case, once the index is current with this
// connection's writes. errIndexUnavailable means: scan.
func (ix *nameIndex) lookup(ctx context.Context, kind, name string) ([]types.ManagedObjectReference, []string, error) {
	if ix == nil || !indexes(kind) {
		return nil, nil, errIndexUnavailable
	}
	if err := ix.catchUp(ctx); err != nil {
		return nil, nil, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.ready {
		return nil, nil, errIndexUnavailable
	}
	var matches []types.ManagedObjectReference
	for _, ref := range ix.byName[name] {
		if kindMatches(kind, ref.Type) {
			matches = append(matches, ref)
		}
	}
	var similar []string
	if len(matches) == 0 {
		// Rare (a typo), so a walk of the names is affordable here.
		for n, refs := range ix.byName {
			if len(similar) >= 5 {
				break
			}
			if n != name && strings.EqualFold(n, name) && slices.ContainsFunc(refs, func(r types.ManagedObjectReference) bool { return kindMatches(kind, r.Type) }) {
				similar = append(similar, n)
			}
		}
		slices.Sort(similar)
	}
	return matches, similar, nil
}

// namesOf returns the names of refs from the index, once it is current
// with this connection's writes; ok is false (read them instead) when the
// index is unavailable or lacks one of refs.
func (ix *nameIndex) namesOf(ctx context.Context, refs []types.ManagedObjectReference) (map[types.ManagedObjectReference]string, bool) {
	if ix == nil || ix.catchUp(ctx) != nil {
		return nil, false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.ready {
		return nil, false
	}
	out := make(map[types.ManagedObjectReference]string, len(refs))
	for _, r := range refs {
		n, ok := ix.names[r]
		if !ok {
			return nil, false
		}
		out[r] = n
	}
	return out, true
}

// catchUp waits until the index has collected every change this
// connection made so far.
func (ix *nameIndex) catchUp(ctx context.Context) error {
	want := ix.writes.Load()
	ix.mu.Lock()
	if ix.failed || !ix.ready {
		ix.mu.Unlock()
		return errIndexUnavailable
	}
	if ix.synced >= want {
		ix.mu.Unlock()
		return nil
	}
	deadline := time.NewTimer(syncTimeout)
	defer deadline.Stop()
	for {
		w := make(chan struct{})
		ix.waiters = append(ix.waiters, w)
		ix.syncWant = true
		pc := ix.pc
		ix.mu.Unlock()
		// Cut the loop's long poll short; if the loop is between polls,
		// its next one is a zero-second one anyway (syncWant).
		_, _ = methods.CancelWaitForUpdates(ctx, ix.client, &types.CancelWaitForUpdates{This: pc})
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return errIndexUnavailable
		}
		ix.mu.Lock()
		if ix.failed || !ix.ready {
			ix.mu.Unlock()
			return errIndexUnavailable
		}
		if ix.synced >= want {
			ix.mu.Unlock()
			return nil
		}
	}
}

// size is how many objects the index holds (for tests and the benchmark).
func (ix *nameIndex) size() (objects int, ready bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.names), ix.ready
}

// indexes reports whether the index holds every type of kind.
func indexes(kind string) bool {
	for _, k := range concreteKinds(kind) {
		if !slices.Contains(indexedKinds, k) {
			return false
		}
	}
	return true
}
