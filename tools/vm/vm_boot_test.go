package vm

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// bootOf reads the VM's firmware and boot options through govmomi.
func (e *env) bootState(path string) (string, types.VirtualMachineBootOptions, object.VirtualDeviceList) {
	e.T.Helper()
	m := e.lcVM(path)
	var o types.VirtualMachineBootOptions
	if m.Config.BootOptions != nil {
		o = *m.Config.BootOptions
	}
	return m.Config.Firmware, o, object.VirtualDeviceList(m.Config.Hardware.Device)
}

func TestVMReconfigureBoot(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	e.uploadISO("LocalDS_0", "iso/boot.iso")
	const vm = "/DC0/vm/boot-01"
	e.OK("vm_create", map[string]any{"name": "boot-01", "cluster": "DC0_C0", "datastore": "LocalDS_0", "iso": "[LocalDS_0] iso/boot.iso", "firmware": "bios",
		"disks": []any{map[string]any{"size_gb": 1}, map[string]any{"size_gb": 2}}}, nil)

	// Order, delay and setup, read back with the devices' keys.
	var res VMReconfigureResult
	text := e.OK("vm_reconfigure", map[string]any{"vm": vm, "boot_order": []any{"cdrom", "disk", "network"}, "boot_delay_ms": 5000, "enter_setup": true}, &res)
	toolstest.MustContain(t, text, "Reconfigured", "boot_order: - → cdrom,disk,network", "boot_delay_ms: 0 → 5000", "enter_setup: no → yes",
		"boot now: firmware bios, order cdrom,disk,network, delay 5000 ms, enters setup at next boot")
	fw, o, devs := e.bootState(vm)
	disks := devs.SelectByType((*types.VirtualDisk)(nil))
	nics := devs.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(o.BootOrder) != 3 || len(disks) != 2 || len(nics) != 1 {
		t.Fatalf("boot order %d entries, %d disks, %d nics", len(o.BootOrder), len(disks), len(nics))
	}
	firstDisk := min(disks[0].GetVirtualDevice().Key, disks[1].GetVirtualDevice().Key)
	if _, ok := o.BootOrder[0].(*types.VirtualMachineBootOptionsBootableCdromDevice); !ok {
		t.Errorf("boot order[0] %T, want the CD-ROM", o.BootOrder[0])
	}
	if d, ok := o.BootOrder[1].(*types.VirtualMachineBootOptionsBootableDiskDevice); !ok || d.DeviceKey != firstDisk {
		t.Errorf("boot order[1] %#v, want disk %d", o.BootOrder[1], firstDisk)
	}
	if n, ok := o.BootOrder[2].(*types.VirtualMachineBootOptionsBootableEthernetDevice); !ok || n.DeviceKey != nics[0].GetVirtualDevice().Key {
		t.Errorf("boot order[2] %#v, want NIC %d", o.BootOrder[2], nics[0].GetVirtualDevice().Key)
	}
	if o.BootDelay != 5000 || o.EnterBIOSSetup == nil || !*o.EnterBIOSSetup || fw != "bios" {
		t.Errorf("delay %d setup %v firmware %s", o.BootDelay, o.EnterBIOSSetup, fw)
	}

	// One field changed, the others kept (the full options are sent).
	e.OK("vm_reconfigure", map[string]any{"vm": vm, "boot_delay_ms": 0}, &res)
	if _, o, _ = e.bootState(vm); o.BootDelay != 0 || len(o.BootOrder) != 3 || o.EnterBIOSSetup == nil || !*o.EnterBIOSSetup {
		t.Errorf("after boot_delay_ms 0: delay %d order %d setup %v", o.BootDelay, len(o.BootOrder), o.EnterBIOSSetup)
	}
	if text := e.OK("vm_reconfigure", map[string]any{"vm": vm, "boot_order": []any{"cdrom", "disk", "network"}}, &res); res.Action != "Unchanged" {
		t.Errorf("same order again: %s", text)
	}

	// Secure boot needs EFI; firmware and secure boot together, off.
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": vm, "secure_boot": true}), "secure boot needs EFI firmware and the VM has bios", "firmware efi")
	text = e.OK("vm_reconfigure", map[string]any{"vm": vm, "firmware": "efi", "secure_boot": true}, &res)
	toolstest.MustContain(t, text, "firmware: bios → efi", "secure_boot: off → on", "boot now: firmware efi, secure boot on, order cdrom,disk,network")
	if fw, o, _ = e.bootState(vm); fw != "efi" || o.EfiSecureBootEnabled == nil || !*o.EfiSecureBootEnabled || len(o.BootOrder) != 3 {
		t.Errorf("firmware %s secure boot %v order %d", fw, o.EfiSecureBootEnabled, len(o.BootOrder))
	}
	toolstest.MustContain(t, e.OK("vm_get", map[string]any{"vm": vm}, nil), "boot: firmware efi, secure boot on, order cdrom,disk,network, delay 0 ms, enters setup at next boot")

	// Running: firmware and secure boot are refused (vcsim would allow
	// them; vCenter does not), the VM unchanged; the order may change.
	task, err := object.NewVirtualMachine(e.Vim, e.lcRef(vm)).PowerOn(e.Ctx)
	if err != nil || task.Wait(e.Ctx) != nil {
		t.Fatalf("power on: %v", err)
	}
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": vm, "firmware": "bios"}), "is poweredOn", "changing the firmware needs it powered off", "nothing was changed")
	toolstest.MustContain(t, e.Fails("vm_reconfigure", map[string]any{"vm": vm, "secure_boot": false}), "turning secure boot on or off needs it powered off")
	if fw, o, _ = e.bootState(vm); fw != "efi" || !*o.EfiSecureBootEnabled {
		t.Errorf("refused changes changed the VM: firmware %s secure boot %v", fw, *o.EfiSecureBootEnabled)
	}
	e.OK("vm_reconfigure", map[string]any{"vm": vm, "boot_order": []any{"disk"}}, &res)
	if fw, o, _ = e.bootState(vm); len(o.BootOrder) != 1 || fw != "efi" || !*o.EfiSecureBootEnabled {
		t.Errorf("order change while running: order %d firmware %s secure boot %v", len(o.BootOrder), fw, *o.EfiSecureBootEnabled)
	}

	// Wrong calls.
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"boot_order": []any{"floppy"}}, "the VM has no floppy drive"},
		{map[string]any{"boot_order": []any{"disk", "disk"}}, "boot_order names disk twice"},
		{map[string]any{"boot_order": []any{"usb"}}, `boot_order entry "usb": use disk, cdrom, network or floppy`},
		{map[string]any{"boot_delay_ms": -1}, "boot_delay_ms must be between 0 and 600000"},
		{map[string]any{"firmware": "bios", "secure_boot": true}, "secure_boot needs EFI firmware"},
	} {
		tc.args["vm"] = vm
		toolstest.MustContain(t, e.Fails("vm_reconfigure", tc.args), tc.want)
	}
	if _, o, _ = e.bootState(vm); len(o.BootOrder) != 1 {
		t.Errorf("refused calls changed the boot order: %d entries", len(o.BootOrder))
	}
}

