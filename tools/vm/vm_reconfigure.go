package vm

import (
	"context"
	"errors"
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

// VMReconfigureArgs name the settings to change; the others stay.
type VMReconfigureArgs struct {
	VM             string   `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	CPUs           *int32   `json:"cpus,omitempty" jsonschema:"Virtual CPUs, 1-768"`
	CoresPerSocket *int32   `json:"cores_per_socket,omitempty" jsonschema:"Cores per virtual socket; must divide cpus"`
	MemoryMB       *int64   `json:"memory_mb,omitempty" jsonschema:"Memory in MB, a multiple of 4"`
	Annotation     *string  `json:"annotation,omitempty" jsonschema:"Notes shown in vCenter; an empty string clears them"`
	CPUHotAdd      *bool    `json:"cpu_hot_add,omitempty" jsonschema:"Allow adding CPUs while the VM runs (changing it needs the VM powered off)"`
	MemoryHotAdd   *bool    `json:"memory_hot_add,omitempty" jsonschema:"Allow adding memory while the VM runs (changing it needs the VM powered off)"`
	BootOrder      []string `json:"boot_order,omitempty" jsonschema:"disk, cdrom, network, floppy, in order"`
	BootDelayMS    *int64   `json:"boot_delay_ms,omitempty" jsonschema:"Pause at power-on, ms"`
	EnterSetup     *bool    `json:"enter_setup,omitempty" jsonschema:"BIOS/EFI setup at next boot"`
	Firmware       string   `json:"firmware,omitempty" jsonschema_description:"VM off" jsonschema:"enum=bios,enum=efi"`
	SecureBoot     *bool    `json:"secure_boot,omitempty" jsonschema:"EFI only; VM off"`
	params.SnapshotFirst
}

func (a *VMReconfigureArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.CPUs == nil && a.CoresPerSocket == nil && a.MemoryMB == nil && a.Annotation == nil && a.CPUHotAdd == nil && a.MemoryHotAdd == nil && !a.bootGiven() {
		return errors.New("nothing to change: pass at least one of cpus, cores_per_socket, memory_mb, annotation, cpu_hot_add, memory_hot_add, boot_order, boot_delay_ms, enter_setup, firmware, secure_boot")
	}
	if err := a.validateBoot(); err != nil {
		return err
	}
	if a.CPUs != nil {
		if err := checkCPUs("cpus", *a.CPUs); err != nil {
			return err
		}
	}
	if a.CoresPerSocket != nil {
		if *a.CoresPerSocket < 1 || *a.CoresPerSocket > maxCPUs {
			return fmt.Errorf("cores_per_socket must be between 1 and %d (got %d)", maxCPUs, *a.CoresPerSocket)
		}
		if a.CPUs != nil && *a.CPUs%*a.CoresPerSocket != 0 {
			return fmt.Errorf("cpus %d is not a multiple of cores_per_socket %d; the CPUs are split into sockets of equal size", *a.CPUs, *a.CoresPerSocket)
		}
	}
	if a.MemoryMB != nil {
		if err := checkMemory("memory_mb", *a.MemoryMB); err != nil {
			return err
		}
	}
	return nil
}

// VMChange is one setting before and after.
type VMChange struct {
	Setting string `json:"setting"`
	Before  string `json:"before"`
	After   string `json:"after"`
}

// VMReconfigureResult reports the settings changed.
type VMReconfigureResult struct {
	Action     string                 `json:"action" jsonschema:"Reconfigured, or Unchanged when the VM already had every value"`
	ID         string                 `json:"id"`
	Path       string                 `json:"path"`
	PowerState string                 `json:"power_state"`
	Changes    []VMChange             `json:"changes"`
	Boot       *VMBoot                `json:"boot,omitempty"`
	Snapshot   *params.SafetySnapshot `json:"snapshot,omitempty"`
	Tasks      []string               `json:"tasks"`
}

// Text renders one line per change.
func (r VMReconfigureResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s), %s", r.Action, toolkit.Path(r.Path), r.ID, r.PowerState)
	if len(r.Tasks) > 0 {
		fmt.Fprintf(&b, ", task %s", strings.Join(r.Tasks, ","))
	}
	b.WriteByte('\n')
	if r.Action == "Unchanged" {
		b.WriteString("it already has every value asked for\n")
	}
	for _, ch := range r.Changes {
		fmt.Fprintf(&b, "%s: %s → %s\n", ch.Setting, ch.Before, ch.After)
	}
	if r.Boot != nil {
		fmt.Fprintf(&b, "boot now: %s\n", r.Boot.text())
	}
	if r.Snapshot != nil {
		fmt.Fprintf(&b, "snapshot_first: %s (%s); snapshot_revert returns to it\n", toolkit.Quote(r.Snapshot.Name, 0), r.Snapshot.ID)
	}
	return b.String()
}

var vmReconfigProps = []string{
	"config.template", "runtime.powerState", "config.hardware.numCPU", "config.hardware.numCoresPerSocket",
	"config.hardware.memoryMB", "config.annotation", "config.cpuHotAddEnabled", "config.cpuHotRemoveEnabled",
	"config.memoryHotAddEnabled",
}

// vmBootProps are read as well when boot options change.
var vmBootProps = []string{"config.bootOptions", "config.firmware", "config.hardware.device"}

func vmReconfigure() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_reconfigure",
		Title: "Change a VM's CPU, memory, notes or boot options",
		Description: "Change a VM's CPUs, cores per socket, memory, annotation, CPU/memory hot-add or boot options. Reads the VM first: a change that needs it " +
			"powered off (lowering CPU or memory, raising without hot-add, toggling hot-add, cores per socket, firmware, secure boot) is refused with the reason " +
			"before vCenter is asked. Reports each setting before and after.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a VMReconfigureArgs) (VMReconfigureResult, error) {
		var out VMReconfigureResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out = VMReconfigureResult{Action: "Reconfigured", ID: vm.ID(), Path: vm.Path, Changes: []VMChange{}, Tasks: []string{}}
			props := vmReconfigProps
			if a.bootGiven() {
				props = append(slices.Clone(props), vmBootProps...)
			}
			m, err := readVMProps(ctx, c, vm, props)
			if err != nil {
				return err
			}
			if isTemplate(m) {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is a template, which cannot be reconfigured; convert it with vm_mark_vm first, or reconfigure a clone", toolkit.Path(vm.Path))}
			}
			out.PowerState = string(m.Runtime.PowerState)
			cs, changes, blockers, err := planReconfigure(a, m)
			if err != nil {
				return err
			}
			if len(blockers) > 0 {
				return &toolkit.PlainError{Msg: fmt.Sprintf("%s is %s, and %s. Power it off first (vm_shutdown_guest, or vm_power_off), then retry; nothing was changed.",
					toolkit.Path(vm.Path), m.Runtime.PowerState, strings.Join(blockers, "; "))}
			}
			if len(changes) == 0 {
				out.Action = "Unchanged"
				return nil
			}
			out.Changes = changes
			var names []string
			for _, ch := range changes {
				names = append(names, ch.Setting)
			}
			if err := guard.Act(ctx, "Reconfigure VM ("+strings.Join(names, ", ")+")", vm); err != nil {
				return err
			}
			progress, from := guard.NewProgress(ctx), 0.0
			if a.SnapshotFirst.Take {
				if out.Snapshot, err = params.TakeSafetySnapshot(ctx, c, vm, "vm_reconfigure", progress); err != nil {
					return err
				}
				from = 20
			}
			task, err := object.NewVirtualMachine(c.Client, vm.Ref).Reconfigure(ctx, *cs)
			if err != nil {
				return params.WrapAfterSnapshot(params.ExplainVMFault(fmt.Errorf("reconfigure %s: %w", toolkit.Path(vm.Path), err), vm.Name, ""), vm.Name, out.Snapshot)
			}
			out.Tasks = append(out.Tasks, task.Reference().Value)
			if _, err := guard.WaitTask(ctx, task, "reconfigure "+toolkit.Name(vm.Name), progress, from, 100); err != nil {
				return params.WrapAfterSnapshot(params.SessionSafe(params.ExplainVMFault(err, vm.Name, ""), true), vm.Name, out.Snapshot)
			}
			if a.bootGiven() {
				// Say what vCenter has now, not what was asked.
				if m, err := readVMProps(ctx, c, vm, vmBootProps[:2]); err == nil {
					out.Boot = bootOf(m.Config)
				}
			}
			return nil
		})
		return out, err
	})
}

// planReconfigure compares the request with the VM: the spec to send, the
// changes, and why the VM's power state forbids them.
func planReconfigure(a VMReconfigureArgs, m *mo.VirtualMachine) (*types.VirtualMachineConfigSpec, []VMChange, []string, error) {
	cfg := m.Config
	if cfg == nil {
		return nil, nil, nil, errors.New("the VM's configuration cannot be read")
	}
	running := m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff
	flag := func(p *bool) bool { return p != nil && *p }
	spec := &types.VirtualMachineConfigSpec{}
	var changes []VMChange
	var blockers []string

	curCPUs, curMem := cfg.Hardware.NumCPU, int64(cfg.Hardware.MemoryMB)
	curCores := int32(1)
	if cfg.Hardware.NumCoresPerSocket != nil && *cfg.Hardware.NumCoresPerSocket > 0 {
		curCores = *cfg.Hardware.NumCoresPerSocket
	}
	cpuHot, memHot, cpuHotRemove := flag(cfg.CpuHotAddEnabled), flag(cfg.MemoryHotAddEnabled), flag(cfg.CpuHotRemoveEnabled)

	if a.CPUHotAdd != nil && *a.CPUHotAdd != cpuHot {
		spec.CpuHotAddEnabled = types.NewBool(*a.CPUHotAdd)
		changes = append(changes, VMChange{"cpu_hot_add", toolkit.YesNo(cpuHot), toolkit.YesNo(*a.CPUHotAdd)})
		if running {
			blockers = append(blockers, "turning CPU hot-add on or off needs it powered off")
		}
	}
	if a.MemoryHotAdd != nil && *a.MemoryHotAdd != memHot {
		spec.MemoryHotAddEnabled = types.NewBool(*a.MemoryHotAdd)
		changes = append(changes, VMChange{"memory_hot_add", toolkit.YesNo(memHot), toolkit.YesNo(*a.MemoryHotAdd)})
		if running {
			blockers = append(blockers, "turning memory hot-add on or off needs it powered off")
		}
	}
	newCPUs, newCores := curCPUs, curCores
	if a.CPUs != nil {
		newCPUs = *a.CPUs
	}
	if a.CoresPerSocket != nil {
		newCores = *a.CoresPerSocket
	}
	if newCPUs%newCores != 0 {
		if a.CoresPerSocket == nil {
			return nil, nil, nil, fmt.Errorf("cpus %d is not a multiple of the VM's %d cores per socket; pass cores_per_socket too (e.g. 1)", newCPUs, curCores)
		}
		return nil, nil, nil, fmt.Errorf("the VM's %d CPUs are not a multiple of cores_per_socket %d; pass cpus too", newCPUs, newCores)
	}
	if newCPUs != curCPUs {
		spec.NumCPUs = newCPUs
		changes = append(changes, VMChange{"cpus", toolkit.Itoa(int(curCPUs)), toolkit.Itoa(int(newCPUs))})
		switch {
		case !running:
		case newCPUs < curCPUs && !cpuHotRemove:
			blockers = append(blockers, fmt.Sprintf("lowering CPUs from %d to %d needs it powered off (CPU hot-remove is not enabled)", curCPUs, newCPUs))
		case newCPUs > curCPUs && !cpuHot:
			blockers = append(blockers, fmt.Sprintf("raising CPUs from %d to %d while it runs needs CPU hot-add, which is off (enable it with cpu_hot_add=true while powered off)", curCPUs, newCPUs))
		}
	}
	if newCores != curCores {
		spec.NumCoresPerSocket = types.NewInt32(newCores)
		changes = append(changes, VMChange{"cores_per_socket", toolkit.Itoa(int(curCores)), toolkit.Itoa(int(newCores))})
		if running {
			blockers = append(blockers, "changing cores per socket needs it powered off")
		}
	}
	if a.MemoryMB != nil && *a.MemoryMB != curMem {
		spec.MemoryMB = *a.MemoryMB
		changes = append(changes, VMChange{"memory_mb", toolkit.I64toa(curMem), toolkit.I64toa(*a.MemoryMB)})
		switch {
		case !running:
		case *a.MemoryMB < curMem:
			blockers = append(blockers, fmt.Sprintf("lowering memory from %d to %d MB needs it powered off (memory cannot be removed from a running VM)", curMem, *a.MemoryMB))
		case !memHot:
			blockers = append(blockers, fmt.Sprintf("raising memory from %d to %d MB while it runs needs memory hot-add, which is off (enable it with memory_hot_add=true while powered off)", curMem, *a.MemoryMB))
		}
	}
	if a.Annotation != nil && *a.Annotation != cfg.Annotation {
		spec.Annotation = *a.Annotation
		if *a.Annotation == "" {
			// An empty Annotation is omitted from the request; a single
			// space is what vCenter's own client sends to clear it.
			spec.Annotation = " "
		}
		changes = append(changes, VMChange{"annotation", quoteShort(cfg.Annotation), quoteShort(*a.Annotation)})
	}
	if err := planBoot(a, cfg, running, spec, &changes, &blockers); err != nil {
		return nil, nil, nil, err
	}
	return spec, changes, blockers, nil
}

// quoteShort shows an annotation before and after, quoted: free text.
func quoteShort(s string) string { return toolkit.Quote(s, 60) }
