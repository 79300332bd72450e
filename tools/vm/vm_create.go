package vm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMCreateArgs describe a new VM. Whatever is left out is defaulted from
// the inventory when that is unambiguous; the result says what was chosen.
type VMCreateArgs struct {
	Name           string       `json:"name" jsonschema:"Name of the new VM: at most 80 characters, no / or \\"`
	CPUs           int32        `json:"cpus,omitempty" jsonschema:"Virtual CPUs, 1-768; default 1"`
	MemoryMB       int64        `json:"memory_mb,omitempty" jsonschema:"Memory in MB, a multiple of 4; default 1024"`
	DiskGB         int64        `json:"disk_gb,omitempty" jsonschema:"Size of the thin disk in GB, 1-63488; default 16"`
	DiskController string       `json:"disk_controller,omitempty" jsonschema_description:"SCSI controller of the disk; default pvscsi" jsonschema:"enum=pvscsi,enum=lsilogic"`
	GuestOS        string       `json:"guest_os,omitempty" jsonschema:"vSphere guest OS ID the host supports, e.g. ubuntu64Guest, rhel9_64Guest, windows2019srv_64Guest; default otherGuest64"`
	Annotation     string       `json:"annotation,omitempty" jsonschema:"Notes shown in vCenter"`
	Folder         string       `json:"folder,omitempty" jsonschema:"VM folder (path or ID); default the datacenter's vm folder"`
	Cluster        string       `json:"cluster,omitempty" jsonschema:"Cluster to run on (its root resource pool; vCenter picks the host)"`
	Host           string       `json:"host,omitempty" jsonschema:"Host to run on"`
	ResourcePool   string       `json:"resource_pool,omitempty" jsonschema:"Resource pool to run in"`
	Datastore      string       `json:"datastore,omitempty" jsonschema:"Datastore for the VM's files; default the one with most free space"`
	Network        string       `json:"network,omitempty" jsonschema:"Network (port group) of the NIC; default the first one available"`
	Disks          []CreateDisk `json:"disks,omitempty" jsonschema:"Disks replacing the default one, boot disk first"`
	NICs           []CreateNIC  `json:"nics,omitempty" jsonschema:"NICs replacing the default one"`
	ISO            string       `json:"iso,omitempty" jsonschema:"ISO for a CD-ROM drive: [datastore] path/file.iso"`
	Firmware       string       `json:"firmware,omitempty" jsonschema_description:"Default: the guest OS's" jsonschema:"enum=bios,enum=efi"`
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
	if len(a.GuestOS) > 100 {
		return fmt.Errorf("guest_os is %d characters long; vSphere guest OS IDs are short, like ubuntu64Guest", len(a.GuestOS))
	}
	return a.validateHardware()
}

// VMCreateResult reports the new VM and where it went.
type VMCreateResult struct {
	Action         string        `json:"action"`
	ID             string        `json:"id"`
	Name           string        `json:"name"`
	Path           string        `json:"path"`
	PowerState     string        `json:"power_state"`
	CPUs           int32         `json:"cpus"`
	MemoryMB       int64         `json:"memory_mb"`
	DiskGB         int64         `json:"disk_gb"`
	DiskController string        `json:"disk_controller"`
	NIC            string        `json:"nic"`
	GuestOS        string        `json:"guest_os"`
	Firmware       string        `json:"firmware,omitempty"`
	Disks          []CreatedDisk `json:"disks"`
	NICs           []CreatedNIC  `json:"nics"`
	ISO            string        `json:"iso,omitempty"`
	Folder         string        `json:"folder"`
	ResourcePool   string        `json:"resource_pool"`
	Host           string        `json:"host,omitempty"`
	Datastore      string        `json:"datastore"`
	Network        string        `json:"network"`
	Defaults       []string      `json:"defaults,omitempty" jsonschema:"What vsphere-mcp chose for arguments left out, and why"`
	Tasks          []string      `json:"tasks"`
}

// Text renders the new VM in a few lines.
func (r VMCreateResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s VM %s (%s) %s, %s\n", r.Action, toolkit.Name(r.Name), r.ID, toolkit.Path(r.Path), r.PowerState)
	if len(r.Disks) <= 1 && len(r.NICs) <= 1 && (len(r.Disks) == 0 || r.Disks[0].Provisioning == "thin" && r.Disks[0].Datastore == r.Datastore) {
		fmt.Fprintf(&b, "hardware: %d vCPU, %d MB, %d GB thin disk on %s, %s NIC on %s, guest %s",
			r.CPUs, r.MemoryMB, r.DiskGB, r.DiskController, r.NIC, toolkit.Name(r.Network), r.GuestOS)
	} else {
		fmt.Fprintf(&b, "hardware: %d vCPU, %d MB, guest %s; disks on %s:", r.CPUs, r.MemoryMB, r.GuestOS, r.DiskController)
		for i, d := range r.Disks {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(&b, "%s %d GB %s on %s", sep, d.SizeGB, d.Provisioning, toolkit.Name(d.Datastore))
		}
		b.WriteString("; NICs:")
		for i, n := range r.NICs {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(&b, "%s %s on %s", sep, n.Adapter, toolkit.Name(n.Network))
		}
	}
	if r.Firmware != "" {
		fmt.Fprintf(&b, ", firmware %s", r.Firmware)
	}
	b.WriteByte('\n')
	if r.ISO != "" {
		fmt.Fprintf(&b, "CD-ROM: %s, connected at power-on\n", toolkit.Path(r.ISO))
	}
	fmt.Fprintf(&b, "placement: pool %s, host %s, datastore %s, folder %s\n", toolkit.Path(r.ResourcePool), orDash(toolkit.Path(r.Host)), toolkit.Name(r.Datastore), toolkit.Path(r.Folder))
	writeDefaults(&b, r.Defaults)
	fmt.Fprintf(&b, "tasks: %s\n", strings.Join(r.Tasks, ","))
	return b.String()
}

