package device

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// What the NIC, CD/DVD and serial port tools share: one result shape
// (DeviceEdit), the reconfigure that sends their device change and waits
// for it, and the faults it explains.

// DeviceEdit is the result of a tool that added, changed or removed one
// device: the device as vCenter shows it afterwards (as it was, for a
// removal), what changed, the task and the snapshot_first snapshot.
type DeviceEdit struct {
	Action string `json:"action" jsonschema:"added, changed, removed, inserted, ejected or unchanged"`
	VM     string `json:"vm"`
	ID     string `json:"id"`
	// Device is the device read back from vCenter after the change (for a
	// removal: as it was).
	Device params.DeviceInfo `json:"device"`
	// NIC details the network adapter, for the NIC tools.
	NIC *NICInfo `json:"nic,omitempty"`
	// Serial details the serial port, for the serial port tools.
	Serial *SerialInfo `json:"serial,omitempty"`
	// Changes say before → after, one line per changed setting.
	Changes []string `json:"changes,omitempty"`
	// Notes: defaults taken, how to connect, what else to know.
	Notes    []string               `json:"notes,omitempty"`
	Task     string                 `json:"task,omitempty"`
	Snapshot *params.SafetySnapshot `json:"snapshot,omitempty"`
}

func (r DeviceEdit) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (key %d", strings.ToUpper(r.Action[:1])+r.Action[1:], toolkit.Name(r.Device.Label), r.Device.Key)
	if r.Device.Bus != "" {
		fmt.Fprintf(&b, ", %s", r.Device.Bus)
	}
	fmt.Fprintf(&b, ") of VM %s (%s)", toolkit.Name(r.VM), r.ID)
	if r.Task != "" {
		fmt.Fprintf(&b, ", task %s", r.Task)
	}
	b.WriteString("\n")
	if n := r.NIC; n != nil {
		fmt.Fprintf(&b, "  %s, MAC %s (%s), network %s, %s\n", n.Adapter, toolkit.Name(n.MAC), toolkit.Name(n.MACType), n.networkText(), connText(n.Connected, n.StartConnected))
	} else if r.Device.Backing != "" || r.Device.Connected != nil {
		line := "  "
		if r.Device.Backing != "" {
			line += "backing " + toolkit.Path(r.Device.Backing)
		}
		if r.Device.Connected != nil {
			if line != "  " {
				line += ", "
			}
			line += connText(*r.Device.Connected, r.Device.StartConnected != nil && *r.Device.StartConnected)
		}
		b.WriteString(line + "\n")
	}
	if s := r.Serial; s != nil {
		fmt.Fprintf(&b, "  %s port, yield on poll %s\n", s.Backing, yn(s.YieldOnPoll))
	}
	for _, c := range r.Changes {
		b.WriteString("  " + c + "\n")
	}
	for _, n := range r.Notes {
		b.WriteString("  Note: " + n + "\n")
	}
	if r.Snapshot != nil {
		fmt.Fprintf(&b, "  Snapshot %s (%s) was taken first: snapshot_revert undoes this change.\n", toolkit.Quote(r.Snapshot.Name, 0), r.Snapshot.ID)
	}
	return b.String()
}

// sendDeviceChange sends changes to vm in one ReconfigVM_Task and waits for it;
// label says what it does in progress messages. It returns the task ID.
// The caller has passed guard.Act (and taken the safety snapshot).
func sendDeviceChange(ctx context.Context, c *vcenter.Conn, vm vcenter.Object, label string, changes ...types.BaseVirtualDeviceConfigSpec) (string, error) {
	task, err := object.NewVirtualMachine(c.Client, vm.Ref).Reconfigure(ctx, types.VirtualMachineConfigSpec{DeviceChange: changes})
	if err != nil {
		return "", explainChangeFault(fmt.Errorf("%s: %w", label, err), vm)
	}
	_, err = guard.WaitTask(ctx, task, label, guard.NewProgress(ctx), 0, 100)
	if err != nil {
		return task.Reference().Value, explainChangeFault(err, vm) // WaitTask's error names label
	}
	return task.Reference().Value, nil
}

