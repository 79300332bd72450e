package vm

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// The hardware of a new VM (vm_create): its disks, NICs, CD-ROM, and the
// guest OS checked against what the target host supports.

const (
	maxCreateDisks = 15 // the units of one SCSI controller (7 is the controller's)
	maxCreateNICs  = 10 // a VM's limit
)

// CreateDisk is one disk of a new VM.
type CreateDisk struct {
	SizeGB       int64  `json:"size_gb" jsonschema:"GB, 1-63488"`
	Datastore    string `json:"datastore,omitempty" jsonschema:"Default the VM's"`
	Provisioning string `json:"provisioning,omitempty" jsonschema_description:"Default thin; thick is lazy zeroed" jsonschema:"enum=thin,enum=thick,enum=eager_zeroed"`
}

// CreateNIC is one NIC of a new VM.
type CreateNIC struct {
	Network string `json:"network,omitempty" jsonschema:"Default as network"`
	Adapter string `json:"adapter,omitempty" jsonschema_description:"Default vmxnet3" jsonschema:"enum=vmxnet3,enum=e1000e,enum=e1000"`
}

var (
	provisionings = []string{"thin", "thick", "eager_zeroed"}
	nicAdapters   = []string{"vmxnet3", "e1000e", "e1000"}
	firmwares     = []string{"bios", "efi"}
)

func (a *VMCreateArgs) validateHardware() error {
	if len(a.Disks) > 0 && a.DiskGB != 0 {
		return fmt.Errorf("pass disk_gb or disks, not both: disks replaces the one default disk (put its size in disks[0].size_gb)")
	}
	if len(a.Disks) > maxCreateDisks {
		return fmt.Errorf("disks has %d entries; at most %d fit on the new VM's SCSI controller (add more later with vm_disk_add)", len(a.Disks), maxCreateDisks)
	}
	for i, d := range a.Disks {
		if d.SizeGB < 1 || d.SizeGB > maxDiskGB {
			return fmt.Errorf("disks[%d].size_gb must be between 1 and %d (got %d)", i, maxDiskGB, d.SizeGB)
		}
		if d.Provisioning != "" && !slices.Contains(provisionings, d.Provisioning) {
			return fmt.Errorf("disks[%d].provisioning %q: use thin, thick or eager_zeroed", i, d.Provisioning)
		}
	}
	if len(a.NICs) > maxCreateNICs {
		return fmt.Errorf("nics has %d entries; a VM has at most %d NICs", len(a.NICs), maxCreateNICs)
	}
	for i, n := range a.NICs {
		if n.Adapter != "" && !slices.Contains(nicAdapters, n.Adapter) {
			return fmt.Errorf("nics[%d].adapter %q: use vmxnet3, e1000e or e1000", i, n.Adapter)
		}
	}
	if a.Firmware != "" && !slices.Contains(firmwares, a.Firmware) {
		return fmt.Errorf("firmware %q: use bios or efi", a.Firmware)
	}
	if a.ISO != "" {
		if _, err := parseISO(a.ISO); err != nil {
			return err
		}
	}
	return nil
}

// parseISO reads "[datastore] path/file.iso".
func parseISO(s string) (object.DatastorePath, error) {
	var p object.DatastorePath
	if !p.FromString(strings.TrimSpace(s)) || p.Datastore == "" || p.Path == "" {
		return p, fmt.Errorf("iso %s: write it as [datastore] path/file.iso, e.g. [LocalDS_0] iso/ubuntu-24.04.iso", toolkit.Quote(s, 120))
	}
	if !strings.EqualFold(path.Ext(p.Path), ".iso") {
		return p, fmt.Errorf("iso %s does not name an .iso file", toolkit.Quote(s, 120))
	}
	return p, nil
}

// CreatedDisk is a disk of the new VM as asked.
type CreatedDisk struct {
	SizeGB       int64  `json:"size_gb"`
	Datastore    string `json:"datastore"`
	Provisioning string `json:"provisioning"`
}

// CreatedNIC is a NIC of the new VM as asked.
type CreatedNIC struct {
	Adapter string `json:"adapter"`
	Network string `json:"network"`
}

// hardwarePlan is the resolved hardware of a new VM.
type hardwarePlan struct {
	controller string
	disks      []CreatedDisk
	diskDS     []vcenter.Object
	nics       []CreatedNIC
	nicNets    []vcenter.Object
	iso        string
	isoDS      *vcenter.Object
	vmDS       vcenter.Object
}

