package vm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMCloneArgs describe a clone.
type VMCloneArgs struct {
	VM            string `json:"vm" jsonschema:"The source VM or template: name, inventory path, ID or UUID"`
	Name          string `json:"name" jsonschema:"Name of the clone"`
	Folder        string `json:"folder,omitempty" jsonschema:"VM folder for the clone; default the source's folder"`
	Cluster       string `json:"cluster,omitempty" jsonschema:"Cluster to run the clone on (its root resource pool)"`
	Host          string `json:"host,omitempty" jsonschema:"Host to run the clone on"`
	ResourcePool  string `json:"resource_pool,omitempty" jsonschema:"Resource pool of the clone; default the source's (for a template: the root pool of its host)"`
	Datastore     string `json:"datastore,omitempty" jsonschema:"Datastore for the clone; default the source's"`
	Linked        bool   `json:"linked,omitempty" jsonschema:"Linked clone: share the source's disks as of a snapshot (fast, small); default a full copy"`
	Snapshot      string `json:"snapshot,omitempty" jsonschema:"Snapshot to clone from, by name or path in the tree (a/b/c); default the current state, or for linked clones the current snapshot"`
	PowerOn       bool   `json:"power_on,omitempty" jsonschema:"Power the clone on when it is created"`
	Customization string `json:"customization,omitempty" jsonschema:"Name of a guest customization spec stored in vCenter, applied at first boot"`
}

func (a *VMCloneArgs) Validate() error {
	if strings.TrimSpace(a.VM) == "" {
		return errors.New("vm is required: the source VM or template (name, inventory path, ID or UUID)")
	}
	if err := params.CheckVMName("name", a.Name); err != nil {
		return err
	}
	if a.Cluster != "" && a.ResourcePool != "" {
		return errors.New("pass cluster or resource_pool, not both: a cluster means its root resource pool")
	}
	if strings.HasPrefix(a.Snapshot, "/") || strings.HasSuffix(a.Snapshot, "/") {
		return fmt.Errorf("snapshot %q: a snapshot path is names joined by /, without a leading or trailing /", a.Snapshot)
	}
	return nil
}

// VMCloneResult reports the clone.
type VMCloneResult struct {
	Action        string   `json:"action"`
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Path          string   `json:"path"`
	Source        string   `json:"source"`
	SourceID      string   `json:"source_id"`
	Linked        bool     `json:"linked,omitempty"`
	Snapshot      string   `json:"snapshot,omitempty"`
	Customization string   `json:"customization,omitempty"`
	PowerState    string   `json:"power_state"`
	Host          string   `json:"host,omitempty"`
	ResourcePool  string   `json:"resource_pool,omitempty"`
	Datastores    []string `json:"datastores"`
	Defaults      []string `json:"defaults,omitempty" jsonschema:"What vsphere-mcp chose for arguments left out, and why"`
	Tasks         []string `json:"tasks"`
}

// Text renders the clone in a few lines.
func (r VMCloneResult) Text() string {
	var b strings.Builder
	kind := "full clone"
	if r.Linked {
		kind = "linked clone"
	}
	fmt.Fprintf(&b, "%s %s (%s) %s: %s of %s (%s)", r.Action, toolkit.Name(r.Name), r.ID, toolkit.Path(r.Path), kind, toolkit.Path(r.Source), r.SourceID)
	if r.Snapshot != "" {
		fmt.Fprintf(&b, " at snapshot %s", toolkit.Path(r.Snapshot))
	}
	fmt.Fprintf(&b, ", %s\n", r.PowerState)
	fmt.Fprintf(&b, "placement: pool %s, host %s, datastores %s\n", orDash(toolkit.Path(r.ResourcePool)), orDash(toolkit.Path(r.Host)), toolkit.Names(r.Datastores))
	if r.Customization != "" {
		fmt.Fprintf(&b, "customization: %s (applied at first boot)\n", toolkit.Name(r.Customization))
	}
	writeDefaults(&b, r.Defaults)
	fmt.Fprintf(&b, "tasks: %s\n", strings.Join(r.Tasks, ","))
	return b.String()
}

