package guest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMArgs names one VM.
type VMArgs struct {
	VM string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
}

func (a *VMArgs) Validate() error { return toolkit.RequireIdent("vm", a.VM, "VM") }

// NIC is one guest network adapter as VMware Tools reports it.
type NIC struct {
	Network string   `json:"network,omitempty"`
	MAC     string   `json:"mac,omitempty"`
	IPs     []string `json:"ips,omitempty"`
}

// ToolsStatus is vm_tools_status's result.
type ToolsStatus struct {
	VM               string `json:"vm"`
	ID               string `json:"id"`
	PowerState       string `json:"power_state"`
	Running          string `json:"tools_running" jsonschema:"guestToolsRunning, guestToolsNotRunning or guestToolsExecutingScripts"`
	Version          string `json:"tools_version,omitempty"`
	VersionStatus    string `json:"tools_version_status,omitempty" jsonschema:"e.g. guestToolsCurrent, guestToolsSupportedOld (an upgrade is available), guestToolsNotInstalled"`
	UpgradeAvailable bool   `json:"upgrade_available"`
	Family           string `json:"guest_family,omitempty"`
	FullName         string `json:"guest_full_name,omitempty"`
	HostName         string `json:"host_name,omitempty"`
	IP               string `json:"ip,omitempty"`
	NICs             []NIC  `json:"nics,omitempty"`
	Heartbeat        string `json:"heartbeat,omitempty" jsonschema:"gray, green, yellow or red"`
	GuestOpsReady    bool   `json:"guest_ops_ready"`
	NotReady         string `json:"not_ready,omitempty" jsonschema:"Why guest operations cannot run, when they cannot"`

	notInstalled bool // vCenter reports no VMware Tools in the VM
}

// Text renders the status as lines.
func (s ToolsStatus) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "VM %s (%s): %s; VMware Tools %s", toolkit.Name(s.VM), s.ID, s.PowerState, s.Running)
	if s.Version != "" {
		fmt.Fprintf(&b, ", version %s", toolkit.Name(s.Version))
	}
	if s.VersionStatus != "" {
		fmt.Fprintf(&b, " (%s)", toolkit.Name(s.VersionStatus))
	}
	if s.UpgradeAvailable {
		b.WriteString("; an upgrade is available (vm_tools_upgrade)")
	}
	b.WriteString("\n")
	switch {
	case s.FullName != "" && s.Family != "":
		fmt.Fprintf(&b, "guest OS: %s (family %s)\n", toolkit.Name(s.FullName), toolkit.Name(s.Family))
	case s.FullName != "":
		fmt.Fprintf(&b, "guest OS: %s\n", toolkit.Name(s.FullName))
	case s.Family != "":
		fmt.Fprintf(&b, "guest OS family: %s\n", toolkit.Name(s.Family))
	}
	if s.HostName != "" {
		fmt.Fprintf(&b, "host name: %s\n", toolkit.Name(s.HostName))
	}
	if s.Heartbeat != "" {
		fmt.Fprintf(&b, "heartbeat: %s\n", toolkit.Name(s.Heartbeat))
	}
	if len(s.NICs) > 0 {
		t := toolkit.NewTable("network", "mac", "ips")
		for _, n := range s.NICs {
			t.Row(n.Network, n.MAC, strings.Join(n.IPs, ", "))
		}
		b.WriteString(t.String())
	} else if s.IP != "" {
		fmt.Fprintf(&b, "ip: %s\n", toolkit.Name(s.IP))
	}
	if s.GuestOpsReady {
		b.WriteString("guest operations: ready\n")
	} else {
		fmt.Fprintf(&b, "guest operations: not ready (%s)\n", s.NotReady)
	}
	return b.String()
}

var statusProps = []string{"runtime.powerState", "guestHeartbeatStatus", "guest", "config.guestFullName"}

