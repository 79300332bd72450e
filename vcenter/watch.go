package vcenter

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// A Watcher tells its owner when vCenter changes one of the objects it
// watches: the power state or host of a VM, the state of a host, the
// triggered alarms of the inventory, the recent tasks. One WaitForUpdatesEx
// loop on a property collector of its own, with one property filter per
// watched target (ObjectSpecs on the objects themselves, never a
// container view: the simulator deadlocks a view-rooted filter while
// objects are created into the view), runs while anything is watched.
//
// A change is reported when a watched property's value differs from the
// last one seen: the state read when the target was added is the
// baseline, so the initial contents of a new filter report nothing, and
// after a re-login (a new session, a new collector, new filters) whatever
// changed in between is reported once.

// WatchTarget is something a Watcher can watch: an object (Kind is its
// managed object type, ID its managed object ID) or one of the special
// targets WatchAlarms and WatchTasks.
type WatchTarget struct {
	Kind string
	ID   string
}

var (
	// WatchAlarms watches the triggered alarms of the whole inventory (the
	// root folder's triggeredAlarmState, where vCenter propagates them).
	WatchAlarms = WatchTarget{Kind: "alarms"}
	// WatchTasks watches the recent tasks: started, and their state.
	WatchTasks = WatchTarget{Kind: "tasks"}
)

// watchedProps are the properties whose changes a target reports.
var watchedProps = map[string][]string{
	"VirtualMachine":         {"name", "runtime.powerState", "runtime.host", "runtime.connectionState", "config.hardware.numCPU", "config.hardware.memoryMB"},
	"HostSystem":             {"name", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode", "overallStatus"},
	"ClusterComputeResource": {"name", "host", "overallStatus"},
	"Datastore":              {"name", "summary.accessible", "summary.freeSpace", "summary.capacity", "overallStatus"},
}

// Watchable reports whether t can be watched.
func Watchable(t WatchTarget) bool {
	if t == WatchAlarms || t == WatchTasks {
		return true
	}
	_, ok := watchedProps[t.Kind]
	return ok && t.ID != ""
}

// ErrWatchUnavailable: the watcher could not apply a change in time (the
// vCenter session is down, or the server is shutting down).
var ErrWatchUnavailable = errors.New("cannot watch vCenter for changes right now")

// Watcher watches targets on a Session; see NewWatcher.
type Watcher struct {
	s      *Session
	notify func(WatchTarget, []types.ManagedObjectReference)
	log    *slog.Logger
	wait   int32

	mu      sync.Mutex
	count   map[WatchTarget]int
	gen     uint64 // bumped by every change of count
	applied uint64 // the gen the loop has applied
	running bool
	closed  bool
	// pc and client of the loop's current session, to cut its long poll.
	pc        types.ManagedObjectReference
	client    *vim25.Client
	appliedCh chan struct{} // closed and replaced when applied moves
	stopped   chan struct{} // closed when the loop ends
	cancel    context.CancelFunc
	// known is the last value seen of each watched property, per target
	// and object: what a change is measured against.
	known map[WatchTarget]map[types.ManagedObjectReference]map[string]any
}

// NewWatcher returns a watcher on s that calls notify (from its loop's
// goroutine, so it must not block for long) when a watched target
// changes, with the inventory objects the change is about: the object
// itself, the entities whose triggered alarms changed, the entities of
// the tasks that started or changed state — so the owner can keep news of
// objects outside a scope from a scoped caller. about is nil when that is
// not known (changes found after a re-login). Close it when done.
func (s *Session) NewWatcher(notify func(t WatchTarget, about []types.ManagedObjectReference)) *Watcher {
	wait := s.indexWait
	if wait <= 0 {
		wait = indexWait
	}
	return &Watcher{s: s, notify: notify, log: s.log, wait: int32(max(1, wait/time.Second)),
		count: map[WatchTarget]int{}, appliedCh: make(chan struct{}),
		known: map[WatchTarget]map[types.ManagedObjectReference]map[string]any{}}
}

// applyTimeout bounds how long Add and Remove wait for the loop.
const applyTimeout = 10 * time.Second

// Add watches t (counted: each Add needs its Remove). It returns once the
// loop watches t, so a change made after Add returns is reported.
func (w *Watcher) Add(ctx context.Context, t WatchTarget) error {
	if !Watchable(t) {
		return errors.New("not a watchable target")
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrWatchUnavailable
	}
	w.count[t]++
	if w.count[t] > 1 {
		w.mu.Unlock()
		return nil
	}
	err := w.changedLocked(ctx)
	if err != nil {
		// Not watched after all: take it back (the loop may still add
		// it; the next change of the set removes it again).
		w.mu.Lock()
		if w.count[t]--; w.count[t] <= 0 {
			delete(w.count, t)
			delete(w.known, t)
		}
		w.gen++
		w.mu.Unlock()
	}
	return err
}

// Remove undoes one Add of t; the last one removes its filter.
func (w *Watcher) Remove(ctx context.Context, t WatchTarget) {
	w.mu.Lock()
	if w.count[t] == 0 {
		w.mu.Unlock()
		return
	}
	if w.count[t]--; w.count[t] > 0 {
		w.mu.Unlock()
		return
	}
	delete(w.count, t)
	delete(w.known, t)
	_ = w.changedLocked(ctx)
}

// Watching reports how many targets are watched (each has a filter while
// the loop runs), for tests and diagnostics.
func (w *Watcher) Watching() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.count)
}

