package cmd

import (
	"context"
	"slices"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// privilegeCheck ties a vCenter privilege to what it lets someone do and
// to the tool that would do it. Only checks whose tool exists (in
// tools.All()) are made: doctor says nothing about tools this build does
// not have. The toolset and risk written here are a reminder; the real
// definition is what is compared.
type privilegeCheck struct {
	priv string
	what string
	tool policy.ToolInfo
}

func privilegeChecks() []privilegeCheck {
	t := func(name, toolset string, risk policy.Risk) policy.ToolInfo {
		return policy.ToolInfo{Name: name, Toolset: toolset, Risk: risk}
	}
	return []privilegeCheck{
		{"VirtualMachine.Interact.PowerOn", "power on VMs", t("vm_power_on", "vm", policy.RiskWrite)},
		{"VirtualMachine.Interact.PowerOff", "power off VMs", t("vm_power_off", "vm", policy.RiskDestructive)},
		{"VirtualMachine.Interact.Reset", "reset VMs", t("vm_reset", "vm", policy.RiskDestructive)},
		{"VirtualMachine.State.CreateSnapshot", "create snapshots", t("snapshot_create", "snapshot", policy.RiskWrite)},
		{"VirtualMachine.State.RevertToSnapshot", "revert snapshots", t("snapshot_revert", "snapshot", policy.RiskIrreversible)},
		{"VirtualMachine.State.RemoveSnapshot", "delete snapshots", t("snapshot_delete", "snapshot", policy.RiskIrreversible)},
		{"VirtualMachine.Inventory.Create", "create VMs", t("vm_create", "vm", policy.RiskWrite)},
		{"VirtualMachine.Provisioning.Clone", "clone VMs", t("vm_clone", "vm", policy.RiskWrite)},
		{"VirtualMachine.Inventory.Delete", "delete VMs", t("vm_delete", "vm", policy.RiskIrreversible)},
		{"VirtualMachine.Inventory.Move", "move VMs between folders", t("vm_move", "vm", policy.RiskWrite)},
		{"VirtualMachine.Config.CPUCount", "reconfigure VMs", t("vm_reconfigure", "vm", policy.RiskWrite)},
		{"VirtualMachine.Config.Rename", "rename VMs", t("vm_rename", "vm", policy.RiskWrite)},
		{"Resource.HotMigrate", "migrate VMs", t("vm_migrate", "vm", policy.RiskWrite)},
		{"VirtualMachine.GuestOperations.Execute", "run programs in guests", t("guest_run", "guest", policy.RiskWrite)},
		{"Host.Config.Maintenance", "put hosts in maintenance mode", t("host_enter_maintenance", "host", policy.RiskIrreversible)},
		{"Host.Config.Power", "reboot or shut down hosts", t("host_reboot", "host", policy.RiskIrreversible)},
		{"Datastore.DeleteFile", "delete datastore files", t("datastore_file_delete", "datastore", policy.RiskIrreversible)},
		{"Datastore.Delete", "delete datastores", t("datastore_delete", "datastore", policy.RiskIrreversible)},
		{"Global.CancelTask", "cancel tasks", t("task_cancel", "task", policy.RiskWrite)},
	}
}

// checkPrivileges reads the session user's privileges on the root folder
// and compares them with what the role allows.
func (d *doctor) checkPrivileges(ctx context.Context, c *vcenter.Conn, role *policy.Role, infos []policy.ToolInfo) {
	existing := map[string]policy.ToolInfo{}
	for _, t := range infos {
		existing[t.Name] = t
	}
	var checks []privilegeCheck
	for _, pc := range privilegeChecks() {
		if t, ok := existing[pc.tool.Name]; ok {
			pc.tool = t
			checks = append(checks, pc)
		}
	}
	ids := []string{"System.Read"}
	for _, pc := range checks {
		ids = append(ids, pc.priv)
	}
	granted, err := c.SessionPrivileges(ctx, ids)
	if err != nil {
		d.warn("privileges", "cannot read the account's privileges (%v): compare its vCenter role with the profile's role by hand", vcenter.Explain(err))
		return
	}
	const where = "on the root folder"
	if !granted["System.Read"] {
		d.warn("privileges", "the account lacks System.Read %s: lists show only what it has been granted lower down", where)
	}
	var more []string
	for _, pc := range checks {
		tool := pc.tool
		allowed := role.Allows(tool)
		switch {
		case granted[pc.priv] && !allowed:
			more = append(more, pc.priv)
			d.warn("privileges", "account can %s but role %s cannot %s (%s)", pc.priv, role.Name(), pc.what, tool.Name)
		case !granted[pc.priv] && allowed:
			d.warn("privileges", "role %s allows %s but the account lacks %s %s: those calls will fail with NoPermission", role.Name(), tool.Name, pc.priv, where)
		}
	}
	if len(more) > 0 {
		advice := "consider a vCenter account with only the privileges the role needs"
		if !slices.ContainsFunc(role.AllowedTools(infos), func(t policy.ToolInfo) bool { return t.Risk.IsWrite() }) {
			advice = "consider a read-only vCenter account"
		}
		d.warn("privileges", "the account can do %d thing(s) role %s cannot: the role is the only barrier there; %s", len(more), role.Name(), advice)
		return
	}
	d.ok("privileges", "the account can do nothing (of %d privileges checked %s) that role %s cannot", len(checks), where, role.Name())
}