func vmClone() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_clone",
		Title: "Clone a VM or template",
		Description: "Clone a VM or template to a new VM: full copy, or linked clone from a snapshot; optionally into another folder, " +
			"pool, host or datastore (else the placement defaults, else the source's), with a stored guest customization spec, powered on after. " +
			"A full clone copies every disk and can take many minutes; can run as a background task.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a VMCloneArgs) (VMCloneResult, error) {
		var out VMCloneResult
		started := false
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			out = VMCloneResult{Action: "Cloned", Name: a.Name, Linked: a.Linked, Customization: a.Customization, Datastores: []string{}, Tasks: []string{}}
			src, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out.Source, out.SourceID = src.Path, src.ID()
			msrc, err := readVMProps(ctx, c, src, append(slices.Clone(vmStateProps), "snapshot"))
			if err != nil {
				return err
			}
			template := isTemplate(msrc)

			// Where the clone goes.
			pl, plNote, err := params.ResolvePlacementOrDefault(ctx, c, d.Defaults, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
			}
			if plNote != "" {
				out.Defaults = append(out.Defaults, plNote)
			}
			switch {
			case pl == nil && template:
				if msrc.Runtime.Host == nil {
					return fmt.Errorf("template %s is registered on no host, so there is no default placement; pass cluster, host or resource_pool", toolkit.Path(src.Path))
				}
				h, err := c.Describe(ctx, *msrc.Runtime.Host)
				if err != nil {
					return err
				}
				if pl, err = params.ResolvePlacement(ctx, c, params.PlaceArgs{Host: h.Ref.Value}); err != nil {
					return err
				}
				pl.Host = nil // let vCenter choose within the compute resource
				out.Defaults = append(out.Defaults, fmt.Sprintf("resource pool %s: the root pool of %s, where template %s is registered", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path), toolkit.Name(src.Name)))
			case pl == nil:
				out.Defaults = append(out.Defaults, "placement: the source's resource pool and host")
			case pl.PoolDefaulted:
				out.Defaults = append(out.Defaults, fmt.Sprintf("resource pool %s: the root pool of %s", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path)))
			}
			var folder vcenter.Object
			folderIdent, folderNote := params.DefaultFolder(d.Defaults, a.Folder)
			if folderIdent != "" {
				if folder, err = c.Resolve(ctx, "Folder", folderIdent); err != nil {
					if folderNote != "" {
						return fmt.Errorf("the default folder (placement defaults): %w; pass folder to choose another", err)
					}
					return err
				}
				if folderNote != "" {
					out.Defaults = append(out.Defaults, folderNote)
				}
				if err := params.CheckVMFolder(ctx, c, folder); err != nil {
					return err
				}
			} else {
				if msrc.Parent == nil || msrc.Parent.Type != "Folder" {
					return fmt.Errorf("%s is not in a VM folder (a vApp?); pass folder", toolkit.Path(src.Path))
				}
				if folder, err = c.Resolve(ctx, "Folder", msrc.Parent.Value); err != nil {
					return err
				}
				out.Defaults = append(out.Defaults, fmt.Sprintf("folder %s: the source's folder", toolkit.Path(folder.Path)))
			}
			if err := params.CheckFreeName(ctx, c, folder, a.Name); err != nil {
				return err
			}
			var ds *vcenter.Object
			dsIdent, dsNote := params.DefaultDatastore(d.Defaults, a.Datastore)
			if dsIdent != "" {
				dest := pl
				if dest == nil {
					if msrc.Runtime.Host == nil {
						return fmt.Errorf("%s is registered on no host; pass host or cluster with datastore", toolkit.Path(src.Path))
					}
					h, err := c.Describe(ctx, *msrc.Runtime.Host)
					if err != nil {
						return err
					}
					dest = &params.Placement{Host: &h}
				}
				dss, _, where, err := dest.Available(ctx, c)
				if err != nil {
					return err
				}
				o, _, err := params.PickDatastoreOrDefault(ctx, c, d.Defaults, a.Datastore, dss, where)
				if err != nil {
					return err
				}
				ds = &o
				if dsNote != "" {
					out.Defaults = append(out.Defaults, dsNote)
				}
			} else {
				out.Defaults = append(out.Defaults, "datastore: the source's")
			}

			// What is copied.
			var snap *types.ManagedObjectReference
			switch {
			case a.Snapshot != "":
				// The one resolver snapshot_list and snapshot_revert use: a
				// name, a path in the tree or an ID.
				all, _ := params.SnapshotTree(msrc)
				if len(all) == 0 {
					return &toolkit.PlainError{Msg: fmt.Sprintf("%s has no snapshots; create one with snapshot_create, or clone from the current state", src.Path)}
				}
				found, err := params.FindSnapshot(src.Path, all, a.Snapshot)
				if err != nil {
					return err
				}
				ref := found.Tree.Snapshot
				snap, out.Snapshot = &ref, found.Path
			case a.Linked:
				if msrc.Snapshot == nil || msrc.Snapshot.CurrentSnapshot == nil {
					return &toolkit.PlainError{Msg: fmt.Sprintf("a linked clone shares the disks of a snapshot, and %s has none: create one with snapshot_create, or clone without linked for a full copy", toolkit.Path(src.Path))}
				}
				snap = msrc.Snapshot.CurrentSnapshot
				out.Snapshot = snap.Value
				for _, e := range params.FlattenOf(msrc) {
					if e.Tree.Snapshot == *snap {
						out.Snapshot = e.Path
					}
				}
				out.Defaults = append(out.Defaults, fmt.Sprintf("snapshot %s: the current snapshot", toolkit.Path(out.Snapshot)))
			}
			var custom *types.CustomizationSpec
			if a.Customization != "" {
				if custom, err = customizationSpec(ctx, c, a.Customization); err != nil {
					return err
				}
			}

			spec := types.VirtualMachineCloneSpec{Snapshot: snap, Customization: custom}
			touches := []vcenter.Object{}
			if pl != nil {
				spec.Location.Pool = &pl.Pool.Ref
				touches = append(touches, pl.Pool)
				if pl.Host != nil {
					spec.Location.Host = &pl.Host.Ref
					touches = append(touches, *pl.Host)
				}
			}
			if ds != nil {
				spec.Location.Datastore = &ds.Ref
				touches = append(touches, *ds)
			}
			if a.Linked {
				spec.Location.DiskMoveType = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)
			}
			what := fmt.Sprintf("Clone %s as %q into folder", toolkit.Path(src.Path), a.Name)
			if err := guard.ActOn(ctx, what, folder, touches...); err != nil {
				return err
			}

			p := guard.NewProgress(ctx)
			end := 100.0
			if a.PowerOn {
				end = cloneProgressEnd
			}
			task, err := object.NewVirtualMachine(c.Client, src.Ref).Clone(ctx, object.NewFolder(c.Client, folder.Ref), a.Name, spec)
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("clone %s: %w", toolkit.Path(src.Path), err), src.Name, folder.Path)
			}
			started = true
			cloneTask := task.Reference().Value
			out.Tasks = append(out.Tasks, cloneTask)
			info, err := guard.WaitTask(ctx, task, "clone "+toolkit.Name(src.Name)+" as "+toolkit.Name(a.Name), p, 0, end)
			if err != nil {
				return params.ExplainVMFault(err, src.Name, folder.Path)
			}
			ref, ok := info.Result.(types.ManagedObjectReference)
			if !ok {
				return fmt.Errorf("clone task %s finished without naming the clone; look for %s with vm_list", cloneTask, toolkit.Name(a.Name))
			}
			clone, err := c.Describe(ctx, ref)
			if err != nil {
				clone = vcenter.Object{Ref: ref, Name: a.Name, Path: folder.Path + "/" + a.Name}
			}
			out.ID, out.Path = clone.ID(), clone.Path
			readBack := func() {
				if m, err := readVMProps(ctx, c, clone, []string{"runtime.powerState", "runtime.host", "resourcePool", "datastore"}); err == nil {
					out.PowerState = string(m.Runtime.PowerState)
					out.Host = describeRef(ctx, c, m.Runtime.Host)
					out.ResourcePool = describeRef(ctx, c, m.ResourcePool)
					out.Datastores = out.Datastores[:0]
					for _, ds := range m.Datastore {
						out.Datastores = append(out.Datastores, describeRef(ctx, c, &ds))
					}
				}
			}
			if !a.PowerOn {
				readBack()
				return nil
			}
			// Power on as a task of its own, so a failure here is reported
			// as what it is: the clone exists, powered off.
			ptask, err := object.NewVirtualMachine(c.Client, ref).PowerOn(ctx)
			if err == nil {
				out.Tasks = append(out.Tasks, ptask.Reference().Value)
				_, err = guard.WaitTask(ctx, ptask, "power on "+toolkit.Name(a.Name), p, end, 100)
			}
			readBack()
			if err != nil {
				return &toolkit.PlainError{Msg: fmt.Sprintf("Cloned %s as %s (%s, task %s), but powering it on failed: %s. The clone exists and is %s; fix the cause and power it on with vm_power_on, or delete it with vm_delete.",
					toolkit.Path(src.Path), toolkit.Path(clone.Path), clone.ID(), cloneTask, explainText(err, a.Name), orDash(out.PowerState))}
			}
			return nil
		})
		return out, params.SessionSafe(err, started)
	})
}

// customizationSpec reads a stored guest customization spec by name.
func customizationSpec(ctx context.Context, c *vcenter.Conn, name string) (*types.CustomizationSpec, error) {
	m := object.NewCustomizationSpecManager(c.Client)
	item, err := m.GetCustomizationSpec(ctx, name)
	if err == nil {
		return &item.Spec, nil
	}
	if !fault.Is(err, &types.NotFound{}) {
		return nil, fmt.Errorf("read customization spec %s: %w", toolkit.Quote(name, 0), err)
	}
	var names []string
	if infos, ierr := m.Info(ctx); ierr == nil {
		for _, i := range infos {
			names = append(names, i.Name)
		}
	}
	if len(names) == 0 {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("vCenter has no customization spec named %s, and none at all; create one in vCenter (Policies and Profiles) or clone without customization", toolkit.Quote(name, 0))}
	}
	return nil, &toolkit.PlainError{Msg: fmt.Sprintf("vCenter has no customization spec named %s; it has: %s", toolkit.Quote(name, 0), toolkit.Names(names))}
}
