package device

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// The disk tools (vm_disk_list, vm_disk_add, vm_disk_resize,
// vm_disk_remove: a file each) share this model of a virtual disk, the
// datastores a VM's host sees, and the choice of a controller unit.

// DiskInfo is one virtual disk as the disk tools show it.
type DiskInfo struct {
	Label      string  `json:"label"`
	Key        int32   `json:"key"`
	Bus        string  `json:"bus,omitempty" jsonschema:"Bus position, e.g. scsi0:1"`
	CapacityGB float64 `json:"capacity_gb"`
	// Provisioning: thin, thick lazy zeroed, thick eager zeroed, or the
	// backing kind (raw device mapping, sparse).
	Provisioning string `json:"provisioning,omitempty" jsonschema:"thin, thick lazy zeroed or thick eager zeroed (or raw device mapping)"`
	Datastore    string `json:"datastore,omitempty"`
	File         string `json:"file,omitempty" jsonschema:"The disk's file: [datastore] path.vmdk"`
	Mode         string `json:"mode,omitempty" jsonschema:"persistent, independent_persistent or independent_nonpersistent"`
	Sharing      string `json:"sharing,omitempty" jsonschema:"none or multi-writer"`
	// Controller is the controller's label and type ("SCSI controller 0",
	// "pvscsi").
	Controller     string `json:"controller,omitempty"`
	ControllerType string `json:"controller_type,omitempty" jsonschema:"pvscsi, lsilogic, lsilogic-sas, buslogic, ahci (SATA), nvme, ide"`
	// Delta: the file is a snapshot delta on top of a parent disk.
	Delta bool `json:"delta,omitempty" jsonschema:"The file is a snapshot delta on top of a parent disk"`

	bytes int64
}

// diskBytes is a disk's capacity in bytes.
func diskBytes(d *types.VirtualDisk) int64 {
	if d.CapacityInBytes > 0 {
		return d.CapacityInBytes
	}
	return d.CapacityInKB * 1024
}

// diskGB renders bytes as GB (vCenter's GB are GiB) with up to two decimals.
func diskGB(bytes int64) float64 { return math.Round(float64(bytes)/(1<<30)*100) / 100 }

// sizeText renders a size in GB for text: "100 GB", "0.5 GB".
func sizeText(bytes int64) string { return fmt.Sprintf("%s GB", numText(diskGB(bytes))) }

func numText(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// describeDisk models disk d of ds.
func describeDisk(ds params.Devices, d *types.VirtualDisk) DiskInfo {
	info, _ := ds.Info(d.Key)
	out := DiskInfo{Label: info.Label, Key: d.Key, Bus: info.Bus, bytes: diskBytes(d)}
	out.CapacityGB = diskGB(out.bytes)
	if ctl := ds.List.FindByKey(d.ControllerKey); ctl != nil {
		if ci, ok := ds.Info(ctl.GetVirtualDevice().Key); ok {
			out.Controller = ci.Label
		}
		out.ControllerType = ds.List.Type(ctl)
		if out.ControllerType == "ahci" || strings.HasSuffix(out.ControllerType, "sata") {
			out.ControllerType = "ahci"
		}
		if s, ok := ctl.(types.BaseVirtualSCSIController); ok {
			if bus := s.GetVirtualSCSIController().SharedBus; bus != "" && bus != types.VirtualSCSISharingNoSharing {
				out.Sharing = "bus " + strings.TrimSuffix(string(bus), "Sharing")
			}
		}
	}
	if fb, ok := d.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
		out.File = fb.GetVirtualDeviceFileBackingInfo().FileName
		var p object.DatastorePath
		if p.FromString(out.File) {
			out.Datastore = p.Datastore
		}
	}
	sharing := ""
	switch b := d.Backing.(type) {
	case *types.VirtualDiskFlatVer2BackingInfo:
		switch {
		case b.ThinProvisioned != nil && *b.ThinProvisioned:
			out.Provisioning = "thin"
		case b.EagerlyScrub != nil && *b.EagerlyScrub:
			out.Provisioning = "thick eager zeroed"
		default:
			out.Provisioning = "thick lazy zeroed"
		}
		out.Mode, sharing, out.Delta = b.DiskMode, b.Sharing, b.Parent != nil
	case *types.VirtualDiskSeSparseBackingInfo:
		out.Provisioning, out.Mode, out.Delta = "thin (sesparse)", b.DiskMode, b.Parent != nil
	case *types.VirtualDiskSparseVer2BackingInfo:
		out.Provisioning, out.Mode, out.Delta = "thin (sparse)", b.DiskMode, b.Parent != nil
	case *types.VirtualDiskRawDiskMappingVer1BackingInfo:
		out.Provisioning = "raw device mapping (" + b.CompatibilityMode + ")"
		out.Mode, sharing, out.Delta = b.DiskMode, b.Sharing, b.Parent != nil
	}
	switch sharing {
	case string(types.VirtualDiskSharingSharingMultiWriter):
		sharing = "multi-writer"
	default:
		sharing = "none"
	}
	if out.Sharing != "" {
		sharing += ", " + out.Sharing
	}
	out.Sharing = sharing
	return out
}

