package device

import (
	"fmt"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestDeviceList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const vm = "/DC0/vm/DC0_H0_VM0"
	want := e.devices(vm)

	t.Run("all devices, labelled as vCenter labels them", func(t *testing.T) {
		var got DeviceList
		text := e.at(t).OK("vm_device_list", map[string]any{"vm": vm}, &got)
		if len(got.Devices) != len(want.Infos) {
			t.Fatalf("listed %d devices, the VM has %d", len(got.Devices), len(want.Infos))
		}
		for i, d := range got.Devices {
			if d.Key != want.Infos[i].Key || d.Label != want.Infos[i].Label || d.Kind != want.Infos[i].Kind {
				t.Errorf("device %d = %+v, want %+v", i, d, want.Infos[i])
			}
		}
		toolstest.MustContain(t, text, "Hard disk 1", "Network adapter 1", "scsi0:0")
	})
	t.Run("kind filter", func(t *testing.T) {
		for _, kind := range params.DeviceKinds {
			var got DeviceList
			e.at(t).OK("vm_device_list", map[string]any{"vm": vm, "kind": string(kind)}, &got)
			if n := len(want.OfKind(kind)); len(got.Devices) != n {
				t.Errorf("kind %s: %d devices, want %d", kind, len(got.Devices), n)
			}
			for _, d := range got.Devices {
				if d.Kind != kind {
					t.Errorf("kind %s listed %+v", kind, d)
				}
			}
		}
		var disks DeviceList
		e.at(t).OK("vm_device_list", map[string]any{"vm": vm, "kind": "disk"}, &disks)
		if len(disks.Devices) == 0 || disks.Devices[0].Backing == "" || disks.Devices[0].Bus == "" {
			t.Errorf("disk listing lacks backing file or bus position: %+v", disks.Devices)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		toolstest.MustContain(t, e.at(t).Fails("vm_device_list", map[string]any{"vm": vm, "kind": "gpu"}), "use one of disk, nic")
		toolstest.MustContain(t, e.at(t).Fails("vm_device_list", map[string]any{"vm": "no-such-vm"}), "no-such-vm")
	})
	t.Run("find by label, key, bus position and MAC", func(t *testing.T) {
		disk := want.OfKind(params.KindDisk)[0]
		nic := want.OfKind(params.KindNIC)[0]
		for _, tc := range []struct {
			kind params.DeviceKind
			ref  string
			key  int32
		}{
			{params.KindDisk, "hard disk 1", disk.Key},
			{params.KindDisk, fmt.Sprint(disk.Key), disk.Key},
			{params.KindDisk, disk.Bus, disk.Key},
			{params.KindNIC, "Network adapter 1", nic.Key},
			{params.KindNIC, nic.MAC, nic.Key},
		} {
			_, info, err := want.Find("vm0", tc.kind, "device", tc.ref)
			if err != nil || info.Key != tc.key {
				t.Errorf("Find(%s, %q) = %+v, %v; want key %d", tc.kind, tc.ref, info, err, tc.key)
			}
		}
		_, _, err := want.Find("vm0", params.KindDisk, "disk", "Hard disk 9")
		if err == nil {
			t.Fatal("an unknown disk was found")
		}
		toolstest.MustContain(t, err.Error(), "has no such disk", "its disks: Hard disk 1 (key")
	})
}
