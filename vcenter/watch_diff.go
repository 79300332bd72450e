package vcenter

import (
	"reflect"

	"github.com/vmware/govmomi/vim25/types"
)

// What a Watcher knows of its targets, and how an update is measured
// against it (see watch.go).

// baseline records the state of a newly filtered target. After a
// re-login it reports whether that state differs from the one last seen.
func (w *Watcher) baseline(t WatchTarget, objs []types.ObjectContent, relogin bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.count[t]; !ok {
		return false
	}
	old, had := w.known[t]
	now := map[types.ManagedObjectReference]map[string]any{}
	for _, oc := range objs {
		props := map[string]any{}
		for _, p := range oc.PropSet {
			props[p.Name] = p.Val
		}
		now[oc.Obj] = props
	}
	w.known[t] = now
	if !had || !relogin {
		return false
	}
	return !reflect.DeepEqual(old, now)
}

// aboutOf is what a change of t found while (re)building its filter is
// about: the object, when t is one that is gone; else not known.
func aboutOf(t WatchTarget, gone map[WatchTarget]bool) []types.ManagedObjectReference {
	if gone[t] {
		return []types.ManagedObjectReference{{Type: t.Kind, Value: t.ID}}
	}
	return nil
}

// apply folds an update of t into what is known and reports whether a
// watched value changed, and what the change is about.
func (w *Watcher) apply(t WatchTarget, updates []types.ObjectUpdate) (bool, []types.ManagedObjectReference) {
	w.mu.Lock()
	defer w.mu.Unlock()
	known, ok := w.known[t]
	if !ok {
		return false, nil
	}
	about := []types.ManagedObjectReference{}
	if t != WatchAlarms && t != WatchTasks {
		about = append(about, types.ManagedObjectReference{Type: t.Kind, Value: t.ID})
	}
	changed := false
	for _, ou := range updates {
		taskChanged := false
		props, seen := known[ou.Obj]
		switch ou.Kind {
		case types.ObjectUpdateKindLeave:
			if seen {
				delete(known, ou.Obj)
				// A task dropping out of the recent list is no news; a
				// watched object deleted is.
				changed = changed || ou.Obj.Type != "Task"
			}
			continue
		case types.ObjectUpdateKindEnter:
			if !seen {
				changed, taskChanged = true, ou.Obj.Type == "Task" // a new task
			}
		}
		if !seen {
			props = map[string]any{}
			known[ou.Obj] = props
		}
		for _, ch := range ou.ChangeSet {
			var v any
			if ch.Op != types.PropertyChangeOpRemove {
				v = ch.Val
			}
			if old, had := props[ch.Name]; !had || !reflect.DeepEqual(old, v) {
				if had || v != nil {
					changed = true
					switch {
					case ch.Name == "triggeredAlarmState":
						about = append(about, alarmEntities(old, v)...)
					case ou.Obj.Type == "Task":
						taskChanged = true
					}
				}
				props[ch.Name] = v
			}
		}
		if taskChanged {
			if e, ok := props["info.entity"].(types.ManagedObjectReference); ok {
				about = append(about, e)
			}
		}
	}
	return changed, UniqueRefs(about)
}

// alarmEntities are the entities whose triggered alarms differ between
// two values of triggeredAlarmState.
func alarmEntities(old, now any) []types.ManagedObjectReference {
	states := func(v any) []types.AlarmState {
		switch x := v.(type) {
		case types.ArrayOfAlarmState:
			return x.AlarmState
		case []types.AlarmState:
			return x
		}
		return nil
	}
	type key struct {
		k      string
		status types.ManagedEntityStatus
		ack    bool
	}
	count := map[key]int{}
	entity := map[key]types.ManagedObjectReference{}
	for i, set := range [][]types.AlarmState{states(old), states(now)} {
		for _, st := range set {
			k := key{st.Key, st.OverallStatus, st.Acknowledged != nil && *st.Acknowledged}
			entity[k] = st.Entity
			if i == 0 {
				count[k]++
			} else {
				count[k]--
			}
		}
	}
	var out []types.ManagedObjectReference
	for k, n := range count {
		if n != 0 {
			out = append(out, entity[k])
		}
	}
	return out
}
