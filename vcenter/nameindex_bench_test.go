package vcenter

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// filledIndex is an index holding n VMs named vm-NNNNN (plus the hosts,
// pools and folders an inventory of that size has), as a fill from
// vCenter leaves it.
func filledIndex(n int) *nameIndex {
	ix := &nameIndex{byName: map[string][]types.ManagedObjectReference{}, names: map[types.ManagedObjectReference]string{},
		ready: true, writes: new(writeCounter)}
	set := &types.UpdateSet{FilterSet: []types.PropertyFilterUpdate{{}}}
	add := func(kind, value, name string) {
		set.FilterSet[0].ObjectSet = append(set.FilterSet[0].ObjectSet, types.ObjectUpdate{
			Obj: types.ManagedObjectReference{Type: kind, Value: value}, Kind: types.ObjectUpdateKindEnter,
			ChangeSet: []types.PropertyChange{{Name: "name", Op: types.PropertyChangeOpAssign, Val: name}},
		})
	}
	for i := range n {
		add("VirtualMachine", fmt.Sprintf("vm-%d", 1000+i), fmt.Sprintf("web-prod-%05d", i))
	}
	for i := range n / 50 {
		add("HostSystem", fmt.Sprintf("host-%d", i), fmt.Sprintf("esx-%03d.example.com", i))
		add("ResourcePool", fmt.Sprintf("resgroup-%d", i), "Resources")
		add("Folder", fmt.Sprintf("group-v%d", i), fmt.Sprintf("team-%d", i))
	}
	known := map[types.ManagedObjectReference]bool{}
	for _, ou := range set.FilterSet[0].ObjectSet {
		known[ou.Obj] = true
	}
	ix.apply(set, types.ManagedObjectReference{Type: "ContainerView", Value: "session[x]"}, known)
	return ix
}

// BenchmarkNameIndexMemory reports the heap an index of 10,000 VMs holds
// (target: ≤ 15 MB).
func BenchmarkNameIndexMemory(b *testing.B) {
	var ix *nameIndex
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ix = filledIndex(10_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB/10k-VMs")
	}
	runtime.KeepAlive(ix)
}

// BenchmarkNameIndexLookup is a name lookup at 10,000 VMs, with the
// ambiguity check (every object of that name) included.
func BenchmarkNameIndexLookup(b *testing.B) {
	ix := filledIndex(10_000)
	ctx := context.Background()
	for b.Loop() {
		refs, _, err := ix.lookup(ctx, "VirtualMachine", "web-prod-05000")
		if err != nil || len(refs) != 1 {
			b.Fatalf("lookup: %v, %v", refs, err)
		}
	}
}
