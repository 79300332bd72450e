package vcenter

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// watchEvents collects what a watcher reports.
type watchEvents struct {
	ch   chan WatchTarget
	seen map[WatchTarget]int // reported and not yet expected
}

// want waits for a report of target (one reported earlier counts).
func (ev *watchEvents) want(t *testing.T, target WatchTarget) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for ev.seen[target] == 0 {
		select {
		case got := <-ev.ch:
			ev.seen[got]++
		case <-deadline:
			t.Fatalf("no change of %v reported", target)
		}
	}
	ev.seen[target]--
}

// none checks that target is not reported within d (forgetting what was
// reported before).
func (ev *watchEvents) none(t *testing.T, target WatchTarget, d time.Duration) {
	t.Helper()
	clear(ev.seen)
	deadline := time.After(d)
	for {
		select {
		case got := <-ev.ch:
			if got == target {
				t.Fatalf("change of %v reported, want none", target)
			}
		case <-deadline:
			return
		}
	}
}

func TestWatcher(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := startSim(t, simulator.VPX())
	s := NewSession(sim.Config, nil)
	s.indexWait = time.Second
	defer s.Close(ctx)
	events := &watchEvents{ch: make(chan WatchTarget, 100), seen: map[WatchTarget]int{}}
	var aboutMu sync.Mutex
	abouts := map[WatchTarget][]types.ManagedObjectReference{}
	w := s.NewWatcher(func(t WatchTarget, about []types.ManagedObjectReference) {
		aboutMu.Lock()
		abouts[t] = append(abouts[t], about...)
		aboutMu.Unlock()
		events.ch <- t
	})
	aboutHas := func(t WatchTarget, ref types.ManagedObjectReference) bool {
		aboutMu.Lock()
		defer aboutMu.Unlock()
		return slices.Contains(abouts[t], ref)
	}
	defer w.Close()

	admin, m := adminClient(t, sim)
	finder := find.NewFinder(admin)
	vm, err := finder.VirtualMachine(ctx, "/DC0/vm/DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	host, err := finder.HostSystem(ctx, "/DC0/host/DC0_C0/DC0_C0_H0")
	if err != nil {
		t.Fatal(err)
	}
	vmT := WatchTarget{Kind: "VirtualMachine", ID: vm.Reference().Value}
	hostT := WatchTarget{Kind: "HostSystem", ID: host.Reference().Value}
	for _, tg := range []WatchTarget{vmT, vmT, hostT, WatchAlarms, WatchTasks} {
		if err := w.Add(ctx, tg); err != nil {
			t.Fatalf("add %v: %v", tg, err)
		}
	}
	if n := w.Watching(); n != 4 {
		t.Fatalf("watching %d targets, want 4", n)
	}
	// The initial contents of the filters report nothing.
	events.none(t, vmT, 1500*time.Millisecond)

	wait := func(task *object.Task, err error) {
		t.Helper()
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	wait(vm.PowerOff(ctx))
	events.want(t, vmT)
	events.want(t, WatchTasks)
	// What a change is about: the VM, and the task's entity.
	if !aboutHas(vmT, vm.Reference()) || !aboutHas(WatchTasks, vm.Reference()) {
		t.Errorf("changes are about %v, want the VM in both", abouts)
	}
	wait(host.EnterMaintenanceMode(ctx, 0, false, nil))
	publishHost(t, sim, host.Reference(), true)
	events.want(t, hostT)

	// Counted: one Remove of two Adds keeps the filter.
	w.Remove(ctx, vmT)
	wait(vm.PowerOn(ctx))
	events.want(t, vmT)
	w.Remove(ctx, vmT)
	if n := w.Watching(); n != 3 {
		t.Fatalf("watching %d targets after removing the VM, want 3", n)
	}
	wait(vm.PowerOff(ctx))
	events.none(t, vmT, 1500*time.Millisecond)

	// A lost session: the loop logs in again, rebuilds its filters, and
	// reports what changed meanwhile.
	var key string
	_ = s.Do(ctx, func(c *Conn) error {
		us, err := c.manager.UserSession(ctx)
		if err == nil && us != nil {
			key = us.Key
		}
		return err
	})
	logins := s.Logins()
	if err := m.TerminateSession(ctx, []string{key}); err != nil {
		t.Fatal(err)
	}
	// The loop's next poll fails, and it logs in again on its own.
	eventually(t, "re-login", func() error {
		if s.Logins() <= logins {
			return errors.New("not yet")
		}
		return nil
	})
	time.Sleep(300 * time.Millisecond) // its filters are rebuilt
	wait(host.ExitMaintenanceMode(ctx, 0))
	publishHost(t, sim, host.Reference(), false)
	events.want(t, hostT)

	// A watched VM deleted is a change; an ID that names nothing is
	// watched quietly.
	doomed, err := finder.VirtualMachine(ctx, "/DC0/vm/DC0_H0_VM1")
	if err != nil {
		t.Fatal(err)
	}
	doomedT := WatchTarget{Kind: "VirtualMachine", ID: doomed.Reference().Value}
	ghostT := WatchTarget{Kind: "VirtualMachine", ID: "vm-99999"}
	for _, tg := range []WatchTarget{doomedT, ghostT} {
		if err := w.Add(ctx, tg); err != nil {
			t.Fatalf("add %v: %v", tg, err)
		}
	}
	if st, _ := doomed.PowerState(ctx); st == types.VirtualMachinePowerStatePoweredOn {
		wait(doomed.PowerOff(ctx))
	}
	wait(doomed.Destroy(ctx))
	events.want(t, doomedT)
	w.Remove(ctx, doomedT)
	w.Remove(ctx, ghostT)

	// The last Remove stops the loop.
	for _, tg := range []WatchTarget{hostT, WatchAlarms, WatchTasks} {
		w.Remove(ctx, tg)
	}
	w.mu.Lock()
	running := w.running
	w.mu.Unlock()
	if w.Watching() != 0 || running {
		t.Errorf("after the last Remove: watching %d, running %v", w.Watching(), running)
	}
	if err := w.Add(ctx, WatchTarget{Kind: "Folder", ID: "group-1"}); err == nil {
		t.Error("a folder is not watchable, but Add took it")
	}
}

// publishHost publishes a host's maintenance mode as vCenter does when it
// changes: the simulator sets runtime.inMaintenanceMode without telling
// property collectors.
func publishHost(t *testing.T, sim *Simulator, ref types.ManagedObjectReference, inMaintenance bool) {
	t.Helper()
	reg := sim.Model.Map()
	sctx := &simulator.Context{Context: context.Background(), Map: reg}
	h := reg.Get(ref)
	reg.WithLock(sctx, h, func() {
		reg.Update(sctx, h, []types.PropertyChange{{Name: "runtime.inMaintenanceMode", Val: inMaintenance}})
	})
}

// dcGate shows only one datacenter's objects.
type dcGate string

func (dcGate) Restricts(string) bool      { return true }
func (g dcGate) Permits(p Placement) bool { return p.Datacenter == string(g) }

func TestNamesWithPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	model := simulator.VPX()
	model.Datacenter = 2
	sim := startSim(t, model)
	for _, tc := range []struct {
		name string
		opts []SessionOption
	}{
		{"index", nil},
		{"scan", []SessionOption{WithoutNameIndex()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession(sim.Config, nil, tc.opts...)
			defer s.Close(ctx)
			scoped := NewSession(sim.Config, nil, append(tc.opts, WithGate(dcGate("DC1")))...)
			defer scoped.Close(ctx)
			if tc.opts == nil {
				indexReady(t, ctx, s)
				indexReady(t, ctx, scoped)
			}
			names := func(s *Session, kind, prefix string, limit int) ([]Named, bool) {
				t.Helper()
				var out []Named
				var more bool
				if err := s.Do(ctx, func(c *Conn) error {
					var err error
					out, more, err = c.NamesWithPrefix(ctx, kind, prefix, limit)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return out, more
			}
			all, more := names(s, "VirtualMachine", "dc", 100)
			if len(all) < 8 || more {
				t.Fatalf("VMs dc*: %d, more %v", len(all), more)
			}
			for i := 1; i < len(all); i++ {
				if all[i-1].Name > all[i].Name {
					t.Errorf("not sorted: %s before %s", all[i-1].Name, all[i].Name)
				}
			}
			capped, more := names(s, "VirtualMachine", "", 3)
			if len(capped) != 3 || !more {
				t.Errorf("limit 3: %d, more %v", len(capped), more)
			}
			byID, _ := names(s, "VirtualMachine", all[0].Ref.Value, 5)
			if len(byID) == 0 || byID[0].Ref != all[0].Ref && byID[len(byID)-1].Ref != all[0].Ref {
				found := false
				for _, n := range byID {
					found = found || n.Ref == all[0].Ref
				}
				if !found {
					t.Errorf("ID prefix %s: %v", all[0].Ref.Value, byID)
				}
			}
			in, _ := names(scoped, "VirtualMachine", "DC", 100)
			if len(in) == 0 {
				t.Fatal("the DC1 scope completes nothing")
			}
			for _, n := range in {
				if !strings.HasPrefix(n.Name, "DC1_") {
					t.Errorf("DC1 scope completes %s", n.Name)
				}
			}
			if hosts, _ := names(s, "HostSystem", "DC0_C0_H", 10); len(hosts) != 3 {
				t.Errorf("hosts DC0_C0_H*: %v", hosts)
			}
			if none, _ := names(s, "Datastore", "no-such", 10); len(none) != 0 {
				t.Errorf("datastores no-such*: %v", none)
			}
		})
	}
}