// disksOf lists the VM's disks in key order.
func disksOf(ds params.Devices) []DiskInfo {
	out := []DiskInfo{}
	for _, in := range ds.OfKind(params.KindDisk) {
		if d, ok := ds.List.FindByKey(in.Key).(*types.VirtualDisk); ok {
			out = append(out, describeDisk(ds, d))
		}
	}
	return out
}

// line is one disk in a sentence: "Hard disk 2 (key 2001, scsi0:1, 100 GB thin, [ds] vm/vm_1.vmdk)".
func (d DiskInfo) line() string {
	parts := []string{fmt.Sprintf("key %d", d.Key)}
	if d.Bus != "" {
		parts = append(parts, d.Bus)
	}
	size := sizeText(d.bytes)
	if d.Provisioning != "" {
		size += " " + d.Provisioning
	}
	parts = append(parts, size)
	if d.File != "" {
		parts = append(parts, toolkit.Path(d.File))
	}
	return fmt.Sprintf("%s (%s)", toolkit.Name(d.Label), strings.Join(parts, ", "))
}

func (d DiskInfo) independent() bool { return strings.HasPrefix(d.Mode, "independent") }

// ---- the VM a disk tool acts on ----

// diskVMProps are what the disk tools read of the VM besides its devices.
var diskVMProps = []string{"runtime.powerState", "runtime.host", "config.files.vmPathName", "config.template",
	"config.bootOptions", "snapshot", "datastore"}

// diskVM is a VM read for a disk tool.
type diskVM struct {
	obj     vcenter.Object
	devices params.Devices
	mo      mo.VirtualMachine
}

func readDiskVM(ctx context.Context, c *vcenter.Conn, ident string) (*diskVM, error) {
	o, err := c.Resolve(ctx, "VirtualMachine", ident)
	if err != nil {
		return nil, err
	}
	ds, m, err := params.ReadDevices(ctx, c, o, diskVMProps...)
	if err != nil {
		return nil, err
	}
	v := &diskVM{obj: o, devices: ds, mo: m}
	if v.template() {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("%s is a template, whose disks cannot be changed; convert it with vm_mark_vm first, or change a clone", toolkit.Path(o.Path))}
	}
	return v, nil
}

// changeable refuses a suspended VM, whose devices vCenter does not
// change (InvalidPowerState).
func (v *diskVM) changeable() error {
	if v.mo.Runtime.PowerState == types.VirtualMachinePowerStateSuspended {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is suspended, and vCenter changes no device of a suspended VM; resume it (vm_power_on) or power it off first. Nothing was changed", toolkit.Name(v.obj.Name))}
	}
	return nil
}

