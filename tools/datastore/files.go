package datastore

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// FileActionResult is what a datastore file tool did.
type FileActionResult struct {
	Action      string `json:"action"`
	Path        string `json:"path" jsonschema:"The file or folder acted on ([datastore] path)"`
	Destination string `json:"destination,omitempty"`
	Type        string `json:"type,omitempty"`
	Bytes       int64  `json:"bytes,omitempty"`
	Files       int    `json:"files,omitempty"`
	Task        string `json:"task,omitempty"`
}

func (r FileActionResult) Text() string {
	s := r.Action + " " + toolkit.Path(r.Path)
	if r.Destination != "" {
		s += " to " + toolkit.Path(r.Destination)
	}
	if r.Bytes > 0 {
		s += " (" + toolkit.HumanBytes(r.Bytes) + ")"
	}
	if r.Task != "" {
		s += ", task " + r.Task
	}
	return s + "\n"
}

// PathArgs is a datastore path argument with an optional datastore.
type PathArgs struct {
	Datastore string `json:"datastore,omitempty" jsonschema:"The datastore (name, inventory path or ID); optional when path starts with [datastore]"`
	Path      string `json:"path" jsonschema:"[datastore] folder/file, or folder/file with datastore"`
}

func (a *PathArgs) check(root bool) error {
	p, err := params.ParseDatastorePath("path", a.Path, a.Datastore)
	if err != nil {
		return err
	}
	if !root && p.Path == "" {
		return fmt.Errorf("path names the datastore's root; name a folder or file inside it")
	}
	return nil
}

// ---- datastore_mkdir ----

type DatastoreMkdirArgs struct {
	PathArgs
	Parents bool `json:"parents,omitempty" jsonschema:"Also create missing parent folders (like mkdir -p)"`
}

func (a *DatastoreMkdirArgs) Validate() error { return a.check(false) }

func datastoreMkdir() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_mkdir",
		Title: "Create a datastore folder",
		Description: "Create a folder on a datastore (path: \"[ds1] iso/linux\"); parents: true creates missing parent folders too. " +
			"A folder that already exists is left unchanged.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreMkdirArgs) (FileActionResult, error) {
		var out FileActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, p, err := resolvePath(ctx, c, d.Defaults, "path", a.Path, a.Datastore)
			if err != nil {
				return err
			}
			if e, err := stat(ctx, c, t, p); err != nil {
				return err
			} else if e != nil && e.Type == typeFolder {
				// Already as asked: nothing to do, and no write.
				out = FileActionResult{Action: "Unchanged, the folder already exists:", Path: p.String(), Type: typeFolder}
				return nil
			} else if e != nil {
				return fmt.Errorf("%s already exists as a file (%s), not a folder; nothing was created", toolkit.Path(p.String()), e.Type)
			}
			if !a.Parents {
				if e, err := stat(ctx, c, t, p.Parent()); err != nil {
					return err
				} else if e == nil || e.Type != typeFolder {
					return fmt.Errorf("the parent folder %s does not exist: pass parents: true to create it too", toolkit.Path(p.Parent().String()))
				}
			}
			if err := guard.Act(ctx, "Create folder "+toolkit.Path(p.String()), t.Object); err != nil {
				return err
			}
			req := types.MakeDirectory{This: *c.Client.ServiceContent.FileManager, Name: p.String(), Datacenter: &t.DC, CreateParentDirectories: types.NewBool(a.Parents)}
			if _, err := methods.MakeDirectory(ctx, c.Client, &req); err != nil {
				return fmt.Errorf("create folder %s: %w", toolkit.Path(p.String()), explainFileFault(err, p.String()))
			}
			out = FileActionResult{Action: "Created folder", Path: p.String(), Type: typeFolder}
			return nil
		})
		return out, err
	})
}

// ---- datastore_file_move / datastore_file_copy ----

type DatastoreFileTransferArgs struct {
	Datastore   string `json:"datastore,omitempty" jsonschema:"Datastore of plain (unbracketed) source and destination paths"`
	Source      string `json:"source" jsonschema:"[datastore] folder/file (a file or a folder)"`
	Destination string `json:"destination" jsonschema:"[datastore] folder/name, possibly on another datastore; an existing folder or a path ending in / receives the source under its own name"`
	Overwrite   bool   `json:"overwrite,omitempty" jsonschema:"Replace an existing destination file; default false"`
}

func (a *DatastoreFileTransferArgs) Validate() error {
	s, err := params.ParseDatastorePath("source", a.Source, a.Datastore)
	if err != nil {
		return err
	}
	if s.Path == "" {
		return fmt.Errorf("source names a datastore's root; name a file or folder")
	}
	_, err = params.ParseDatastorePath("destination", a.Destination, a.Datastore)
	return err
}

func datastoreFileMove() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_file_move",
		Title: "Move or rename a datastore file",
		Description: "Move or rename a file or folder on a datastore, or to another datastore (source, destination as [ds] folder/file). " +
			"Refuses files of a registered VM (use vm_migrate for those) and an existing destination unless overwrite: true. Progress is reported.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreFileTransferArgs) (FileActionResult, error) {
		return transfer(ctx, d, a, opMove)
	})
}

func datastoreFileCopy() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_file_copy",
		Title: "Copy a datastore file",
		Description: "Copy a file or folder on a datastore, or to another datastore (source, destination as [ds] folder/file); disks are " +
			"copied with their extents. Refuses an existing destination unless overwrite: true. Progress is reported.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreFileTransferArgs) (FileActionResult, error) {
		return transfer(ctx, d, a, opCopy)
	})
}

