package vcenter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// indexReady waits for the session's name index to be filled.
func indexReady(t *testing.T, ctx context.Context, s *Session) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var ready bool
		err := s.Do(ctx, func(c *Conn) error {
			if c.index == nil {
				return errors.New("the session has no name index")
			}
			_, ready = c.index.size()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ready {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the name index was not filled in 30 s")
}

// eventually retries f until it succeeds or 10 s pass: changes made by
// other clients reach the index when vCenter reports them.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err = f(); err == nil {
			return
		}
	}
	t.Fatalf("%s: %v", what, err)
}

func TestNameIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, simulator.VPX())
	s := NewSession(sim.Config, nil)
	s.indexWait = time.Second
	defer s.Close(ctx)
	indexReady(t, ctx, s)
	admin, _ := adminClient(t, sim)
	finder := find.NewFinder(admin)
	dc, err := finder.Datacenter(ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)

	resolve := func(kind, name string) (Object, error) {
		var o Object
		err := s.Do(ctx, func(c *Conn) error {
			var err error
			o, err = c.Resolve(ctx, kind, name)
			return err
		})
		return o, err
	}
	vm, err := finder.VirtualMachine(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("kinds are found by name from the index", func(t *testing.T) {
		for _, tc := range []struct{ kind, name string }{
			{"VirtualMachine", "DC0_H0_VM0"}, {"HostSystem", "DC0_H0"}, {"ClusterComputeResource", "DC0_C0"},
			{"Datastore", "LocalDS_0"}, {"Network", "DC0_DVPG0"}, {"Datacenter", "DC0"},
			{"ResourcePool", "Resources"},
		} {
			o, err := resolve(tc.kind, tc.name)
			var amb *AmbiguousError
			if errors.As(err, &amb) {
				continue // Resources: one per compute resource, as vCenter has it
			}
			if err != nil || o.Name != tc.name {
				t.Errorf("Resolve(%s, %s) = %+v, %v", tc.kind, tc.name, o, err)
			}
		}
		_, err := resolve("VirtualMachine", "DC0_H0")
		if !IsNotFound(err) {
			t.Errorf("a host's name resolved as a VM: %v", err)
		}
	})

	t.Run("a rename by another client shows up", func(t *testing.T) {
		task, err := vm.Rename(ctx, "renamed-elsewhere")
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "resolve the new name", func() error {
			o, err := resolve("VirtualMachine", "renamed-elsewhere")
			if err == nil && o.Ref != vm.Reference() {
				return errors.New("resolved to another VM")
			}
			return err
		})
		if _, err := resolve("VirtualMachine", "DC0_H0_VM0"); !IsNotFound(err) {
			t.Errorf("the old name still resolves: %v", err)
		}
	})

	t.Run("a rename through this session is visible to the next call", func(t *testing.T) {
		for i, name := range []string{"renamed-here-1", "renamed-here-2", "renamed-here-3"} {
			wctx := permitted(ctx)
			err := s.Do(wctx, func(c *Conn) error {
				task, err := object.NewVirtualMachine(c.Client, vm.Reference()).Rename(wctx, name)
				if err != nil {
					return err
				}
				return task.Wait(ctx)
			})
			if err != nil {
				t.Fatal(err)
			}
			s.NoteWrite()
			o, err := resolve("VirtualMachine", name)
			if err != nil || o.Ref != vm.Reference() {
				t.Fatalf("rename %d: resolve %s right after = %+v, %v", i, name, o, err)
			}
		}
	})

	t.Run("a VM created elsewhere shows up; a duplicate name stays ambiguous", func(t *testing.T) {
		folders, err := dc.Folders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pool, err := finder.ResourcePool(ctx, "/DC0/host/DC0_H0/Resources")
		if err != nil {
			t.Fatal(err)
		}
		sub, err := folders.VmFolder.CreateFolder(ctx, "sub")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []*object.Folder{folders.VmFolder, sub} {
			spec := types.VirtualMachineConfigSpec{Name: "twin", GuestId: "otherGuest",
				Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"}}
			task, err := f.CreateVM(ctx, spec, pool, nil)
			if err == nil {
				err = task.Wait(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "twin is ambiguous", func() error {
			_, err := resolve("VirtualMachine", "twin")
			var amb *AmbiguousError
			if !errors.As(err, &amb) {
				return errors.New("not ambiguous yet")
			}
			if len(amb.Candidates) != 2 {
				t.Fatalf("candidates %+v", amb.Candidates)
			}
			return nil
		})
	})

	t.Run("a name differing in case is suggested", func(t *testing.T) {
		_, err := resolve("HostSystem", "dc0_h0")
		var nf *NotFoundError
		if !errors.As(err, &nf) || len(nf.Similar) != 1 || nf.Similar[0] != "DC0_H0" {
			t.Fatalf("err = %v, want a not-found suggesting DC0_H0", err)
		}
	})

	t.Run("after re-login a new index is built", func(t *testing.T) {
		var first *nameIndex
		_ = s.Do(ctx, func(c *Conn) error { first = c.index; return nil })
		_, m := adminClient(t, sim)
		var key string
		_ = s.Do(ctx, func(c *Conn) error {
			us, err := c.manager.UserSession(ctx)
			if err == nil && us != nil {
				key = us.Key
			}
			return err
		})
		if err := m.TerminateSession(ctx, []string{key}); err != nil {
			t.Fatal(err)
		}
		if _, err := resolve("HostSystem", "DC0_H0"); err != nil {
			t.Fatalf("resolve after the session was terminated: %v", err)
		}
		indexReady(t, ctx, s)
		_ = s.Do(ctx, func(c *Conn) error {
			if c.index == first || c.index == nil {
				t.Error("the new connection kept the old index")
			}
			return nil
		})
	})
}

// permitted is ctx allowed to write, as guard.Act leaves it.
func permitted(ctx context.Context) context.Context {
	ctx = WithWritePermit(ctx)
	Permit(ctx)
	return ctx
}
