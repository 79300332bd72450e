package params

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// A VM's virtual devices as an admin names them: by label ("Hard disk 2"),
// device key (2001), bus position ("scsi0:1") or, for NICs, MAC. The
// device tools, vm_get and the OVF tools read devices through this one
// model so a label means the same device everywhere.

// DeviceKind is what a device is, as the device tools filter by it.
type DeviceKind string

const (
	KindDisk       DeviceKind = "disk"
	KindNIC        DeviceKind = "nic"
	KindCDROM      DeviceKind = "cdrom"
	KindSerial     DeviceKind = "serial"
	KindController DeviceKind = "controller"
	KindUSB        DeviceKind = "usb"
	KindOther      DeviceKind = "other"
)

// DeviceKinds lists the kinds in the order tools document them.
var DeviceKinds = []DeviceKind{KindDisk, KindNIC, KindCDROM, KindSerial, KindController, KindUSB, KindOther}

// plural names a kind in messages ("its disks: …").
func (k DeviceKind) plural() string {
	switch k {
	case KindNIC:
		return "network adapters"
	case KindCDROM:
		return "CD/DVD drives"
	case KindSerial:
		return "serial ports"
	case KindUSB:
		return "USB controllers"
	case KindOther:
		return "other devices"
	}
	return string(k) + "s"
}

// KindOf classifies a device.
func KindOf(d types.BaseVirtualDevice) DeviceKind {
	switch d.(type) {
	case *types.VirtualDisk:
		return KindDisk
	case types.BaseVirtualEthernetCard:
		return KindNIC
	case *types.VirtualCdrom:
		return KindCDROM
	case *types.VirtualSerialPort:
		return KindSerial
	case *types.VirtualUSBController, *types.VirtualUSBXHCIController, *types.VirtualUSB:
		return KindUSB
	case types.BaseVirtualController:
		return KindController
	}
	return KindOther
}

// DeviceInfo is one device as the tools show it.
type DeviceInfo struct {
	Kind  DeviceKind `json:"kind"`
	Label string     `json:"label"`
	Key   int32      `json:"key"`
	// Bus is the position on its controller ("scsi0:1") or, for a
	// controller, its bus ("scsi0").
	Bus  string `json:"bus,omitempty"`
	Type string `json:"type,omitempty" jsonschema:"Device type, e.g. vmxnet3, pvscsi, cdrom"`
	// Backing: a disk or ISO file ("[ds1] vm/vm.vmdk"), a network, a URI.
	Backing        string `json:"backing,omitempty"`
	MAC            string `json:"mac,omitempty"`
	Connected      *bool  `json:"connected,omitempty"`
	StartConnected *bool  `json:"start_connected,omitempty"`
	// own is vCenter's own label, when it differs from Label.
	own string
}

// Devices is a VM's device list with the labels and bus positions vCenter
// shows, in key order.
type Devices struct {
	List  object.VirtualDeviceList
	Infos []DeviceInfo
	byKey map[int32]int
}

// vcenterLabel matches the labels vCenter gives; the simulator's own
// ("disk-1000-1") are replaced by vCenter's form.
var vcenterLabel = regexp.MustCompile(`^(Hard disk|Network adapter|CD/DVD drive|Serial port|Parallel port|Floppy drive|SCSI controller|IDE|SATA controller|NVMe controller|PCI controller|PS2 controller|SIO controller|Video card|VMCI device|Keyboard|Pointing device|USB controller|USB xHCI controller)( \d+)?$`)

// DescribeDevices builds the model of list. networks names distributed
// port groups by their key (nil: keys are shown).
func DescribeDevices(list object.VirtualDeviceList, networks map[string]string) Devices {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b types.BaseVirtualDevice) int {
		return int(a.GetVirtualDevice().Key) - int(b.GetVirtualDevice().Key)
	})
	ds := Devices{List: list, byKey: map[int32]int{}}
	count := map[string]int{}
	nicNumber := numberNICs(list)
	for _, d := range list {
		v := d.GetVirtualDevice()
		info := DeviceInfo{Kind: KindOf(d), Key: v.Key, Type: list.Type(d)}
		generic := genericLabel(d, count)
		if n, ok := nicNumber[v.Key]; ok {
			generic = fmt.Sprintf("Network adapter %d", n)
		}
		own := ""
		if v.DeviceInfo != nil && v.DeviceInfo.GetDescription() != nil {
			own = v.DeviceInfo.GetDescription().Label
		}
		info.Label = generic
		if generic == "" || (own != "" && vcenterLabel.MatchString(own)) {
			info.Label = own
		}
		if info.Label == "" {
			info.Label = list.Name(d)
		}
		if own != info.Label {
			info.own = own
		}
		info.Bus = busPosition(list, d)
		info.Backing = backingText(d, networks)
		if e, ok := d.(types.BaseVirtualEthernetCard); ok {
			info.MAC = e.GetVirtualEthernetCard().MacAddress
		}
		if c := v.Connectable; c != nil {
			info.Connected, info.StartConnected = &c.Connected, &c.StartConnected
		}
		ds.byKey[v.Key] = len(ds.Infos)
		ds.Infos = append(ds.Infos, info)
	}
	return ds
}