// onIDE refuses a change to an IDE disk while the VM is not off: IDE
// devices cannot be hot-plugged or extended.
func (v *diskVM) onIDE(d *types.VirtualDisk, label, change string) error {
	if _, ok := v.devices.List.FindByKey(d.ControllerKey).(*types.VirtualIDEController); ok && v.mo.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s of %s is on an IDE controller, which cannot %s while the VM is %s; power it off first (vm_shutdown_guest). Nothing was changed", toolkit.Name(label), toolkit.Name(v.obj.Name), change, v.powerState())}
	}
	return nil
}

func (v *diskVM) template() bool { return v.mo.Config != nil && v.mo.Config.Template }

func (v *diskVM) running() bool {
	return v.mo.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
}

func (v *diskVM) powerState() string { return string(v.mo.Runtime.PowerState) }

// snapshots lists the paths of the VM's snapshots.
func (v *diskVM) snapshots() []string {
	var out []string
	for _, e := range params.FlattenOf(&v.mo) {
		out = append(out, e.Path)
	}
	return out
}

// findDisk resolves a disk argument.
func (v *diskVM) findDisk(ref string) (*types.VirtualDisk, DiskInfo, error) {
	dev, _, err := v.devices.Find(v.obj.Name, params.KindDisk, "disk", ref)
	if err != nil {
		return nil, DiskInfo{}, err
	}
	d := dev.(*types.VirtualDisk)
	return d, describeDisk(v.devices, d), nil
}

// bootDisk is the key of the disk the VM boots from: the first disk in
// its boot order, or else (BIOS and EFI try disks in bus order) its first
// disk on the lowest bus position.
func (v *diskVM) bootDisk() int32 {
	if cfg := v.mo.Config; cfg != nil && cfg.BootOptions != nil {
		for _, b := range cfg.BootOptions.BootOrder {
			if d, ok := b.(*types.VirtualMachineBootOptionsBootableDiskDevice); ok {
				return d.DeviceKey
			}
		}
	}
	disks := v.devices.OfKind(params.KindDisk)
	if len(disks) == 0 {
		return 0
	}
	slices.SortStableFunc(disks, func(a, b params.DeviceInfo) int { return strings.Compare(a.Bus, b.Bus) })
	return disks[0].Key
}

// ---- datastores ----

// diskDatastore is a datastore the VM's host sees.
type diskDatastore struct {
	obj        vcenter.Object
	free, size int64
	accessible bool
}

func (d diskDatastore) freeText() string {
	return fmt.Sprintf("%s free of %s", sizeText(d.free), sizeText(d.size))
}

// hostDatastores reads the datastores the VM's host mounts: a disk can
// only go on one of them (and vCenter names a datastore in a device spec
// by its name in the VM's datacenter, which they are).
func (v *diskVM) hostDatastores(ctx context.Context, c *vcenter.Conn) ([]diskDatastore, string, error) {
	if v.mo.Runtime.Host == nil {
		return nil, "", &toolkit.PlainError{Msg: fmt.Sprintf("%s has no host (it is not registered on one), so no datastore can be chosen for its disks", toolkit.Name(v.obj.Name))}
	}
	var h mo.HostSystem
	if err := c.ReadRef(ctx, *v.mo.Runtime.Host, []string{"name", "datastore"}, &h); err != nil {
		return nil, "", fmt.Errorf("read the host of %s: %w", toolkit.Name(v.obj.Name), err)
	}
	if len(h.Datastore) == 0 {
		return nil, h.Name, nil
	}
	objs, _, err := c.RetrieveMany(ctx, h.Datastore, []string{"name", "summary.freeSpace", "summary.capacity", "summary.accessible"})
	if err != nil {
		return nil, h.Name, fmt.Errorf("read the datastores of host %s: %w", toolkit.Name(h.Name), err)
	}
	out := make([]diskDatastore, 0, len(objs))
	for _, oc := range objs {
		d := diskDatastore{obj: vcenter.Object{Ref: oc.Obj}, accessible: true}
		d.obj.Name, _ = vcenter.PropVal(oc, "name").(string)
		d.obj.Path = d.obj.Name
		d.free, _ = vcenter.PropVal(oc, "summary.freeSpace").(int64)
		d.size, _ = vcenter.PropVal(oc, "summary.capacity").(int64)
		if a, ok := vcenter.PropVal(oc, "summary.accessible").(bool); ok {
			d.accessible = a
		}
		out = append(out, d)
	}
	return out, h.Name, nil
}

