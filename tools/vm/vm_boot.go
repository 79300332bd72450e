package vm

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// Boot options: what vm_get shows and vm_reconfigure changes (boot order,
// boot delay, entering setup, firmware, secure boot).

const maxBootDelayMS = 600_000 // ten minutes

var bootKinds = []string{"disk", "cdrom", "network", "floppy"}

// VMBoot is a VM's boot options as vCenter has them.
type VMBoot struct {
	Firmware   string   `json:"firmware,omitempty"`
	SecureBoot bool     `json:"secure_boot,omitempty"`
	Order      []string `json:"order,omitempty"`
	DelayMS    int64    `json:"delay_ms,omitempty"`
	EnterSetup bool     `json:"enter_setup,omitempty"`
}

// bootOf reads the boot options of a VM's config.
func bootOf(cfg *types.VirtualMachineConfigInfo) *VMBoot {
	if cfg == nil {
		return nil
	}
	b := &VMBoot{Firmware: cfg.Firmware}
	if o := cfg.BootOptions; o != nil {
		b.SecureBoot = o.EfiSecureBootEnabled != nil && *o.EfiSecureBootEnabled
		b.DelayMS = o.BootDelay
		b.EnterSetup = o.EnterBIOSSetup != nil && *o.EnterBIOSSetup
		b.Order = bootOrderNames(o.BootOrder)
	}
	return b
}

