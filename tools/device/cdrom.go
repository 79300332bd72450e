package device

import (
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// isoOf is the ISO file a CD/DVD drive holds, or "".
func isoOf(d types.BaseVirtualDevice) string {
	if b, ok := d.GetVirtualDevice().Backing.(*types.VirtualCdromIsoBackingInfo); ok {
		return b.FileName
	}
	return ""
}

// pickCdrom finds the drive ref names, or the first one (preferring one
// that holds an ISO when preferISO); nil when the VM has none.
func pickCdrom(ds params.Devices, vm, ref string, preferISO bool) (types.BaseVirtualDevice, params.DeviceInfo, error) {
	if ref != "" {
		return ds.Find(vm, params.KindCDROM, "cdrom", ref)
	}
	all := ds.OfKind(params.KindCDROM)
	if len(all) == 0 {
		return nil, params.DeviceInfo{}, nil
	}
	if preferISO {
		for _, in := range all {
			if d := ds.List.FindByKey(in.Key); isoOf(d) != "" {
				return d, in, nil
			}
		}
	}
	return ds.List.FindByKey(all[0].Key), all[0], nil
}

// newCdrom makes a CD/DVD drive for a VM that has none: on an IDE
// controller with a free unit when the VM is off, else on a SATA one
// (vCenter adds IDE devices only to a powered-off VM); a powered-off VM
// with neither gets a new SATA controller too. The specs add what is
// needed; the note says where the drive goes.
func newCdrom(list object.VirtualDeviceList, vm string, poweredOn bool) (*types.VirtualCdrom, []types.BaseVirtualDeviceConfigSpec, string, error) {
	add := func(d types.BaseVirtualDevice) types.BaseVirtualDeviceConfigSpec {
		return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: d}
	}
	var ctl types.BaseVirtualController
	if !poweredOn {
		if c := list.PickController((*types.VirtualIDEController)(nil)); c != nil {
			ctl = c
		}
	}
	if ctl == nil {
		if c := list.PickController((*types.VirtualSATAController)(nil)); c != nil {
			ctl = c
		}
	}
	var specs []types.BaseVirtualDeviceConfigSpec
	note := ""
	if ctl == nil {
		if poweredOn {
			return nil, nil, "", &toolkit.PlainError{Msg: fmt.Sprintf("VM %s has no CD/DVD drive and no SATA controller with a free unit, and vCenter adds a drive on IDE only while the VM is powered off (no free unit); power it off first, then vm_cdrom_insert adds the drive", toolkit.Name(vm))}
		}
		sata, err := list.CreateSATAController()
		if err != nil {
			return nil, nil, "", &toolkit.PlainError{Msg: fmt.Sprintf("VM %s has no CD/DVD drive and no IDE or SATA controller with a free unit, and no SATA bus is left for a new controller (no free unit)", toolkit.Name(vm))}
		}
		sata.GetVirtualDevice().Key = -100
		list = append(list, sata)
		ctl = sata.(types.BaseVirtualController)
		specs = append(specs, add(sata))
		note = fmt.Sprintf("the VM had no CD/DVD drive and no free IDE or SATA unit: added SATA controller %d for a new drive", ctl.GetVirtualController().BusNumber)
	}
	cd, err := list.CreateCdrom(ctl)
	if err != nil {
		return nil, nil, "", err
	}
	cd.Key = -101
	if len(specs) > 0 {
		ctl.GetVirtualController().Device = nil // a new controller: vCenter fills it in
	}
	specs = append(specs, add(cd))
	if note == "" {
		note = fmt.Sprintf("the VM had no CD/DVD drive: added one on %s %d", map[bool]string{true: "SATA controller", false: "IDE"}[isSATA(ctl)], ctl.GetVirtualController().BusNumber)
	}
	return cd, specs, note, nil
}

func isSATA(c types.BaseVirtualController) bool {
	_, ok := c.(types.BaseVirtualSATAController)
	return ok
}
