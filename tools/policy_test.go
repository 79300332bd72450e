package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	vmts "github.com/vsphere-mcp/vsphere-mcp/tools/vm"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TestRoleToolTable: each built-in role lists exactly the tools its golden
// file names, every listed tool is callable, and every hidden one is
// refused like an unknown tool and audited as denied.
func TestRoleToolTable(t *testing.T) {
	t.Parallel()
	update := os.Getenv("UPDATE_GOLDEN") != ""
	for _, sel := range []struct {
		dir      string
		toolsets []string
	}{{"roles", []string{"all"}}, {filepath.Join("roles", "default"), []string{"default"}}} {
		served, err := tools.Select(sel.toolsets)
		if err != nil {
			t.Fatal(err)
		}
		isServed := map[string]bool{}
		for _, tl := range tools.Served(served, false) {
			isServed[tl.Def.Name] = true
		}
		for _, role := range policy.BuiltinRoles() {
			t.Run(sel.toolsets[0]+"/"+role, func(t *testing.T) {
				testRoleTools(t, role, sel.dir, sel.toolsets, isServed, update)
			})
		}
	}
}

// testRoleTools checks one role's tool list at toolsets against its golden
// file, and that every tool it hides is refused and audited as denied.
func testRoleTools(t *testing.T, role, dir string, toolsets []string, isServed map[string]bool, update bool) {
	p := toolstest.Policy(t, role, nil, nil)
	e := newEnvWith(t, context.Background(), nil, testConfigUnreachable(), envOptions{policy: p, toolsets: toolsets})
	got := e.ListedTools()
	golden := filepath.Join("testdata", dir, role+".txt")
	if update {
		_ = os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("golden %s: %v (UPDATE_GOLDEN=1 writes it)", golden, err)
	}
	if strings.Join(got, "\n")+"\n" != string(want) {
		t.Errorf("role %s lists:\n%s\nwant:\n%s", role, strings.Join(got, "\n"), want)
	}
	for _, tool := range tools.All() {
		name := tool.Def.Name
		listed := slices.Contains(got, name)
		if listed != (p.Role.Allows(tool.Info()) && isServed[name]) {
			t.Errorf("%s: listed=%v but role allows and toolset serves=%v", name, listed, !listed)
		}
		if listed {
			continue
		}
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = map[string]any{"vm": "x", "password": "hunter2"}
		if _, err := e.Client.CallTool(e.Ctx, req); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("%s hidden from %s but callable: %v", name, role, err)
		}
		rec := toolstest.LastAudit(t, p)
		if rec.Tool != name || rec.Decision != audit.DecisionDenied || rec.Role != role {
			t.Errorf("hidden call to %s audited as %+v", name, rec)
		}
		if strings.Contains(mustJSON(t, rec), "hunter2") {
			t.Errorf("secret argument reached the audit trail: %s", mustJSON(t, rec))
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBulkPowerWithOneFailure(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "operator", nil, nil)
	e := newPolicyEnv(t, p, nil)
	on, off := "/DC0/vm/DC0_H0_VM0", "/DC0/vm/DC0_C0_RP1_VM2"
	if e.PowerState(on) != types.VirtualMachinePowerStatePoweredOn || e.PowerState(off) != types.VirtualMachinePowerStatePoweredOff {
		t.Fatal("demo inventory changed; fix the test's VM choice")
	}
	var res params.BulkResult
	text := e.OK("vm_reset", map[string]any{"vms": []string{on, off}}, &res)
	if res.Succeeded != 1 || res.Failed != 1 || len(res.Results) != 2 {
		t.Fatalf("reset of one on and one off VM: %+v", res)
	}
	toolstest.MustContain(t, text, "1 done, 0 unchanged, 1 failed", "DC0_C0_RP1_VM2 is poweredOff", "InvalidPowerState")
	if res.Results[0].Task == "" {
		t.Error("no task id for the reset")
	}
	rec := toolstest.LastAudit(t, p)
	// The failed reset still ran a task: both task IDs are on record.
	if len(rec.Targets) != 2 || rec.Decision != audit.DecisionAllowed || len(rec.TaskIDs) != 2 {
		t.Errorf("audit of the bulk reset: %+v", rec)
	}

	// Power off by filter, then on again, checked through govmomi.
	e.OK("vm_power_off", map[string]any{"filter": map[string]any{"name": "DC1_H0_VM*", "power_state": "poweredOn"}}, &res)
	for _, v := range e.AllVMs("name", "runtime.powerState") {
		if strings.HasPrefix(v.Name, "DC1_H0_VM") && v.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
			t.Errorf("%s still %s after filtered power off", v.Name, v.Runtime.PowerState)
		}
	}
	e.OK("vm_power_on", map[string]any{"vm": "DC1_H0_VM0"}, &res)
	if e.PowerState("/DC1/vm/DC1_H0_VM0") != types.VirtualMachinePowerStatePoweredOn {
		t.Error("vm_power_on did not power on")
	}
	e.OK("vm_power_on", map[string]any{"vm": "DC1_H0_VM0"}, &res)
	if res.Unchanged != 1 {
		t.Errorf("powering on a running VM: %+v, want unchanged", res)
	}
	e.OK("vm_suspend", map[string]any{"vm": "DC1_H0_VM0"}, &res)
	if e.PowerState("/DC1/vm/DC1_H0_VM0") != types.VirtualMachinePowerStateSuspended {
		t.Error("vm_suspend did not suspend")
	}

	// Guest operations need VMware Tools, and say so.
	msg := e.Fails("vm_shutdown_guest", map[string]any{"vm": "DC0_C0_RP1_VM0"})
	toolstest.MustContain(t, msg, "is suspended; a guest shutdown needs it powered on")

	// Bulk safety: a filter selecting more than max_targets is refused.
	msg = e.Fails("vm_power_off", map[string]any{"filter": map[string]any{"name": "*"}})
	toolstest.MustContain(t, msg, "max_targets=10")
	msg = e.Fails("vm_power_off", map[string]any{"vm": "a", "vms": []string{"b"}})
	toolstest.MustContain(t, msg, "exactly one of vm, vms or filter")
}