// planHardware resolves the datastores and networks of the new VM's disks,
// NICs and ISO against what the placement can use; notes are the defaults
// chosen.
func planHardware(ctx context.Context, c *vcenter.Conn, d toolkit.Deps, a VMCreateArgs, out *VMCreateResult, vmDS vcenter.Object, dss, nets []types.ManagedObjectReference, where string) (*hardwarePlan, error) {
	hp := &hardwarePlan{controller: out.DiskController, vmDS: vmDS}
	disks := a.Disks
	if len(disks) == 0 {
		disks = []CreateDisk{{SizeGB: out.DiskGB}}
	}
	for i, dk := range disks {
		ds := vmDS
		if dk.Datastore != "" {
			o, _, err := params.PickDatastore(ctx, c, dk.Datastore, dss, where)
			if err != nil {
				return nil, fmt.Errorf("disks[%d]: %w", i, err)
			}
			ds = o
		}
		prov := dk.Provisioning
		if prov == "" {
			prov = "thin"
		}
		hp.disks = append(hp.disks, CreatedDisk{SizeGB: dk.SizeGB, Datastore: ds.Name, Provisioning: prov})
		hp.diskDS = append(hp.diskDS, ds)
	}
	nics := a.NICs
	if len(nics) == 0 {
		nics = []CreateNIC{{}}
	}
	picked := map[string]bool{}
	for i, n := range nics {
		ident := n.Network
		if ident == "" {
			ident = a.Network
		}
		netw, detail, err := params.PickNetworkOrDefault(ctx, c, d.Defaults, ident, nets, where)
		if err != nil {
			if len(a.NICs) > 0 {
				return nil, fmt.Errorf("nics[%d]: %w", i, err)
			}
			return nil, err
		}
		if detail != "" && !picked[detail] {
			picked[detail] = true
			out.Defaults = append(out.Defaults, detail)
		}
		adapter := n.Adapter
		if adapter == "" {
			adapter = "vmxnet3"
		}
		hp.nics = append(hp.nics, CreatedNIC{Adapter: adapter, Network: netw.Name})
		hp.nicNets = append(hp.nicNets, netw)
	}
	if a.ISO != "" {
		p, _ := parseISO(a.ISO)
		ds, err := isoDatastore(ctx, c, p, dss, where)
		if err != nil {
			return nil, err
		}
		hp.iso, hp.isoDS = p.String(), &ds
	}
	return hp, nil
}

// isoDatastore resolves the ISO's datastore among those the placement can
// use and checks that the file is there.
func isoDatastore(ctx context.Context, c *vcenter.Conn, p object.DatastorePath, dss []types.ManagedObjectReference, where string) (vcenter.Object, error) {
	var found *vcenter.Object
	names, err := c.Names(ctx, dss)
	if err != nil {
		return vcenter.Object{}, fmt.Errorf("read the datastores of %s: %w", where, err)
	}
	for ref, name := range names {
		if name == p.Datastore {
			o, err := c.Resolve(ctx, "Datastore", ref.Value)
			if err != nil {
				return vcenter.Object{}, err
			}
			found = &o
		}
	}
	if found == nil {
		return vcenter.Object{}, &toolkit.PlainError{Msg: fmt.Sprintf("iso: datastore %s is not mounted on %s, so the VM cannot read the ISO there; copy it to one it has (%s)", toolkit.Name(p.Datastore), where, params.RefNames(ctx, c, dss))}
	}
	dso := object.NewDatastore(c.Client, found.Ref)
	dso.InventoryPath = found.Path // Stat names the datastore by it
	if _, err := dso.Stat(ctx, p.Path); err != nil {
		if _, ok := err.(object.DatastoreNoSuchFileError); ok {
			return vcenter.Object{}, &toolkit.PlainError{Msg: fmt.Sprintf("iso %s: no such file on datastore %s; check the path with datastore_browse", toolkit.Path(p.String()), toolkit.Name(p.Datastore))}
		}
		return vcenter.Object{}, fmt.Errorf("look for iso %s: %w", toolkit.Path(p.String()), err)
	}
	return *found, nil
}

// deviceChanges builds the device changes of a new VM from the plan: a
// SCSI controller with the disks, the NICs, an IDE controller with a CD-ROM
// holding the ISO.
func (hp *hardwarePlan) deviceChanges(ctx context.Context, c *vcenter.Conn) ([]types.BaseVirtualDeviceConfigSpec, error) {
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController(hp.controller)
	if err != nil {
		return nil, err
	}
	devices = append(devices, scsi)
	for i, dk := range hp.disks {
		backing := &types.VirtualDiskFlatVer2BackingInfo{
			DiskMode:        string(types.VirtualDiskModePersistent),
			ThinProvisioned: types.NewBool(dk.Provisioning == "thin"),
		}
		if dk.Provisioning == "eager_zeroed" {
			backing.EagerlyScrub = types.NewBool(true)
		}
		// A disk elsewhere than the VM's files names only its datastore:
		// vCenter makes the file in a folder named after the VM.
		if i < len(hp.diskDS) && hp.diskDS[i].Ref != hp.vmDS.Ref {
			backing.FileName = "[" + hp.diskDS[i].Name + "]"
		}
		disk := &types.VirtualDisk{
			VirtualDevice:   types.VirtualDevice{Key: devices.NewKey(), Backing: backing},
			CapacityInKB:    dk.SizeGB << 20,
			CapacityInBytes: dk.SizeGB << 30,
		}
		devices.AssignController(disk, scsi.(types.BaseVirtualController))
		devices = append(devices, disk)
	}
	for i, n := range hp.nicNets {
		ref, ok := object.NewReference(c.Client, n.Ref).(object.NetworkReference)
		if !ok {
			return nil, fmt.Errorf("%s is not a network a NIC can use", toolkit.Path(n.Path))
		}
		backing, err := ref.EthernetCardBackingInfo(ctx)
		if err != nil {
			return nil, fmt.Errorf("read network %s: %w", toolkit.Path(n.Path), err)
		}
		nic, err := devices.CreateEthernetCard(hp.nics[i].Adapter, backing)
		if err != nil {
			return nil, err
		}
		devices = append(devices, nic)
	}
	if hp.iso != "" {
		ide, err := devices.CreateIDEController()
		if err != nil {
			return nil, err
		}
		devices = append(devices, ide)
		cd, err := devices.CreateCdrom(ide.(types.BaseVirtualController))
		if err != nil {
			return nil, err
		}
		devices = append(devices, devices.InsertIso(cd, hp.iso))
	}
	return devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
}