func readStatus(ctx context.Context, c *vcenter.Conn, o vcenter.Object) (ToolsStatus, error) {
	var vm mo.VirtualMachine
	if err := c.ReadOne(ctx, o, statusProps, &vm); err != nil {
		return ToolsStatus{}, err
	}
	s := ToolsStatus{VM: o.Name, ID: o.ID(), PowerState: string(vm.Runtime.PowerState), Heartbeat: string(vm.GuestHeartbeatStatus)}
	g := vm.Guest
	if g == nil {
		g = &types.GuestInfo{}
	}
	s.Running, s.Version, s.VersionStatus = g.ToolsRunningStatus, g.ToolsVersion, g.ToolsVersionStatus2
	s.UpgradeAvailable = g.ToolsVersionStatus2 == string(types.VirtualMachineToolsVersionStatusGuestToolsSupportedOld) ||
		g.ToolsVersionStatus2 == string(types.VirtualMachineToolsVersionStatusGuestToolsNeedUpgrade) ||
		g.ToolsVersionStatus2 == string(types.VirtualMachineToolsVersionStatusGuestToolsTooOld)
	s.Family, s.FullName, s.HostName, s.IP = g.GuestFamily, g.GuestFullName, g.HostName, g.IpAddress
	if s.FullName == "" && vm.Config != nil {
		s.FullName = vm.Config.GuestFullName
	}
	for _, n := range g.Net {
		s.NICs = append(s.NICs, NIC{Network: n.Network, MAC: n.MacAddress, IPs: n.IpAddress})
	}
	s.GuestOpsReady = g.GuestOperationsReady != nil && *g.GuestOperationsReady
	s.notInstalled = g.ToolsVersionStatus2 == string(types.VirtualMachineToolsVersionStatusGuestToolsNotInstalled) || g.ToolsStatus == types.VirtualMachineToolsStatusToolsNotInstalled
	switch {
	case vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn:
		s.GuestOpsReady, s.NotReady = false, "the VM is "+string(vm.Runtime.PowerState)
	case s.Running != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning):
		s.GuestOpsReady, s.NotReady = false, "VMware Tools is not running"
		if s.notInstalled {
			s.NotReady = "VMware Tools is not installed"
		}
	case !s.GuestOpsReady:
		s.NotReady = "Tools runs but the guest OS is not ready for guest operations yet (still booting?)"
	}
	return s, nil
}

func vmToolsStatus() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_tools_status",
		Title: "VMware Tools status of a VM",
		Description: "Show whether VMware Tools runs in a VM, its version and whether an upgrade is available, the guest OS, host name, " +
			"IPs per NIC, heartbeat, and whether guest operations (guest_* tools) can run now, or why not.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a VMArgs) (ToolsStatus, error) {
		var out ToolsStatus
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out, err = readStatus(ctx, c, o)
			return err
		})
		return out, err
	})
}

// ---- vm_tools_wait ----

// WaitArgs say what to wait for.
type WaitArgs struct {
	VM       string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Until    string `json:"until,omitempty" jsonschema:"running (default: VMware Tools runs), ip (the guest reports an IP address) or guest_ops (guest operations can run)"`
	TimeoutS int    `json:"timeout_s,omitempty" jsonschema:"Seconds to wait, 1-1800; default 300"`
}

func (a *WaitArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	switch a.Until {
	case "", "running", "ip", "guest_ops":
	default:
		return fmt.Errorf("until %q: want running, ip or guest_ops", a.Until)
	}
	if a.TimeoutS < 0 || a.TimeoutS > 1800 {
		return fmt.Errorf("timeout_s must be between 1 and 1800 (got %d)", a.TimeoutS)
	}
	return nil
}

// WaitResult is vm_tools_wait's result.
type WaitResult struct {
	Until    string      `json:"until"`
	WaitedMS int64       `json:"waited_ms"`
	Status   ToolsStatus `json:"status"`
}

func (w WaitResult) Text() string {
	return fmt.Sprintf("Reached %s after %s.\n", w.Until, (time.Duration(w.WaitedMS)*time.Millisecond).Round(100*time.Millisecond)) + w.Status.Text()
}

func reached(s ToolsStatus, until string) bool {
	running := s.PowerState == string(types.VirtualMachinePowerStatePoweredOn) && s.Running == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
	switch until {
	case "ip":
		return running && s.IP != ""
	case "guest_ops":
		return running && s.GuestOpsReady
	}
	return running
}

