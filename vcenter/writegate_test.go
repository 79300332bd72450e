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
)

// TestWriteGate: a write without a permit is refused before it reaches
// vCenter (the VM's name is unchanged, read back through an independent
// session); reads pass; a permitted write goes through and is recorded as
// started work.
func TestWriteGate(t *testing.T) {
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
		t.Fatalf("resolve (reads must pass the gate): %v", err)
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

	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"no permit at all", ctx},
		{"permit not granted", WithWritePermit(ctx)},
	} {
		err := rename(tc.ctx, "renamed")
		var wr *WriteRefusedError
		if !errors.As(err, &wr) || wr.Method != "Rename_Task" {
			t.Fatalf("%s: rename = %v, want WriteRefusedError for Rename_Task", tc.name, err)
		}
		if got := nameNow(); got != "DC0_H0_VM0" {
			t.Fatalf("%s: the refused rename reached vCenter: name is %q", tc.name, got)
		}
	}

	pctx := TrackWork(WithWritePermit(ctx))
	if !Permit(pctx) {
		t.Fatal("Permit found no permit")
	}
	if err := rename(pctx, "renamed"); err != nil {
		t.Fatalf("permitted rename: %v", err)
	}
	if got := nameNow(); got != "renamed" {
		t.Fatalf("name after permitted rename = %q", got)
	}
	if !workStarted(pctx) {
		t.Error("a permitted write was not recorded as started work")
	}
}

func TestReadMethodClassification(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		req  any
		read bool
	}{
		{&methods.RetrievePropertiesExBody{}, true},
		{&methods.WaitForUpdatesExBody{}, true},
		{&methods.CreateContainerViewBody{}, true},
		{&methods.FindByInventoryPathBody{}, true},
		{&methods.QueryEventsBody{}, true},
		{&methods.SearchDatastore_TaskBody{}, true},
		{&methods.CreateImportSpecBody{}, true},
		{&methods.ImportVAppBody{}, false},
		{&methods.HttpNfcLeaseProgressBody{}, false},
		{&methods.LoginBody{}, true},
		{&methods.AcquireGenericServiceTicketBody{}, true},
		{&methods.InitiateFileTransferFromGuestBody{}, true},
		{&methods.ListFilesInGuestBody{}, true},
		{&methods.StartProgramInGuestBody{}, false},
		{&methods.InitiateFileTransferToGuestBody{}, false},
		{&methods.StartServiceBody{}, false},
		{&methods.PowerOnVM_TaskBody{}, false},
		{&methods.Destroy_TaskBody{}, false},
		{&methods.CancelTaskBody{}, false},
		{&methods.PostEventBody{}, false},
		{&methods.ReconfigVM_TaskBody{}, false},
		{&methods.TerminateSessionBody{}, false},
		{&methods.CreateSnapshot_TaskBody{}, false},
	} {
		m := MethodName(tc.req.(soap.HasFault))
		if got := IsReadMethod(m); got != tc.read {
			t.Errorf("IsReadMethod(%s) = %v, want %v", m, got, tc.read)
		}
	}
}
