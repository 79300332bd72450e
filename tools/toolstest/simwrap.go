package toolstest

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Wrap is what a simulator registry's Handler returns to route a call on
// the object ref, of vcsim type T, to a wrapper W that overrides some of
// its methods the way vCenter behaves: the wrapper the caller's session
// already holds (it may keep state), else the one wrap makes, put into
// the session, where the dispatcher looks first for logged-in clients.
// Nothing (vcsim's own method) when ref is not a T.
func Wrap[T, W mo.Reference](ctx *simulator.Context, ref types.ManagedObjectReference, wrap func(T) W) (mo.Reference, types.BaseMethodFault) {
	if ctx.Session != nil {
		if w, ok := ctx.Session.Registry.Get(ref).(W); ok {
			return w, nil
		}
	}
	obj, ok := ctx.Map.Get(ref).(T)
	if !ok {
		return nil, nil
	}
	w := wrap(obj)
	if ctx.Session != nil {
		ctx.Session.Put(w)
	}
	return w, nil
}
