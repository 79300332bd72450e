package snapshot

import (
	"errors"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// The snapshot tools (snapshot_list, snapshot_create, snapshot_revert,
// snapshot_delete, snapshot_delete_all: a file each) share the faults
// explained here. A snapshot is
// named by its name, by its path in the VM's tree ("base/after-patch": the
// names from the root down, joined by "/"), or by its ID (snapshot-12). A
// name that several snapshots carry is an error listing their paths.

// snapshotFaults explain the faults of snapshot operations and what to do.
var snapshotFaults = []struct {
	fault  types.BaseMethodFault
	advice string
}{
	{&types.SnapshotDisabled{}, "snapshots are disabled for this VM (by its configuration, or by a backup or replication product that manages it); ask your vSphere administrator"},
	{&types.TooManySnapshotLevels{}, "the VM's snapshot chain has reached its limit (32 levels); delete old snapshots with snapshot_delete first"},
	{&types.SnapshotLocked{}, "the VM's snapshot files are locked by another operation; wait for it (task_list with object set to the VM) and retry"},
	{&types.MemorySnapshotOnIndependentDisk{}, "a memory snapshot is not possible while the VM has independent disks; retry with memory=false"},
	{&types.ApplicationQuiesceFault{}, "the guest applications could not be quiesced; retry with quiesce=false for a crash-consistent snapshot, or check VSS and VMware Tools in the guest"},
	{&types.FilesystemQuiesceFault{}, "the guest file systems could not be quiesced; retry with quiesce=false for a crash-consistent snapshot, or check VMware Tools in the guest"},
	{&types.ToolsUnavailable{}, "VMware Tools is not running in the guest; retry with quiesce=false, or start VMware Tools"},
	{&types.SnapshotIncompatibleDeviceInVm{}, "a device of the VM (a physical-mode RDM or a passthrough device, say) does not allow snapshots; see vm_get for its devices"},
	{&types.NoDiskSpace{}, "the datastore is out of space; free space on it (snapshot_delete of old snapshots helps) and retry"},
	{&types.FileLocked{}, "a file of the VM is locked, often by a backup in progress; wait for it and retry"},
	{&types.SnapshotNoChange{}, "nothing changed since the last snapshot, so vCenter made none"},
	{&types.NotFound{}, "the snapshot no longer exists; list the VM's snapshots again with snapshot_list"},
	{&types.InvalidPowerState{}, "the VM's power state does not allow this; check it with vm_get"},
}

// explainFault names the fault of a failed snapshot operation and says
// what to do; other errors pass through vcenter.Explain.
func explainFault(err error) string {
	msg := vcenter.ErrorText(err)
	for _, f := range snapshotFaults {
		if fault.Is(err, f.fault) {
			name := toolkit.FaultTypeName(f.fault)
			if !strings.Contains(msg, name) {
				msg += " (" + name + ")"
			}
			return msg + ": " + f.advice
		}
	}
	return toolkit.ExplainNamed(err)
}

// SnapshotNode without its JSON methods

// Explained turns a failed single-VM action's error into its explanation,
// leaving a question for the person (needsInput) as it is.
func Explained(err error) error {
	var re toolkit.ResultError
	if err == nil || errors.As(err, &re) {
		return err
	}
	return &toolkit.ExplainedError{Msg: ExplainTarget(err)}
}

func ExplainTarget(err error) string {
	var ee *toolkit.ExplainedError
	if errors.As(err, &ee) {
		return ee.Msg
	}
	return explainFault(err)
}