func vmCreate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_create",
		Title: "Create a VM",
		Description: "Create an empty, powered-off VM: CPUs, memory, one thin disk on a pvscsi or lsilogic controller, one vmxnet3 NIC (or disks, nics), " +
			"optionally an ISO and firmware. Placement, datastore, network and folder default from the placement defaults, then the inventory when unambiguous; the result says what was chosen. " +
			"Takes seconds to minutes; can run as a background task.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a VMCreateArgs) (VMCreateResult, error) {
		out := VMCreateResult{Action: "Created", Name: a.Name, CPUs: a.CPUs, MemoryMB: a.MemoryMB, DiskGB: a.DiskGB,
			DiskController: a.DiskController, GuestOS: a.GuestOS, NIC: "vmxnet3", Tasks: []string{}, Disks: []CreatedDisk{}, NICs: []CreatedNIC{}}
		if len(a.Disks) > 0 {
			out.DiskGB = a.Disks[0].SizeGB
		}
		if out.CPUs == 0 {
			out.CPUs = defaultCPUs
			out.Defaults = append(out.Defaults, fmt.Sprintf("cpus %d", defaultCPUs))
		}
		if out.MemoryMB == 0 {
			out.MemoryMB = defaultMemoryMB
			out.Defaults = append(out.Defaults, fmt.Sprintf("memory_mb %d", defaultMemoryMB))
		}
		if out.DiskGB == 0 && len(a.Disks) == 0 {
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
			folderIdent, folderNote := params.DefaultFolder(d.Defaults, a.Folder)
			if folderIdent != "" {
				f, err := c.Resolve(ctx, "Folder", folderIdent)
				if err != nil {
					if folderNote != "" {
						return fmt.Errorf("the default folder (placement defaults): %w; pass folder to choose another", err)
					}
					return err
				}
				if folderNote != "" {
					out.Defaults = append(out.Defaults, folderNote)
				}
				if err := params.CheckVMFolder(ctx, c, f); err != nil {
					return err
				}
				if folderDC, err = params.DatacenterOf(ctx, c, f.Ref); err != nil {
					return err
				}
				folder = &f
			}
			pl, plNote, err := params.ResolvePlacementOrDefault(ctx, c, d.Defaults, params.PlaceArgs{Cluster: a.Cluster, Host: a.Host, Pool: a.ResourcePool})
			if err != nil {
				return err
			}
			if plNote != "" {
				out.Defaults = append(out.Defaults, plNote)
			}
			switch {
			case pl == nil:
				var root *vcenter.Object
				if folder != nil {
					root = &folderDC
				} else if root, err = params.DefaultDatacenter(ctx, c, d.Defaults); err != nil {
					return err
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
			ds, detail, err := params.PickDatastoreOrDefault(ctx, c, d.Defaults, a.Datastore, dss, where)
			if err != nil {
				return err
			}
			if detail != "" {
				out.Defaults = append(out.Defaults, detail)
			}
			if err := checkGuestOnHost(ctx, c, pl, out.GuestOS, a.Firmware); err != nil {
				return err
			}
			hp, err := planHardware(ctx, c, d, a, &out, ds, dss, nets, where)
			if err != nil {
				return err
			}
			devices, err := hp.deviceChanges(ctx, c)
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
				Firmware:     a.Firmware,
			}

			touches := []vcenter.Object{pl.Pool, ds}
			touches = appendNew(touches, hp.diskDS...)
			touches = appendNew(touches, hp.nicNets...)
			if hp.isoDS != nil {
				touches = appendNew(touches, *hp.isoDS)
			}
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
			out.ResourcePool, out.Datastore, out.Network = pl.Pool.Path, ds.Name, hp.nics[0].Network
			out.NIC, out.Disks, out.NICs, out.ISO = hp.nics[0].Adapter, hp.disks, hp.nics, hp.iso
			if m, err := readVMProps(ctx, c, vm, []string{"runtime.powerState", "runtime.host", "config.firmware"}); err == nil {
				out.PowerState = string(m.Runtime.PowerState)
				out.Host = describeRef(ctx, c, m.Runtime.Host)
				if m.Config != nil {
					out.Firmware = m.Config.Firmware
				}
			}
			return nil
		})
		return out, params.SessionSafe(err, started)
	})
}

// appendNew appends the objects not yet in list.
func appendNew(list []vcenter.Object, objs ...vcenter.Object) []vcenter.Object {
	for _, o := range objs {
		if !slices.ContainsFunc(list, func(x vcenter.Object) bool { return x.Ref == o.Ref }) {
			list = append(list, o)
		}
	}
	return list
}
