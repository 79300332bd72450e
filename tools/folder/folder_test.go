package folder

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// folderAt finds the folder at path through govmomi, or nil.
func (e *env) folderAt(path string) *object.Folder {
	e.T.Helper()
	f, err := find.NewFinder(e.Vim).Folder(e.Ctx, path)
	if err != nil {
		return nil
	}
	return f
}

func (e *env) childType(f *object.Folder) []string {
	e.T.Helper()
	var mf mo.Folder
	if err := f.Properties(e.Ctx, f.Reference(), []string{"childType"}, &mf); err != nil {
		e.T.Fatal(err)
	}
	return mf.ChildType
}

func (e *env) vmNames() map[string]bool {
	out := map[string]bool{}
	for _, v := range e.AllVMs("name") {
		out[v.Name] = true
	}
	return out
}

// TestFolders creates, renames and deletes folders as vm-admin, reading
// the tree back through govmomi.
func TestFolders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "vm-admin", nil)

	t.Run("create", func(t *testing.T) {
		e := e.at(t)
		var r FolderResult
		text := e.OK("folder_create", map[string]any{"parent": "/DC0/vm", "name": "projects"}, &r)
		f := e.folderAt("/DC0/vm/projects")
		if f == nil || r.ID != f.Reference().Value || r.Path != "/DC0/vm/projects" {
			t.Fatalf("create: %+v, govmomi finds %v", r, f)
		}
		if ct := e.childType(f); !strings.Contains(strings.Join(ct, ","), "VirtualMachine") {
			t.Errorf("new VM folder holds %v", ct)
		}
		toolstest.MustContain(t, text, "Created folder /DC0/vm/projects (group-", "holding VMs and templates")
		// Nested, by ID of the parent; a host folder holds hosts and clusters.
		e.OK("folder_create", map[string]any{"parent": r.ID, "name": "web"}, nil)
		if e.folderAt("/DC0/vm/projects/web") == nil {
			t.Error("nested folder not created")
		}
		text = e.OK("folder_create", map[string]any{"parent": "/DC0/host", "name": "racks"}, &r)
		toolstest.MustContain(t, text, "holding hosts and clusters")
		if f := e.folderAt("/DC0/host/racks"); f == nil || !strings.Contains(strings.Join(e.childType(f), ","), "ComputeResource") {
			t.Error("host folder not created as a host folder")
		}
		toolstest.MustContain(t, e.Fails("folder_create", map[string]any{"parent": "/DC0/vm", "name": "projects"}), "holds an object named projects already (DuplicateName)")
	})

	t.Run("rename", func(t *testing.T) {
		e := e.at(t)
		e.OK("folder_create", map[string]any{"parent": "/DC0/vm", "name": "before"}, nil)
		var r FolderResult
		text := e.OK("folder_rename", map[string]any{"folder": "/DC0/vm/before", "new_name": "after"}, &r)
		if e.folderAt("/DC0/vm/after") == nil || e.folderAt("/DC0/vm/before") != nil || r.Path != "/DC0/vm/after" {
			t.Fatalf("rename: %+v", r)
		}
		toolstest.MustContain(t, text, "Renamed folder /DC0/vm/after (group-", "before → after")
		e.OK("folder_rename", map[string]any{"folder": "/DC0/vm/after", "new_name": "after"}, &r)
		if r.Action != "Unchanged" {
			t.Errorf("same name: %+v", r)
		}
		toolstest.MustContain(t, e.Fails("folder_rename", map[string]any{"folder": "/DC0/vm", "new_name": "x"}), "is a datacenter's own vm folder, which cannot be renamed")
	})

	t.Run("delete empty", func(t *testing.T) {
		e := e.at(t)
		e.OK("folder_create", map[string]any{"parent": "/DC0/vm", "name": "empty"}, nil)
		e.person.Answer(true)
		var r FolderResult
		e.OK("folder_delete", map[string]any{"folder": "/DC0/vm/empty"}, &r)
		if e.folderAt("/DC0/vm/empty") != nil || r.Action != "Deleted" {
			t.Fatalf("empty folder still there: %+v", r)
		}
		if q := e.person.Asked(); len(q) != 0 {
			t.Errorf("deleting an empty folder asked %q", q)
		}
		toolstest.MustContain(t, e.Fails("folder_delete", map[string]any{"folder": "/DC0/vm"}), "cannot be deleted")
	})

	t.Run("delete recursive", func(t *testing.T) {
		e := e.at(t)
		e.OK("folder_create", map[string]any{"parent": "/DC0/vm", "name": "old"}, nil)
		e.OK("folder_create", map[string]any{"parent": "/DC0/vm/old", "name": "sub"}, nil)
		old, sub := e.folderAt("/DC0/vm/old"), e.folderAt("/DC0/vm/old/sub")
		vm0 := object.NewVirtualMachine(e.Vim, e.VMRef("/DC0/vm/DC0_H0_VM0"))
		vm1 := object.NewVirtualMachine(e.Vim, e.VMRef("/DC0/vm/DC0_H0_VM1"))
		for _, step := range []func() (*object.Task, error){
			func() (*object.Task, error) {
				return old.MoveInto(e.Ctx, []types.ManagedObjectReference{vm0.Reference()})
			},
			func() (*object.Task, error) {
				return sub.MoveInto(e.Ctx, []types.ManagedObjectReference{vm1.Reference()})
			},
			func() (*object.Task, error) { return vm1.PowerOff(e.Ctx) },
		} {
			task, err := step()
			if err == nil {
				err = task.Wait(e.Ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := vm1.MarkAsTemplate(e.Ctx); err != nil {
			t.Fatal(err)
		}
		before := e.vmNames()

		toolstest.MustContain(t, e.Fails("folder_delete", map[string]any{"folder": "/DC0/vm/old"}),
			"folder /DC0/vm/old holds 1 VM, 1 template and 1 subfolder; nothing was deleted", "recursive: true")
		toolstest.MustContain(t, e.Fails("folder_delete", map[string]any{"folder": "/DC0/vm/old", "recursive": true}),
			"holds 1 VMs that are not powered off (DC0_H0_VM0); power them off first")
		task, err := vm0.PowerOff(e.Ctx)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			t.Fatal(err)
		}

		e.person.Answer(false)
		toolstest.MustContain(t, e.Fails("folder_delete", map[string]any{"folder": "/DC0/vm/old", "recursive": true}), "did not confirm")
		if e.folderAt("/DC0/vm/old/sub") == nil || len(e.vmNames()) != len(before) {
			t.Fatal("a declined delete changed the tree")
		}
		q := e.person.Asked()
		if len(q) != 1 || !strings.Contains(q[0], "destroy everything in it: 1 VM, 1 template and 1 subfolder (VMs with their disks): /DC0/vm/old (group-") {
			t.Errorf("question: %q", q)
		}

		e.person.Answer(true)
		var r FolderResult
		text := e.OK("folder_delete", map[string]any{"folder": "/DC0/vm/old", "recursive": true}, &r)
		toolstest.MustContain(t, text, "Deleted folder /DC0/vm/old (", "destroyed with it: 1 VM, 1 template and 1 subfolder")
		if e.folderAt("/DC0/vm/old") != nil || e.folderAt("/DC0/vm/old/sub") != nil {
			t.Error("folder still there")
		}
		after := e.vmNames()
		if after["DC0_H0_VM0"] || after["DC0_H0_VM1"] || len(after) != len(before)-2 {
			t.Errorf("VMs after: %d of %d, VM0 %v VM1 %v", len(after), len(before), after["DC0_H0_VM0"], after["DC0_H0_VM1"])
		}
	})

	t.Run("errors", func(t *testing.T) {
		e := e.at(t)
		for _, tc := range []struct {
			tool string
			args map[string]any
			want string
		}{
			{"folder_create", map[string]any{"parent": "/DC0/vm", "name": ""}, "name is required"},
			{"folder_create", map[string]any{"parent": "/DC0/vm", "name": "a/b"}, "must not contain /"},
			{"folder_create", map[string]any{"parent": "/DC0/vm", "name": strings.Repeat("x", 81)}, "at most 80"},
			{"folder_create", map[string]any{"parent": "", "name": "x"}, "parent is required"},
			{"folder_create", map[string]any{"parent": "/DC0/vm/nope", "name": "x"}, "no folder matches"},
			{"folder_create", map[string]any{"parent": "/DC0/vm/DC0_H0_VM2", "name": "x"}, `no folder matches "/DC0/vm/DC0_H0_VM2"`},
			{"folder_rename", map[string]any{"folder": "/DC0/vm/projects", "new_name": " x"}, "must not start or end with spaces"},
			{"folder_delete", map[string]any{"folder": ""}, "folder is required"},
		} {
			toolstest.MustContain(t, e.Fails(tc.tool, tc.args), tc.want)
		}
		if e.folderAt("/DC0/vm/x") != nil {
			t.Error("a refused call created a folder")
		}
	})
}

// TestFolderScope: a role scoped to DC0 neither sees nor changes DC1's
// folders.
func TestFolderScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0": {Inherits: "vm-admin", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	e := newEnv(t, "dc0", custom)
	toolstest.MustContain(t, e.Fails("folder_create", map[string]any{"parent": "/DC1/vm", "name": "x"}), "no folder matches")
	if e.folderAt("/DC1/vm/x") != nil {
		t.Error("created a folder out of scope")
	}
	e.OK("folder_create", map[string]any{"parent": "/DC0/vm", "name": "x"}, nil)
	if e.folderAt("/DC0/vm/x") == nil {
		t.Error("no folder in scope")
	}
}
