package vm

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// VM lifecycle: vm_create, vm_clone, vm_reconfigure, vm_rename, vm_migrate,
// vm_move, vm_mark_template, vm_mark_vm. (vm_delete is in lifecycle.go.)
// Each resolves its targets, checks what vCenter would refuse and says so
// in plain words, authorizes with act/actOn, then runs and waits for the
// vCenter task through waitTask (progress, task ID, cancellation).

const (
	maxCPUs     = 768
	maxMemoryMB = 24 << 20 // 24 TB
	maxDiskGB   = 62 << 10 // 62 TB, VMFS 6
	minMemoryMB = 4

	defaultCPUs      = 1
	defaultMemoryMB  = 1024
	defaultDiskGB    = 16
	defaultGuestOS   = "otherGuest64"
	defaultDiskCtlr  = "pvscsi"
	cloneProgressEnd = 90 // of 100, when a power-on follows
)

func checkCPUs(arg string, n int32) error {
	if n < 1 || n > maxCPUs {
		return fmt.Errorf("%s must be between 1 and %d (got %d)", arg, maxCPUs, n)
	}
	return nil
}

func checkMemory(arg string, mb int64) error {
	if mb < minMemoryMB || mb > maxMemoryMB {
		return fmt.Errorf("%s must be between %d and %d MB (got %d)", arg, minMemoryMB, maxMemoryMB, mb)
	}
	if mb%4 != 0 {
		return fmt.Errorf("%s must be a multiple of 4 MB (got %d); vSphere sizes memory in 4 MB steps, e.g. %d", arg, mb, mb-mb%4)
	}
	return nil
}

// vmStateProps are what the lifecycle tools read of a VM before acting.
var vmStateProps = []string{
	"name", "parent", "config.template", "runtime.powerState", "runtime.host", "resourcePool", "datastore",
}

func readVMProps(ctx context.Context, c *vcenter.Conn, o vcenter.Object, props []string) (*mo.VirtualMachine, error) {
	var mvm mo.VirtualMachine
	if err := c.ReadOne(ctx, o, props, &mvm); err != nil {
		return nil, err
	}
	return &mvm, nil
}

func isTemplate(m *mo.VirtualMachine) bool { return m.Config != nil && m.Config.Template }

// describeRef names an object for a result, or gives its ID when it
// cannot be read.
func describeRef(ctx context.Context, c *vcenter.Conn, ref *types.ManagedObjectReference) string {
	if ref == nil {
		return ""
	}
	o, err := c.Describe(ctx, *ref)
	if err != nil {
		return ref.Value
	}
	return o.Path
}

// ---------------------------------------------------------------- vm_create

// VMCreateArgs describe a new VM. Whatever is left out is defaulted from
// the inventory when that is unambiguous; the result says what was chosen.
type VMCreateArgs struct {
	Name           string `json:"name" jsonschema:"Name of the new VM: at most 80 characters, no / or \\"`
	CPUs           int32  `json:"cpus,omitempty" jsonschema:"Virtual CPUs, 1-768; default 1"`
	MemoryMB       int64  `json:"memory_mb,omitempty" jsonschema:"Memory in MB, a multiple of 4; default 1024"`
	DiskGB         int64  `json:"disk_gb,omitempty" jsonschema:"Size of the thin-provisioned disk in GB, 1-63488; default 16"`
	DiskController string `json:"disk_controller,omitempty" jsonschema_description:"SCSI controller of the disk; default pvscsi" jsonschema:"enum=pvscsi,enum=lsilogic"`
	GuestOS        string `json:"guest_os,omitempty" jsonschema:"vSphere guest OS ID, e.g. ubuntu64Guest, rhel9_64Guest, windows2019srv_64Guest; default otherGuest64"`
	Annotation     string `json:"annotation,omitempty" jsonschema:"Notes shown in vCenter"`
	Folder         string `json:"folder,omitempty" jsonschema:"VM folder (path or ID); default the datacenter's vm folder"`
	Cluster        string `json:"cluster,omitempty" jsonschema:"Cluster to run on (its root resource pool; vCenter picks the host)"`
	Host           string `json:"host,omitempty" jsonschema:"Host to run on"`
	ResourcePool   string `json:"resource_pool,omitempty" jsonschema:"Resource pool to run in"`
	Datastore      string `json:"datastore,omitempty" jsonschema:"Datastore for the VM's files; default the one with most free space"`
	Network        string `json:"network,omitempty" jsonschema:"Network (port group) of the vmxnet3 NIC; default the first one available"`
}

func (a *VMCreateArgs) Validate() error {
	if err := params.CheckVMName("name", a.Name); err != nil {
		return err
	}
	if a.CPUs != 0 {
		if err := checkCPUs("cpus", a.CPUs); err != nil {
			return err
		}
	}
	if a.MemoryMB != 0 {
		if err := checkMemory("memory_mb", a.MemoryMB); err != nil {
			return err
		}
	}
	if a.DiskGB < 0 || a.DiskGB > maxDiskGB {
		return fmt.Errorf("disk_gb must be between 1 and %d (got %d)", maxDiskGB, a.DiskGB)
	}
	if a.DiskController != "" && a.DiskController != "pvscsi" && a.DiskController != "lsilogic" {
		return fmt.Errorf("disk_controller %q is not supported; use pvscsi or lsilogic", a.DiskController)
	}
	if a.GuestOS != "" {
		if err := checkGuestOS(a.GuestOS); err != nil {
			return err
		}
	}
	return nil
}