// pickDatastore chooses the datastore named ident (name or ID) among the
// host's, or the VM's own (where its configuration file is) for "".
func (v *diskVM) pickDatastore(ctx context.Context, c *vcenter.Conn, arg, ident string) (diskDatastore, error) {
	all, host, err := v.hostDatastores(ctx, c)
	if err != nil {
		return diskDatastore{}, err
	}
	want := strings.TrimSpace(ident)
	if want == "" {
		var p object.DatastorePath
		if v.mo.Config != nil && p.FromString(v.mo.Config.Files.VmPathName) {
			want = p.Datastore
		}
	}
	want = strings.TrimSuffix(strings.TrimPrefix(want, "["), "]")
	if strings.HasPrefix(want, "/") {
		want = path.Base(want) // an inventory path: /DC0/datastore/ds1
	}
	var hit *diskDatastore
	for i, d := range all {
		if d.obj.Name == want || d.obj.Ref.Value == want {
			hit = &all[i]
			break
		}
	}
	if hit == nil {
		for i, d := range all {
			if strings.EqualFold(d.obj.Name, want) {
				hit = &all[i]
				break
			}
		}
	}
	if hit == nil {
		return diskDatastore{}, &toolkit.ArgError{Msg: fmt.Sprintf("%s %s: host %s, where %s runs, has no such datastore; it sees %s",
			arg, toolkit.Quote(want, 80), toolkit.Name(host), toolkit.Name(v.obj.Name), diskDatastoreListing(all))}
	}
	if !hit.accessible {
		return diskDatastore{}, &toolkit.PlainError{Msg: fmt.Sprintf("datastore %s is not accessible from host %s right now; choose another: %s", toolkit.Name(hit.obj.Name), toolkit.Name(host), diskDatastoreListing(all))}
	}
	return *hit, nil
}

func diskDatastoreListing(all []diskDatastore) string {
	if len(all) == 0 {
		return "no datastores"
	}
	parts := make([]string, len(all))
	for i, d := range all {
		parts[i] = fmt.Sprintf("%s (%s)", toolkit.Name(d.obj.Name), d.freeText())
	}
	return strings.Join(parts, ", ")
}

// ---- controllers ----

// diskUnitLimit is how many units a controller of this kind has, and the one
// it reserves for itself (SCSI: 7), or -1.
func diskUnitLimit(ctl types.BaseVirtualDevice) (n int32, reserved int32) {
	switch ctl.(type) {
	case types.BaseVirtualSCSIController:
		return 16, 7
	case types.BaseVirtualSATAController:
		return 30, -1
	case *types.VirtualNVMEController:
		return 15, -1
	case *types.VirtualIDEController:
		return 2, -1
	}
	return 0, -1
}

// diskFreeUnit is the lowest unit of ctl no device occupies.
func diskFreeUnit(list object.VirtualDeviceList, ctl types.BaseVirtualDevice) (int32, bool) {
	n, reserved := diskUnitLimit(ctl)
	key := ctl.GetVirtualDevice().Key
	used := map[int32]bool{reserved: true}
	for _, d := range list {
		v := d.GetVirtualDevice()
		if v.ControllerKey == key && v.UnitNumber != nil {
			used[*v.UnitNumber] = true
		}
	}
	for u := int32(0); u < n; u++ {
		if !used[u] {
			return u, true
		}
	}
	return 0, false
}

