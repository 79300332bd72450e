package device

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DiskChange is the result of vm_disk_add, vm_disk_resize and
// vm_disk_remove: the disk as vCenter reports it afterwards (or, once
// removed, as it was).
type DiskChange struct {
	Action string   `json:"action" jsonschema:"Added, Attached, Grew, Unchanged, Detached or Deleted"`
	VM     string   `json:"vm"`
	ID     string   `json:"id"`
	Disk   DiskInfo `json:"disk"`
	// FromGB is the capacity before a resize.
	FromGB float64 `json:"from_gb,omitempty"`
	// NewController is the controller added for the disk, when every
	// SCSI controller was full.
	NewController string `json:"new_controller,omitempty" jsonschema:"The SCSI controller added for the disk because every one was full"`
	// FileDeleted: the removed disk's file was deleted too.
	FileDeleted bool                   `json:"file_deleted,omitempty"`
	Snapshot    *params.SafetySnapshot `json:"snapshot,omitempty" jsonschema:"The snapshot_first snapshot taken before the change: snapshot_revert returns to it"`
	Task        string                 `json:"task,omitempty"`
	Notes       []string               `json:"notes,omitempty"`
}

// Text says what changed, then the notes.
func (r DiskChange) Text() string {
	var b strings.Builder
	vm := fmt.Sprintf("VM %s (%s)", toolkit.Name(r.VM), r.ID)
	switch r.Action {
	case "Added", "Attached":
		fmt.Fprintf(&b, "%s %s to %s", r.Action, r.Disk.line(), vm)
	case "Grew":
		fmt.Fprintf(&b, "Grew %s of %s from %s to %s GB", toolkit.Name(r.Disk.Label), vm, numText(r.FromGB), numText(r.Disk.CapacityGB))
	case "Unchanged":
		fmt.Fprintf(&b, "Unchanged: %s of %s is already %s GB", toolkit.Name(r.Disk.Label), vm, numText(r.Disk.CapacityGB))
	case "Detached":
		fmt.Fprintf(&b, "Detached %s from %s; its file stays on the datastore", r.Disk.line(), vm)
	case "Deleted":
		fmt.Fprintf(&b, "Removed %s from %s and deleted its file", r.Disk.line(), vm)
	default:
		fmt.Fprintf(&b, "%s %s of %s", toolkit.Line(r.Action, 40), r.Disk.line(), vm)
	}
	if r.Task != "" {
		fmt.Fprintf(&b, " (task %s)", r.Task)
	}
	b.WriteString("\n")
	if r.NewController != "" {
		fmt.Fprintf(&b, "Every SCSI controller was full, so %s was added for it.\n", toolkit.Name(r.NewController))
	}
	if r.Snapshot != nil {
		fmt.Fprintf(&b, "Snapshot taken first: %s (%s); snapshot_revert returns to it, snapshot_delete removes it.\n", toolkit.Quote(r.Snapshot.Name, 0), r.Snapshot.ID)
	}
	for _, n := range r.Notes {
		b.WriteString(toolkit.Line(n, 0) + "\n")
	}
	return b.String()
}

// diskHandler is the handler of a disk tool: run in a session, which
// retries it after a lost session only while vCenter has not started the
// work (run sets started).
func diskHandler[A any](run func(ctx context.Context, c *vcenter.Conn, a A, out *DiskChange, started *bool) error) func(context.Context, toolkit.Deps, A) (DiskChange, error) {
	return func(ctx context.Context, d toolkit.Deps, a A) (DiskChange, error) {
		var out DiskChange
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			started := false
			err := run(ctx, c, a, &out, &started)
			return params.SessionSafe(err, started)
		})
		return out, err
	}
}

// openDiskVM reads the VM a disk tool changes and, when diskIdent is set,
// finds that disk in it; it starts out as action on them and checks that
// the VM's hardware may change now (the error then comes with the rest).
func openDiskVM(ctx context.Context, c *vcenter.Conn, vmIdent, diskIdent, action string, out *DiskChange) (*diskVM, *types.VirtualDisk, DiskInfo, error) {
	v, err := readDiskVM(ctx, c, vmIdent)
	if err != nil {
		return nil, nil, DiskInfo{}, err
	}
	var disk *types.VirtualDisk
	var info DiskInfo
	if diskIdent != "" {
		if disk, info, err = v.findDisk(diskIdent); err != nil {
			return nil, nil, DiskInfo{}, err
		}
	}
	*out = DiskChange{Action: action, VM: v.obj.Name, ID: v.obj.ID(), Disk: info}
	return v, disk, info, v.changeable()
}

