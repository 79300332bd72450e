package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// renameArgs is the input of the careless tool below.
type renameArgs struct {
	VM string `json:"vm"`
}

type renamed struct{ Name string }

func (r renamed) Text() string { return r.Name }

// TestWriteGateFailsClosed: a write tool that forgets to ask the guard
// (no guard.Act) is stopped underneath, at the session's round tripper:
// the call fails with an internal error and the VM keeps its name.
func TestWriteGateFailsClosed(t *testing.T) {
	t.Parallel()
	careless := toolkit.Define(toolkit.Spec{Name: "vm_rename_carelessly", Title: "t", Description: "Test.", Risk: policy.RiskWrite},
		func(ctx context.Context, d toolkit.Deps, a renameArgs) (renamed, error) {
			err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
				o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
				if err != nil {
					return err
				}
				task, err := object.NewVirtualMachine(c.Client, o.Ref).Rename(ctx, "renamed")
				if err != nil {
					return err
				}
				return task.Wait(ctx)
			})
			return renamed{Name: "renamed"}, err
		})
	ts := toolkit.NewToolset("test", "test", false, nil, careless)

	sim, err := vcenter.StartSimulator(context.Background(), vcenter.DemoModel(vcenter.SimVCenter), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	sess := vcenter.NewSession(sim.Config, nil)
	t.Cleanup(func() { _ = sess.Close(context.Background()) })
	p := toolstest.Policy(t, "admin", nil, nil)
	srv := guard.NewServer(toolkit.Deps{Session: sess}, ts.Tools(), guard.ServerOptions{Policy: p})
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "vm_rename_carelessly"
	req.Params.Arguments = map[string]any{"vm": "DC0_H0_VM0"}
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	text := toolstest.ResultText(res)
	if !res.IsError || !strings.Contains(text, "not authorized by the policy guard") {
		t.Fatalf("careless write was not refused: %s", text)
	}
	e := &toolstest.Env{T: t, Ctx: ctx, Vim: toolstest.GovmomiClient(t, ctx, sim)}
	vms := e.AllVMs("name")
	if !slices.ContainsFunc(vms, func(v mo.VirtualMachine) bool { return v.Name == "DC0_H0_VM0" }) {
		t.Fatal("the refused rename reached vCenter")
	}
	if rec := toolstest.LastAudit(t, p); rec.Outcome != audit.OutcomeError {
		t.Errorf("refused write audited as %+v", rec)
	}
}

// TestReadOnlyOverAdmin: --read-only serves and allows only read tools,
// whatever the role; a write call is refused like an unknown tool and
// audited as denied.
func TestReadOnlyOverAdmin(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "admin", nil, nil)
	e := newEnvWith(t, context.Background(), nil, testConfigUnreachable(), envOptions{policy: p, readOnly: true})
	listed := e.ListedTools()
	if len(listed) == 0 {
		t.Fatal("read-only admin lists no tools")
	}
	for _, tool := range tools.All() {
		if slices.Contains(listed, tool.Def.Name) != (tool.Risk == policy.RiskRead) {
			t.Errorf("%s (%s) listed=%v under read-only", tool.Def.Name, tool.Risk, !(tool.Risk == policy.RiskRead))
		}
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "vm_power_off"
	req.Params.Arguments = map[string]any{"vm": "DC0_H0_VM0"}
	if _, err := e.Client.CallTool(e.Ctx, req); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("write under read-only: %v", err)
	}
	if rec := toolstest.LastAudit(t, p); rec.Tool != "vm_power_off" || rec.Decision != audit.DecisionDenied {
		t.Errorf("refused write audited as %+v", rec)
	}
}