func TestDeleteConfirmation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		person   *toolstest.Person
		fallback policy.Fallback
		gone     bool
		decision audit.Decision
		want     string
	}{
		{"accepted", &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}, "", true, audit.DecisionConfirmed, "Deleted"},
		{"accepted but unticked", &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: false}, "", false, audit.DecisionDeclined, "did not confirm"},
		{"declined", &toolstest.Person{Action: mcp.ElicitationResponseActionDecline}, "", false, audit.DecisionDeclined, "did not confirm (decline)"},
		{"cancelled", &toolstest.Person{Action: mcp.ElicitationResponseActionCancel}, "", false, audit.DecisionDeclined, "did not confirm (cancel)"},
		{"no elicitation, deny", nil, policy.FallbackDeny, false, audit.DecisionDenied, "cannot ask for it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := toolstest.Policy(t, "admin", nil, func(p *tools.Policy) { p.Fallback = tc.fallback })
			var h *toolstest.Person
			e := func() *env {
				if tc.person != nil {
					h = tc.person
					return newPolicyEnv(t, p, h)
				}
				return newPolicyEnv(t, p, nil)
			}()
			const vm = "/DC0/vm/DC0_H0_VM0" // powered on
			res := e.Call("vm_delete", map[string]any{"vm": vm, "force": true})
			toolstest.MustContain(t, toolstest.ResultText(res), tc.want)
			if e.Exists(vm) == tc.gone {
				t.Fatalf("VM exists=%v after %s", !tc.gone, tc.name)
			}
			if !tc.gone && e.PowerState(vm) != types.VirtualMachinePowerStatePoweredOn {
				t.Error("a delete that was not confirmed powered the VM off")
			}
			if h != nil {
				if len(h.Asked()) != 1 || !strings.Contains(h.Asked()[0], "Power off, then delete VM and its disks: /DC0/vm/DC0_H0_VM0 (vm-") {
					t.Errorf("person was asked %q", h.Asked())
				}
			}
			rec := toolstest.LastAudit(t, p)
			if rec.Decision != tc.decision || rec.Tool != "vm_delete" || len(rec.Targets) != 1 || rec.Targets[0].Path != vm {
				t.Errorf("audit: %+v", rec)
			}
			if tc.gone && (rec.Outcome != audit.OutcomeOK || len(rec.TaskIDs) != 2) {
				t.Errorf("audit of the delete: %+v", rec)
			}
		})
	}
}

