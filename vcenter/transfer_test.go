package vcenter

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
)

// TestHTTPTransferGate: a PUT to /folder without the write permit is
// refused before it is sent (the file is not on the datastore, read in
// the simulator's datastore directory); with the permit it lands and
// reads back through GET, which needs no permit.
func TestHTTPTransferGate(t *testing.T) {
	t.Parallel()
	sim := startSim(t, simulator.VPX())
	ctx := context.Background()
	s := NewSession(sim.Config, nil)
	t.Cleanup(func() { _ = s.Close(ctx) })
	admin, _ := adminClient(t, sim)
	ds, err := find.NewFinder(admin).Datastore(ctx, "/DC0/datastore/LocalDS_0")
	if err != nil {
		t.Fatal(err)
	}
	var mds mo.Datastore
	if err := ds.Properties(ctx, ds.Reference(), []string{"summary"}, &mds); err != nil {
		t.Fatal(err)
	}
	onDisk := filepath.Join(mds.Summary.Url, "gate", "a.txt")
	f := DatastoreFile{DatacenterPath: "/DC0", Datastore: "LocalDS_0", Path: "gate/a.txt"}
	upload := func(ctx context.Context) error {
		return s.Do(ctx, func(c *Conn) error { return c.UploadFile(ctx, f, strings.NewReader("hello"), 5) })
	}

	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"no permit at all", ctx}, {"permit not granted", WithWritePermit(ctx)}} {
		err := upload(tc.ctx)
		var wr *WriteRefusedError
		if !errors.As(err, &wr) || wr.Method != "HTTP PUT /folder" {
			t.Fatalf("%s: upload = %v, want WriteRefusedError", tc.name, err)
		}
		if _, err := os.Stat(onDisk); !os.IsNotExist(err) {
			t.Fatalf("%s: refused upload left %s: %v", tc.name, onDisk, err)
		}
	}
	for _, m := range []string{"POST", "DELETE", "PATCH", ""} {
		if err := CheckHTTPWrite(ctx, m); err == nil {
			t.Errorf("CheckHTTPWrite(%q) without permit passed", m)
		}
	}

	pctx := TrackWork(WithWritePermit(ctx))
	Permit(pctx)
	if err := upload(pctx); err != nil {
		t.Fatalf("permitted upload: %v", err)
	}
	if !workStarted(pctx) {
		t.Error("a permitted upload is not recorded as started work")
	}
	if b, err := os.ReadFile(onDisk); err != nil || string(b) != "hello" {
		t.Fatalf("on the datastore: %q, %v", b, err)
	}
	var got []byte
	if err := s.Do(ctx, func(c *Conn) error {
		body, n, err := c.DownloadFile(ctx, f)
		if err != nil {
			return err
		}
		defer body.Close()
		if n != 5 {
			t.Errorf("length %d", n)
		}
		got, err = io.ReadAll(body)
		return err
	}); err != nil || string(got) != "hello" {
		t.Fatalf("download without a permit: %q, %v", got, err)
	}
	err = s.Do(ctx, func(c *Conn) error {
		_, _, err := c.DownloadFile(ctx, DatastoreFile{DatacenterPath: "DC0", Datastore: "LocalDS_0", Path: "gate/none"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("download of a missing file: %v", err)
	}
}
