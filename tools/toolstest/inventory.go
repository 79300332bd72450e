package toolstest

import (
	"math"
	"slices"
	"sort"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/types"
)

// Reads of the simulator's inventory through govmomi, to compare what a
// tool says with what vCenter holds.

// RetrieveIn reads objects of kind below root straight from the simulator.
func RetrieveIn[T any](e *Env, root types.ManagedObjectReference, kind string, props ...string) []T {
	e.T.Helper()
	v, err := view.NewManager(e.Vim).CreateContainerView(e.Ctx, root, []string{kind}, true)
	if err != nil {
		e.T.Fatalf("container view: %v", err)
	}
	defer func() { _ = v.Destroy(e.Ctx) }()
	var out []T
	if err := v.Retrieve(e.Ctx, []string{kind}, props, &out); err != nil {
		e.T.Fatalf("retrieve %s: %v", kind, err)
	}
	return out
}

// InventoryPath is govmomi's own inventory path of ref.
func (e *Env) InventoryPath(ref types.ManagedObjectReference) string {
	e.T.Helper()
	p, err := find.InventoryPath(e.Ctx, e.Vim, ref)
	if err != nil {
		e.T.Fatalf("inventory path of %s: %v", ref, err)
	}
	return p
}

// ObjectName reads ref's name.
func (e *Env) ObjectName(ref types.ManagedObjectReference) string {
	e.T.Helper()
	n, err := object.NewCommon(e.Vim, ref).ObjectName(e.Ctx)
	if err != nil {
		e.T.Fatalf("name of %s: %v", ref, err)
	}
	return n
}

// DatacenterRef finds the datacenter called name.
func (e *Env) DatacenterRef(name string) types.ManagedObjectReference {
	e.T.Helper()
	dc, err := find.NewFinder(e.Vim).Datacenter(e.Ctx, name)
	if err != nil {
		e.T.Fatal(err)
	}
	return dc.Reference()
}

// GiB renders bytes as GiB rounded to one decimal, as the tools report it.
func GiB(b int64) float64 { return math.Round(float64(b)/(1<<30)*10) / 10 }

// Near compares GB values rounded to one decimal, allowing for the sum of
// rounded values differing from the rounded sum.
func Near(a, b float64) bool { return math.Abs(a-b) <= 0.11 }

// Sorted returns a sorted copy of s.
func Sorted(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}
