package inventory

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/vmware/govmomi"
)

// TestSaveAndLoad builds a small inventory, saves it, loads it into a new
// simulator and checks what govmomi reads back against the plan.
func TestSaveAndLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := ForVMs(200)
	s.Workers = 1 // one creation at a time: vcsim races between concurrent ones
	root := t.TempDir()
	dir, built, err := Ensure(ctx, root, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !built {
		t.Fatal("Ensure reused an inventory in a fresh directory")
	}
	if again, built, err := Ensure(ctx, root, s, nil); err != nil || built || again != dir {
		t.Fatalf("second Ensure = %s, built=%t, %v; want the cached %s", again, built, err, dir)
	}

	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Remove()
	srv, err := Serve(m)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := govmomi.NewClient(ctx, srv.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Count(ctx, c.Client)
	if err != nil {
		t.Fatal(err)
	}
	want := s.Expect()
	if got.VMs != want.VMs || got.Templates != want.Templates || !maps.Equal(got.Power, want.Power) || !maps.Equal(got.PerFamily, want.PerFamily) {
		t.Errorf("loaded inventory: %+v\nwant %+v", got, want)
	}
	if running := want.Power["poweredOn"] + want.Power["suspended"]; got.WithIP != running {
		t.Errorf("%d VMs report a guest IP, want the %d that were powered on", got.WithIP, running)
	}
}