func TestDeletePreviewTokens(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "admin", nil, func(p *tools.Policy) { p.Fallback = policy.FallbackPreview })
	e := newPolicyEnv(t, p, nil)
	const a, b = "/DC0/vm/DC0_H0_VM2", "/DC0/vm/DC0_H0_VM3"

	preview := e.OK("vm_delete", map[string]any{"vm": a, "force": true}, nil)
	toolstest.MustContain(t, preview, "Preview, nothing done yet", a, "confirm_token=")
	if !e.Exists(a) || toolstest.LastAudit(t, p).Decision != audit.DecisionPreview {
		t.Fatal("preview deleted the VM or was not audited as preview")
	}
	tok := preview[strings.Index(preview, `confirm_token="`)+len(`confirm_token="`):]
	tok = tok[:strings.Index(tok, `"`)]

	// The token is bound to its target and arguments.
	msg := e.Fails("vm_delete", map[string]any{"vm": b, "force": true, "confirm_token": tok})
	toolstest.MustContain(t, msg, "confirmation token refused")
	if !e.Exists(b) {
		t.Fatal("a token for another VM deleted b")
	}
	// Redeeming uses a token up, even when it is refused.
	msg = e.Fails("vm_delete", map[string]any{"vm": a, "force": true, "confirm_token": tok})
	toolstest.MustContain(t, msg, "confirmation token refused")

	preview = e.OK("vm_delete", map[string]any{"vm": a, "force": true}, nil)
	tok = preview[strings.Index(preview, `confirm_token="`)+len(`confirm_token="`):]
	tok = tok[:strings.Index(tok, `"`)]
	msg = e.Fails("vm_delete", map[string]any{"vm": a, "confirm_token": tok})
	toolstest.MustContain(t, msg, "force=true") // other arguments: refused before confirmation
	e.OK("vm_delete", map[string]any{"vm": a, "force": true, "confirm_token": tok}, nil)
	if e.Exists(a) {
		t.Fatal("confirmed delete left the VM")
	}
	if rec := toolstest.LastAudit(t, p); rec.Decision != audit.DecisionConfirmed || rec.Outcome != audit.OutcomeOK {
		t.Errorf("audit: %+v", rec)
	}
	msg = e.Fails("vm_delete", map[string]any{"vm": a, "force": true, "confirm_token": tok})
	toolstest.MustContain(t, msg, "no VM matches")
}

func TestScopeAndProtect(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{
		"dc0-ops": {Inherits: "operator", Scope: policy.Scope{Datacenters: []string{"DC0"}}, Protect: []string{"*_VM3"}},
		"web-ops": {Inherits: "operator", Scope: policy.Scope{VMs: []string{"DC1_C0_*"}}},
	}
	p := toolstest.Policy(t, "dc0-ops", custom, nil)
	e := newPolicyEnv(t, p, nil)

	var list vmts.VMList
	e.OK("vm_list", map[string]any{"limit": 1000}, &list)
	if list.Total == 0 {
		t.Fatal("scoped list is empty")
	}
	for _, it := range list.Items {
		if !strings.HasPrefix(it.Name, "DC0_") {
			t.Errorf("out-of-scope VM listed: %s", it.Name)
		}
	}
	var dc0 int
	for _, v := range e.AllVMs("name") {
		if strings.HasPrefix(v.Name, "DC0_") {
			dc0++
		}
	}
	if list.Total != dc0 {
		t.Errorf("scoped total %d, DC0 has %d VMs", list.Total, dc0)
	}
	var hosts struct {
		Items []struct{ Name string } `json:"items"`
	}
	e.OK("host_list", map[string]any{"limit": 1000}, &hosts)
	for _, h := range hosts.Items {
		if strings.HasPrefix(h.Name, "DC1_") {
			t.Errorf("out-of-scope host listed: %s", h.Name)
		}
	}

	// Gets and writes outside scope read as not found; nothing changes.
	toolstest.MustContain(t, e.Fails("vm_get", map[string]any{"vm": "DC1_H0_VM0"}), `no VM matches "DC1_H0_VM0" within this profile's scope`)
	toolstest.MustContain(t, e.Fails("vm_get", map[string]any{"vm": "no-such-vm"}), `no VM matches "no-such-vm" within this profile's scope`)
	toolstest.MustContain(t, e.Fails("vm_power_off", map[string]any{"vm": "/DC1/vm/DC1_H0_VM0"}), "within this profile's scope")
	if e.PowerState("/DC1/vm/DC1_H0_VM0") != types.VirtualMachinePowerStatePoweredOn {
		t.Error("out-of-scope VM was powered off")
	}
	// Protected objects refuse writes but may be read.
	e.OK("vm_get", map[string]any{"vm": "DC0_H0_VM3"}, nil)
	toolstest.MustContain(t, e.Fails("vm_power_off", map[string]any{"vm": "DC0_H0_VM3"}), "is protected by policy")
	if e.PowerState("/DC0/vm/DC0_H0_VM3") != types.VirtualMachinePowerStatePoweredOn {
		t.Error("protected VM was powered off")
	}
	if rec := toolstest.LastAudit(t, p); rec.Decision != audit.DecisionDenied {
		t.Errorf("protected write audited as %s", rec.Decision)
	}

	// A VM-name scope hides other VMs but not hosts.
	p2 := toolstest.Policy(t, "web-ops", custom, nil)
	e2 := newPolicyEnv(t, p2, nil)
	e2.OK("vm_list", map[string]any{"limit": 1000}, &list)
	for _, it := range list.Items {
		if !strings.HasPrefix(it.Name, "DC1_C0_") {
			t.Errorf("VM outside the name scope listed: %s", it.Name)
		}
	}
	e2.OK("host_list", map[string]any{"name": "DC0_*"}, &hosts)
	if len(hosts.Items) == 0 {
		t.Error("a VM-only scope hid hosts")
	}
}