// checkGuestOS accepts vSphere's guest OS identifiers, suggesting close
// ones for a near miss.
func checkGuestOS(id string) error {
	var ids []string
	for _, v := range types.VirtualMachineGuestOsIdentifier("").Values() {
		if string(v) == id {
			return nil
		}
		ids = append(ids, string(v))
	}
	want := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(id, "Guest"), "_64"))
	var near []string
	for _, s := range ids {
		if strings.Contains(strings.ToLower(s), want) && len(near) < 8 {
			near = append(near, s)
		}
	}
	msg := fmt.Sprintf("guest_os %q is not a vSphere guest OS identifier", id)
	if len(near) > 0 {
		return fmt.Errorf("%s; did you mean %s?", msg, strings.Join(near, ", "))
	}
	return fmt.Errorf("%s; examples: ubuntu64Guest, rhel9_64Guest, debian12_64Guest, windows2019srv_64Guest, otherGuest64", msg)
}

// VMCreateResult reports the new VM and where it went.
type VMCreateResult struct {
	Action         string   `json:"action"`
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Path           string   `json:"path"`
	PowerState     string   `json:"power_state"`
	CPUs           int32    `json:"cpus"`
	MemoryMB       int64    `json:"memory_mb"`
	DiskGB         int64    `json:"disk_gb"`
	DiskController string   `json:"disk_controller"`
	NIC            string   `json:"nic"`
	GuestOS        string   `json:"guest_os"`
	Folder         string   `json:"folder"`
	ResourcePool   string   `json:"resource_pool"`
	Host           string   `json:"host,omitempty"`
	Datastore      string   `json:"datastore"`
	Network        string   `json:"network"`
	Defaults       []string `json:"defaults,omitempty" jsonschema:"What vsphere-mcp chose for arguments left out, and why"`
	Tasks          []string `json:"tasks"`
}

// Text renders the new VM in a few lines.
func (r VMCreateResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s VM %s (%s) %s, %s\n", r.Action, toolkit.Name(r.Name), r.ID, toolkit.Path(r.Path), r.PowerState)
	fmt.Fprintf(&b, "hardware: %d vCPU, %d MB, %d GB thin disk on %s, %s NIC on %s, guest %s\n",
		r.CPUs, r.MemoryMB, r.DiskGB, r.DiskController, r.NIC, toolkit.Name(r.Network), r.GuestOS)
	fmt.Fprintf(&b, "placement: pool %s, host %s, datastore %s, folder %s\n", toolkit.Path(r.ResourcePool), orDash(toolkit.Path(r.Host)), toolkit.Name(r.Datastore), toolkit.Path(r.Folder))
	writeDefaults(&b, r.Defaults)
	fmt.Fprintf(&b, "tasks: %s\n", strings.Join(r.Tasks, ","))
	return b.String()
}

// explainText is the explanation of a lifecycle fault as text.
func explainText(err error, vm string) string {
	var pe *toolkit.PlainError
	if errors.As(params.ExplainVMFault(err, vm, ""), &pe) {
		return pe.Msg
	}
	return vcenter.Explain(err)
}