// checkGuestOnHost checks guest_os (and firmware) against the guest OS
// descriptors of the placement's environment browser, which name what the
// target host supports; an unknown ID gets the nearest supported ones.
// Where the browser cannot be read, the IDs this build knows are used.
func checkGuestOnHost(ctx context.Context, c *vcenter.Conn, pl *params.Placement, guestID, firmware string) error {
	where := "host " + toolkit.Name(pl.Compute.Name)
	switch {
	case pl.Host != nil:
		where = "host " + toolkit.Name(pl.Host.Name)
	case pl.IsCluster():
		where = "cluster " + toolkit.Name(pl.Compute.Name)
	}
	descs, err := guestDescriptors(ctx, c, pl)
	if err != nil || len(descs) == 0 {
		return checkGuestOS(guestID)
	}
	ids := make([]string, len(descs))
	for i, g := range descs {
		ids[i] = g.Id
		if g.Id != guestID {
			continue
		}
		if firmware != "" && len(g.SupportedFirmware) > 0 && !slices.Contains(g.SupportedFirmware, firmware) {
			return &toolkit.PlainError{Msg: fmt.Sprintf("guest_os %s does not support firmware %s on %s (it supports %s); choose that firmware or leave firmware out", guestID, firmware, where, strings.Join(g.SupportedFirmware, ", "))}
		}
		return nil
	}
	msg := fmt.Sprintf("guest_os %q is not a guest OS ID that %s supports (of its %d)", toolkit.Truncate(guestID, 64), where, len(ids))
	if near := toolkit.Nearest(guestID, ids, 5); len(near) > 0 {
		return &toolkit.PlainError{Msg: msg + "; did you mean " + strings.Join(near, ", ") + "?"}
	}
	return &toolkit.PlainError{Msg: msg + "; examples: ubuntu64Guest, rhel9_64Guest, debian12_64Guest, windows2019srv_64Guest, otherGuest64"}
}

// guestDescriptors asks the placement's environment browser which guest
// OSes the host (or, without one, the compute resource) supports.
func guestDescriptors(ctx context.Context, c *vcenter.Conn, pl *params.Placement) ([]types.GuestOsDescriptor, error) {
	var mc mo.ComputeResource
	if err := c.ReadRef(ctx, pl.Compute.Ref, []string{"environmentBrowser"}, &mc); err != nil {
		return nil, err
	}
	if mc.EnvironmentBrowser == nil {
		return nil, nil
	}
	var spec *types.EnvironmentBrowserConfigOptionQuerySpec
	if pl.Host != nil {
		spec = &types.EnvironmentBrowserConfigOptionQuerySpec{Host: &pl.Host.Ref}
	}
	opt, err := object.NewEnvironmentBrowser(c.Client, *mc.EnvironmentBrowser).QueryConfigOption(ctx, spec)
	if err != nil || opt == nil {
		return nil, err
	}
	return opt.GuestOSDescriptor, nil
}

// checkGuestOS accepts the guest OS identifiers this build knows, for
// when the host cannot be asked.
func checkGuestOS(id string) error {
	var ids []string
	for _, v := range types.VirtualMachineGuestOsIdentifier("").Values() {
		if string(v) == id {
			return nil
		}
		ids = append(ids, string(v))
	}
	msg := fmt.Sprintf("guest_os %q is not a vSphere guest OS identifier", toolkit.Truncate(id, 64))
	if near := toolkit.Nearest(id, ids, 5); len(near) > 0 {
		return fmt.Errorf("%s; did you mean %s?", msg, strings.Join(near, ", "))
	}
	return fmt.Errorf("%s; examples: ubuntu64Guest, rhel9_64Guest, debian12_64Guest, windows2019srv_64Guest, otherGuest64", msg)
}