func transfer(ctx context.Context, d toolkit.Deps, a DatastoreFileTransferArgs, op fileOp) (FileActionResult, error) {
	verb, done := "move", "Moved"
	if op == opCopy {
		verb, done = "copy", "Copied"
	}
	var out FileActionResult
	err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
		st, sp, err := resolvePath(ctx, c, d.Defaults, "source", a.Source, a.Datastore)
		if err != nil {
			return err
		}
		dt, dp, err := resolvePath(ctx, c, d.Defaults, "destination", a.Destination, a.Datastore)
		if err != nil {
			return err
		}
		se, err := stat(ctx, c, st, sp)
		if err != nil {
			return err
		}
		if se == nil {
			return fmt.Errorf("source %s does not exist (list its folder with datastore_browse)", toolkit.Path(sp.String()))
		}
		// Into an existing folder (or one named with a trailing slash).
		if de, err := stat(ctx, c, dt, dp); err != nil {
			return err
		} else if dp.Path == "" || strings.HasSuffix(strings.TrimSpace(a.Destination), "/") || de != nil && de.Type == typeFolder {
			dp = dp.Join(sp.Name())
		}
		if sp == dp || dp.Within(sp) && se.Type == typeFolder {
			return fmt.Errorf("cannot %s %s onto or into itself", verb, toolkit.Path(sp.String()))
		}
		de, err := stat(ctx, c, dt, dp)
		if err != nil {
			return err
		}
		if de != nil && !a.Overwrite {
			return fmt.Errorf("destination %s exists (%s); nothing was done. Pass overwrite: true to replace it, or choose another name", toolkit.Path(dp.String()), toolkit.HumanBytes(de.Size))
		}
		if de != nil {
			if err := refuseVMFiles(ctx, c, dt, dp, "replaced", "choose another destination"); err != nil {
				return err
			}
		}
		if op == opMove {
			if err := refuseVMFiles(ctx, c, st, sp, "moved", "moving them would break the VM; use vm_migrate to move a VM's storage"); err != nil {
				return err
			}
		}
		if pe, err := stat(ctx, c, dt, dp.Parent()); err != nil {
			return err
		} else if pe == nil || pe.Type != typeFolder {
			return fmt.Errorf("destination folder %s does not exist: create it with datastore_mkdir", toolkit.Path(dp.Parent().String()))
		}
		size, files, err := treeSize(ctx, c, st, se)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("%s %s to %s", strings.ToUpper(verb[:1])+verb[1:], describeEntry(se, size, files), toolkit.Path(dp.String()))
		if de != nil {
			what += " replacing the file there"
		}
		if op == opMove && st.Ref != dt.Ref {
			err = guard.ActOn(ctx, what, st.Object, dt.Object)
		} else {
			err = guard.Act(ctx, what, dt.Object)
		}
		if err != nil {
			return err
		}
		task, err := startFileTask(ctx, c, op, st, sp, dt, dp, a.Overwrite)
		if err != nil {
			return fmt.Errorf("%s %s: %w", verb, toolkit.Path(sp.String()), explainFileFault(err, dp.String()))
		}
		out = FileActionResult{Action: done, Path: sp.String(), Destination: dp.String(), Type: se.Type, Bytes: size, Files: files, Task: task.Reference().Value}
		return waitFileTask(ctx, task, verb+" "+toolkit.Path(sp.String()), dp.String(), nil, 0, 100)
	})
	return out, err
}

// ---- datastore_file_delete ----

type DatastoreFileDeleteArgs struct {
	PathArgs
}

func (a *DatastoreFileDeleteArgs) Validate() error { return a.check(false) }

func datastoreFileDelete() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_file_delete",
		Title: "Delete a datastore file or folder",
		Description: "Delete a file or a folder (with everything in it) from a datastore: orphaned disks, old ISOs, leftovers that " +
			"datastore_usage lists as unowned. Refuses files of a registered VM, naming it (use vm_disk_remove or vm_delete). " +
			"Irreversible: a person confirms, told the file or folder and its size.",
		Risk: policy.RiskIrreversible,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreFileDeleteArgs) (FileActionResult, error) {
		var out FileActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, p, err := resolvePath(ctx, c, d.Defaults, "path", a.Path, a.Datastore)
			if err != nil {
				return err
			}
			e, err := stat(ctx, c, t, p)
			if err != nil {
				return err
			}
			if e == nil {
				return fmt.Errorf("%s does not exist (list its folder with datastore_browse); nothing was deleted", toolkit.Path(p.String()))
			}
			if err := refuseVMFiles(ctx, c, t, p, "deleted", "use vm_disk_remove to remove a disk from its VM, or vm_delete to delete the whole VM"); err != nil {
				return err
			}
			size, files, err := treeSize(ctx, c, t, e)
			if err != nil {
				return err
			}
			guard.Confirm(ctx)
			if err := guard.Act(ctx, "Delete "+describeEntry(e, size, files), t.Object); err != nil {
				return err
			}
			op := opDelete
			task, err := startFileTask(ctx, c, op, t, p, t, p, false)
			if err != nil {
				return fmt.Errorf("delete %s: %w", toolkit.Path(p.String()), explainFileFault(err, p.String()))
			}
			out = FileActionResult{Action: "Deleted", Path: p.String(), Type: e.Type, Bytes: size, Files: files, Task: task.Reference().Value}
			return waitFileTask(ctx, task, "delete "+toolkit.Path(p.String()), p.String(), nil, 0, 100)
		})
		return out, err
	})
}
