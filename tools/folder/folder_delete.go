package folder

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// FolderDeleteArgs names the folder to delete.
type FolderDeleteArgs struct {
	Folder    string `json:"folder" jsonschema:"The folder: path (e.g. /DC0/vm/old-project), name or ID"`
	Recursive bool   `json:"recursive,omitempty" jsonschema:"Also destroy everything in it: its VMs and templates (with their disks), subfolders and other objects. A person confirms, told the counts. Without it only an empty folder is deleted"`
}

func (a *FolderDeleteArgs) Validate() error {
	return toolkit.RequireIdent("folder", a.Folder, "folder")
}

// contents counts what a folder holds, at every depth.
type contents struct {
	vms, templates, folders, other int
	poweredOn                      []string
	all                            []types.ManagedObjectReference
}

func (n contents) empty() bool { return len(n.all) == 0 }

// describe words the counts: "3 VMs, 1 template and 2 subfolders".
func (n contents) describe() string {
	var parts []string
	add := func(k int, one, many string) {
		switch {
		case k == 1:
			parts = append(parts, "1 "+one)
		case k > 1:
			parts = append(parts, fmt.Sprintf("%d %s", k, many))
		}
	}
	add(n.vms, "VM", "VMs")
	add(n.templates, "template", "templates")
	add(n.folders, "subfolder", "subfolders")
	add(n.other, "other object", "other objects")
	if len(parts) == 0 {
		return "nothing"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// walk counts the folder's contents, reading one tree level per round
// trip. It reads without the scope (ReadRef-style), so what a scoped
// profile does not see is counted too: the caller refuses then.
func walk(ctx context.Context, c *vcenter.Conn, f mo.Folder) (contents, error) {
	var n contents
	todo := f.ChildEntity
	for depth := 0; len(todo) > 0 && depth < 64; depth++ {
		var folders, vms []types.ManagedObjectReference
		for _, r := range todo {
			n.all = append(n.all, r)
			switch r.Type {
			case "Folder":
				folders = append(folders, r)
				n.folders++
			case "VirtualMachine":
				vms = append(vms, r)
			default:
				n.other++
			}
		}
		if len(vms) > 0 {
			objs, _, err := c.RetrieveMany(ctx, vms, []string{"name", "config.template", "runtime.powerState"})
			if err != nil {
				return n, fmt.Errorf("read the folder's VMs: %w", err)
			}
			for _, oc := range objs {
				tmpl, _ := vcenter.PropVal(oc, "config.template").(bool)
				switch {
				case tmpl:
					n.templates++
				default:
					n.vms++
					if ps, _ := vcenter.PropVal(oc, "runtime.powerState").(types.VirtualMachinePowerState); ps != types.VirtualMachinePowerStatePoweredOff {
						name, _ := vcenter.PropVal(oc, "name").(string)
						n.poweredOn = append(n.poweredOn, name)
					}
				}
			}
		}
		todo = nil
		if len(folders) > 0 {
			objs, _, err := c.RetrieveMany(ctx, folders, []string{"childEntity"})
			if err != nil {
				return n, fmt.Errorf("read the subfolders: %w", err)
			}
			for _, oc := range objs {
				if ce, ok := vcenter.PropVal(oc, "childEntity").(types.ArrayOfManagedObjectReference); ok {
					todo = append(todo, ce.ManagedObjectReference...)
				}
			}
		}
	}
	return n, nil
}

func folderDelete() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "folder_delete",
		Title: "Delete a folder",
		Description: "Delete an empty inventory folder. With recursive=true also a non-empty one, destroying everything in it " +
			"(VMs and templates with their disks, subfolders): irreversible, so a person confirms, told how many VMs and templates go. " +
			"Powered-on VMs inside are refused: power them off first.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a FolderDeleteArgs) (FolderResult, error) {
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
			if err := special(o, f, "deleted"); err != nil {
				return err
			}
			n, err := walk(ctx, c, f)
			if err != nil {
				return err
			}
			what := "Delete empty folder"
			if !n.empty() {
				if !a.Recursive {
					return &toolkit.PlainError{Msg: fmt.Sprintf("folder %s holds %s; nothing was deleted. To destroy it with everything in it pass recursive: true (a person confirms), or move what should stay out first (vm_move)", toolkit.Path(o.Path), n.describe())}
				}
				if vis, err := c.VisibleSet(ctx, n.all); err != nil {
					return err
				} else if hidden := len(n.all) - len(vcenter.InSet(n.all, vis)); hidden > 0 {
					return &toolkit.PlainError{Msg: fmt.Sprintf("folder %s holds %d objects outside this profile's scope; it can only be deleted by a profile that sees them. Nothing was deleted", toolkit.Path(o.Path), hidden)}
				}
				if len(n.poweredOn) > 0 {
					return &toolkit.PlainError{Msg: fmt.Sprintf("folder %s holds %d VMs that are not powered off (%s); power them off first (vm_power_off with filter.folder). Nothing was deleted",
						toolkit.Path(o.Path), len(n.poweredOn), toolkit.Names(first(n.poweredOn, 10)))}
				}
				what = fmt.Sprintf("Delete folder and destroy everything in it: %s (VMs with their disks)", n.describe())
				guard.ConfirmIrreversible(ctx)
			}
			if err := guard.Act(ctx, what, o); err != nil {
				return err
			}
			task, err := object.NewFolder(c.Client, o.Ref).Destroy(ctx)
			if err != nil {
				return fmt.Errorf("delete folder %s: %w; nothing was deleted", toolkit.Path(o.Path), err)
			}
			out = FolderResult{Action: "Deleted", Name: o.Name, ID: o.ID(), Path: o.Path, Task: task.Reference().Value}
			if _, err := guard.WaitTask(ctx, task, "delete folder "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return fmt.Errorf("delete folder %s: %w; check what is left with folder_list and vm_list folder=%s", toolkit.Path(o.Path), err, toolkit.Path(o.Path))
			}
			if !n.empty() {
				out.Detail = "destroyed with it: " + n.describe()
			}
			return nil
		})
		return out, err
	})
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
