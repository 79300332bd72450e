package device

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

const nicArgDoc = "The adapter: label (Network adapter 1), device key (4000) or MAC"

// NICUpdateArgs name the adapter and what to change.
type NICUpdateArgs struct {
	VM             string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	NIC            string `json:"nic" jsonschema:"The adapter: label (Network adapter 1), device key (4000) or MAC"`
	Network        string `json:"network,omitempty" jsonschema:"Move the adapter to this network (name, inventory path or ID; reachable from the VM's host)"`
	Connected      *bool  `json:"connected,omitempty" jsonschema:"Connect or disconnect it now (the VM must be running)"`
	StartConnected *bool  `json:"start_connected,omitempty" jsonschema:"Connect it at power on"`
	params.SnapshotFirst
}

func (a *NICUpdateArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.NIC) == "" {
		return errors.New("nic is required: the adapter's label (Network adapter 1), key or MAC; vm_nic_list shows them")
	}
	if a.Network == "" && a.Connected == nil && a.StartConnected == nil {
		return errors.New("nothing to change: pass network, connected or start_connected")
	}
	return nil
}

func vmNICUpdate() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_nic_update",
		Title: "Change a VM's network adapter",
		Description: "Change a VM's network adapter (by label, key or MAC): move it to another network its host reaches, connect or disconnect it " +
			"(VM running), or set whether it connects at power on. Says before → after, read back from vCenter. snapshot_first takes a restore point first.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a NICUpdateArgs) (DeviceEdit, error) {
		var out DeviceEdit
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			before, err := readNICs(ctx, c, o)
			if err != nil {
				return err
			}
			dev, info, err := before.Devices.Find(o.Name, params.KindNIC, "nic", a.NIC)
			if err != nil {
				return err
			}
			old, _ := before.nic(info.Key)
			if a.Connected != nil && *a.Connected && !before.poweredOn() {
				return &toolkit.ArgError{Msg: fmt.Sprintf("connected: VM %s is %s, and an adapter connects only while the VM runs; pass start_connected: true to connect it at power on", toolkit.Name(o.Name), before.VM.Runtime.PowerState)}
			}
			card := dev.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
			var plan []string
			var touched []vcenter.Object
			if a.Network != "" {
				net, _, err := resolveNICNetwork(ctx, c, before.VM.Runtime.Host, a.Network, "")
				if err != nil {
					return err
				}
				if !net.isOf(old) {
					card.Backing = net.backing()
					plan = append(plan, fmt.Sprintf("network %s → %s", old.networkText(), net.text()))
					touched = append(touched, net.Obj)
				}
			}
			conn := card.Connectable
			if conn == nil {
				conn = &types.VirtualDeviceConnectInfo{AllowGuestControl: true}
				card.Connectable = conn
			}
			if a.Connected != nil && conn.Connected != *a.Connected {
				plan = append(plan, fmt.Sprintf("connected %s → %s", yn(conn.Connected), yn(*a.Connected)))
				conn.Connected = *a.Connected
			}
			if a.StartConnected != nil && conn.StartConnected != *a.StartConnected {
				plan = append(plan, fmt.Sprintf("connect at power on %s → %s", yn(conn.StartConnected), yn(*a.StartConnected)))
				conn.StartConnected = *a.StartConnected
			}
			out = DeviceEdit{Action: "unchanged", VM: o.Name, ID: o.ID(), Device: info, NIC: &old}
			if len(plan) == 0 {
				out.Notes = []string{"the adapter already is as asked; nothing was changed"}
				return nil
			}
			what := fmt.Sprintf("Change %s of VM %s: %s", toolkit.Name(info.Label), toolkit.Path(o.Path), strings.Join(plan, "; "))
			if a.Connected != nil && !*a.Connected && before.poweredOn() {
				what += " (the running guest loses this network connection)"
			}
			if err := guard.ActOn(ctx, what, o, touched...); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_nic_update", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out.Snapshot = snap
			spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: dev}
			out.Task, err = sendDeviceChange(ctx, c, o, "change "+toolkit.Name(info.Label)+" of "+toolkit.Name(o.Name), spec)
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			after, err := readNICs(ctx, c, o)
			if err != nil {
				return err
			}
			now, ok := after.nic(info.Key)
			if !ok {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but %s of VM %s is gone; check vm_nic_list", out.Task, toolkit.Name(info.Label), toolkit.Name(o.Name))}, o.Name, snap)
			}
			out.Action, out.NIC = "changed", &now
			out.Device, _ = after.Devices.Info(info.Key)
			out.Changes = nicChanges(old, now)
			if len(out.Changes) == 0 {
				out.Notes = append(out.Notes, "vCenter finished the task but the adapter reads back as before")
			}
			return nil
		})
		return out, err
	})
}

