package device

import (
	"context"
	"fmt"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DiskList is vm_disk_list's result.
type DiskList struct {
	VM    string     `json:"vm"`
	ID    string     `json:"id"`
	Disks []DiskInfo `json:"disks"`
	// Snapshots is how many snapshots the VM has: a disk with snapshots
	// cannot grow until they are deleted.
	Snapshots int `json:"snapshots,omitempty" jsonschema:"How many snapshots the VM has (its disks cannot grow until they are deleted)"`
}

// Text renders the disks as one table.
func (l DiskList) Text() string {
	t := toolkit.NewTable("label", "key", "bus", "capacity_gb", "provisioning", "datastore", "file", "mode", "sharing", "controller")
	var total int64
	for _, d := range l.Disks {
		ctl := d.Controller
		if d.ControllerType != "" {
			ctl += " (" + d.ControllerType + ")"
		}
		file := d.File
		if d.Delta {
			file += " (snapshot delta)"
		}
		t.Row(d.Label, fmt.Sprint(d.Key), d.Bus, numText(d.CapacityGB), d.Provisioning, d.Datastore, file, d.Mode, d.Sharing, ctl)
		total += d.bytes
	}
	head := fmt.Sprintf("VM %s (%s): %d disk(s), %s in all", toolkit.Name(l.VM), l.ID, len(l.Disks), sizeText(total))
	if l.Snapshots > 0 {
		head += fmt.Sprintf("; %d snapshots (its disks cannot grow until they are deleted)", l.Snapshots)
	}
	return head + "\n" + t.String()
}

func vmDiskList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_disk_list",
		Title: "List a VM's virtual disks",
		Description: "List a VM's virtual disks: label (Hard disk 1), key, bus position (scsi0:0), capacity in GB, provisioning " +
			"(thin, thick lazy zeroed, thick eager zeroed), datastore and file, mode (persistent, independent_persistent, " +
			"independent_nonpersistent), sharing and controller type. The disk tools accept the label, key or bus position.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a params.VMArgs) (DiskList, error) {
		var out DiskList
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			ds, m, err := params.ReadDevices(ctx, c, o, "snapshot")
			if err != nil {
				return err
			}
			out = DiskList{VM: o.Name, ID: o.ID(), Disks: disksOf(ds), Snapshots: len(params.FlattenOf(&m))}
			return nil
		})
		return out, err
	})
}