// TestToolsetSelection: names, all and default resolve; an unknown name
// is an error listing the valid ones; a system-policy deny of a toolset
// wins over a user's toolsets: all (the role hides its tools).
func TestToolsetSelection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		names []string
		want  []string
	}{
		{nil, []string{"inventory", "vm", "snapshot", "task"}},
		{[]string{"default", "host"}, []string{"inventory", "vm", "snapshot", "task", "host"}},
		{[]string{" Host ", "network"}, []string{"host", "network"}},
		{[]string{"all"}, tools.IDs(tools.Toolsets())},
	} {
		sel, err := tools.Select(tc.names)
		if err != nil {
			t.Fatalf("Select(%v): %v", tc.names, err)
		}
		if got := tools.IDs(sel); !slices.Equal(got, tc.want) {
			t.Errorf("Select(%v) = %v, want %v", tc.names, got, tc.want)
		}
	}
	_, err := tools.Select([]string{"vm", "guests"})
	if err == nil || !strings.Contains(err.Error(), `unknown toolset "guests"`) || !strings.Contains(err.Error(), "inventory, vm, snapshot") {
		t.Errorf("unknown toolset: %v", err)
	}

	sys := policy.SystemPolicy{Deny: []string{"toolset:snapshot"}}
	r, err := policy.Resolve(nil, "admin")
	if err != nil {
		t.Fatal(err)
	}
	capped, err := r.Cap(sys, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := toolstest.Policy(t, "admin", nil, func(p *tools.Policy) { p.Role = capped })
	e := newEnvWith(t, context.Background(), nil, testConfigUnreachable(), envOptions{policy: p, toolsets: []string{"all"}})
	for _, name := range e.ListedTools() {
		if strings.HasPrefix(name, "snapshot_") {
			t.Errorf("%s served although the system policy denies toolset:snapshot", name)
		}
	}
}

// TestCatalogBudgets prints what each built-in role's catalog costs at
// the default toolsets and at all, and holds the default catalogs to the
// budgets clients can afford (VS Code groups tools past about 64).
func TestCatalogBudgets(t *testing.T) {
	t.Parallel()
	budgets := map[string]int{"viewer": 20 << 10, "admin": 40 << 10}
	for _, role := range policy.BuiltinRoles() {
		r, err := policy.Resolve(nil, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, names := range [][]string{nil, {"all"}} {
			sel, err := tools.Select(names)
			if err != nil {
				t.Fatal(err)
			}
			var served []toolkit.Tool
			for _, tl := range tools.Served(sel, false) {
				if r.Allows(tl.Info()) {
					served = append(served, tl)
				}
			}
			size := tools.CatalogBytes(served)
			label := "default"
			if names != nil {
				label = "all"
			}
			t.Logf("role %-9s toolsets %-7s %3d tools %6d bytes (%.1f KiB, %.2f KiB per tool)", role, label, len(served), size, float64(size)/1024, float64(size)/1024/float64(max(len(served), 1)))
			if names == nil {
				if b, ok := budgets[role]; ok && size > b {
					t.Errorf("role %s at the default toolsets: %d bytes, budget %d", role, size, b)
				}
				if len(served) >= 64 {
					t.Errorf("role %s at the default toolsets: %d tools; clients start grouping at about 64", role, len(served))
				}
			}
		}
	}
}

// TestOutOfScopeWriteAuditedAsDenied: a write on an object outside the
// role's scope is told it matches nothing in scope, and the trail records a denial (not an
// allowed call that failed).
func TestOutOfScopeWriteAuditedAsDenied(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0-ops": {Inherits: "operator", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	p := toolstest.Policy(t, "dc0-ops", custom, nil)
	e := newPolicyEnv(t, p, nil)
	const vm = "/DC1/vm/DC1_H0_VM0"
	before := e.PowerState(vm)
	text := e.Fails("vm_power_off", map[string]any{"vm": vm})
	if !strings.Contains(text, "within this profile's scope") {
		t.Errorf("out-of-scope write: %s", text)
	}
	if rec := toolstest.LastAudit(t, p); rec.Decision != audit.DecisionDenied || rec.Outcome != audit.OutcomeError {
		t.Errorf("out-of-scope write audited as %s/%s", rec.Decision, rec.Outcome)
	}
	if after := e.PowerState(vm); after != before {
		t.Errorf("out-of-scope VM went from %s to %s", before, after)
	}
}

// TestHugeArgumentsBounded: arguments over the limit are refused before
// any record is built from them; the audit line stays small.
func TestHugeArgumentsBounded(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "viewer", nil, nil)
	e := newEnvWith(t, context.Background(), nil, testConfigUnreachable(), envOptions{policy: p})
	args := map[string]any{}
	for i := range 5000 {
		args[fmt.Sprintf("key%05d", i)] = strings.Repeat("v", 100)
	}
	text := e.Fails("vm_get", args)
	if !strings.Contains(text, "bytes; the limit is 65536") || len(text) > 300 {
		t.Errorf("huge arguments: %.300s", text)
	}
	rec := toolstest.LastAudit(t, p)
	b, _ := json.Marshal(rec)
	t.Logf("audit line for %d argument keys: %d bytes", len(args), len(b))
	if rec.Decision != audit.DecisionDenied || len(b) > 2048 {
		t.Errorf("audit record %s (%d bytes)", rec.Decision, len(b))
	}
}