// datastoreOf is the datastore holding info's file, or nil where it is
// unknown or cannot be read (the change then goes on without its checks).
func (v *diskVM) datastoreOf(ctx context.Context, c *vcenter.Conn, info DiskInfo) *diskDatastore {
	if info.Datastore == "" {
		return nil
	}
	d, err := v.pickDatastore(ctx, c, "disk", info.Datastore)
	if err != nil {
		return nil
	}
	return &d
}

// reconfigureDisk sends spec to the VM and waits for the task, after the
// snapshot_first snapshot when asked. started reports whether vCenter
// began the work (Session.Do must then not run it again). Errors are
// explained, and name the snapshot when one was taken.
func reconfigureDisk(ctx context.Context, c *vcenter.Conn, v *diskVM, tool, label string, spec types.VirtualMachineConfigSpec,
	snapFirst bool, ds *diskDatastore, out *DiskChange, started *bool) error {
	p := guard.NewProgress(ctx)
	if snapFirst {
		*started = true
		s, err := params.TakeSafetySnapshot(ctx, c, v.obj, tool, p)
		if err != nil {
			return err
		}
		out.Snapshot = s
	}
	fail := func(err error) error {
		return params.SessionSafe(params.WrapAfterSnapshot(explainDisk(ctx, c, err, ds), v.obj.Name, out.Snapshot), *started)
	}
	*started = true
	task, err := object.NewVirtualMachine(c.Client, v.obj.Ref).Reconfigure(ctx, spec)
	if err != nil {
		return fail(fmt.Errorf("%s: %w; nothing was changed", label, err))
	}
	out.Task = task.Reference().Value
	if _, err := guard.WaitTask(ctx, task, label, p, 0, 100); err != nil {
		return fail(fmt.Errorf("%s: %w", label, err))
	}
	return nil
}

// vmdkFile is a disk file found on a datastore.
type vmdkFile struct {
	found bool
	size  int64
	// others are the disk files in the same folder, for the error.
	others []string
}

// statVMDK looks for file ([datastore] dir/name.vmdk) with the
// datastore's browser, listing the folder's disks.
func statVMDK(ctx context.Context, c *vcenter.Conn, ds diskDatastore, p object.DatastorePath) (vmdkFile, error) {
	var m mo.Datastore
	if err := c.ReadRef(ctx, ds.obj.Ref, []string{"browser"}, &m); err != nil {
		return vmdkFile{}, fmt.Errorf("read the browser of datastore %s: %w", toolkit.Name(ds.obj.Name), err)
	}
	dir := path.Dir(p.Path)
	if dir == "." {
		dir = ""
	}
	folder := object.DatastorePath{Datastore: p.Datastore, Path: dir}
	req := types.SearchDatastore_Task{
		This:          m.Browser,
		DatastorePath: folder.String(),
		SearchSpec: &types.HostDatastoreBrowserSearchSpec{
			MatchPattern: []string{"*.vmdk"},
			Details:      &types.FileQueryFlags{FileType: true, FileSize: true},
		},
	}
	res, err := methods.SearchDatastore_Task(ctx, c.Client, &req)
	if err != nil {
		return vmdkFile{}, fmt.Errorf("search %s: %w", toolkit.Path(folder.String()), err)
	}
	info, err := object.NewTask(c.Client, res.Returnval).WaitForResult(ctx)
	if err != nil {
		if toolkit.HasFault[*types.FileNotFound](err) {
			return vmdkFile{}, nil // no such folder
		}
		return vmdkFile{}, fmt.Errorf("search %s: %w", toolkit.Path(folder.String()), err)
	}
	var out vmdkFile
	r, _ := info.Result.(types.HostDatastoreBrowserSearchResults)
	base := path.Base(p.Path)
	for _, f := range r.File {
		fi := f.GetFileInfo()
		switch {
		case fi.Path == base:
			out.found, out.size = true, fi.FileSize
		case descriptorName(fi.Path):
			out.others = append(out.others, fi.Path)
		}
	}
	return out, nil
}

// descriptorName reports whether name is a disk's descriptor, not one of
// its extents or change-tracking files.
func descriptorName(name string) bool {
	for _, s := range []string{"-flat.vmdk", "-delta.vmdk", "-ctk.vmdk", "-sesparse.vmdk", "-rdm.vmdk", "-rdmp.vmdk"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return strings.HasSuffix(name, ".vmdk")
}