// nicChanges says what differs between two readings of an adapter.
func nicChanges(a, b NICInfo) []string {
	var out []string
	if a.NetworkID != b.NetworkID || a.Network != b.Network {
		out = append(out, fmt.Sprintf("network: %s → %s", a.networkText(), b.networkText()))
	}
	if a.Connected != b.Connected {
		out = append(out, fmt.Sprintf("connected: %s → %s", yn(a.Connected), yn(b.Connected)))
	}
	if a.StartConnected != b.StartConnected {
		out = append(out, fmt.Sprintf("connect at power on: %s → %s", yn(a.StartConnected), yn(b.StartConnected)))
	}
	if a.MAC != b.MAC {
		out = append(out, fmt.Sprintf("MAC: %s → %s", toolkit.Name(a.MAC), toolkit.Name(b.MAC)))
	}
	return out
}

// NICRemoveArgs name the adapter to remove.
type NICRemoveArgs struct {
	VM  string `json:"vm" jsonschema:"The VM: name, inventory path, ID or UUID"`
	NIC string `json:"nic" jsonschema:"The adapter: label (Network adapter 1), device key (4000) or MAC"`
	params.SnapshotFirst
}

func (a *NICRemoveArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.NIC) == "" {
		return errors.New("nic is required: " + strings.ToLower(nicArgDoc[:1]) + nicArgDoc[1:] + "; vm_nic_list shows them")
	}
	return nil
}

func vmNICRemove() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_nic_remove",
		Title: "Remove a network adapter from a VM",
		Description: "Remove a network adapter (by label, key or MAC) from a VM; the guest loses that connection and its MAC. " +
			"Removing the last adapter of a running VM is said first. snapshot_first takes a restore point first.",
		Risk: policy.RiskDestructive,
	}, func(ctx context.Context, d toolkit.Deps, a NICRemoveArgs) (DeviceEdit, error) {
		var out DeviceEdit
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			before, err := readNICs(ctx, c, o)
			if err != nil {
				return err
			}
			dev, info, err := before.Devices.Find(o.Name, params.KindNIC, "nic", a.NIC)
			if err != nil {
				return err
			}
			nic, _ := before.nic(info.Key)
			what := fmt.Sprintf("Remove %s (%s, MAC %s, network %s) from VM %s", toolkit.Name(info.Label), nic.Adapter, toolkit.Name(nic.MAC), nic.networkText(), toolkit.Path(o.Path))
			last := len(before.NICs) == 1
			if last && before.poweredOn() {
				what += " — it is the VM's only network adapter and the VM is running: the guest loses all network connectivity"
			}
			if err := guard.Act(ctx, what, o); err != nil {
				return err
			}
			snap, err := takeSnapshotFirst(ctx, c, o, "vm_nic_remove", a.SnapshotFirst.Take)
			if err != nil {
				return err
			}
			out = DeviceEdit{Action: "removed", VM: o.Name, ID: o.ID(), Device: info, NIC: &nic, Snapshot: snap}
			spec := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: dev}
			out.Task, err = sendDeviceChange(ctx, c, o, "remove "+toolkit.Name(info.Label)+" of "+toolkit.Name(o.Name), spec)
			if err != nil {
				return params.WrapAfterSnapshot(err, o.Name, snap)
			}
			after, err := readNICs(ctx, c, o)
			if err != nil {
				return err
			}
			if _, still := after.Devices.Info(info.Key); still {
				return params.WrapAfterSnapshot(&toolkit.ExplainedError{Msg: fmt.Sprintf("vCenter finished task %s but %s is still on VM %s; check vm_nic_list", out.Task, toolkit.Name(info.Label), toolkit.Name(o.Name))}, o.Name, snap)
			}
			if last && before.poweredOn() {
				out.Notes = append(out.Notes, "it was the only network adapter of the running VM: the guest has no network now; vm_nic_add gives it one")
			} else if last {
				out.Notes = append(out.Notes, "the VM has no network adapter now; vm_nic_add gives it one")
			}
			return nil
		})
		return out, err
	})
}