// writeDefaults writes the defaults chosen, one line each; their vCenter
// paths were escaped when they were written, Line keeps each on its line.
func writeDefaults(b *strings.Builder, defaults []string) {
	for _, d := range defaults {
		b.WriteString("default: " + toolkit.Line(d, 0) + "\n")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func vmCreate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_create",
		Title: "Create a VM",
		Description: "Create an empty, powered-off VM: CPUs, memory, one thin disk on a pvscsi or lsilogic controller, one vmxnet3 NIC. " +
			"Placement, datastore, network and folder default from the inventory when unambiguous; the result says what was chosen. " +
			"Takes seconds to minutes; can run as a background task.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a VMCreateArgs) (VMCreateResult, error) {
		out := VMCreateResult{Action: "Created", Name: a.Name, CPUs: a.CPUs, MemoryMB: a.MemoryMB, DiskGB: a.DiskGB,
			DiskController: a.DiskController, GuestOS: a.GuestOS, NIC: "vmxnet3", Tasks: []string{}}
		if out.CPUs == 0 {
			out.CPUs = defaultCPUs
			out.Defaults = append(out.Defaults, fmt.Sprintf("cpus %d", defaultCPUs))
		}
		if out.MemoryMB == 0 {
			out.MemoryMB = defaultMemoryMB
			out.Defaults = append(out.Defaults, fmt.Sprintf("memory_mb %d", defaultMemoryMB))
		}
		if out.DiskGB == 0 {
			out.DiskGB = defaultDiskGB
			out.Defaults = append(out.Defaults, fmt.Sprintf("disk_gb %d", defaultDiskGB))
		}
		if out.DiskController == "" {
			out.DiskController = defaultDiskCtlr
		}
		if out.GuestOS == "" {
			out.GuestOS = defaultGuestOS
			out.Defaults = append(out.Defaults, "guest_os "+defaultGuestOS+" (pass guest_os for the real OS: vSphere tunes devices by it)")
		}
		baseDefaults := out.Defaults
		started := false
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			out.Defaults = slices.Clone(baseDefaults)
			var folder *vcenter.Object
			var folderDC vcenter.Object
			if a.Folder != "" {
				f, err := c.Resolve(ctx, "Folder", a.Folder)
				if err != nil {
					return err
				}
				if err := params.CheckVMFolder(ctx, c, f); err != nil {
					return err
				}
				if folderDC, err = params.DatacenterOf(ctx, c, f.Ref); err != nil {
					return err
				}
				folder = &f
			}
			pl, err := params.ResolvePlacement(ctx, c, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
			}
			switch {
			case pl == nil:
				var root *vcenter.Object
				if folder != nil {
					root = &folderDC
				}
				compute, err := params.OnlyCompute(ctx, c, root)
				if err != nil {
					return err
				}
				if pl, err = params.PlacementFor(ctx, c, compute); err != nil {
					return err
				}
				where := "the inventory"
				if root != nil {
					where = toolkit.Path(root.Path)
				}
				out.Defaults = append(out.Defaults, fmt.Sprintf("placement %s: the only cluster or host in %s (root resource pool)", toolkit.Path(compute.Path), where))
			case pl.PoolDefaulted:
				out.Defaults = append(out.Defaults, fmt.Sprintf("resource pool %s: the root pool of %s", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path)))
			}
			dc, err := params.DatacenterOf(ctx, c, pl.Compute.Ref)
			if err != nil {
				return err
			}
			if folder == nil {
				var mdc mo.Datacenter
				if err := c.ReadRef(ctx, dc.Ref, []string{"vmFolder"}, &mdc); err != nil {
					return fmt.Errorf("read datacenter %s: %w", toolkit.Path(dc.Path), err)
				}
				f, err := c.Resolve(ctx, "Folder", mdc.VmFolder.Value)
				if err != nil {
					return err
				}
				folder = &f
				out.Defaults = append(out.Defaults, fmt.Sprintf("folder %s: the vm folder of datacenter %s", toolkit.Path(f.Path), toolkit.Name(dc.Name)))
			} else if folderDC.Ref != dc.Ref {
				return &toolkit.PlainError{Msg: fmt.Sprintf("folder %s is in datacenter %s but %s is in %s; a VM's folder and placement must be in the same datacenter", toolkit.Path(folder.Path), toolkit.Name(folderDC.Name), toolkit.Path(pl.Compute.Path), toolkit.Name(dc.Name))}
			}
			if err := params.CheckFreeName(ctx, c, *folder, a.Name); err != nil {
				return err
			}
			dss, nets, where, err := pl.Available(ctx, c)
			if err != nil {
				return err
			}
			ds, detail, err := params.PickDatastore(ctx, c, a.Datastore, dss, where)
			if err != nil {
				return err
			}
			if detail != "" {
				out.Defaults = append(out.Defaults, detail)
			}
			netw, detail, err := params.PickNetwork(ctx, c, a.Network, nets, where)
			if err != nil {
				return err
			}
			if detail != "" {
				out.Defaults = append(out.Defaults, detail)
			}

			devices, err := newVMDevices(ctx, c, out.DiskController, out.DiskGB, netw)
			if err != nil {
				return err
			}
			spec := types.VirtualMachineConfigSpec{
				Name:         a.Name,
				GuestId:      out.GuestOS,
				NumCPUs:      out.CPUs,
				MemoryMB:     out.MemoryMB,
				Annotation:   a.Annotation,
				DeviceChange: devices,
				Files:        &types.VirtualMachineFileInfo{VmPathName: "[" + ds.Name + "]"},
			}

			touches := []vcenter.Object{pl.Pool, ds, netw}
			if pl.Host != nil {
				touches = append(touches, *pl.Host)
			}
			if err := guard.ActOn(ctx, fmt.Sprintf("Create VM %q in folder", a.Name), *folder, touches...); err != nil {
				return err
			}
			var host *object.HostSystem
			if pl.Host != nil {
				host = object.NewHostSystem(c.Client, pl.Host.Ref)
			}
			task, err := object.NewFolder(c.Client, folder.Ref).CreateVM(ctx, spec, object.NewResourcePool(c.Client, pl.Pool.Ref), host)
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("create VM %s: %w", toolkit.Name(a.Name), err), a.Name, folder.Path)
			}
			started = true
			out.Tasks = append(out.Tasks, task.Reference().Value)
			info, err := guard.WaitTask(ctx, task, "create VM "+toolkit.Name(a.Name), guard.NewProgress(ctx), 0, 100)
			if err != nil {
				return params.ExplainVMFault(err, a.Name, folder.Path)
			}
			ref, ok := info.Result.(types.ManagedObjectReference)
			if !ok {
				return fmt.Errorf("create VM %s (task %s) finished without naming the new VM; look for it with vm_list", toolkit.Name(a.Name), task.Reference().Value)
			}
			vm, err := c.Describe(ctx, ref)
			if err != nil {
				vm = vcenter.Object{Ref: ref, Name: a.Name, Path: folder.Path + "/" + a.Name}
			}
			out.ID, out.Path, out.Folder = vm.ID(), vm.Path, folder.Path
			out.ResourcePool, out.Datastore, out.Network = pl.Pool.Path, ds.Name, netw.Name
			if m, err := readVMProps(ctx, c, vm, []string{"runtime.powerState", "runtime.host"}); err == nil {
				out.PowerState = string(m.Runtime.PowerState)
				out.Host = describeRef(ctx, c, m.Runtime.Host)
			}
			return nil
		})
		return out, params.SessionSafe(err, started)
	})
}

// newVMDevices builds the device changes of a new VM: a SCSI controller,
// a thin disk of diskGB on it, and a vmxnet3 NIC on netw.
func newVMDevices(ctx context.Context, c *vcenter.Conn, controller string, diskGB int64, netw vcenter.Object) ([]types.BaseVirtualDeviceConfigSpec, error) {
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController(controller)
	if err != nil {
		return nil, err
	}
	devices = append(devices, scsi)
	disk := &types.VirtualDisk{
		VirtualDevice: types.VirtualDevice{
			Key: devices.NewKey(),
			Backing: &types.VirtualDiskFlatVer2BackingInfo{
				DiskMode:        string(types.VirtualDiskModePersistent),
				ThinProvisioned: types.NewBool(true),
			},
		},
		CapacityInKB:    diskGB << 20,
		CapacityInBytes: diskGB << 30,
	}
	devices.AssignController(disk, scsi.(types.BaseVirtualController))
	devices = append(devices, disk)

	ref, ok := object.NewReference(c.Client, netw.Ref).(object.NetworkReference)
	if !ok {
		return nil, fmt.Errorf("%s is not a network a NIC can use", toolkit.Path(netw.Path))
	}
	backing, err := ref.EthernetCardBackingInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("read network %s: %w", toolkit.Path(netw.Path), err)
	}
	nic, err := devices.CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		return nil, err
	}
	devices = append(devices, nic)
	return devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
}