// TestEveryWriteToolRefusesProtectedTarget: with everything under /DC0/vm
// and the cluster DC0_C1 protected, each write tool of the catalog is
// refused before it changes anything — the VMs of DC0 and the services of
// DC0_C1's hosts read back through govmomi are as they were.
func TestEveryWriteToolRefusesProtectedTarget(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"guarded": {Inherits: "admin", Protect: []string{"/DC0/vm", "/DC0/host/DC0_C1"}}}
	p := toolstest.Policy(t, "guarded", custom, nil)
	e := newPolicyEnv(t, p, nil)
	const vm = "/DC0/vm/DC0_H0_VM0"
	ctx := e.Ctx

	// A snapshot to revert to and delete, taken behind the server's back.
	task, err := object.NewVirtualMachine(e.Vim, e.VMRef(vm)).CreateSnapshot(ctx, "base", "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var template string
	for _, v := range e.AllVMs("name", "config.template") {
		if v.Config != nil && v.Config.Template && strings.HasPrefix(v.Name, "DC0_") {
			template = v.Name
		}
	}
	if template == "" {
		// Make one, so vm_mark_vm has a protected template to refuse.
		tvm := object.NewVirtualMachine(e.Vim, e.VMRef("/DC0/vm/DC0_H0_VM1"))
		if err := tvm.MarkAsTemplate(ctx); err != nil {
			t.Fatal(err)
		}
		template = "DC0_H0_VM1"
	}
	// A powered-off VM to refuse making a template, and a DC0 folder to
	// refuse moving into.
	var off string
	for _, v := range e.AllVMs("name", "runtime.powerState", "config.template") {
		if strings.HasPrefix(v.Name, "DC0_") && v.Name != template && v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff {
			off = v.Name
		}
	}
	if off == "" {
		off = "DC0_H0_VM0"
		task, err := object.NewVirtualMachine(e.Vim, e.VMRef(vm)).PowerOff(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	dc, err := find.NewFinder(e.Vim).Datacenter(ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := folders.VmFolder.CreateFolder(ctx, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	// An ISO for vm_cdrom_insert to find, and a serial port on the
	// powered-off VM for the serial tools to refuse changing.
	for _, ds := range toolstest.RetrieveIn[mo.Datastore](e.Env, dc.Reference(), "Datastore", "name", "info") {
		if ds.Name == "LocalDS_0" {
			if err := os.WriteFile(filepath.Join(ds.Info.GetDatastoreInfo().Url, "boot.iso"), []byte("iso"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	offVM := object.NewVirtualMachine(e.Vim, e.VMRef("/DC0/vm/"+off))
	offDevices, err := offVM.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := offDevices.CreateSerialPort()
	if err != nil {
		t.Fatal(err)
	}
	if err := offVM.AddDevice(ctx, offDevices.ConnectSerialPort(serial, "telnet://:7001", false, "")); err != nil {
		t.Fatal(err)
	}
	// A tag on the protected VM, to refuse attaching, detaching and
	// deleting (it would change the VM).
	rc := rest.NewClient(e.Vim)
	if err := rc.Login(ctx, url.UserPassword(e.Sim.Config.Username, e.Sim.Config.Password)); err != nil {
		t.Fatal(err)
	}
	tm := tags.NewManager(rc)
	catID, err := tm.CreateCategory(ctx, &tags.Category{Name: "zone", Cardinality: "MULTIPLE"})
	if err != nil {
		t.Fatal(err)
	}
	tagID, err := tm.CreateTag(ctx, &tags.Tag{Name: "a", CategoryID: catID})
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.AttachTag(ctx, tagID, e.VMRef(vm)); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		var b strings.Builder
		for _, v := range e.AllVMs("name", "parent", "runtime.powerState", "config.template", "config.hardware.numCPU", "snapshot", "resourcePool") {
			if !strings.HasPrefix(v.Name, "DC0_") {
				continue
			}
			n := 0
			if v.Snapshot != nil {
				n = len(v.Snapshot.RootSnapshotList)
			}
			fmt.Fprintf(&b, "%s %v %s %v %d %d %v\n", v.Name, v.Parent, v.Runtime.PowerState, v.Config != nil && v.Config.Template, v.Config.Hardware.NumCPU, n, v.ResourcePool)
		}
		for _, h := range toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", "name", "config.service") {
			if strings.HasPrefix(h.Name, "DC0_C1_") {
				for _, s := range h.Config.Service.Service {
					fmt.Fprintf(&b, "%s %s %v %s\n", h.Name, s.Key, s.Running, s.Policy)
				}
			}
		}
		return b.String()
	}
	before := state()

	args := map[string]map[string]any{
		"vm_power_on":             {"vm": vm},
		"vm_power_off":            {"vm": vm},
		"vm_reset":                {"vm": vm},
		"vm_suspend":              {"vm": vm},
		"vm_shutdown_guest":       {"vm": vm},
		"vm_reboot_guest":         {"vm": vm},
		"vm_delete":               {"vm": vm, "force": true},
		"vm_create":               {"name": "new-vm", "folder": "/DC0/vm", "host": "DC0_H0"},
		"vm_clone":                {"vm": vm, "name": "copy"},
		"vm_reconfigure":          {"vm": vm, "annotation": "changed"},
		"vm_rename":               {"vm": vm, "name": "renamed"},
		"vm_migrate":              {"vm": vm, "cluster": "DC0_C0"},
		"vm_move":                 {"vm": vm, "folder": "/DC0/vm/elsewhere"},
		"vm_mark_template":        {"vm": off},
		"vm_mark_vm":              {"vm": template},
		"snapshot_create":         {"vm": vm, "name": "s"},
		"snapshot_revert":         {"vm": vm, "snapshot": "base"},
		"snapshot_delete":         {"vm": vm, "snapshot": "base"},
		"snapshot_delete_all":     {"vm": vm},
		"host_service_start":      {"host": "DC0_C1_H0", "service": "TSM-SSH"},
		"host_service_stop":       {"hosts": []string{"DC0_C1_H0"}, "service": "DCUI"},
		"host_service_restart":    {"filter": map[string]any{"cluster": "DC0_C1"}, "service": "ntpd"},
		"host_service_set_policy": {"host": "DC0_C1_H1", "service": "TSM-SSH", "policy": "on"},
		"folder_create":           {"parent": "/DC0/vm", "name": "new-folder"},
		"folder_rename":           {"folder": "/DC0/vm/elsewhere", "new_name": "renamed"},
		"folder_delete":           {"folder": "/DC0/vm/elsewhere"},
		"resource_pool_create":    {"parent": "DC0_C1", "name": "new-pool"},
		"resource_pool_update":    {"resource_pool": "/DC0/host/DC0_C1/Resources/DC0_C1_RP1", "cpu_limit_mhz": 1000},
		"resource_pool_delete":    {"resource_pool": "/DC0/host/DC0_C1/Resources/DC0_C1_RP1"},
		"tag_attach":              {"tag": "zone:a", "objects": []string{"DC0_C1_H0"}},
		"tag_detach":              {"tag": "zone:a", "objects": []string{vm}},
		"tag_delete":              {"tag": "zone:a"},
		"tag_category_delete":     {"category": "zone"},
		"custom_attribute_set":    {"object": vm, "key": "owner", "value": "x"},
		"host_ntp_configure":      {"filter": map[string]any{"cluster": "DC0_C1"}, "servers": []string{"10.0.0.1"}, "start": true},
		"host_maintenance_enter":  {"host": "DC0_C1_H0"},
		"host_maintenance_exit":   {"host": "DC0_C1_H0"},
		"host_reboot":             {"host": "DC0_C1_H0", "force": true},
		"host_shutdown":           {"host": "DC0_C1_H1", "force": true},
		"host_disconnect":         {"host": "DC0_C1_H0"},
		"host_reconnect":          {"host": "DC0_C1_H1"},
		"cluster_configure":       {"cluster": "DC0_C1", "ha_enabled": true},
		"vm_send_keys":            {"vm": vm, "keys": []string{"enter"}},
		"vm_console_url":          {"vm": vm},
		"vm_disk_add":             {"vm": vm, "size_gb": 1},
		"vm_disk_resize":          {"vm": off, "disk": "Hard disk 1", "size_gb": 100},
		"vm_disk_remove":          {"vm": vm, "disk": "Hard disk 1", "delete_file": true},
		"vm_hardware_upgrade":     {"vm": off},
		"vm_tools_upgrade":        {"vm": vm},
		"vm_nic_add":              {"vm": vm, "network": "VM Network"},
		"vm_nic_update":           {"vm": vm, "nic": "Network adapter 1", "start_connected": false},
		"vm_nic_remove":           {"vm": vm, "nic": "Network adapter 1"},
		"vm_cdrom_insert":         {"vm": vm, "iso": "[LocalDS_0] boot.iso"},
		"vm_cdrom_eject":          {"vm": vm},
		"vm_serial_add":           {"vm": off, "backing": "network", "uri": "telnet://:7002"},
		"vm_serial_update":        {"vm": off, "serial": "Serial port 1", "start_connected": false},
		"vm_serial_remove":        {"vm": off, "serial": "Serial port 1"},
	}
	// task_cancel acts on a running task; vcsim's finish at once, so there
	// is none to refuse here (its protect check is the same Act).
	// vm_question_answer answers a pending question; vcsim's VMs ask none,
	// so it stops at "no pending question" before its Act (tools/console
	// tests the protect check on a VM with a question).
	// cluster_drs_apply needs DRS recommendations, which vcsim has none of
	// (tools/cluster tests add some; its protect check is the same Act).
	// alarm_acknowledge and alarm_reset act on a triggered alarm, which
	// needs one triggered first: tools/event's TestAlarmsProtected refuses
	// them on a protected target (the same Act).
	// Creating a tag or category touches no inventory object.
	// The datastore file tools act on datastores, not on what this test
	// protects: tools/datastore's TestDatastoreFilesProtected refuses each
	// on a protected datastore (the same Act) and reads the files back.
	exempt := map[string]bool{"task_cancel": true, "vm_question_answer": true, "cluster_drs_apply": true,
		"alarm_acknowledge": true, "alarm_reset": true, "tag_create": true, "tag_category_create": true,
		"datastore_mkdir": true, "datastore_file_move": true, "datastore_file_copy": true, "datastore_file_delete": true,
		"datastore_upload": true, "datastore_download": true}
	// The guest tools need a guest login and a running guest OS before they
	// reach Act: tools/guest's TestProtectedGuest gives them both and checks
	// the same refusal.
	for _, name := range []string{"guest_run", "guest_process_kill", "guest_file_write", "guest_dir_create", "guest_file_move", "guest_file_delete"} {
		exempt[name] = true
	}
	for _, tool := range tools.All() {
		name := tool.Def.Name
		if !tool.Risk.IsWrite() || exempt[name] {
			continue
		}
		a, ok := args[name]
		if !ok {
			t.Errorf("%s: a write tool with no case here; add one", name)
			continue
		}
		text := e.Fails(name, a)
		if !strings.Contains(text, "is protected by policy") {
			t.Errorf("%s on a protected target: %s", name, text)
		}
		if rec := toolstest.LastAudit(t, p); rec.Tool != name || rec.Decision != audit.DecisionDenied {
			t.Errorf("%s refused but audited as %s", name, rec.Decision)
		}
	}
	if after := state(); after != before {
		t.Errorf("protected VMs changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, v := range e.AllVMs("name") {
		if v.Name == "new-vm" || v.Name == "copy" || v.Name == "renamed" {
			t.Errorf("%s appeared", v.Name)
		}
	}
}

// TestServerIdentityAndInstructions: serverInfo carries a title, website
// and icon; the instructions (what a tool-search client reads before any
// schema) name the served toolsets, those that exist but are not served,
// how objects are named, paging, and where to start.
func TestServerIdentityAndInstructions(t *testing.T) {
	t.Parallel()
	srv, err := tools.NewServer(tools.Deps{}, tools.Options{Version: "test", Toolsets: []string{"vm", "host"}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatal(err)
	}
	si := res.ServerInfo
	if si.Name != "vsphere-mcp" || si.Title == "" || !strings.HasPrefix(si.WebsiteURL, "https://") || len(si.Icons) == 0 {
		t.Errorf("serverInfo %+v", si)
	}
	toolstest.MustContain(t, res.Instructions, "Toolsets served: vm, host.", "Not served", "inventory, snapshot, task",
		"read-only", "inventory path", "next_cursor", "vm_list")
	if n := len(res.Instructions); n > 1500 {
		t.Errorf("instructions are %d bytes; keep them to a few lines", n)
	}
}

// TestEmptyListUnderScopeSaysSo: a listing that comes back empty while a
// scope restricts its kind says a scope is in effect, naming the scope, not
// any hidden object; an unscoped role's empty listing says nothing of it.
func TestEmptyListUnderScopeSaysSo(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0-only": {Inherits: "viewer", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	e := newPolicyEnv(t, toolstest.Policy(t, "dc0-only", custom, nil), nil)
	text := e.OK("vm_list", map[string]any{"name": "DC1_*"}, nil)
	toolstest.MustContain(t, text, "0 VMs", "role dc0-only limits what this profile sees (datacenters DC0)", "not shown")
	// So does a get that finds nothing.
	toolstest.MustContain(t, e.Fails("vm_get", map[string]any{"vm": "DC1_H0_VM0"}), "within this profile's scope", "(datacenters DC0)")
	for _, v := range e.AllVMs("name") {
		if strings.HasPrefix(v.Name, "DC1_") && strings.Contains(text, v.Name) {
			t.Errorf("the note names hidden VM %s: %s", v.Name, text)
		}
	}
	// A listing with results gets no note.
	if text := e.OK("vm_list", map[string]any{"limit": 1}, nil); strings.Contains(text, "limits what this profile sees") {
		t.Errorf("note on a non-empty listing: %s", text)
	}
	// Unscoped: an empty listing is just empty.
	v := newPolicyEnv(t, toolstest.Policy(t, "viewer", nil, nil), nil)
	if text := v.OK("vm_list", map[string]any{"name": "no-such-*"}, nil); strings.Contains(text, "scope") {
		t.Errorf("unscoped empty listing mentions a scope: %s", text)
	}
}