func TestSystemPolicyCap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sysFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(sysFile, []byte("max_role: operator\ndeny: [vm_reset]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sys, err := policy.LoadSystemPolicy(sysFile)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := policy.Resolve(nil, "admin")
	if err != nil {
		t.Fatal(err)
	}
	capped, err := admin.Cap(sys, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := toolstest.Policy(t, "admin", nil, func(p *tools.Policy) { p.Role = capped })
	e := newEnvWith(t, context.Background(), nil, testConfigUnreachable(), envOptions{policy: p})
	got := e.ListedTools()
	for _, name := range []string{"vm_delete", "vm_reset"} {
		if slices.Contains(got, name) {
			t.Errorf("capped admin lists %s", name)
		}
	}
	if !slices.Contains(got, "vm_power_off") || !slices.Contains(got, "vm_list") {
		t.Errorf("capped admin lost operator tools: %v", got)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	custom := map[string]policy.RoleSpec{
		"slow": {Inherits: "operator", Limits: policy.Limits{CallsPerSecond: 1, Burst: 3, WritesPerHour: 3}},
	}
	p := toolstest.Policy(t, "slow", custom, func(p *tools.Policy) {
		p.Limiter = policy.NewLimiter(p.Role.Limits(), clock)
	})
	e := newPolicyEnv(t, p, nil)
	var res params.BulkResult
	// Two targets take two writes of the hourly three.
	e.OK("vm_power_off", map[string]any{"vms": []string{"DC0_H0_VM0", "DC0_H0_VM2"}}, &res)
	msg := e.Fails("vm_power_on", map[string]any{"vms": []string{"DC0_H0_VM0", "DC0_H0_VM2"}})
	toolstest.MustContain(t, msg, "rate limit", "writes per hour", "retry")
	if e.PowerState("/DC0/vm/DC0_H0_VM0") != types.VirtualMachinePowerStatePoweredOff {
		t.Error("a rate-limited bulk power on acted")
	}
	if rec := toolstest.LastAudit(t, p); rec.Decision != audit.DecisionRateLimited {
		t.Errorf("audited as %s", rec.Decision)
	}
	// The call bucket: burst 3 in the same instant, then refused.
	e.OK("vm_list", map[string]any{"limit": 1}, nil)
	msg = e.Fails("vm_list", map[string]any{"limit": 1})
	toolstest.MustContain(t, msg, "calls per second")
	now = now.Add(2 * time.Second)
	e.OK("vm_list", map[string]any{"limit": 1}, nil)
	now = now.Add(time.Hour)
	e.OK("vm_power_on", map[string]any{"vms": []string{"DC0_H0_VM0", "DC0_H0_VM2"}}, &res)
}

// TestAuditEveryDecision: one line per call for each decision kind, a
// valid chain, and no secrets.
func TestAuditEveryDecision(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "admin", nil, func(p *tools.Policy) { p.Fallback = policy.FallbackPreview })
	e := newPolicyEnv(t, p, &toolstest.Person{Action: mcp.ElicitationResponseActionDecline})
	before := len(toolstest.AuditLines(t, p))
	e.OK("vm_list", map[string]any{"limit": 2}, nil)                       // allowed
	e.Fails("vm_get", map[string]any{"vm": "nope"})                        // allowed, failed
	e.Call("vm_delete", map[string]any{"vm": "DC0_H0_VM0", "force": true}) // declined
	req := mcp.CallToolRequest{}
	req.Params.Name = "no_such_tool"
	req.Params.Arguments = map[string]any{"password": "hunter2", "token": "abc"}
	_, _ = e.Client.CallTool(e.Ctx, req) // denied (unknown)
	lines := toolstest.AuditLines(t, p)[before:]
	// The declined delete leaves two lines: the question and the answer.
	var decisions []string
	for _, l := range lines {
		decisions = append(decisions, string(l.Decision)+"/"+string(l.Outcome))
		if l.Session == "" || l.PID == 0 || l.Client.Name != "tools-test" || l.Profile != "test" {
			t.Errorf("line lacks who/where: %+v", l)
		}
	}
	want := []string{"allowed/ok", "allowed/error", "asked/", "declined/error", "denied/"}
	if !slices.Equal(decisions, want) {
		t.Errorf("decisions %v, want %v", decisions, want)
	}
	raw, _ := os.ReadFile(p.Audit.Path())
	for _, secret := range []string{"hunter2", `"abc"`} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("audit trail contains %s", secret)
		}
	}
}

