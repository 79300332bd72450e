package folder

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// FolderResult is a folder created, renamed or deleted.
type FolderResult struct {
	Action string   `json:"action"`
	Name   string   `json:"name"`
	ID     string   `json:"id"`
	Path   string   `json:"path"`
	Holds  []string `json:"holds,omitempty" jsonschema:"The kinds of object the folder holds, from its type"`
	Detail string   `json:"detail,omitempty"`
	Task   string   `json:"task,omitempty"`
}

// Text renders the action on one line.
func (r FolderResult) Text() string {
	s := fmt.Sprintf("%s folder %s (%s)", r.Action, toolkit.Path(r.Path), r.ID)
	if len(r.Holds) > 0 {
		s += ", holding " + strings.Join(r.Holds, ", ")
	}
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	return s + "\n"
}

// holds names what a folder of childType holds.
func holds(childType []string) []string {
	var out []string
	for _, t := range childType {
		switch t {
		case "VirtualMachine":
			out = append(out, "VMs and templates")
		case "ComputeResource":
			out = append(out, "hosts and clusters")
		case "Datastore":
			out = append(out, "datastores")
		case "Network":
			out = append(out, "networks")
		case "Datacenter":
			out = append(out, "datacenters")
		case "StoragePod":
			out = append(out, "datastore clusters")
		}
	}
	return out
}

func checkName(arg, s string) error {
	return params.CheckInventoryName(arg, "the folder's new name", s)
}

// readFolder reads what the tools need of a resolved folder.
func readFolder(ctx context.Context, c *vcenter.Conn, o vcenter.Object) (mo.Folder, error) {
	var f mo.Folder
	err := c.ReadOne(ctx, o, []string{"name", "parent", "childType", "childEntity"}, &f)
	return f, err
}

// special refuses the folders vCenter makes and keeps: the root folder and
// a datacenter's vm, host, datastore and network folders.
func special(o vcenter.Object, f mo.Folder, verb string) error {
	if f.Parent == nil {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is vCenter's root folder, which cannot be %s", toolkit.Path(o.Path), verb)}
	}
	if f.Parent.Type == "Datacenter" {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is a datacenter's own %s folder, which cannot be %s; work in a folder below it", toolkit.Path(o.Path), toolkit.Name(f.Name), verb)}
	}
	return nil
}

func explain(err error, name, where string) error {
	if fault.Is(err, &types.DuplicateName{}) {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s holds an object named %s already (DuplicateName); choose another name. Nothing was changed", toolkit.Path(where), toolkit.Name(name))}
	}
	if fault.Is(err, &types.InvalidName{}) {
		return &toolkit.PlainError{Msg: fmt.Sprintf("vCenter refuses the name %s (InvalidName). Nothing was changed", toolkit.Name(name))}
	}
	return err
}

// ---- folder_create ----

// FolderCreateArgs names the new folder.
type FolderCreateArgs struct {
	Parent string `json:"parent" jsonschema:"The folder to create it in: path (e.g. /DC0/vm or /DC0/vm/projects), name or ID; its type decides what the new folder holds (VMs, hosts, datastores, networks)"`
	Name   string `json:"name" jsonschema:"The new folder's name"`
}

func (a *FolderCreateArgs) Validate() error {
	if err := toolkit.RequireIdent("parent", a.Parent, "folder"); err != nil {
		return err
	}
	return checkName("name", a.Name)
}

func folderCreate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "folder_create",
		Title: "Create a folder",
		Description: "Create an inventory folder inside a parent folder (e.g. parent=/DC0/vm for a VM folder); " +
			"the parent's type decides what it holds: VMs and templates, hosts and clusters, datastores or networks.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a FolderCreateArgs) (FolderResult, error) {
		var out FolderResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			p, err := c.Resolve(ctx, "Folder", a.Parent)
			if err != nil {
				return err
			}
			pf, err := readFolder(ctx, c, p)
			if err != nil {
				return err
			}
			if err := guard.Act(ctx, fmt.Sprintf("Create folder %s in", toolkit.Name(a.Name)), p); err != nil {
				return err
			}
			nf, err := object.NewFolder(c.Client, p.Ref).CreateFolder(ctx, a.Name)
			if err != nil {
				return fmt.Errorf("create folder %s in %s: %w", toolkit.Name(a.Name), toolkit.Path(p.Path), explain(err, a.Name, p.Path))
			}
			o, err := c.Describe(ctx, nf.Reference())
			if err != nil {
				return fmt.Errorf("created folder %s (%s) but cannot read it back: %w", toolkit.Name(a.Name), nf.Reference().Value, err)
			}
			out = FolderResult{Action: "Created", Name: o.Name, ID: o.ID(), Path: o.Path, Holds: holds(pf.ChildType)}
			return nil
		})
		return out, err
	})
}

// ---- folder_rename ----

// FolderRenameArgs names the folder and its new name.
type FolderRenameArgs struct {
	Folder  string `json:"folder" jsonschema:"The folder: path (e.g. /DC0/vm/projects), name or ID"`
	NewName string `json:"new_name" jsonschema:"Its new name"`
}

func (a *FolderRenameArgs) Validate() error {
	if err := toolkit.RequireIdent("folder", a.Folder, "folder"); err != nil {
		return err
	}
	return checkName("new_name", a.NewName)
}

func folderRename() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "folder_rename",
		Title:       "Rename a folder",
		Description: "Rename an inventory folder; what it holds stays in it (their inventory paths change with it).",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a FolderRenameArgs) (FolderResult, error) {
		var out FolderResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "Folder", a.Folder)
			if err != nil {
				return err
			}
			f, err := readFolder(ctx, c, o)
			if err != nil {
				return err
			}
			if err := special(o, f, "renamed"); err != nil {
				return err
			}
			if f.Name == a.NewName {
				out = FolderResult{Action: "Unchanged", Name: o.Name, ID: o.ID(), Path: o.Path, Detail: "it has that name already"}
				return nil
			}
			if err := guard.Act(ctx, fmt.Sprintf("Rename folder to %s", toolkit.Name(a.NewName)), o); err != nil {
				return err
			}
			task, err := object.NewFolder(c.Client, o.Ref).Rename(ctx, a.NewName)
			if err != nil {
				return fmt.Errorf("rename folder %s: %w", toolkit.Path(o.Path), err)
			}
			if _, err := guard.WaitTask(ctx, task, "rename folder "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				parent := o.Path[:max(strings.LastIndex(o.Path, "/"), 0)]
				return fmt.Errorf("rename folder %s: %w", toolkit.Path(o.Path), explain(err, a.NewName, parent))
			}
			after, err := c.Describe(ctx, o.Ref)
			if err != nil {
				return err
			}
			out = FolderResult{Action: "Renamed", Name: after.Name, ID: after.ID(), Path: after.Path, Task: task.Reference().Value,
				Detail: fmt.Sprintf("%s → %s", toolkit.Name(o.Name), toolkit.Name(after.Name))}
			return nil
		})
		return out, err
	})
}
