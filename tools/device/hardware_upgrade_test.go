package device

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestHardwareUpgrade(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	h := &toolstest.Person{Action: mcp.ElicitationResponseActionDecline}
	e := newPolicyEnv(t, p, h)
	const (
		a, b, on, d = "/DC0/vm/DC0_H0_VM2", "/DC0/vm/DC0_H0_VM3", "/DC0/vm/DC0_H0_VM0", "/DC0/vm/DC0_C0_RP1_VM2"
		template    = "/DC0/vm/DC0_H0_VM1"
	)
	for _, vm := range []string{a, b, d} {
		e.setPowerSim(vm, types.VirtualMachinePowerStatePoweredOff)
	}
	e.setPowerSim(on, types.VirtualMachinePowerStatePoweredOn)
	old := e.hwVersion(a)
	if old != "vmx-13" {
		t.Fatalf("demo VMs are %s; the test expects vmx-13", old)
	}

	t.Run("declined: nothing changes", func(t *testing.T) {
		e := e.at(t)
		h.Forget()
		toolstest.MustContain(t, e.Fails("vm_hardware_upgrade", map[string]any{"vm": a}), "did not confirm")
		if v := e.hwVersion(a); v != old {
			t.Errorf("declined, yet %s is %s", a, v)
		}
		if len(h.Asked()) != 1 {
			t.Fatalf("asked %v", h.Asked())
		}
		toolstest.MustContain(t, h.Asked()[0], "1 VM(s)", "DC0_H0_VM2", "vmx-21", "cannot go back")
	})

	t.Run("bulk: one confirmation, the running VM fails, the others upgrade", func(t *testing.T) {
		e := e.at(t)
		h.Forget()
		h.Action, h.Confirm = mcp.ElicitationResponseActionAccept, true
		var got HardwareUpgradeResult
		text := e.OK("vm_hardware_upgrade", map[string]any{"vms": []string{a, b, on, template}}, &got)
		asked := h.Asked()
		if len(asked) != 1 {
			t.Fatalf("asked %d times: %v", len(asked), asked)
		}
		toolstest.MustContain(t, asked[0], "2 VM(s)", "DC0_H0_VM2", "DC0_H0_VM3")
		if strings.Contains(asked[0], "DC0_H0_VM0") {
			t.Errorf("asked about the running VM too: %s", asked[0])
		}
		if got.Succeeded != 2 || got.Failed != 2 || len(got.Results) != 4 {
			t.Fatalf("result %+v", got)
		}
		for _, vm := range []string{a, b} {
			if v := e.hwVersion(vm); v != "vmx-21" {
				t.Errorf("%s is %s, want vmx-21", vm, v)
			}
		}
		if v := e.hwVersion(on); v != old {
			t.Errorf("the running VM became %s", v)
		}
		if got.Results[2].Outcome != "failed" || !strings.Contains(got.Results[2].Error, "poweredOn") || !strings.Contains(got.Results[3].Error, "template") {
			t.Errorf("failures: %+v", got.Results[2:])
		}
		if got.Versions[0].From != "vmx-13" || got.Versions[0].To != "vmx-21" {
			t.Errorf("versions %+v", got.Versions)
		}
		toolstest.MustContain(t, text, "2 done", "2 failed", "vm_shutdown_guest", "vmx-21")
	})

	t.Run("already at the version: skipped without asking", func(t *testing.T) {
		e := e.at(t)
		h.Forget()
		var got HardwareUpgradeResult
		e.OK("vm_hardware_upgrade", map[string]any{"vm": a}, &got)
		if got.Unchanged != 1 || len(h.Asked()) != 0 {
			t.Errorf("result %+v, asked %v", got, h.Asked())
		}
	})

	t.Run("a filter, bounded by max_targets", func(t *testing.T) {
		e := e.at(t)
		h.Forget()
		filter := map[string]any{"name": "DC1_H0_VM*", "power_state": "poweredOff"}
		var off []string
		for _, v := range e.AllVMs("name", "runtime.powerState", "config.template") {
			if strings.HasPrefix(v.Name, "DC1_H0_VM") && v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff && !v.Config.Template {
				off = append(off, v.Name)
			}
		}
		if len(off) == 0 {
			t.Skip("no powered-off DC1_H0 VM in this inventory")
		}
		if len(off) > 1 {
			toolstest.MustContain(t, e.Fails("vm_hardware_upgrade", map[string]any{"filter": filter, "max_targets": len(off) - 1}), "max_targets")
		}
		var got HardwareUpgradeResult
		e.OK("vm_hardware_upgrade", map[string]any{"filter": filter}, &got)
		if got.Succeeded != len(off) || len(h.Asked()) != 1 {
			t.Fatalf("result %+v, asked %v", got, h.Asked())
		}
		toolstest.MustContain(t, h.Asked()[0], fmt.Sprintf("%d VM(s)", len(off)))
		for _, name := range off {
			if v := e.hwVersion("/DC1/vm/" + name); v != "vmx-21" {
				t.Errorf("%s is %s", name, v)
			}
		}
	})

	t.Run("an explicit version, and one the host lacks", func(t *testing.T) {
		e := e.at(t)
		toolstest.MustContain(t, e.Fails("vm_hardware_upgrade", map[string]any{"vm": d, "version": "vmx-22"}), "supports up to vmx-21")
		toolstest.MustContain(t, e.Fails("vm_hardware_upgrade", map[string]any{"vm": d, "version": "new"}), "not a hardware version")
		if v := e.hwVersion(d); v != old {
			t.Fatalf("refused, yet %s is %s", d, v)
		}
		var got HardwareUpgradeResult
		e.OK("vm_hardware_upgrade", map[string]any{"vm": d, "version": "15"}, &got)
		if v := e.hwVersion(d); v != "vmx-15" {
			t.Errorf("%s is %s, want vmx-15", d, v)
		}
	})
}