// cannotReach says why waiting longer is pointless, or nil: the VM is off
// and nothing powers it on, or it has no VMware Tools to start. A VM that
// is powered on (or being powered on) and reports Tools not running yet is
// still booting: that is what the wait is for.
func cannotReach(s ToolsStatus, poweringOn bool) error {
	off := s.PowerState != string(types.VirtualMachinePowerStatePoweredOn)
	switch {
	case off && !poweringOn && s.notInstalled:
		return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s and has no VMware Tools installed: power it on (vm_power_on), install VMware Tools or open-vm-tools in the guest, then wait", toolkit.Name(s.VM), s.PowerState)}
	case off && !poweringOn:
		return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s and nothing is powering it on, so VMware Tools cannot start: power it on first (vm_power_on)", toolkit.Name(s.VM), s.PowerState)}
	case s.notInstalled:
		return &toolkit.PlainError{Msg: fmt.Sprintf("VMware Tools is not installed in VM %s, so it will never report running: install VMware Tools or open-vm-tools in the guest first (vm_tools_status shows when it runs)", toolkit.Name(s.VM))}
	}
	return nil
}

// beingPoweredOn reports whether a power-on task of the VM is queued or
// running (vm_power_on started as a background task, or by someone else).
func beingPoweredOn(ctx context.Context, c *vcenter.Conn, o vcenter.Object) (bool, error) {
	var vm mo.VirtualMachine
	if err := c.ReadOne(ctx, o, []string{"recentTask"}, &vm); err != nil {
		return false, err
	}
	if len(vm.RecentTask) == 0 {
		return false, nil
	}
	objs, _, err := c.RetrieveMany(ctx, vm.RecentTask, []string{"info.descriptionId", "info.state"})
	if err != nil {
		return false, fmt.Errorf("read the recent tasks of %s: %w", toolkit.Name(o.Name), err)
	}
	for _, oc := range objs {
		id, _ := vcenter.PropVal(oc, "info.descriptionId").(string)
		state, _ := vcenter.PropVal(oc, "info.state").(types.TaskInfoState)
		if id == "VirtualMachine.powerOn" && (state == types.TaskInfoStateQueued || state == types.TaskInfoStateRunning) {
			return true, nil
		}
	}
	return false, nil
}

// pollEvery is how often vm_tools_wait reads the VM's state.
const pollEvery = 2 * time.Second

func vmToolsWait() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_tools_wait",
		Title: "Wait for VMware Tools",
		Description: "Wait until VMware Tools runs in a VM (until=running, default), the guest reports an IP (ip), or guest operations can run (guest_ops), " +
			"up to timeout_s (default 300, max 1800), with progress; e.g. after vm_power_on. Fails at once when the VM has no VMware Tools installed, " +
			"or is off and no power-on task is running. Can run as an MCP task.",
		Risk:       policy.RiskRead,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a WaitArgs) (WaitResult, error) {
		until := a.Until
		if until == "" {
			until = "running"
		}
		timeout := time.Duration(a.TimeoutS) * time.Second
		if a.TimeoutS == 0 {
			timeout = 300 * time.Second
		}
		p := guard.NewProgress(ctx)
		start := time.Now()
		for {
			var s ToolsStatus
			poweringOn := false
			err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
				o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
				if err != nil {
					return err
				}
				if s, err = readStatus(ctx, c, o); err != nil || reached(s, until) || s.PowerState == string(types.VirtualMachinePowerStatePoweredOn) {
					return err
				}
				poweringOn, err = beingPoweredOn(ctx, c, o)
				return err
			})
			if err != nil {
				return WaitResult{}, err
			}
			waited := time.Since(start)
			if reached(s, until) {
				p.Report(100, "reached "+until)
				return WaitResult{Until: until, WaitedMS: waited.Milliseconds(), Status: s}, nil
			}
			if err := cannotReach(s, poweringOn); err != nil {
				return WaitResult{}, err
			}
			if waited >= timeout {
				return WaitResult{}, &toolkit.PlainError{Msg: fmt.Sprintf("VM %s did not reach %s within %s: Tools %s, guest operations %s; check vm_tools_status or wait longer",
					toolkit.Name(s.VM), until, timeout, s.Running, map[bool]string{true: "ready", false: "not ready (" + s.NotReady + ")"}[s.GuestOpsReady])}
			}
			now := "Tools " + s.Running
			if poweringOn {
				now = "powering on"
			}
			p.Report(float64(waited)/float64(timeout)*100, fmt.Sprintf("waiting for %s on %s: %s", until, toolkit.Name(s.VM), now))
			select {
			case <-ctx.Done():
				return WaitResult{}, fmt.Errorf("stopped waiting for %s on %s: %w", until, toolkit.Name(s.VM), ctx.Err())
			case <-time.After(min(pollEvery, timeout-waited)):
			}
		}
	})
}