// text is the boot options on one line.
func (b *VMBoot) text() string {
	parts := []string{"firmware " + orDash(toolkit.Name(b.Firmware))}
	if b.Firmware == string(types.GuestOsDescriptorFirmwareTypeEfi) {
		parts = append(parts, "secure boot "+onOff(b.SecureBoot))
	}
	order := "default"
	if len(b.Order) > 0 {
		order = strings.Join(b.Order, ",")
	}
	parts = append(parts, "order "+order, fmt.Sprintf("delay %d ms", b.DelayMS))
	if b.EnterSetup {
		parts = append(parts, "enters setup at next boot")
	}
	return strings.Join(parts, ", ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func bootOrderNames(order []types.BaseVirtualMachineBootOptionsBootableDevice) []string {
	var out []string
	for _, d := range order {
		switch d.(type) {
		case *types.VirtualMachineBootOptionsBootableDiskDevice:
			out = append(out, "disk")
		case *types.VirtualMachineBootOptionsBootableCdromDevice:
			out = append(out, "cdrom")
		case *types.VirtualMachineBootOptionsBootableEthernetDevice:
			out = append(out, "network")
		case *types.VirtualMachineBootOptionsBootableFloppyDevice:
			out = append(out, "floppy")
		}
	}
	return out
}

func (a *VMReconfigureArgs) bootGiven() bool {
	return len(a.BootOrder) > 0 || a.BootDelayMS != nil || a.EnterSetup != nil || a.Firmware != "" || a.SecureBoot != nil
}

func (a *VMReconfigureArgs) validateBoot() error {
	seen := map[string]bool{}
	for _, k := range a.BootOrder {
		if !slices.Contains(bootKinds, k) {
			return fmt.Errorf("boot_order entry %s: use disk, cdrom, network or floppy", toolkit.Quote(k, 20))
		}
		if seen[k] {
			return fmt.Errorf("boot_order names %s twice; name each kind once, first to boot first", k)
		}
		seen[k] = true
	}
	if a.BootDelayMS != nil && (*a.BootDelayMS < 0 || *a.BootDelayMS > maxBootDelayMS) {
		return fmt.Errorf("boot_delay_ms must be between 0 and %d (got %d)", maxBootDelayMS, *a.BootDelayMS)
	}
	if a.Firmware != "" && !slices.Contains(firmwares, a.Firmware) {
		return fmt.Errorf("firmware %q: use bios or efi", a.Firmware)
	}
	if a.SecureBoot != nil && *a.SecureBoot && a.Firmware == "bios" {
		return errors.New("secure_boot needs EFI firmware: pass firmware efi, or leave secure_boot out")
	}
	return nil
}

// planBoot adds the boot changes to spec. vCenter merges boot options
// field by field but the simulator replaces them whole, so the full
// options are sent: the VM's current ones with the changes over them.
func planBoot(a VMReconfigureArgs, cfg *types.VirtualMachineConfigInfo, running bool, spec *types.VirtualMachineConfigSpec, changes *[]VMChange, blockers *[]string) error {
	if !a.bootGiven() {
		return nil
	}
	cur := bootOf(cfg)
	opts := types.VirtualMachineBootOptions{}
	if cfg.BootOptions != nil {
		opts = *cfg.BootOptions
	}
	changed := false
	if a.Firmware != "" && a.Firmware != cur.Firmware {
		spec.Firmware = a.Firmware
		*changes = append(*changes, VMChange{"firmware", orDash(toolkit.Name(cur.Firmware)), a.Firmware})
		if running {
			*blockers = append(*blockers, "changing the firmware needs it powered off (and the guest OS may not boot with the other firmware)")
		}
	}
	firmware := cur.Firmware
	if a.Firmware != "" {
		firmware = a.Firmware
	}
	if a.SecureBoot != nil && *a.SecureBoot != cur.SecureBoot {
		if *a.SecureBoot && firmware != string(types.GuestOsDescriptorFirmwareTypeEfi) {
			return &toolkit.PlainError{Msg: fmt.Sprintf("secure boot needs EFI firmware and the VM has %s: pass firmware efi too (with the VM powered off)", orDash(toolkit.Name(firmware)))}
		}
		opts.EfiSecureBootEnabled = types.NewBool(*a.SecureBoot)
		changed = true
		*changes = append(*changes, VMChange{"secure_boot", onOff(cur.SecureBoot), onOff(*a.SecureBoot)})
		if running {
			*blockers = append(*blockers, "turning secure boot on or off needs it powered off")
		}
	} else if a.Firmware == "bios" && cur.SecureBoot {
		// BIOS has no secure boot: it goes with EFI.
		opts.EfiSecureBootEnabled = types.NewBool(false)
		changed = true
		*changes = append(*changes, VMChange{"secure_boot", "on", "off"})
	}
	if a.BootDelayMS != nil && *a.BootDelayMS != cur.DelayMS {
		opts.BootDelay = *a.BootDelayMS
		changed = true
		*changes = append(*changes, VMChange{"boot_delay_ms", toolkit.I64toa(cur.DelayMS), toolkit.I64toa(*a.BootDelayMS)})
	}
	if a.EnterSetup != nil && *a.EnterSetup != cur.EnterSetup {
		opts.EnterBIOSSetup = types.NewBool(*a.EnterSetup)
		changed = true
		*changes = append(*changes, VMChange{"enter_setup", toolkit.YesNo(cur.EnterSetup), toolkit.YesNo(*a.EnterSetup)})
	}
	if len(a.BootOrder) > 0 && !slices.Equal(a.BootOrder, cur.Order) {
		order, err := bootOrder(a.BootOrder, cfg.Hardware.Device)
		if err != nil {
			return err
		}
		opts.BootOrder = order
		changed = true
		*changes = append(*changes, VMChange{"boot_order", orDash(strings.Join(cur.Order, ",")), strings.Join(a.BootOrder, ",")})
	}
	if changed {
		spec.BootOptions = &opts
	}
	return nil
}

// bootOrder maps kinds to the VM's bootable devices: its first disk and
// first NIC by device key (lowest key: Hard disk 1, Network adapter 1),
// and its CD-ROM or floppy drive, which must exist.
func bootOrder(kinds []string, devices []types.BaseVirtualDevice) ([]types.BaseVirtualMachineBootOptionsBootableDevice, error) {
	first := func(match func(types.BaseVirtualDevice) bool) int32 {
		key := int32(-1)
		for _, d := range devices {
			if k := d.GetVirtualDevice().Key; match(d) && (key < 0 || k < key) {
				key = k
			}
		}
		return key
	}
	var out []types.BaseVirtualMachineBootOptionsBootableDevice
	for _, k := range kinds {
		switch k {
		case "disk":
			key := first(func(d types.BaseVirtualDevice) bool { _, ok := d.(*types.VirtualDisk); return ok })
			if key < 0 {
				return nil, errors.New("boot_order names disk, and the VM has no disk; add one with vm_disk_add or leave disk out")
			}
			out = append(out, &types.VirtualMachineBootOptionsBootableDiskDevice{DeviceKey: key})
		case "network":
			key := first(func(d types.BaseVirtualDevice) bool { _, ok := d.(types.BaseVirtualEthernetCard); return ok })
			if key < 0 {
				return nil, errors.New("boot_order names network, and the VM has no NIC; add one with vm_nic_add or leave network out")
			}
			out = append(out, &types.VirtualMachineBootOptionsBootableEthernetDevice{DeviceKey: key})
		case "cdrom":
			if first(func(d types.BaseVirtualDevice) bool { _, ok := d.(*types.VirtualCdrom); return ok }) < 0 {
				return nil, errors.New("boot_order names cdrom, and the VM has no CD-ROM drive; add one with vm_cdrom_insert or leave cdrom out")
			}
			out = append(out, &types.VirtualMachineBootOptionsBootableCdromDevice{})
		case "floppy":
			if first(func(d types.BaseVirtualDevice) bool { _, ok := d.(*types.VirtualFloppy); return ok }) < 0 {
				return nil, errors.New("boot_order names floppy, and the VM has no floppy drive; leave floppy out")
			}
			out = append(out, &types.VirtualMachineBootOptionsBootableFloppyDevice{})
		}
	}
	return out, nil
}
