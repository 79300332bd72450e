package datastore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/mo"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// TestDatastoreUsage: the totals equal the sum of the files on the
// datastore's directory; each registered VM is one row with its files,
// unowned files are rows of their own, largest first.
func TestDatastoreUsage(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, nil, nil)
	e.put("LocalDS_0", "orphans/old-flat.vmdk", 5000)
	e.put("LocalDS_0", "orphans/old.vmdk", 300)
	e.put("LocalDS_0", "isos/big.iso", 9000)
	e.put("LocalDS_0", "DC0_H0_VM0/vmware-1.log", 700)

	var r DatastoreUsage
	e.OK("datastore_usage", map[string]any{"datastore": "LocalDS_0", "limit": 1000}, &r)
	var want int64
	files := 0
	_ = filepath.Walk(e.ds["LocalDS_0"], func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			want += fi.Size()
			files++
		}
		return nil
	})
	if r.Totals == nil || r.Totals.Bytes != want || r.Totals.Files != files || r.Totals.VMBytes+r.Totals.UnownedBytes != want {
		t.Fatalf("totals %+v; files on the datastore: %d, %d bytes", r.Totals, files, want)
	}
	var sum int64
	rowFiles := 0
	byPath := map[string]UsageRow{}
	for i, u := range r.Items {
		sum += u.Bytes
		rowFiles += u.Files
		byPath[u.Path] = u
		if u.Disks+u.Snapshots+u.Swap+u.Logs+u.Other != u.Bytes {
			t.Errorf("row %+v: categories do not add up", u)
		}
		if i > 0 && u.Bytes > r.Items[i-1].Bytes {
			t.Errorf("not largest first at %d: %+v", i, u)
		}
	}
	if sum != want || rowFiles != files {
		t.Errorf("rows add up to %d bytes in %d files, want %d in %d", sum, rowFiles, want, files)
	}
	if u := byPath["[LocalDS_0] isos/big.iso"]; u.Kind != "unowned" || u.Type != "iso" || u.Bytes != 9000 {
		t.Errorf("iso row %+v", u)
	}
	if u := byPath["[LocalDS_0] orphans/old.vmdk"]; u.Kind != "unowned" || u.Type != "disk" {
		t.Errorf("orphaned disk row %+v", u)
	}
	vms := toolstest.RetrieveAll[mo.VirtualMachine](e.Env, "VirtualMachine", "name", "config.files.vmPathName")
	vmRows := 0
	for _, u := range r.Items {
		if u.Kind == "vm" {
			vmRows++
		}
	}
	if vmRows != len(vms) {
		t.Errorf("%d VM rows for %d VMs", vmRows, len(vms))
	}
	if u := byPath["[LocalDS_0] DC0_H0_VM0"]; u.VM != "DC0_H0_VM0" || u.Logs < 700 {
		t.Errorf("VM row %+v", u)
	}

	// Paging: the totals come with the first page; all pages together
	// are the rows of one listing.
	var p1, p2 DatastoreUsage
	e.OK("datastore_usage", map[string]any{"datastore": "LocalDS_0", "limit": 2}, &p1)
	e.OK("datastore_usage", map[string]any{"datastore": "LocalDS_0", "limit": 2, "cursor": p1.NextCursor}, &p2)
	if p1.Totals == nil || p2.Totals != nil || len(p2.Items) != 2 || p1.Total != len(r.Items) || p1.Items[0] != r.Items[0] || p2.Items[0] != r.Items[2] {
		t.Errorf("pages %+v / %+v", p1, p2)
	}
}

// TestDatastoreUsageScoped: under a role that sees one VM, the other VMs'
// files still count (and are still refused by delete), but unnamed.
func TestDatastoreUsageScoped(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"one-vm": {Inherits: "vm-admin", Scope: policy.Scope{VMs: []string{"DC0_H0_VM0"}}}}
	e := newFileEnvAs(t, nil, nil, toolstest.Policy(t, "one-vm", custom, nil))
	var r DatastoreUsage
	text := e.OK("datastore_usage", map[string]any{"datastore": "LocalDS_0", "limit": 1000}, &r)
	named, hidden := 0, 0
	for _, u := range r.Items {
		switch {
		case u.Kind != "vm":
		case u.VM == "DC0_H0_VM0":
			named++
		case u.VMID == "" && strings.Contains(u.VM, "outside"):
			hidden++
		default:
			t.Errorf("row names a VM outside the scope: %+v", u)
		}
	}
	// Folder names are the datastore's own (anyone browsing sees them);
	// the VM column names only what the scope shows.
	if named != 1 || hidden == 0 || strings.Contains(text, "\tDC0_H0_VM1\t") {
		t.Errorf("named %d hidden %d:\n%s", named, hidden, text)
	}
	msg := e.Fails("datastore_file_delete", map[string]any{"path": "[LocalDS_0] DC0_H0_VM1"})
	toolstest.MustContain(t, msg, "outside this profile's scope")
	if strings.Contains(msg, "VM DC0_H0_VM1") {
		t.Errorf("refusal names the hidden VM: %s", msg)
	}
}