// changeFaults are the faults of device changes, with what to do.
var changeFaults = []struct {
	fault  types.BaseMethodFault
	advice string
}{
	{&types.InvalidPowerState{}, "the VM's power state does not allow this change (some devices can only be added, removed or changed while the VM is powered off); power it off with vm_shutdown_guest or vm_power_off, or check vm_get"},
	{&types.FileNotFound{}, "a file the device needs does not exist on the datastore; check the path with datastore_browse"},
	{&types.NoDiskSpace{}, "the datastore is out of space; free space on it or choose another datastore"},
	{&types.DeviceUnsupportedForVmVersion{}, "the VM's hardware version does not support this device; upgrade it with vm_hardware_upgrade or choose another type"},
	{&types.DeviceUnsupportedForVmPlatform{}, "the host does not support this device for this VM; choose another type"},
	{&types.InvalidDeviceSpec{}, "vCenter refused the device change as invalid (a bus position already in use, no free unit on the controller, or a setting this device does not take); vm_device_list shows the VM's devices"},
	{&types.InvalidDeviceOperation{}, "this operation is not possible on this device in its present state; vm_device_list shows it"},
	{&types.InvalidDeviceBacking{}, "the device's backing (network, file or host device) is not usable by this VM; check that it exists and is reachable from the VM's host"},
	{&types.TaskInProgress{}, "another task is changing this VM; wait for it (task_list with object set to the VM) and retry"},
	{&types.FileLocked{}, "a file the device uses is locked by another VM or process; release it and retry"},
	{&types.NotSupported{}, "vCenter does not support this change for this VM (a template cannot change its hardware, say)"},
	{&types.InvalidState{}, "the VM is in a state that does not allow this change; check vm_get"},
}

// explainChangeFault names the fault of a failed device change, says what
// to do, and that the VM was left as it was (vCenter applies a
// reconfiguration whole or not at all).
func explainChangeFault(err error, vm vcenter.Object) error {
	if err == nil {
		return nil
	}
	var re toolkit.ResultError
	if errors.As(err, &re) {
		return err
	}
	msg := vcenter.ErrorText(err)
	advice := ""
	for _, f := range changeFaults {
		if fault.Is(err, f.fault) {
			name := toolkit.FaultTypeName(f.fault)
			if !strings.Contains(msg, name) {
				msg += " (" + name + ")"
			}
			advice = f.advice
			break
		}
	}
	if advice == "" {
		msg = toolkit.ExplainNamed(err)
	} else {
		msg += ": " + advice
	}
	if toolkit.FaultName(err) != "" {
		msg += fmt.Sprintf("; VM %s was left as it was", toolkit.Name(vm.Name))
	}
	return &toolkit.ExplainedError{Msg: msg}
}

// addedDevice finds the device of kind that after has and before had
// not: the one a change added.
func addedDevice(before, after params.Devices, kind params.DeviceKind) (params.DeviceInfo, bool) {
	for _, in := range after.OfKind(kind) {
		if _, ok := before.Info(in.Key); !ok {
			return in, true
		}
	}
	return params.DeviceInfo{}, false
}

// takeSnapshotFirst takes the snapshot_first snapshot when asked.
func takeSnapshotFirst(ctx context.Context, c *vcenter.Conn, vm vcenter.Object, tool string, want bool) (*params.SafetySnapshot, error) {
	if !want {
		return nil, nil
	}
	return params.TakeSafetySnapshot(ctx, c, vm, tool, guard.NewProgress(ctx))
}

// yn is "yes" or "no" for before → after lines.
func yn(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// detached copies in with its connection state of its own: DeviceInfo
// points into the device, which an edit then changes.
func detached(in params.DeviceInfo) params.DeviceInfo {
	if in.Connected != nil {
		v := *in.Connected
		in.Connected = &v
	}
	if in.StartConnected != nil {
		v := *in.StartConnected
		in.StartConnected = &v
	}
	return in
}