// numberNICs numbers the network adapters as vCenter labels them, in the
// order they were added: by PCI slot (unit number), then key. vCenter's
// own keys (4000, 4001, …) follow that order; the simulator gives an added
// adapter a key below its first one (205 after 4000), so key order alone
// would call the new adapter "Network adapter 1".
func numberNICs(list object.VirtualDeviceList) map[int32]int {
	var nics []*types.VirtualDevice
	for _, d := range list {
		if _, ok := d.(types.BaseVirtualEthernetCard); ok {
			nics = append(nics, d.GetVirtualDevice())
		}
	}
	unit := func(v *types.VirtualDevice) int32 {
		if v.UnitNumber == nil {
			return 1 << 30
		}
		return *v.UnitNumber
	}
	slices.SortStableFunc(nics, func(a, b *types.VirtualDevice) int {
		if ua, ub := unit(a), unit(b); ua != ub {
			return int(ua) - int(ub)
		}
		return int(a.Key) - int(b.Key)
	})
	out := make(map[int32]int, len(nics))
	for i, v := range nics {
		out[v.Key] = i + 1
	}
	return out
}

// genericLabel is vCenter's label for d: devices of a family numbered in
// key order, controllers by their bus number.
func genericLabel(d types.BaseVirtualDevice, count map[string]int) string {
	numbered := func(family string) string {
		count[family]++
		return fmt.Sprintf("%s %d", family, count[family])
	}
	bus := func(family string) string {
		if c, ok := d.(types.BaseVirtualController); ok {
			return fmt.Sprintf("%s %d", family, c.GetVirtualController().BusNumber)
		}
		return ""
	}
	switch d.(type) {
	case *types.VirtualDisk:
		return numbered("Hard disk")
	case types.BaseVirtualEthernetCard:
		return numbered("Network adapter")
	case *types.VirtualCdrom:
		return numbered("CD/DVD drive")
	case *types.VirtualSerialPort:
		return numbered("Serial port")
	case *types.VirtualParallelPort:
		return numbered("Parallel port")
	case *types.VirtualFloppy:
		return numbered("Floppy drive")
	case types.BaseVirtualSCSIController:
		return bus("SCSI controller")
	case *types.VirtualIDEController:
		return bus("IDE")
	case types.BaseVirtualSATAController:
		return bus("SATA controller")
	case *types.VirtualNVMEController:
		return bus("NVMe controller")
	case *types.VirtualUSBController:
		return "USB controller"
	case *types.VirtualUSBXHCIController:
		return "USB xHCI controller"
	}
	return ""
}

// ControllerPrefix is the bus prefix of a controller ("scsi", "ide",
// "sata", "nvme"), or "" for one that holds no disks.
func ControllerPrefix(c types.BaseVirtualDevice) string {
	switch c.(type) {
	case types.BaseVirtualSCSIController:
		return "scsi"
	case *types.VirtualIDEController:
		return "ide"
	case types.BaseVirtualSATAController:
		return "sata"
	case *types.VirtualNVMEController:
		return "nvme"
	}
	return ""
}

func busPosition(list object.VirtualDeviceList, d types.BaseVirtualDevice) string {
	if c, ok := d.(types.BaseVirtualController); ok {
		if p := ControllerPrefix(d); p != "" {
			return fmt.Sprintf("%s%d", p, c.GetVirtualController().BusNumber)
		}
		return ""
	}
	v := d.GetVirtualDevice()
	if v.UnitNumber == nil || v.ControllerKey == 0 {
		return ""
	}
	ctl := list.FindByKey(v.ControllerKey)
	if ctl == nil {
		return ""
	}
	p := ControllerPrefix(ctl)
	c, ok := ctl.(types.BaseVirtualController)
	if p == "" || !ok {
		return ""
	}
	return fmt.Sprintf("%s%d:%d", p, c.GetVirtualController().BusNumber, *v.UnitNumber)
}

func backingText(d types.BaseVirtualDevice, networks map[string]string) string {
	switch b := d.GetVirtualDevice().Backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		return b.DeviceName
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		if n := networks[b.Port.PortgroupKey]; n != "" {
			return n
		}
		return b.Port.PortgroupKey
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		return b.OpaqueNetworkId
	case *types.VirtualSerialPortURIBackingInfo:
		return b.ServiceURI + " (" + b.Direction + ")"
	case *types.VirtualSerialPortPipeBackingInfo:
		return "pipe " + b.PipeName
	case *types.VirtualCdromIsoBackingInfo:
		return b.FileName
	case *types.VirtualCdromRemotePassthroughBackingInfo, *types.VirtualCdromRemoteAtapiBackingInfo:
		return "client device"
	case types.BaseVirtualDeviceFileBackingInfo:
		return b.GetVirtualDeviceFileBackingInfo().FileName
	case types.BaseVirtualDeviceDeviceBackingInfo:
		if n := b.GetVirtualDeviceDeviceBackingInfo().DeviceName; n != "" {
			return "host device " + n
		}
		return "host device"
	}
	return ""
}

