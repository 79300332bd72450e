package vcenter

import (
	"context"
	"fmt"
	"path"
	"slices"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/types"
)

// describeWith reads an object's name and inventory path and, in the same
// round trip, the properties props of the object itself: a tool that shows
// an object after resolving it (vm_get) then needs no second read. The
// path is built as find.InventoryPath builds it: the names of the
// ancestors below the root folder, joined, a VM in a vApp under the vApp.
func (c *Conn) describeWith(ctx context.Context, ref types.ManagedObjectReference, props []string) (Object, *types.ObjectContent, error) {
	own := append([]string{"parentVApp"}, props...)
	pset := []types.PropertySpec{
		{Type: "ManagedEntity", PathSet: []string{"name", "parent"}},
		// VMs always: a VM in a vApp has no parent but a parentVApp.
		{Type: "VirtualMachine", PathSet: []string{"parentVApp"}},
	}
	if len(props) > 0 {
		if ref.Type == "VirtualMachine" {
			pset[1].PathSet = own
		} else {
			pset = append(pset, types.PropertySpec{Type: ref.Type, PathSet: props})
		}
	}
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{{
			Obj:  ref,
			Skip: types.NewBool(false),
			SelectSet: []types.BaseSelectionSpec{
				&types.TraversalSpec{
					SelectionSpec: types.SelectionSpec{Name: "traverseParent"},
					Type:          "ManagedEntity", Path: "parent", Skip: types.NewBool(false),
					SelectSet: []types.BaseSelectionSpec{&types.SelectionSpec{Name: "traverseParent"}},
				},
				&types.TraversalSpec{
					Type: "VirtualMachine", Path: "parentVApp", Skip: types.NewBool(false),
					SelectSet: []types.BaseSelectionSpec{&types.SelectionSpec{Name: "traverseParent"}},
				},
			},
		}},
		PropSet: pset,
	}}}
	res, err := property.DefaultCollector(c.Client).RetrieveProperties(ctx, req)
	if err != nil {
		return Object{}, nil, err
	}
	if err := missingFault(res.Returnval); err != nil {
		return Object{}, nil, err
	}
	p, self, err := ancestryPath(ref, res.Returnval)
	if err != nil {
		return Object{}, nil, err
	}
	name, _ := PropVal(*self, "name").(string)
	return Object{Ref: ref, Name: name, Path: p}, self, nil
}

// ancestryPath walks from ref up through the objects read with it to the
// root folder and joins the names below the root. It returns ref's own
// content too. A chain that breaks (an ancestor missing from the read) is
// an error rather than a wrong path.
func ancestryPath(ref types.ManagedObjectReference, objs []types.ObjectContent) (string, *types.ObjectContent, error) {
	byRef := make(map[types.ManagedObjectReference]*types.ObjectContent, len(objs))
	for i := range objs {
		byRef[objs[i].Obj] = &objs[i]
	}
	self := byRef[ref]
	if self == nil {
		return "", nil, fmt.Errorf("read %s: vCenter returned no properties for it", ref)
	}
	var names []string
	cur := self
	for range len(objs) + 1 {
		parent, ok := PropVal(*cur, "parent").(types.ManagedObjectReference)
		if !ok {
			parent, ok = PropVal(*cur, "parentVApp").(types.ManagedObjectReference)
		}
		if !ok {
			// The root folder, whose name is not part of paths.
			slices.Reverse(names)
			return path.Join(append([]string{"/"}, names...)...), self, nil
		}
		name, _ := PropVal(*cur, "name").(string)
		names = append(names, name)
		if cur = byRef[parent]; cur == nil {
			return "", nil, fmt.Errorf("read the inventory path of %s: its ancestor %s was not returned", ref, parent)
		}
	}
	return "", nil, fmt.Errorf("read the inventory path of %s: its ancestors form a cycle", ref)
}