// ---- vm_tools_upgrade ----

// UpgradeArgs name the VM and optional installer arguments.
type UpgradeArgs struct {
	VM   string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	Args string `json:"args,omitempty" jsonschema:"Command-line options for the Tools installer in the guest (optional)"`
}

func (a *UpgradeArgs) Validate() error { return toolkit.RequireIdent("vm", a.VM, "VM") }

// UpgradeResult is vm_tools_upgrade's result.
type UpgradeResult struct {
	VM     string      `json:"vm"`
	ID     string      `json:"id"`
	Task   string      `json:"task"`
	Status ToolsStatus `json:"status"`
}

func (u UpgradeResult) Text() string {
	return fmt.Sprintf("Upgraded VMware Tools in VM %s (%s), task %s.\n", toolkit.Name(u.VM), u.ID, u.Task) + u.Status.Text()
}

// cannotUpgrade says why vCenter cannot upgrade the Tools s describes, or
// nil.
func cannotUpgrade(s ToolsStatus) error {
	switch {
	case s.notInstalled:
		return &toolkit.PlainError{Msg: fmt.Sprintf("VMware Tools is not installed in VM %s, so there is nothing to upgrade: install VMware Tools or open-vm-tools in the guest first", toolkit.Name(s.VM))}
	case s.VersionStatus == string(types.VirtualMachineToolsVersionStatusGuestToolsUnmanaged):
		return &toolkit.PlainError{Msg: fmt.Sprintf("VMware Tools in VM %s is managed by the guest OS (open-vm-tools, guestToolsUnmanaged): vCenter cannot upgrade it; update the package in the guest instead", toolkit.Name(s.VM))}
	}
	return nil
}

func vmToolsUpgrade() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_tools_upgrade",
		Title: "Upgrade VMware Tools",
		Description: "Upgrade VMware Tools in a running VM to the version its host offers (the guest may reboot, depending on the OS and installer args); " +
			"waits for the task with progress. Check vm_tools_status first for upgrade_available.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a UpgradeArgs) (UpgradeResult, error) {
		var out UpgradeResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			s, err := readStatus(ctx, c, o)
			if err != nil {
				return err
			}
			if s.PowerState != string(types.VirtualMachinePowerStatePoweredOn) {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s: a Tools upgrade needs it running with Tools (vm_power_on first)", toolkit.Name(o.Name), s.PowerState)}
			}
			// Authorized first: a protected VM is refused whatever its Tools.
			if err := guard.Act(ctx, "Upgrade VMware Tools in VM "+toolkit.Name(o.Name), o); err != nil {
				return err
			}
			if err := cannotUpgrade(s); err != nil {
				return err
			}
			task, err := object.NewVirtualMachine(c.Client, o.Ref).UpgradeTools(ctx, a.Args)
			if err != nil {
				return fmt.Errorf("upgrade VMware Tools in %s: %w", toolkit.Name(o.Name), err)
			}
			out = UpgradeResult{VM: o.Name, ID: o.ID(), Task: task.Reference().Value}
			if _, err := guard.WaitTask(ctx, task, "upgrade VMware Tools in "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				if toolkit.HasFault[*types.ToolsUnavailable](err) {
					return &toolkit.PlainError{Msg: fmt.Sprintf("vCenter cannot upgrade VMware Tools in VM %s (task %s): Tools does not run in the guest; wait for it (vm_tools_wait) or start it in the guest, then try again", toolkit.Name(o.Name), out.Task)}
				}
				return err
			}
			out.Status, err = readStatus(ctx, c, o)
			return err
		})
		return out, err
	})
}
