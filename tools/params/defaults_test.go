package params

import (
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func TestDefaultHelpers(t *testing.T) {
	t.Parallel()
	defs := vcenter.Defaults{Cluster: "C1", Host: "H1", Datastore: "DS1", Network: "Net 1", Folder: "/DC/vm/f"}
	if id, note := DefaultNetwork(defs, "arg"); id != "arg" || note != "" {
		t.Errorf("argument: %q %q", id, note)
	}
	if id, note := DefaultNetwork(defs, ""); id != "Net 1" || note != `network "Net 1": the placement default` {
		t.Errorf("default network: %q %q", id, note)
	}
	if id, note := DefaultDatastore(vcenter.Defaults{}, ""); id != "" || note != "" {
		t.Errorf("no default: %q %q", id, note)
	}
	if id, _ := DefaultFolder(defs, ""); id != "/DC/vm/f" {
		t.Errorf("default folder: %q", id)
	}
	// Cluster, host and pool are one choice: any argument drops them all.
	if pa, note := DefaultPlacement(defs, PlaceArgs{Pool: "RP"}); pa != (PlaceArgs{Pool: "RP"}) || note != "" {
		t.Errorf("pool argument: %+v %q", pa, note)
	}
	if pa, note := DefaultPlacement(defs, PlaceArgs{}); pa != (PlaceArgs{Cluster: "C1", Host: "H1"}) || note != `placement cluster "C1", host "H1": the placement defaults` {
		t.Errorf("defaults: %+v %q", pa, note)
	}
	if pa, note := DefaultPlacement(vcenter.Defaults{Datastore: "x"}, PlaceArgs{}); pa.Given() || note != "" {
		t.Errorf("no compute default: %+v %q", pa, note)
	}
}