// ----------------------------------------------------------------- vm_clone

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
			"pool, host or datastore, with a stored guest customization spec, powered on after. " +
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
			pl, err := params.ResolvePlacement(ctx, c, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
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
			if a.Folder != "" {
				if folder, err = c.Resolve(ctx, "Folder", a.Folder); err != nil {
					return err
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
			if a.Datastore != "" {
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
				o, _, err := params.PickDatastore(ctx, c, a.Datastore, dss, where)
				if err != nil {
					return err
				}
				ds = &o
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

// ----------------------------------------------------------- vm_reconfigure

// VMReconfigureArgs name the settings to change; the others stay.
type VMReconfigureArgs struct {
	VM             string  `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	CPUs           *int32  `json:"cpus,omitempty" jsonschema:"Virtual CPUs, 1-768"`
	CoresPerSocket *int32  `json:"cores_per_socket,omitempty" jsonschema:"Cores per virtual socket; must divide cpus"`
	MemoryMB       *int64  `json:"memory_mb,omitempty" jsonschema:"Memory in MB, a multiple of 4"`
	Annotation     *string `json:"annotation,omitempty" jsonschema:"Notes shown in vCenter; an empty string clears them"`
	CPUHotAdd      *bool   `json:"cpu_hot_add,omitempty" jsonschema:"Allow adding CPUs while the VM runs (changing it needs the VM powered off)"`
	MemoryHotAdd   *bool   `json:"memory_hot_add,omitempty" jsonschema:"Allow adding memory while the VM runs (changing it needs the VM powered off)"`
}

func (a *VMReconfigureArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.CPUs == nil && a.CoresPerSocket == nil && a.MemoryMB == nil && a.Annotation == nil && a.CPUHotAdd == nil && a.MemoryHotAdd == nil {
		return errors.New("nothing to change: pass at least one of cpus, cores_per_socket, memory_mb, annotation, cpu_hot_add, memory_hot_add")
	}
	if a.CPUs != nil {
		if err := checkCPUs("cpus", *a.CPUs); err != nil {
			return err
		}
	}
	if a.CoresPerSocket != nil {
		if *a.CoresPerSocket < 1 || *a.CoresPerSocket > maxCPUs {
			return fmt.Errorf("cores_per_socket must be between 1 and %d (got %d)", maxCPUs, *a.CoresPerSocket)
		}
		if a.CPUs != nil && *a.CPUs%*a.CoresPerSocket != 0 {
			return fmt.Errorf("cpus %d is not a multiple of cores_per_socket %d; the CPUs are split into sockets of equal size", *a.CPUs, *a.CoresPerSocket)
		}
	}
	if a.MemoryMB != nil {
		if err := checkMemory("memory_mb", *a.MemoryMB); err != nil {
			return err
		}
	}
	return nil
}

// VMChange is one setting before and after.
type VMChange struct {
	Setting string `json:"setting"`
	Before  string `json:"before"`
	After   string `json:"after"`
}

// VMReconfigureResult reports the settings changed.
type VMReconfigureResult struct {
	Action     string     `json:"action" jsonschema:"Reconfigured, or Unchanged when the VM already had every value"`
	ID         string     `json:"id"`
	Path       string     `json:"path"`
	PowerState string     `json:"power_state"`
	Changes    []VMChange `json:"changes"`
	Tasks      []string   `json:"tasks"`
}

// Text renders one line per change.
func (r VMReconfigureResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s), %s", r.Action, toolkit.Path(r.Path), r.ID, r.PowerState)
	if len(r.Tasks) > 0 {
		fmt.Fprintf(&b, ", task %s", strings.Join(r.Tasks, ","))
	}
	b.WriteByte('\n')
	if r.Action == "Unchanged" {
		b.WriteString("it already has every value asked for\n")
	}
	for _, ch := range r.Changes {
		fmt.Fprintf(&b, "%s: %s → %s\n", ch.Setting, ch.Before, ch.After)
	}
	return b.String()
}

var vmReconfigProps = []string{
	"config.template", "runtime.powerState", "config.hardware.numCPU", "config.hardware.numCoresPerSocket",
	"config.hardware.memoryMB", "config.annotation", "config.cpuHotAddEnabled", "config.cpuHotRemoveEnabled",
	"config.memoryHotAddEnabled",
}

func vmReconfigure() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_reconfigure",
		Title: "Change a VM's CPU, memory or notes",
		Description: "Change a VM's CPUs, cores per socket, memory, annotation or CPU/memory hot-add. Reads the VM first: a change that needs it " +
			"powered off (lowering CPU or memory, raising without hot-add, toggling hot-add, cores per socket) is refused with that reason, " +
			"before vCenter is asked. Reports each setting before and after.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a VMReconfigureArgs) (VMReconfigureResult, error) {
		var out VMReconfigureResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = VMReconfigureResult{Action: "Reconfigured", ID: vm.ID(), Path: vm.Path, Changes: []VMChange{}, Tasks: []string{}}
			m, err := readVMProps(ctx, c, vm, vmReconfigProps)
			if err != nil {
				return err
			}
			if isTemplate(m) {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is a template, which cannot be reconfigured; convert it with vm_mark_vm first, or reconfigure a clone", toolkit.Path(vm.Path))}
			}
			out.PowerState = string(m.Runtime.PowerState)
			cs, changes, blockers, err := planReconfigure(a, m)
			if err != nil {
				return err
			}
			if len(blockers) > 0 {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is %s, and %s. Power it off first (vm_shutdown_guest, or vm_power_off), then retry; nothing was changed.",
					toolkit.Path(vm.Path), m.Runtime.PowerState, strings.Join(blockers, "; "))}
			}
			if len(changes) == 0 {
				out.Action = "Unchanged"
				return nil
			}
			out.Changes = changes
			var names []string
			for _, ch := range changes {
				names = append(names, ch.Setting)
			}
			if err := guard.Act(ctx, "Reconfigure VM ("+strings.Join(names, ", ")+")", vm); err != nil {
				return err
			}
			task, err := object.NewVirtualMachine(c.Client, vm.Ref).Reconfigure(ctx, *cs)
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("reconfigure %s: %w", toolkit.Path(vm.Path), err), vm.Name, "")
			}
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, "reconfigure "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return params.SessionSafe(params.ExplainVMFault(err, vm.Name, ""), true)
			}
			return nil
		})
		return out, err
	})
}

// planReconfigure compares the request with the VM: the spec to send, the
// changes, and why the VM's power state forbids them.
func planReconfigure(a VMReconfigureArgs, m *mo.VirtualMachine) (*types.VirtualMachineConfigSpec, []VMChange, []string, error) {
	cfg := m.Config
	if cfg == nil {
		return nil, nil, nil, errors.New("the VM's configuration cannot be read")
	}
	running := m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff
	flag := func(p *bool) bool { return p != nil && *p }
	spec := &types.VirtualMachineConfigSpec{}
	var changes []VMChange
	var blockers []string

	curCPUs, curMem := cfg.Hardware.NumCPU, int64(cfg.Hardware.MemoryMB)
	curCores := int32(1)
	if cfg.Hardware.NumCoresPerSocket != nil && *cfg.Hardware.NumCoresPerSocket > 0 {
		curCores = *cfg.Hardware.NumCoresPerSocket
	}
	cpuHot, memHot, cpuHotRemove := flag(cfg.CpuHotAddEnabled), flag(cfg.MemoryHotAddEnabled), flag(cfg.CpuHotRemoveEnabled)

	if a.CPUHotAdd != nil && *a.CPUHotAdd != cpuHot {
		spec.CpuHotAddEnabled = types.NewBool(*a.CPUHotAdd)
		changes = append(changes, VMChange{"cpu_hot_add", toolkit.YesNo(cpuHot), toolkit.YesNo(*a.CPUHotAdd)})
		if running {
			blockers = append(blockers, "turning CPU hot-add on or off needs it powered off")
		}
	}
	if a.MemoryHotAdd != nil && *a.MemoryHotAdd != memHot {
		spec.MemoryHotAddEnabled = types.NewBool(*a.MemoryHotAdd)
		changes = append(changes, VMChange{"memory_hot_add", toolkit.YesNo(memHot), toolkit.YesNo(*a.MemoryHotAdd)})
		if running {
			blockers = append(blockers, "turning memory hot-add on or off needs it powered off")
		}
	}
	newCPUs, newCores := curCPUs, curCores
	if a.CPUs != nil {
		newCPUs = *a.CPUs
	}
	if a.CoresPerSocket != nil {
		newCores = *a.CoresPerSocket
	}
	if newCPUs%newCores != 0 {
		if a.CoresPerSocket == nil {
			return nil, nil, nil, fmt.Errorf("cpus %d is not a multiple of the VM's %d cores per socket; pass cores_per_socket too (e.g. 1)", newCPUs, curCores)
		}
		return nil, nil, nil, fmt.Errorf("the VM's %d CPUs are not a multiple of cores_per_socket %d; pass cpus too", newCPUs, newCores)
	}
	if newCPUs != curCPUs {
		spec.NumCPUs = newCPUs
		changes = append(changes, VMChange{"cpus", toolkit.Itoa(int(curCPUs)), toolkit.Itoa(int(newCPUs))})
		switch {
		case !running:
		case newCPUs < curCPUs && !cpuHotRemove:
			blockers = append(blockers, fmt.Sprintf("lowering CPUs from %d to %d needs it powered off (CPU hot-remove is not enabled)", curCPUs, newCPUs))
		case newCPUs > curCPUs && !cpuHot:
			blockers = append(blockers, fmt.Sprintf("raising CPUs from %d to %d while it runs needs CPU hot-add, which is off (enable it with cpu_hot_add=true while powered off)", curCPUs, newCPUs))
		}
	}
	if newCores != curCores {
		spec.NumCoresPerSocket = types.NewInt32(newCores)
		changes = append(changes, VMChange{"cores_per_socket", toolkit.Itoa(int(curCores)), toolkit.Itoa(int(newCores))})
		if running {
			blockers = append(blockers, "changing cores per socket needs it powered off")
		}
	}
	if a.MemoryMB != nil && *a.MemoryMB != curMem {
		spec.MemoryMB = *a.MemoryMB
		changes = append(changes, VMChange{"memory_mb", toolkit.I64toa(curMem), toolkit.I64toa(*a.MemoryMB)})
		switch {
		case !running:
		case *a.MemoryMB < curMem:
			blockers = append(blockers, fmt.Sprintf("lowering memory from %d to %d MB needs it powered off (memory cannot be removed from a running VM)", curMem, *a.MemoryMB))
		case !memHot:
			blockers = append(blockers, fmt.Sprintf("raising memory from %d to %d MB while it runs needs memory hot-add, which is off (enable it with memory_hot_add=true while powered off)", curMem, *a.MemoryMB))
		}
	}
	if a.Annotation != nil && *a.Annotation != cfg.Annotation {
		spec.Annotation = *a.Annotation
		if *a.Annotation == "" {
			// An empty Annotation is omitted from the request; a single
			// space is what vCenter's own client sends to clear it.
			spec.Annotation = " "
		}
		changes = append(changes, VMChange{"annotation", quoteShort(cfg.Annotation), quoteShort(*a.Annotation)})
	}
	return spec, changes, blockers, nil
}

// quoteShort shows an annotation before and after, quoted: free text.
func quoteShort(s string) string { return toolkit.Quote(s, 60) }

// ---------------------------------------------------------------- vm_rename

// VMRenameArgs name a VM and its new name.
type VMRenameArgs struct {
	VM   string `json:"vm" jsonschema:"The VM or template: name, inventory path, ID or UUID"`
	Name string `json:"name" jsonschema:"The new name: at most 80 characters, no / or \\"`
}

func (a *VMRenameArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	return params.CheckVMName("name", a.Name)
}

func vmRename() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_rename",
		Title:       "Rename a VM",
		Description: "Rename a VM or template in vCenter's inventory (its files on the datastore keep their names).",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a VMRenameArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Renamed", ID: vm.ID(), Path: vm.Path}
			if vm.Name == a.Name {
				out.Action, out.Detail = "Unchanged", "it is already called "+toolkit.Name(a.Name)
				return nil
			}
			m, err := readVMProps(ctx, c, vm, []string{"parent"})
			if err != nil {
				return err
			}
			folder := ""
			if m.Parent != nil {
				parent, err := c.Describe(ctx, *m.Parent)
				if err != nil {
					return err
				}
				folder = parent.Path
				if err := params.CheckFreeName(ctx, c, parent, a.Name); err != nil {
					return err
				}
			}
			if err := guard.Act(ctx, fmt.Sprintf("Rename VM to %q", a.Name), vm); err != nil {
				return err
			}
			task, err := object.NewVirtualMachine(c.Client, vm.Ref).Rename(ctx, a.Name)
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("rename %s: %w", toolkit.Path(vm.Path), err), vm.Name, folder)
			}
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, "rename "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return params.SessionSafe(params.ExplainVMFault(err, vm.Name, folder), true)
			}
			out.Detail = fmt.Sprintf("%s → %s", toolkit.Name(vm.Name), toolkit.Name(a.Name))
			if o, err := c.Describe(ctx, vm.Ref); err == nil {
				out.Path = o.Path
			}
			return nil
		})
		return out, err
	})
}

// ------------------------------------------------------------------ vm_move

// VMMoveArgs name a VM and a folder.
type VMMoveArgs struct {
	VM     string `json:"vm" jsonschema:"The VM or template: name, inventory path, ID or UUID"`
	Folder string `json:"folder" jsonschema:"The VM folder to move it into (same datacenter), e.g. /DC0/vm/web"`
}

func (a *VMMoveArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.Folder) == "" {
		return errors.New("folder is required: the VM folder to move into, e.g. /DC0/vm/web (folder_list shows them)")
	}
	return nil
}

func vmMove() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_move",
		Title:       "Move a VM to a folder",
		Description: "Move a VM or template into another VM folder of the same datacenter. Changes only the inventory folder, not host or storage (for those, vm_migrate).",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a VMMoveArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			folder, err := c.Resolve(ctx, "Folder", a.Folder)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Moved", ID: vm.ID(), Path: vm.Path}
			if err := params.CheckVMFolder(ctx, c, folder); err != nil {
				return err
			}
			m, err := readVMProps(ctx, c, vm, []string{"parent"})
			if err != nil {
				return err
			}
			if m.Parent != nil && *m.Parent == folder.Ref {
				out.Action, out.Detail = "Unchanged", "it is already in "+toolkit.Path(folder.Path)
				return nil
			}
			vdc, err := params.DatacenterOf(ctx, c, vm.Ref)
			if err != nil {
				return err
			}
			fdc, err := params.DatacenterOf(ctx, c, folder.Ref)
			if err != nil {
				return err
			}
			if vdc.Ref != fdc.Ref {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is in datacenter %s and folder %s in %s; vm_move moves within one datacenter (a VM changes datacenter by migration or clone)", toolkit.Path(vm.Path), toolkit.Name(vdc.Name), toolkit.Path(folder.Path), toolkit.Name(fdc.Name))}
			}
			if err := params.CheckFreeName(ctx, c, folder, vm.Name); err != nil {
				return err
			}
			from := describeRef(ctx, c, m.Parent)
			if err := guard.ActOn(ctx, "Move VM into folder "+toolkit.Path(folder.Path), vm, folder); err != nil {
				return err
			}
			task, err := object.NewFolder(c.Client, folder.Ref).MoveInto(ctx, []types.ManagedObjectReference{vm.Ref})
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("move %s: %w", toolkit.Path(vm.Path), err), vm.Name, folder.Path)
			}
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, "move "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return params.SessionSafe(params.ExplainVMFault(err, vm.Name, folder.Path), true)
			}
			out.Detail = fmt.Sprintf("from folder %s to %s", toolkit.Path(from), toolkit.Path(folder.Path))
			if o, err := c.Describe(ctx, vm.Ref); err == nil {
				out.Path = o.Path
			}
			return nil
		})
		return out, err
	})
}

// --------------------------------------------------------- vm_mark_template

func vmMarkTemplate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_mark_template",
		Title:       "Turn a VM into a template",
		Description: "Mark a powered-off VM as a template, to clone new VMs from it with vm_clone. A template cannot be powered on (vm_mark_vm turns it back).",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a params.VMArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Marked as template", ID: vm.ID(), Path: vm.Path}
			m, err := readVMProps(ctx, c, vm, []string{"config.template", "runtime.powerState", "snapshot"})
			if err != nil {
				return err
			}
			if isTemplate(m) {
				out.Action, out.Detail = "Unchanged", "it is already a template"
				return nil
			}
			if m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is %s; only a powered-off VM can become a template: shut it down (vm_shutdown_guest) or power it off (vm_power_off), then retry", toolkit.Path(vm.Path), m.Runtime.PowerState)}
			}
			if err := guard.Act(ctx, "Mark VM as template", vm); err != nil {
				return err
			}
			if err := object.NewVirtualMachine(c.Client, vm.Ref).MarkAsTemplate(ctx); err != nil {
				return params.ExplainVMFault(fmt.Errorf("mark %s as template: %w", toolkit.Path(vm.Path), err), vm.Name, "")
			}
			out.Detail = "clone VMs from it with vm_clone; vm_mark_vm turns it back into a VM"
			return nil
		})
		return out, err
	})
}

// --------------------------------------------------------------- vm_mark_vm

// VMMarkVMArgs name a template and where the VM it becomes will run.
type VMMarkVMArgs struct {
	VM           string `json:"vm" jsonschema:"The template: name, inventory path, ID or UUID"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"Resource pool the VM will run in; default the root pool of the template's host"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"Cluster the VM will run in (its root resource pool)"`
	Host         string `json:"host,omitempty" jsonschema:"Host the VM will run on; must belong to the pool's cluster or be its standalone host"`
}

func (a *VMMarkVMArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "template"); err != nil {
		return err
	}
	if a.Cluster != "" && a.ResourcePool != "" {
		return errors.New("pass cluster or resource_pool, not both: a cluster means its root resource pool")
	}
	return nil
}

func vmMarkVM() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vm_mark_vm",
		Title:       "Turn a template into a VM",
		Description: "Turn a template back into a VM that can be powered on. The VM needs a resource pool (and optionally a host); by default the root pool of the host the template is registered on.",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a VMMarkVMArgs) (ActionResult, error) {
		var out ActionResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = ActionResult{Action: "Marked as VM", ID: vm.ID(), Path: vm.Path}
			m, err := readVMProps(ctx, c, vm, []string{"config.template", "runtime.host"})
			if err != nil {
				return err
			}
			if !isTemplate(m) {
				out.Action, out.Detail = "Unchanged", "it is already a VM, not a template"
				return nil
			}
			pl, err := params.ResolvePlacement(ctx, c, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
			}
			var defaults []string
			if pl == nil {
				if m.Runtime.Host == nil {
					return fmt.Errorf("template %s is registered on no host, so there is no default resource pool; pass resource_pool, cluster or host", toolkit.Path(vm.Path))
				}
				if pl, err = params.ResolvePlacement(ctx, c, params.PlaceArgs{Host: m.Runtime.Host.Value}); err != nil {
					return err
				}
				defaults = append(defaults, fmt.Sprintf("resource pool %s and host %s: where the template is registered", toolkit.Path(pl.Pool.Path), toolkit.Name(pl.Host.Name)))
			} else if pl.PoolDefaulted {
				defaults = append(defaults, fmt.Sprintf("resource pool %s: the root pool of %s", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path)))
			}
			touches := []vcenter.Object{pl.Pool}
			var host *object.HostSystem
			if pl.Host != nil {
				touches = append(touches, *pl.Host)
				host = object.NewHostSystem(c.Client, pl.Host.Ref)
			}
			if err := guard.ActOn(ctx, "Turn template into VM", vm, touches...); err != nil {
				return err
			}
			if err := object.NewVirtualMachine(c.Client, vm.Ref).MarkAsVirtualMachine(ctx, *object.NewResourcePool(c.Client, pl.Pool.Ref), host); err != nil {
				return params.ExplainVMFault(fmt.Errorf("turn template %s into a VM: %w", toolkit.Path(vm.Path), err), vm.Name, "")
			}
			detail := "resource pool " + toolkit.Path(pl.Pool.Path)
			if pl.Host != nil {
				detail += ", host " + toolkit.Path(pl.Host.Path)
			}
			for _, d := range defaults {
				detail += "\ndefault: " + toolkit.Line(d, 0)
			}
			out.Detail = detail
			return nil
		})
		return out, err
	})
}

// --------------------------------------------------------------- vm_migrate

// VMMigrateArgs name a VM and where it goes: host, resource pool (or
// cluster) and/or datastore.
type VMMigrateArgs struct {
	VM           string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Host         string `json:"host,omitempty" jsonschema:"Destination host (vMotion when the VM runs)"`
	Cluster      string `json:"cluster,omitempty" jsonschema:"Destination cluster (its root resource pool; vCenter/DRS picks the host unless host is given)"`
	ResourcePool string `json:"resource_pool,omitempty" jsonschema:"Destination resource pool"`
	Datastore    string `json:"datastore,omitempty" jsonschema:"Destination datastore for all its disks and files (storage vMotion when the VM runs)"`
}

func (a *VMMigrateArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.Host == "" && a.Cluster == "" && a.ResourcePool == "" && a.Datastore == "" {
		return errors.New("say where to: pass host, cluster, resource_pool and/or datastore")
	}
	if a.Cluster != "" && a.ResourcePool != "" {
		return errors.New("pass cluster or resource_pool, not both: a cluster means its root resource pool")
	}
	return nil
}

// VMLocation is where a VM runs and keeps its files.
type VMLocation struct {
	Host         string   `json:"host,omitempty"`
	ResourcePool string   `json:"resource_pool,omitempty"`
	Datastores   []string `json:"datastores"`
}

func (l VMLocation) String() string {
	return fmt.Sprintf("host %s, pool %s, datastores %s", orDash(toolkit.Path(l.Host)), orDash(toolkit.Path(l.ResourcePool)), orDash(toolkit.Names(l.Datastores)))
}

// VMMigrateResult reports a migration.
type VMMigrateResult struct {
	Action   string     `json:"action" jsonschema:"Migrated, or Unchanged when the VM is already there"`
	Kind     string     `json:"kind" jsonschema:"vMotion, storage vMotion, vMotion + storage vMotion, cold migration, cold relocation or resource pool change"`
	ID       string     `json:"id"`
	Path     string     `json:"path"`
	From     VMLocation `json:"from"`
	To       VMLocation `json:"to"`
	Defaults []string   `json:"defaults,omitempty"`
	Tasks    []string   `json:"tasks"`
}

// Text renders the move from and to.
func (r VMMigrateResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s (%s)", r.Action, r.Kind, toolkit.Path(r.Path), r.ID)
	if len(r.Tasks) > 0 {
		fmt.Fprintf(&b, ", task %s", strings.Join(r.Tasks, ","))
	}
	fmt.Fprintf(&b, "\nfrom: %s\nto:   %s\n", r.From, r.To)
	writeDefaults(&b, r.Defaults)
	return b.String()
}

func vmLocation(ctx context.Context, c *vcenter.Conn, m *mo.VirtualMachine) VMLocation {
	l := VMLocation{Host: describeRef(ctx, c, m.Runtime.Host), ResourcePool: describeRef(ctx, c, m.ResourcePool), Datastores: []string{}}
	for _, ds := range m.Datastore {
		l.Datastores = append(l.Datastores, describeRef(ctx, c, &ds))
	}
	return l
}

func vmMigrate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_migrate",
		Title: "Migrate a VM",
		Description: "Move a VM to another host, resource pool or cluster and/or datastore: vMotion, storage vMotion or both while it runs, " +
			"a cold migration when it is off; the result says which. Storage moves copy every disk and can take many minutes; " +
			"can run as a background task.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a VMMigrateArgs) (VMMigrateResult, error) {
		var out VMMigrateResult
		started := false
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = VMMigrateResult{Action: "Migrated", ID: vm.ID(), Path: vm.Path, Tasks: []string{}}
			m, err := readVMProps(ctx, c, vm, vmStateProps)
			if err != nil {
				return err
			}
			out.From = vmLocation(ctx, c, m)
			template := isTemplate(m)
			if template && (a.ResourcePool != "" || a.Cluster != "") {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is a template, which has no resource pool; pass host and/or datastore (or turn it into a VM with vm_mark_vm first)", toolkit.Path(vm.Path))}
			}
			pl, err := params.ResolvePlacement(ctx, c, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
			}
			var curCompute types.ManagedObjectReference
			if m.Runtime.Host != nil {
				var mh mo.HostSystem
				if err := c.ReadRef(ctx, *m.Runtime.Host, []string{"parent"}, &mh); err == nil && mh.Parent != nil {
					curCompute = *mh.Parent
				}
			}
			spec := types.VirtualMachineRelocateSpec{}
			var touches []vcenter.Object
			hostMove, poolMove := false, false
			if pl != nil {
				sameCompute := pl.Compute.Ref == curCompute
				if pl.Host != nil && (m.Runtime.Host == nil || *m.Runtime.Host != pl.Host.Ref) {
					spec.Host = &pl.Host.Ref
					touches = append(touches, *pl.Host)
					hostMove = true
				}
				switch {
				case template:
				case pl.PoolDefaulted && sameCompute:
					// Same cluster or host: the VM keeps its pool.
				case m.ResourcePool == nil || *m.ResourcePool != pl.Pool.Ref:
					spec.Pool = &pl.Pool.Ref
					touches = append(touches, pl.Pool)
					poolMove = true
					if pl.PoolDefaulted {
						out.Defaults = append(out.Defaults, fmt.Sprintf("resource pool %s: the root pool of %s", toolkit.Path(pl.Pool.Path), toolkit.Path(pl.Compute.Path)))
					}
				}
				if !sameCompute && pl.Host == nil {
					hostMove = true // vCenter (DRS) picks a host in the new cluster
				}
			}
			dsMove := false
			if a.Datastore != "" {
				dest := pl
				if dest == nil || (dest.Host == nil && dest.Compute.Ref == curCompute) {
					// Staying on its host: the datastores that host can use.
					if m.Runtime.Host == nil {
						return fmt.Errorf("%s is registered on no host; pass host with datastore", toolkit.Path(vm.Path))
					}
					h, err := c.Describe(ctx, *m.Runtime.Host)
					if err != nil {
						return err
					}
					dest = &params.Placement{Host: &h}
				}
				dss, _, where, err := dest.Available(ctx, c)
				if err != nil {
					return err
				}
				ds, _, err := params.PickDatastore(ctx, c, a.Datastore, dss, where)
				if err != nil {
					return err
				}
				if len(m.Datastore) != 1 || m.Datastore[0] != ds.Ref {
					spec.Datastore = &ds.Ref
					touches = append(touches, ds)
					dsMove = true
				}
			}
			live := m.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
			out.Kind = migrationKind(live, hostMove, poolMove, dsMove)
			if !hostMove && !poolMove && !dsMove {
				out.Action, out.To = "Unchanged", out.From
				return nil
			}
			if err := guard.ActOn(ctx, "Migrate VM ("+out.Kind+")", vm, touches...); err != nil {
				return err
			}
			task, err := object.NewVirtualMachine(c.Client, vm.Ref).Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
			if err != nil {
				return params.ExplainVMFault(fmt.Errorf("migrate %s: %w", toolkit.Path(vm.Path), err), vm.Name, "")
			}
			started = true
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, out.Kind+" of "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return params.ExplainVMFault(err, vm.Name, "")
			}
			if after, err := readVMProps(ctx, c, vm, vmStateProps); err == nil {
				out.To = vmLocation(ctx, c, after)
			}
			return nil
		})
		return out, params.SessionSafe(err, started)
	})
}

// migrationKind names a relocation the way vSphere admins do.
func migrationKind(live, host, pool, ds bool) string {
	switch {
	case live && host && ds:
		return "vMotion + storage vMotion"
	case live && host:
		return "vMotion"
	case live && ds:
		return "storage vMotion"
	case host && ds:
		return "cold migration of host and storage"
	case host:
		return "cold migration"
	case ds:
		return "cold relocation of storage"
	case pool:
		return "resource pool change"
	}
	return "no change"
}