// Close stops the loop and forgets every target.
func (w *Watcher) Close() {
	w.mu.Lock()
	w.closed = true
	w.count = map[WatchTarget]int{}
	cancel, stopped := w.cancel, w.stopped
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
		}
	}
}

// changedLocked records a change of the watched set (w.mu held; it is
// released), starts the loop when needed, and waits until the loop has
// applied the change, cutting its long poll short meanwhile.
func (w *Watcher) changedLocked(ctx context.Context) error {
	w.gen++
	want := w.gen
	if !w.running {
		w.running = true
		lctx, cancel := context.WithCancel(w.s.base)
		w.cancel, w.stopped = cancel, make(chan struct{})
		go w.run(lctx, w.stopped)
	}
	deadline := time.NewTimer(applyTimeout)
	defer deadline.Stop()
	poke := time.NewTicker(100 * time.Millisecond)
	defer poke.Stop()
	for w.applied < want && w.running {
		ch, pc, client := w.appliedCh, w.pc, w.client
		w.mu.Unlock()
		if client != nil {
			_, _ = methods.CancelWaitForUpdates(ctx, client, &types.CancelWaitForUpdates{This: pc})
		}
		select {
		case <-ch:
		case <-poke.C: // the cancel may have come before the poll
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return ErrWatchUnavailable
		}
		w.mu.Lock()
	}
	ok := w.applied >= want || len(w.count) == 0
	w.mu.Unlock()
	if !ok {
		return ErrWatchUnavailable
	}
	return nil
}

var errWatchIdle = errors.New("nothing to watch")

