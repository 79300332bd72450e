package vcenter

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func TestAncestryPath(t *testing.T) {
	t.Parallel()
	ref := func(typ, v string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: typ, Value: v}
	}
	root, dc, vmf, sub := ref("Folder", "group-d1"), ref("Datacenter", "dc-1"), ref("Folder", "group-v1"), ref("Folder", "group-v9")
	vapp, vm := ref("VirtualApp", "resgroup-v5"), ref("VirtualMachine", "vm-42")
	obj := func(self types.ManagedObjectReference, name string, parentProp string, parent *types.ManagedObjectReference) types.ObjectContent {
		oc := types.ObjectContent{Obj: self, PropSet: []types.DynamicProperty{{Name: "name", Val: name}}}
		if parent != nil {
			oc.PropSet = append(oc.PropSet, types.DynamicProperty{Name: parentProp, Val: *parent})
		}
		return oc
	}
	tree := []types.ObjectContent{
		obj(root, "Datacenters", "", nil),
		obj(dc, "DC0", "parent", &root),
		obj(vmf, "vm", "parent", &dc),
		obj(sub, "web %2f prod", "parent", &vmf),
	}
	for _, tc := range []struct {
		name    string
		of      types.ManagedObjectReference
		objs    []types.ObjectContent
		want    string
		wantErr string
	}{
		{"VM in a folder", vm, append(tree, obj(vm, "web-01", "parent", &sub)), "/DC0/vm/web %2f prod/web-01", ""},
		{"VM in a vApp", vm, append(tree, obj(vapp, "app", "parent", &vmf), obj(vm, "db", "parentVApp", &vapp)), "/DC0/vm/app/db", ""},
		{"the root folder", root, tree, "/", ""},
		{"a datacenter", dc, tree, "/DC0", ""},
		{"an ancestor missing", vm, []types.ObjectContent{obj(vm, "web-01", "parent", &sub)}, "", "group-v9 was not returned"},
		{"the object missing", vm, tree, "", "returned no properties"},
		{"a cycle", vm, []types.ObjectContent{obj(vm, "a", "parent", &sub), obj(sub, "b", "parent", &vm)}, "", "cycle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, self, err := ancestryPath(tc.of, tc.objs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || self == nil || self.Obj != tc.of {
				t.Fatalf("got %q %v %v, want %q", got, self, err, tc.want)
			}
		})
	}
}

// TestResolveWith resolves VMs by name, ID and path, one of them in a
// vApp, and checks each path against govmomi's find.InventoryPath and the
// properties read with it against a direct read.
func TestResolveWith(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := simulator.VPX()
	m.App = 1 // a vApp per cluster, with VMs in it
	sim := startSim(t, m)
	s := NewSession(sim.Config, nil)
	defer s.Close(ctx)
	admin, _ := adminClient(t, sim)
	v, err := view.NewManager(admin).CreateContainerView(ctx, admin.ServiceContent.RootFolder, []string{"VirtualApp"}, true)
	if err != nil {
		t.Fatal(err)
	}
	var apps []mo.VirtualApp
	if err := v.Retrieve(ctx, []string{"VirtualApp"}, []string{"vm"}, &apps); err != nil || len(apps) == 0 || len(apps[0].Vm) == 0 {
		t.Fatalf("no VM in a vApp in the model: %v %v", apps, err)
	}
	inApp := apps[0].Vm[0]
	plain, err := find.NewFinder(admin).VirtualMachine(ctx, "/DC0/vm/DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []types.ManagedObjectReference{inApp, plain.Reference()} {
		want, err := find.InventoryPath(ctx, admin, ref)
		if err != nil {
			t.Fatal(err)
		}
		var direct mo.VirtualMachine
		if err := object.NewVirtualMachine(admin, ref).Properties(ctx, ref, []string{"runtime.powerState", "config.guestId"}, &direct); err != nil {
			t.Fatal(err)
		}
		for _, ident := range []string{ref.Value, want, want[strings.LastIndex(want, "/")+1:]} {
			err := s.Do(ctx, func(c *Conn) error {
				o, oc, err := c.ResolveWith(ctx, "VirtualMachine", ident, []string{"runtime.powerState", "config.guestId"})
				if err != nil {
					return err
				}
				var got mo.VirtualMachine
				if err := mo.LoadObjectContent([]types.ObjectContent{*oc}, &got); err != nil {
					return err
				}
				if o.Ref != ref || o.Path != want || o.Name != want[strings.LastIndex(want, "/")+1:] {
					t.Errorf("%s: resolved %+v, want %s at %s", ident, o, ref, want)
				}
				if got.Runtime.PowerState != direct.Runtime.PowerState || got.Config == nil || got.Config.GuestId != direct.Config.GuestId {
					t.Errorf("%s: read %v %v, want %v %s", ident, got.Runtime.PowerState, got.Config, direct.Runtime.PowerState, direct.Config.GuestId)
				}
				return nil
			})
			if err != nil {
				t.Errorf("%s: %v", ident, err)
			}
		}
	}
}