// testConfigUnreachable points at a closed loopback port: for tests that
// never reach vCenter (tool lists).
func testConfigUnreachable() vcenter.Config {
	return vcenter.Config{URL: "https://127.0.0.1:1/sdk", Username: "u", Password: "p"}
}

func TestWritesAsVCenterEvents(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "operator", nil, func(p *tools.Policy) { p.VCenterEvents = true })
	e := newPolicyEnv(t, p, nil)
	var res params.BulkResult
	e.OK("vm_power_off", map[string]any{"vm": "/DC0/vm/DC0_H0_VM0"}, &res)
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, "/DC0/vm/DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	events, err := event.NewManager(e.Vim).QueryEvents(e.Ctx, types.EventFilterSpec{
		Entity:      &types.EventFilterSpecByEntity{Entity: vm.Reference(), Recursion: types.EventFilterSpecRecursionOptionSelf},
		EventTypeId: []string{vcenter.UserEventTypeID},
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, ev := range events {
		msgs = append(msgs, ev.GetEvent().FullFormattedMessage)
	}
	found := false
	for _, m := range msgs {
		if strings.Contains(m, "vsphere-mcp: vm_power_off by ") && strings.Contains(m, "via tools-test (profile test, role operator): ok [task-") {
			found = true
		}
	}
	if !found {
		t.Errorf("no user event for the power off; events: %q", msgs)
	}
}

// TestConfirmTokenDeclaredOnlyForPreview: write tools declare confirm_token
// only where a preview can hand one out.
func TestConfirmTokenDeclaredOnlyForPreview(t *testing.T) {
	t.Parallel()
	for _, fb := range []policy.Fallback{policy.FallbackDeny, policy.FallbackPreview} {
		p := toolstest.Policy(t, "admin", nil, func(p *tools.Policy) { p.Fallback = fb })
		e := newEnvWith(t, context.Background(), nil, testConfigUnreachable(), envOptions{policy: p})
		res, err := e.Client.ListTools(e.Ctx, mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tl := range res.Tools {
			b, _ := json.Marshal(tl.InputSchema)
			if len(tl.RawInputSchema) > 0 {
				b = tl.RawInputSchema
			}
			has := strings.Contains(string(b), `"confirm_token"`)
			write := tl.Annotations.ReadOnlyHint != nil && !*tl.Annotations.ReadOnlyHint
			if want := write && fb == policy.FallbackPreview; has != want {
				t.Errorf("fallback %s: %s declares confirm_token=%v, want %v", fb, tl.Name, has, want)
			}
		}
	}
}

// TestDeleteConfirmedByLegacyClient: a client on an older protocol (before
// multi-round-trip input requests) is asked through server-initiated
// elicitation/create, which mcp-go bridges to; the binding holds the same.
func TestDeleteConfirmedByLegacyClient(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"2025-06-18", "2025-11-25"} {
		t.Run(version, func(t *testing.T) {
			p := toolstest.Policy(t, "admin", nil, nil)
			h := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			t.Cleanup(cancel)
			sim, err := vcenter.StartSimulator(ctx, vcenter.DemoModel(vcenter.SimVCenter), true)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(sim.Close)
			e := newEnvWith(t, ctx, sim, sim.Config, envOptions{policy: p, elicit: h, protocol: version})
			const vm = "/DC0/vm/DC0_H0_VM0"
			toolstest.MustContain(t, e.OK("vm_delete", map[string]any{"vm": vm, "force": true}, nil), "Deleted: "+vm)
			if e.Exists(vm) || len(h.Asked()) != 1 {
				t.Fatalf("exists=%v asked=%q", e.Exists(vm), h.Asked())
			}
		})
	}
}
