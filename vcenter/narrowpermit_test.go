package vcenter

import (
	"context"
	"errors"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// TestPermitOnly: a narrow permit lets exactly one call of its method with
// a request its check accepts through the gate, only inside a guarded
// call; everything else stays refused and unchanged in vCenter.
func TestPermitOnly(t *testing.T) {
	t.Parallel()
	sim := startSim(t, simulator.VPX())
	ctx := context.Background()
	s := NewSession(sim.Config, nil)
	t.Cleanup(func() { _ = s.Close(ctx) })
	admin, _ := adminClient(t, sim)

	var vm Object
	if err := s.Do(ctx, func(c *Conn) error {
		var err error
		vm, err = c.Resolve(ctx, "VirtualMachine", "DC0_H0_VM0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rename := func(ctx context.Context, name string) error {
		return s.Do(ctx, func(c *Conn) error {
			task, err := object.NewVirtualMachine(c.Client, vm.Ref).Rename(ctx, name)
			if err != nil {
				return err
			}
			return task.Wait(ctx)
		})
	}
	nameNow := func() string {
		var m mo.VirtualMachine
		if err := object.NewVirtualMachine(admin, vm.Ref).Properties(ctx, vm.Ref, []string{"name"}, &m); err != nil {
			t.Fatal(err)
		}
		return m.Name
	}
	renameTo := func(name string) func(soap.HasFault) bool {
		return func(req soap.HasFault) bool {
			b, ok := req.(*methods.Rename_TaskBody)
			return ok && b.Req != nil && b.Req.This == vm.Ref && b.Req.NewName == name
		}
	}
	refused := func(t *testing.T, err error, method string) {
		t.Helper()
		var wr *WriteRefusedError
		if !errors.As(err, &wr) || wr.Method != method {
			t.Fatalf("got %v, want WriteRefusedError for %s", err, method)
		}
	}

	guarded := WithWritePermit(ctx)
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"outside a guarded call", PermitOnly(ctx, "Rename_Task", renameTo("a"))},
		{"another method", PermitOnly(guarded, "Destroy_Task", renameTo("a"))},
		{"nil check", PermitOnly(guarded, "Rename_Task", nil)},
		{"check refuses the request", PermitOnly(guarded, "Rename_Task", renameTo("b"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, rename(tc.ctx, "a"), "Rename_Task")
			if got := nameNow(); got != "DC0_H0_VM0" {
				t.Fatalf("refused rename reached vCenter: name %q", got)
			}
		})
	}

	once := PermitOnly(TrackWork(guarded), "Rename_Task", renameTo("a"))
	if err := rename(once, "a"); err != nil {
		t.Fatalf("narrowly permitted rename: %v", err)
	}
	if got := nameNow(); got != "a" {
		t.Fatalf("name after the permitted rename = %q", got)
	}
	if !workStarted(once) {
		t.Error("the narrowly permitted write was not recorded as started work")
	}
	refused(t, rename(once, "a"), "Rename_Task") // used up
	if Permitted(once) {
		t.Error("a narrow permit granted the whole write permit")
	}
	// Stacked: each permit still lets its own call through once, and a
	// destroy stays refused throughout.
	two := PermitOnly(PermitOnly(guarded, "Rename_Task", renameTo("b")), "Rename_Task", renameTo("c"))
	for _, n := range []string{"b", "c"} {
		if err := rename(two, n); err != nil {
			t.Fatalf("stacked permit for %s: %v", n, err)
		}
	}
	err := s.Do(two, func(c *Conn) error {
		_, err := methods.Destroy_Task(two, c.Client, &types.Destroy_Task{This: vm.Ref})
		return err
	})
	refused(t, err, "Destroy_Task")
	if got := nameNow(); got != "c" {
		t.Fatalf("name = %q, want c", got)
	}
}