// diskControllers lists the VM's controllers that hold disks of prefix
// ("scsi"; "" for any), in bus order.
func diskControllers(ds params.Devices, prefix string) []types.BaseVirtualDevice {
	var out []types.BaseVirtualDevice
	for _, in := range ds.OfKind(params.KindController) {
		d := ds.List.FindByKey(in.Key)
		p := params.ControllerPrefix(d)
		if p == "" || (prefix != "" && p != prefix) {
			continue
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b types.BaseVirtualDevice) int {
		return int(a.(types.BaseVirtualController).GetVirtualController().BusNumber) - int(b.(types.BaseVirtualController).GetVirtualController().BusNumber)
	})
	return out
}

// ---- faults ----

// diskFaults explain the faults of disk changes and what to do.
var diskFaults = []struct {
	fault  types.BaseMethodFault
	advice string
}{
	{&types.FileNotFound{}, "the disk file does not exist on the datastore; check the path with the datastore browser (datastore_browse)"},
	{&types.FileAlreadyExists{}, "a file of that name already exists on the datastore; attach it with file, or choose another datastore"},
	{&types.FileLocked{}, "the disk file is in use (locked by a running VM or a backup); stop what uses it, or power the VM that holds it off, and retry"},
	{&types.ResourceInUse{}, "the device is busy; wait for what uses it (a backup, another task on the VM: task_list) and retry"},
	{&types.TaskInProgress{}, "another task is running on the VM; wait for it (task_list with object set to the VM) and retry"},
	{&types.InvalidPowerState{}, "the VM's power state does not allow this change; check it with vm_get, and power the VM off (vm_shutdown_guest) if needed"},
	{&types.InvalidController{}, "the controller cannot take this disk; omit controller to let the tool choose one, or name another (vm_device_list kind=controller)"},
	{&types.DeviceUnsupportedForVmVersion{}, "the VM's hardware version does not support this device; upgrade it with vm_hardware_upgrade (VM off), or choose another controller"},
	{&types.DeviceHotPlugNotSupported{}, "this device cannot be added or removed while the VM runs; power it off first (vm_shutdown_guest), or use a SCSI controller"},
	{&types.InvalidDeviceSpec{}, "vCenter refused the device specification (a unit already taken, a controller that does not exist, or a setting the VM does not support); check the VM's devices with vm_disk_list and vm_device_list"},
	{&types.InvalidDeviceOperation{}, "vCenter refused the change to the device (a disk cannot shrink, for instance); check it with vm_disk_list"},
	{&types.NotSupported{}, "vCenter does not support this change on the VM in its current state"},
}

// explainDisk names the fault of a failed disk change and says what to
// do. A datastore that ran out of space is reported with its free space.
func explainDisk(ctx context.Context, c *vcenter.Conn, err error, ds *diskDatastore) error {
	if err == nil {
		return nil
	}
	var re toolkit.ResultError
	var pe *toolkit.PlainError
	var ae *toolkit.ArgError
	var ee *toolkit.ExplainedError
	if errors.As(err, &re) || errors.As(err, &pe) || errors.As(err, &ae) || errors.As(err, &ee) {
		return err
	}
	msg := vcenter.ErrorText(err)
	if toolkit.HasFault[*types.NoDiskSpace](err) || toolkit.HasFault[*types.InsufficientStorageSpace](err) {
		free := ""
		if ds != nil {
			var m mo.Datastore
			if c.ReadRef(ctx, ds.obj.Ref, []string{"summary.freeSpace", "summary.capacity"}, &m) == nil {
				ds.free, ds.size = m.Summary.FreeSpace, m.Summary.Capacity
			}
			free = fmt.Sprintf(" (datastore %s: %s)", toolkit.Name(ds.obj.Name), ds.freeText())
		}
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (%s): the datastore is full%s; choose another datastore (datastore_list shows free space) or free space on it", msg, toolkit.FaultName(err), free)}
	}
	for _, f := range diskFaults {
		if fault.Is(err, f.fault) {
			name := toolkit.FaultTypeName(f.fault)
			if !strings.Contains(msg, name) {
				msg += " (" + name + ")"
			}
			return &toolkit.PlainError{Msg: msg + ": " + f.advice}
		}
	}
	return &toolkit.PlainError{Msg: toolkit.ExplainNamed(err)}
}
