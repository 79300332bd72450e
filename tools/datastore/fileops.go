package datastore

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// stat finds p on t: its entry, or nil when it (or its folder) does not
// exist. The root is a folder.
func stat(ctx context.Context, c *vcenter.Conn, t dsTarget, p params.DatastorePath) (*fileEntry, error) {
	if p.Path == "" {
		return &fileEntry{Path: p, Type: typeFolder}, nil
	}
	name := p.Name()
	pattern := name
	if strings.ContainsAny(name, "*?[]\\") {
		pattern = "*"
	}
	entries, err := search(ctx, c, t, p.Parent(), []string{pattern}, false, true)
	if err != nil {
		if fault.Is(err, &types.FileNotFound{}) {
			return nil, nil
		}
		return nil, err
	}
	for i := range entries {
		if entries[i].Path.Path == p.Path {
			return &entries[i], nil
		}
	}
	return nil, nil
}

// treeSize is the size of p: the file's, or the sum of everything below a
// folder, with the number of files.
func treeSize(ctx context.Context, c *vcenter.Conn, t dsTarget, e *fileEntry) (int64, int, error) {
	if e.Type != typeFolder {
		return e.Size, 1, nil
	}
	entries, err := search(ctx, c, t, e.Path, nil, true, false)
	if err != nil {
		return 0, 0, err
	}
	var size int64
	n := 0
	for _, f := range entries {
		if f.Type != typeFolder {
			size += f.Size
			n++
		}
	}
	return size, n, nil
}

// describeEntry names a file or folder with its size for a confirmation.
func describeEntry(e *fileEntry, size int64, files int) string {
	if e.Type == typeFolder {
		return fmt.Sprintf("folder %s (%d files, %s)", toolkit.Path(e.Path.String()), files, toolkit.HumanBytes(size))
	}
	return fmt.Sprintf("file %s (%s)", toolkit.Path(e.Path.String()), toolkit.HumanBytes(size))
}

// isDiskDescriptor: a .vmdk that names a disk (not an extent), which the
// virtual disk manager moves, copies and deletes with its extents.
func isDiskDescriptor(p params.DatastorePath) bool {
	n := strings.ToLower(p.Name())
	return strings.HasSuffix(n, ".vmdk") && !strings.HasSuffix(n, "-flat.vmdk") && !strings.HasSuffix(n, "-delta.vmdk") &&
		!strings.HasSuffix(n, "-sesparse.vmdk") && !strings.HasSuffix(n, "-ctk.vmdk")
}

// refuseVMFiles refuses p when a registered VM has files at or below it.
func refuseVMFiles(ctx context.Context, c *vcenter.Conn, t dsTarget, p params.DatastorePath, verb, instead string) error {
	vf, err := readVMFiles(ctx, c, t)
	if err != nil {
		return err
	}
	if vms := vf.usedBy(p); len(vms) > 0 {
		return fmt.Errorf("%s holds files of registered VM %s; not %s: %s", toolkit.Path(p.String()), vf.describe(vms), verb, instead)
	}
	return nil
}

// fileTask starts a FileManager (or, for a disk, VirtualDiskManager) task.
type fileOp int

const (
	opMove fileOp = iota
	opCopy
	opDelete
)

func startFileTask(ctx context.Context, c *vcenter.Conn, op fileOp, src dsTarget, sp params.DatastorePath, dst dsTarget, dp params.DatastorePath, force bool) (*object.Task, error) {
	sc := c.Client.ServiceContent
	disk := isDiskDescriptor(sp)
	var ref types.ManagedObjectReference
	var err error
	switch {
	case op == opDelete && disk:
		var r *types.DeleteVirtualDisk_TaskResponse
		r, err = methods.DeleteVirtualDisk_Task(ctx, c.Client, &types.DeleteVirtualDisk_Task{This: *sc.VirtualDiskManager, Name: sp.String(), Datacenter: &src.DC})
		if err == nil {
			ref = r.Returnval
		}
	case op == opDelete:
		var r *types.DeleteDatastoreFile_TaskResponse
		r, err = methods.DeleteDatastoreFile_Task(ctx, c.Client, &types.DeleteDatastoreFile_Task{This: *sc.FileManager, Name: sp.String(), Datacenter: &src.DC})
		if err == nil {
			ref = r.Returnval
		}
	case op == opMove && disk:
		var r *types.MoveVirtualDisk_TaskResponse
		r, err = methods.MoveVirtualDisk_Task(ctx, c.Client, &types.MoveVirtualDisk_Task{This: *sc.VirtualDiskManager, SourceName: sp.String(), SourceDatacenter: &src.DC,
			DestName: dp.String(), DestDatacenter: &dst.DC, Force: types.NewBool(force)})
		if err == nil {
			ref = r.Returnval
		}
	case op == opMove:
		var r *types.MoveDatastoreFile_TaskResponse
		r, err = methods.MoveDatastoreFile_Task(ctx, c.Client, &types.MoveDatastoreFile_Task{This: *sc.FileManager, SourceName: sp.String(), SourceDatacenter: &src.DC,
			DestinationName: dp.String(), DestinationDatacenter: &dst.DC, Force: types.NewBool(force)})
		if err == nil {
			ref = r.Returnval
		}
	case op == opCopy && disk:
		var r *types.CopyVirtualDisk_TaskResponse
		r, err = methods.CopyVirtualDisk_Task(ctx, c.Client, &types.CopyVirtualDisk_Task{This: *sc.VirtualDiskManager, SourceName: sp.String(), SourceDatacenter: &src.DC,
			DestName: dp.String(), DestDatacenter: &dst.DC, Force: types.NewBool(force)})
		if err == nil {
			ref = r.Returnval
		}
	default:
		var r *types.CopyDatastoreFile_TaskResponse
		r, err = methods.CopyDatastoreFile_Task(ctx, c.Client, &types.CopyDatastoreFile_Task{This: *sc.FileManager, SourceName: sp.String(), SourceDatacenter: &src.DC,
			DestinationName: dp.String(), DestinationDatacenter: &dst.DC, Force: types.NewBool(force)})
		if err == nil {
			ref = r.Returnval
		}
	}
	if err != nil {
		return nil, err
	}
	return object.NewTask(c.Client, ref), nil
}

// waitFileTask waits for a file task with progress from..to on p (nil:
// a new one, 0..100).
func waitFileTask(ctx context.Context, task *object.Task, label, where string, p *guard.Progress, from, to float64) error {
	if p == nil {
		p, from, to = guard.NewProgress(ctx), 0, 100
	}
	if _, err := guard.WaitTask(ctx, task, label, p, from, to); err != nil {
		return explainFileFault(err, where)
	}
	return nil
}