// TestVMReconfigureSnapshotFirst: snapshot_first takes the restore point
// before the change and the result names it.
func TestVMReconfigureSnapshotFirst(t *testing.T) {
	t.Parallel()
	e, _ := newAdminEnv(t)
	const vm = "/DC0/vm/DC0_C0_RP1_VM2"
	var res VMReconfigureResult
	text := e.OK("vm_reconfigure", map[string]any{"vm": vm, "cpus": 2, "boot_delay_ms": 3000, "snapshot_first": true}, &res)
	if res.Snapshot == nil || !strings.HasPrefix(res.Snapshot.Name, "before vm_reconfigure ") || res.Snapshot.ID == "" {
		t.Fatalf("result snapshot %+v\n%s", res.Snapshot, text)
	}
	toolstest.MustContain(t, text, "snapshot_first: \"before vm_reconfigure ", "snapshot_revert returns to it", "cpus: 1 → 2")
	m := e.lcVM(vm)
	if m.Snapshot == nil || len(m.Snapshot.RootSnapshotList) != 1 || m.Snapshot.RootSnapshotList[0].Name != res.Snapshot.Name || m.Snapshot.RootSnapshotList[0].Snapshot.Value != res.Snapshot.ID {
		t.Errorf("snapshots %+v, want one named %q", m.Snapshot, res.Snapshot.Name)
	}
	if m.Config.Hardware.NumCPU != 2 || m.Config.BootOptions.BootDelay != 3000 {
		t.Errorf("cpus %d delay %d after the change", m.Config.Hardware.NumCPU, m.Config.BootOptions.BootDelay)
	}
}