func (w *Watcher) run(ctx context.Context, stopped chan struct{}) {
	defer close(stopped)
	backoff := time.Second
	relogin := false
	for {
		err := w.s.Do(ctx, func(c *Conn) error {
			err := w.session(ctx, c, relogin)
			relogin = true
			return err
		})
		if errors.Is(err, errWatchIdle) {
			return
		}
		if ctx.Err() != nil || errors.Is(err, errClosed) {
			w.mu.Lock()
			w.running = false
			close(w.appliedCh)
			w.appliedCh = make(chan struct{})
			w.mu.Unlock()
			return
		}
		w.log.Debug("vCenter watch interrupted; retrying", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// session runs the loop on one connection until the set is empty (idle),
// the context ends or vCenter fails.
func (w *Watcher) session(ctx context.Context, c *Conn, relogin bool) error {
	pcRes, err := methods.CreatePropertyCollector(ctx, c.Client, &types.CreatePropertyCollector{This: c.Client.ServiceContent.PropertyCollector})
	if err != nil {
		return err
	}
	pc := pcRes.Returnval
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = methods.DestroyPropertyCollector(dctx, c.Client, &types.DestroyPropertyCollector{This: pc})
	}()
	w.mu.Lock()
	w.pc, w.client = pc, c.Client
	w.mu.Unlock()

	filters := map[WatchTarget]types.ManagedObjectReference{}
	byFilter := map[types.ManagedObjectReference]WatchTarget{}
	gone := map[WatchTarget]bool{} // objects vCenter no longer has
	version := ""
	for {
		w.mu.Lock()
		gen := w.gen
		want := make(map[WatchTarget]bool, len(w.count))
		for t := range w.count {
			want[t] = true
		}
		w.mu.Unlock()

		for t, f := range filters {
			if !want[t] {
				if _, err := methods.DestroyPropertyFilter(ctx, c.Client, &types.DestroyPropertyFilter{This: f}); err != nil {
					return err
				}
				delete(filters, t)
				delete(byFilter, f)
			}
		}
		var changed []WatchTarget
		for t := range want {
			if _, ok := filters[t]; ok {
				continue
			}
			if gone[t] {
				continue
			}
			spec := watchSpec(c, t)
			res, err := methods.CreateFilter(ctx, c.Client, &types.CreateFilter{This: pc, Spec: spec})
			if fault.Is(err, &types.ManagedObjectNotFound{}) {
				// Deleted: that is the news; the others go on.
				gone[t] = true
				changed = append(changed, t)
				continue
			}
			if err != nil {
				return err
			}
			filters[t], byFilter[res.Returnval] = res.Returnval, t
			// The baseline: what the filter's first update will also say.
			objs, err := retrieveAll(ctx, c, pc, spec)
			if fault.Is(err, &types.ManagedObjectNotFound{}) {
				if err := w.drop(ctx, c, t, filters, byFilter); err != nil {
					return err
				}
				gone[t] = true
				changed = append(changed, t)
				continue
			}
			if err != nil {
				return err
			}
			if w.baseline(t, objs, relogin) {
				changed = append(changed, t)
			}
		}
		w.mu.Lock()
		stale := w.gen != gen
		if !stale {
			w.applied = gen
			close(w.appliedCh)
			w.appliedCh = make(chan struct{})
			if len(w.count) == 0 {
				w.running = false
				w.pc, w.client = types.ManagedObjectReference{}, nil
				w.mu.Unlock()
				return errWatchIdle
			}
		}
		w.mu.Unlock()
		for _, t := range changed {
			w.notify(t, aboutOf(t, gone))
		}
		if stale || len(filters) == 0 {
			continue // the set changed meanwhile: apply that first
		}

		wait := w.wait
		res, err := methods.WaitForUpdatesEx(ctx, c.Client, &types.WaitForUpdatesEx{This: pc, Version: version,
			Options: &types.WaitOptions{MaxWaitSeconds: &wait}})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if fault.Is(err, &types.RequestCanceled{}) {
				continue // the watched set changed
			}
			if t, ok := missing(err, filters); ok {
				// The simulator fails the whole wait for a filter whose
				// object was deleted (vCenter reports it leaving): drop
				// that one, report it, go on with the others.
				if err := w.drop(ctx, c, t, filters, byFilter); err != nil {
					return err
				}
				gone[t] = true
				w.notify(t, aboutOf(t, gone))
				continue
			}
			return err
		}
		set := res.Returnval
		if set == nil {
			continue
		}
		version = set.Version
		seen := map[WatchTarget]bool{}
		for _, fu := range set.FilterSet {
			t, ok := byFilter[fu.Filter]
			if !ok || seen[t] {
				continue
			}
			if changed, about := w.apply(t, fu.ObjectSet); changed {
				seen[t] = true
				w.notify(t, about)
			}
		}
	}
}

// drop destroys t's filter.
func (w *Watcher) drop(ctx context.Context, c *Conn, t WatchTarget, filters map[WatchTarget]types.ManagedObjectReference, byFilter map[types.ManagedObjectReference]WatchTarget) error {
	f, ok := filters[t]
	if !ok {
		return nil
	}
	delete(filters, t)
	delete(byFilter, f)
	_, err := methods.DestroyPropertyFilter(ctx, c.Client, &types.DestroyPropertyFilter{This: f})
	return err
}

// missing is the watched object a ManagedObjectNotFound fault names.
func missing(err error, filters map[WatchTarget]types.ManagedObjectReference) (WatchTarget, bool) {
	var nf *types.ManagedObjectNotFound
	if _, ok := fault.As(err, &nf); !ok || nf == nil {
		return WatchTarget{}, false
	}
	t := WatchTarget{Kind: nf.Obj.Type, ID: nf.Obj.Value}
	_, ok := filters[t]
	return t, ok
}

// retrieveAll reads what spec selects, every page.
func retrieveAll(ctx context.Context, c *Conn, pc types.ManagedObjectReference, spec types.PropertyFilterSpec) ([]types.ObjectContent, error) {
	res, err := methods.RetrievePropertiesEx(ctx, c.Client, &types.RetrievePropertiesEx{This: pc, SpecSet: []types.PropertyFilterSpec{spec}})
	if err != nil || res.Returnval == nil {
		return nil, err
	}
	objs, token := res.Returnval.Objects, res.Returnval.Token
	for token != "" {
		more, err := methods.ContinueRetrievePropertiesEx(ctx, c.Client, &types.ContinueRetrievePropertiesEx{This: pc, Token: token})
		if err != nil {
			return nil, err
		}
		objs, token = append(objs, more.Returnval.Objects...), more.Returnval.Token
	}
	return objs, nil
}

// watchSpec is the filter of one target.
func watchSpec(c *Conn, t WatchTarget) types.PropertyFilterSpec {
	switch t {
	case WatchAlarms:
		return types.PropertyFilterSpec{
			ObjectSet: []types.ObjectSpec{{Obj: c.Client.ServiceContent.RootFolder}},
			PropSet:   []types.PropertySpec{{Type: "Folder", PathSet: []string{"triggeredAlarmState"}}},
		}
	case WatchTasks:
		tm := *c.Client.ServiceContent.TaskManager
		return types.PropertyFilterSpec{
			ObjectSet: []types.ObjectSpec{{Obj: tm, SelectSet: []types.BaseSelectionSpec{
				&types.TraversalSpec{Type: "TaskManager", Path: "recentTask"}}}},
			PropSet: []types.PropertySpec{
				{Type: "TaskManager", PathSet: []string{"recentTask"}},
				{Type: "Task", PathSet: []string{"info.state", "info.entity"}},
			},
		}
	}
	return types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: types.ManagedObjectReference{Type: t.Kind, Value: t.ID}}},
		PropSet:   []types.PropertySpec{{Type: t.Kind, PathSet: watchedProps[t.Kind]}},
	}
}