// Info returns the model of the device with key.
func (ds Devices) Info(key int32) (DeviceInfo, bool) {
	i, ok := ds.byKey[key]
	if !ok {
		return DeviceInfo{}, false
	}
	return ds.Infos[i], true
}

// OfKind lists the devices of kind (every device for "").
func (ds Devices) OfKind(kind DeviceKind) []DeviceInfo {
	var out []DeviceInfo
	for _, in := range ds.Infos {
		if kind == "" || in.Kind == kind {
			out = append(out, in)
		}
	}
	return out
}

var busRef = regexp.MustCompile(`^(scsi|ide|sata|nvme)\d+(:\d+)?$`)

// Find resolves ref (label, key, bus position, or MAC for a NIC) to one
// device of kind on the VM vm (named in errors). An unknown or ambiguous
// ref is an error that lists the VM's devices of that kind.
func (ds Devices) Find(vm string, kind DeviceKind, arg, ref string) (types.BaseVirtualDevice, DeviceInfo, error) {
	want := strings.TrimSpace(ref)
	lower := strings.ToLower(want)
	mac := normalizeMAC(want)
	var hits []int
	for i, in := range ds.Infos {
		if in.Kind != kind {
			continue
		}
		match := strings.EqualFold(in.Label, want) || (in.own != "" && strings.EqualFold(in.own, want)) ||
			strconv.Itoa(int(in.Key)) == want ||
			(in.Bus != "" && busRef.MatchString(lower) && in.Bus == lower) ||
			(kind == KindNIC && mac != "" && strings.EqualFold(in.MAC, mac))
		if match {
			hits = append(hits, i)
		}
	}
	switch len(hits) {
	case 1:
		in := ds.Infos[hits[0]]
		return ds.List.FindByKey(in.Key), in, nil
	case 0:
		return nil, DeviceInfo{}, &toolkit.ArgError{Msg: fmt.Sprintf("%s %s: VM %s has no such %s; %s", arg, toolkit.Quote(want, 80), toolkit.Name(vm), kind, ds.listing(kind))}
	}
	return nil, DeviceInfo{}, &toolkit.ArgError{Msg: fmt.Sprintf("%s %s names %d %s of VM %s; use its key or bus position. %s", arg, toolkit.Quote(want, 80), len(hits), kind.plural(), toolkit.Name(vm), ds.listing(kind))}
}

// listing says which devices of kind the VM has, for errors.
func (ds Devices) listing(kind DeviceKind) string {
	infos := ds.OfKind(kind)
	if len(infos) == 0 {
		return "it has no " + kind.plural()
	}
	parts := make([]string, len(infos))
	for i, in := range infos {
		where := fmt.Sprintf("key %d", in.Key)
		if in.Bus != "" {
			where += ", " + in.Bus
		}
		if in.MAC != "" {
			where += ", " + toolkit.Name(in.MAC)
		}
		parts[i] = fmt.Sprintf("%s (%s)", toolkit.Name(in.Label), where)
	}
	return "its " + kind.plural() + ": " + strings.Join(parts, "; ")
}

// normalizeMAC returns s as a lower-case colon-separated MAC, or "" when
// it is not one.
func normalizeMAC(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "-", ":"))
	if len(s) != 17 {
		return ""
	}
	for i, r := range s {
		if i%3 == 2 {
			if r != ':' {
				return ""
			}
		} else if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	return s
}

// ReadDevices reads vm's devices, and props besides, and models them
// with its distributed port groups named.
func ReadDevices(ctx context.Context, c *vcenter.Conn, vm vcenter.Object, props ...string) (Devices, mo.VirtualMachine, error) {
	var m mo.VirtualMachine
	all := append([]string{"config.hardware.device", "network"}, props...)
	if err := c.ReadOne(ctx, vm, all, &m); err != nil {
		return Devices{}, m, fmt.Errorf("read devices of %s: %w", toolkit.Path(vm.Path), err)
	}
	var list object.VirtualDeviceList
	if m.Config != nil {
		list = m.Config.Hardware.Device
	}
	// A distributed port group's key is its managed object ID.
	networks := map[string]string{}
	if len(m.Network) > 0 {
		names, err := c.Names(ctx, m.Network)
		if err != nil {
			return Devices{}, m, fmt.Errorf("read networks of %s: %w", toolkit.Path(vm.Path), err)
		}
		for ref, n := range names {
			networks[ref.Value] = n
		}
	}
	return DescribeDevices(list, networks), m, nil
}
