package device

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// maxDiskGB is the largest virtual disk vSphere makes (62 TB).
const maxDiskGB = 62 * 1024

var (
	provisionings = []string{"thin", "thick", "eager_zeroed"}
	diskModes     = []string{"persistent", "independent_persistent", "independent_nonpersistent"}
)

// DiskAddArgs describe the disk to add: a new one (size_gb) or an
// existing file (file).
type DiskAddArgs struct {
	VM           string  `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	SizeGB       float64 `json:"size_gb,omitempty" jsonschema:"Size of a new disk in GB; give this or file"`
	File         string  `json:"file,omitempty" jsonschema:"Attach an existing disk instead: [datastore] path/name.vmdk (the datastore as the VM's host sees it)"`
	Datastore    string  `json:"datastore,omitempty" jsonschema:"Datastore for a new disk (name or ID); default: the VM's own"`
	Provisioning string  `json:"provisioning,omitempty" jsonschema_description:"thin (default), thick (lazy zeroed) or eager_zeroed (thick eager zeroed), for a new disk" jsonschema:"enum=thin,enum=thick,enum=eager_zeroed"`
	Controller   string  `json:"controller,omitempty" jsonschema:"Controller for the disk: scsi0, sata0, nvme0, ide0, its label or key; default: the first SCSI controller with a free unit (a new pvscsi controller when all are full)"`
	Mode         string  `json:"mode,omitempty" jsonschema_description:"Disk mode; default persistent. Independent disks are not covered by snapshots" jsonschema:"enum=persistent,enum=independent_persistent,enum=independent_nonpersistent"`
	params.SnapshotFirst
}

func (a *DiskAddArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	switch {
	case a.SizeGB == 0 && a.File == "":
		return errors.New("give size_gb for a new disk, or file ([datastore] path.vmdk) to attach an existing one")
	case a.SizeGB != 0 && a.File != "":
		return errors.New("give size_gb (a new disk) or file (an existing disk), not both; grow an attached disk afterwards with vm_disk_resize")
	case a.SizeGB < 0 || math.IsNaN(a.SizeGB) || a.SizeGB > maxDiskGB:
		return fmt.Errorf("size_gb must be between 0.001 and %d (62 TB, the largest virtual disk)", maxDiskGB)
	case a.SizeGB > 0 && a.SizeGB*1024*1024 < 1024:
		return errors.New("size_gb is below 1 MB; give at least 0.001")
	}
	if a.Provisioning != "" && !slices.Contains(provisionings, a.Provisioning) {
		return fmt.Errorf("provisioning %s is not one of %s", toolkit.Quote(a.Provisioning, 40), strings.Join(provisionings, ", "))
	}
	if a.Mode != "" && !slices.Contains(diskModes, a.Mode) {
		return fmt.Errorf("mode %s is not one of %s", toolkit.Quote(a.Mode, 40), strings.Join(diskModes, ", "))
	}
	if a.File != "" {
		if a.Provisioning != "" {
			return errors.New("provisioning applies to a new disk; an attached file keeps its own")
		}
		if _, err := parseVMDKPath("file", a.File); err != nil {
			return err
		}
	}
	return nil
}

// parseVMDKPath checks a "[datastore] path/name.vmdk" argument.
func parseVMDKPath(arg, s string) (object.DatastorePath, error) {
	var p object.DatastorePath
	if !p.FromString(strings.TrimSpace(s)) || p.Datastore == "" || p.Path == "" {
		return p, fmt.Errorf("%s %s is not a datastore path; write it as [datastore] folder/name.vmdk", arg, toolkit.Quote(s, 120))
	}
	if !strings.HasSuffix(strings.ToLower(p.Path), ".vmdk") {
		return p, fmt.Errorf("%s %s does not name a .vmdk disk file (name the descriptor, e.g. [ds1] web-01/web-01_1.vmdk)", arg, toolkit.Quote(s, 120))
	}
	for _, part := range strings.Split(p.Path, "/") {
		if part == ".." {
			return p, fmt.Errorf("%s %s: a datastore path may not contain ..", arg, toolkit.Quote(s, 120))
		}
	}
	return p, nil
}

func vmDiskAdd() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_disk_add",
		Title: "Add a disk to a VM",
		Description: "Add a new virtual disk to a VM (size_gb; thin by default, on the VM's own datastore) or attach an existing .vmdk " +
			"(file: [datastore] path.vmdk, checked to exist). The disk goes on the first SCSI controller with a free unit; when all " +
			"are full a new pvscsi controller is added, and the result says so. Refused before anything changes when the datastore " +
			"lacks the space for a thick disk (with its free space). snapshot_first takes a snapshot first.",
		Risk: policy.RiskWrite,
	}, diskHandler(diskAdd))
}

func diskAdd(ctx context.Context, c *vcenter.Conn, a DiskAddArgs, out *DiskChange, started *bool) error {
	v, _, _, err := openDiskVM(ctx, c, a.VM, "", "Added", out)
	if err != nil {
		return err
	}
	var notes []string

	// Where the disk lives.
	var file object.DatastorePath
	dsArg, dsIdent := "datastore", a.Datastore
	if a.File != "" {
		file, _ = parseVMDKPath("file", a.File)
		if a.Datastore != "" && !strings.EqualFold(strings.Trim(a.Datastore, "[]"), file.Datastore) {
			return &toolkit.ArgError{Msg: fmt.Sprintf("datastore %s differs from the datastore file names (%s); omit datastore when attaching a file", toolkit.Quote(a.Datastore, 80), toolkit.Name(file.Datastore))}
		}
		dsArg, dsIdent = "file", file.Datastore
	}
	ds, err := v.pickDatastore(ctx, c, dsArg, dsIdent)
	if err != nil {
		return err
	}
	if dso, err := c.Describe(ctx, ds.obj.Ref); err == nil {
		ds.obj.Path = dso.Path
	}
	mode := a.Mode
	if mode == "" {
		mode = "persistent"
	}
	backing := &types.VirtualDiskFlatVer2BackingInfo{
		VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: "[" + ds.obj.Name + "]", Datastore: &ds.obj.Ref},
		DiskMode:                     mode,
	}
	disk := &types.VirtualDisk{VirtualDevice: types.VirtualDevice{Backing: backing}}
	var bytes int64
	what := ""
	if a.File != "" {
		file.Datastore = ds.obj.Name
		backing.FileName = file.String()
		for _, in := range disksOf(v.devices) {
			if strings.EqualFold(in.File, backing.FileName) {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is already attached to %s as %s; nothing was changed", toolkit.Path(backing.FileName), toolkit.Name(v.obj.Name), in.line())}
			}
		}
		f, err := statVMDK(ctx, c, ds, file)
		if err != nil {
			return err
		}
		if !f.found {
			there := "the folder holds no disks"
			if len(f.others) > 0 {
				there = "disks in that folder: " + toolkit.Names(f.others)
			}
			return &toolkit.PlainError{Msg: fmt.Sprintf("%s does not exist on datastore %s (FileNotFound); %s. Nothing was changed", toolkit.Path(backing.FileName), toolkit.Name(ds.obj.Name), there)}
		}
		out.Action = "Attached"
		what = fmt.Sprintf("Attach the existing disk %s", toolkit.Path(backing.FileName))
	} else {
		mb := int64(math.Ceil(a.SizeGB * 1024))
		bytes = mb << 20
		disk.CapacityInKB, disk.CapacityInBytes = mb<<10, bytes
		prov := a.Provisioning
		if prov == "" {
			prov = "thin"
		}
		backing.ThinProvisioned = types.NewBool(prov == "thin")
		backing.EagerlyScrub = types.NewBool(prov == "eager_zeroed")
		switch {
		case prov != "thin" && bytes > ds.free:
			return &toolkit.PlainError{Msg: fmt.Sprintf("datastore %s is too small for a %s %s disk: it has %s. Choose another datastore (%s), a smaller size, or provisioning thin; nothing was changed",
				toolkit.Name(ds.obj.Name), sizeText(bytes), provisioningName(prov), ds.freeText(), otherDiskDatastores(ctx, c, v, ds))}
		case bytes > ds.free:
			notes = append(notes, fmt.Sprintf("Note: the thin disk may grow to %s but datastore %s has only %s: watch its free space.", sizeText(bytes), toolkit.Name(ds.obj.Name), ds.freeText()))
		}
		what = fmt.Sprintf("Add a new %s %s disk on datastore %s", sizeText(bytes), provisioningName(prov), toolkit.Name(ds.obj.Name))
	}
	if strings.HasPrefix(mode, "independent") {
		what += " (" + strings.ReplaceAll(mode, "_", " ") + ": not covered by snapshots)"
	}

	// Which controller, which unit.
	changes, ctlLabel, bus, err := placeDisk(v, a.Controller, disk)
	if err != nil {
		return err
	}
	what += " at " + bus
	if ctlLabel != "" {
		what += " on a new " + ctlLabel
	}
	spec := types.VirtualMachineConfigSpec{}
	spec.DeviceChange = append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: disk})
	if a.File == "" {
		spec.DeviceChange[len(spec.DeviceChange)-1].GetVirtualDeviceConfigSpec().FileOperation = types.VirtualDeviceConfigSpecFileOperationCreate
	}

	if err := guard.ActOn(ctx, what+" to VM", v.obj, ds.obj); err != nil {
		return err
	}
	before := map[int32]bool{}
	for _, in := range v.devices.Infos {
		before[in.Key] = true
	}
	if err := reconfigureDisk(ctx, c, v, "vm_disk_add", strings.ToLower(out.Action[:1])+out.Action[1:]+" disk to "+toolkit.Name(v.obj.Name), spec, a.SnapshotFirst.Take, &ds, out, started); err != nil {
		return err
	}

	// Read back what vCenter made.
	after, _, err := params.ReadDevices(ctx, c, v.obj)
	if err != nil {
		return params.WrapAfterSnapshot(fmt.Errorf("the disk was added, but reading it back failed: %w", err), v.obj.Name, out.Snapshot)
	}
	for _, in := range after.Infos {
		if before[in.Key] {
			continue
		}
		dev := after.List.FindByKey(in.Key)
		switch x := dev.(type) {
		case *types.VirtualDisk:
			out.Disk = describeDisk(after, x)
		case types.BaseVirtualSCSIController:
			if ctlLabel != "" {
				out.NewController = in.Label + " (" + after.List.Type(dev) + ")"
			}
		}
	}
	if out.Disk.Key == 0 {
		return params.WrapAfterSnapshot(&toolkit.PlainError{Msg: fmt.Sprintf("vCenter finished the task but %s shows no new disk; check it with vm_disk_list", toolkit.Name(v.obj.Name))}, v.obj.Name, out.Snapshot)
	}
	if v.running() {
		notes = append(notes, "The guest sees the new disk after a rescan of its storage (Linux: rescan-scsi-bus.sh, or a write of - - - to /sys/class/scsi_host/host0/scan; Windows: Rescan Disks in Disk Management); partition and format it there.")
	}
	out.Notes = append(notes, out.Notes...)
	return nil
}

func provisioningName(p string) string {
	switch p {
	case "thick":
		return "thick lazy zeroed"
	case "eager_zeroed":
		return "thick eager zeroed"
	}
	return p
}

// otherDatastores names the host's datastores other than ds, with free
// space, for an error.
func otherDiskDatastores(ctx context.Context, c *vcenter.Conn, v *diskVM, ds diskDatastore) string {
	all, _, err := v.hostDatastores(ctx, c)
	if err != nil {
		return "datastore_list shows them"
	}
	var rest []diskDatastore
	for _, d := range all {
		if d.obj.Ref != ds.obj.Ref {
			rest = append(rest, d)
		}
	}
	if len(rest) == 0 {
		return "the host sees no other"
	}
	return "the host also sees " + diskDatastoreListing(rest)
}

// placeDisk chooses the controller and unit for disk, adding a pvscsi
// controller when every SCSI controller is full and none was named. It
// returns the changes that come before the disk's (the new controller),
// that controller's kind for the confirmation text, and the disk's bus
// position.
func placeDisk(v *diskVM, ref string, disk *types.VirtualDisk) ([]types.BaseVirtualDeviceConfigSpec, string, string, error) {
	ds := v.devices
	disk.Key = ds.List.NewKey()
	place := func(ctl types.BaseVirtualDevice, unit int32) string {
		disk.ControllerKey = ctl.GetVirtualDevice().Key
		disk.UnitNumber = types.NewInt32(unit)
		return fmt.Sprintf("%s%d:%d", params.ControllerPrefix(ctl), ctl.(types.BaseVirtualController).GetVirtualController().BusNumber, unit)
	}
	if strings.TrimSpace(ref) != "" {
		ctl, info, err := ds.Find(v.obj.Name, params.KindController, "controller", ref)
		if err != nil {
			return nil, "", "", err
		}
		if params.ControllerPrefix(ctl) == "" {
			return nil, "", "", &toolkit.ArgError{Msg: fmt.Sprintf("controller %s is %s, which holds no disks; name a SCSI, SATA, NVMe or IDE controller: %s", toolkit.Quote(ref, 60), toolkit.Name(info.Label), diskControllerListing(v))}
		}
		if _, ok := ctl.(*types.VirtualIDEController); ok && v.mo.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
			return nil, "", "", &toolkit.PlainError{Msg: fmt.Sprintf("%s is %s, and an IDE disk can only be added while the VM is off; use a SCSI controller (omit controller), or power it off first (vm_shutdown_guest); nothing was changed", toolkit.Name(v.obj.Name), v.powerState())}
		}
		unit, ok := diskFreeUnit(ds.List, ctl)
		if !ok {
			return nil, "", "", &toolkit.PlainError{Msg: fmt.Sprintf("%s has no free unit (every one is taken); omit controller to use another SCSI controller or add one, or name another: %s; nothing was changed", toolkit.Name(info.Label), diskControllerListing(v))}
		}
		return nil, "", place(ctl, unit), nil
	}
	scsi := diskControllers(ds, "scsi")
	for _, ctl := range scsi {
		if unit, ok := diskFreeUnit(ds.List, ctl); ok {
			return nil, "", place(ctl, unit), nil
		}
	}
	// Every SCSI controller is full (or there is none): add a pvscsi one
	// on the lowest free bus (a VM has at most four).
	usedBus := map[int32]bool{}
	for _, ctl := range scsi {
		usedBus[ctl.(types.BaseVirtualController).GetVirtualController().BusNumber] = true
	}
	bus := int32(-1)
	for b := int32(0); b < 4; b++ {
		if !usedBus[b] {
			bus = b
			break
		}
	}
	if bus < 0 {
		return nil, "", "", &toolkit.PlainError{Msg: fmt.Sprintf("no free unit: all four SCSI controllers of %s are full (a VM has at most four); name a SATA or NVMe controller with controller (%s), or remove a disk first; nothing was changed", toolkit.Name(v.obj.Name), diskControllerListing(v))}
	}
	ctl := &types.ParaVirtualSCSIController{VirtualSCSIController: types.VirtualSCSIController{
		SharedBus:          types.VirtualSCSISharingNoSharing,
		VirtualController:  types.VirtualController{BusNumber: bus, VirtualDevice: types.VirtualDevice{Key: disk.Key - 1}},
		HotAddRemove:       types.NewBool(true),
		ScsiCtlrUnitNumber: 7,
	}}
	add := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: ctl}
	return []types.BaseVirtualDeviceConfigSpec{add}, fmt.Sprintf("pvscsi SCSI controller %d", bus), place(ctl, 0), nil
}

// diskControllerListing names the VM's disk controllers with their free units.
func diskControllerListing(v *diskVM) string {
	ctls := diskControllers(v.devices, "")
	if len(ctls) == 0 {
		return "it has no disk controllers"
	}
	parts := make([]string, len(ctls))
	for i, ctl := range ctls {
		in, _ := v.devices.Info(ctl.GetVirtualDevice().Key)
		free := "full"
		if u, ok := diskFreeUnit(v.devices.List, ctl); ok {
			free = fmt.Sprintf("next free unit %d", u)
		}
		parts[i] = fmt.Sprintf("%s (%s, %s, %s)", toolkit.Name(in.Label), in.Bus, v.devices.List.Type(ctl), free)
	}
	return strings.Join(parts, "; ")
}
