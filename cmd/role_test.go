package cmd

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TestRolePrecedence: --role over VSPHERE_MCP_ROLE over the profile's
// role, for built-in and custom roles, as config show, doctor's source and
// roles' mark say.
func TestRolePrecedence(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
profiles:
  lab: {role: viewer}
  bare: {}
roles:
  lab-op: {inherits: operator, deny: [vm_reset]}
`)
	tests := []struct {
		name        string
		env, flags  []string
		role, src   string
		rolesMarkOf string
	}{
		{"profile", nil, nil, "viewer", "profile lab", "role of profile lab"},
		{"profile without a role", nil, []string{"--profile", "bare"}, "viewer", "default", "role of profile bare"},
		{"env over profile", []string{"VSPHERE_MCP_ROLE", "operator"}, nil, "operator", "env VSPHERE_MCP_ROLE", "role chosen by env VSPHERE_MCP_ROLE"},
		{"flag over env", []string{"VSPHERE_MCP_ROLE", "operator"}, []string{"--role", "admin"}, "admin", "flag --role", "role chosen by flag --role"},
		{"a custom role by flag", nil, []string{"--role", "lab-op"}, "lab-op", "flag --role", "role chosen by flag --role"},
		{"names are case-insensitive", []string{"VSPHERE_MCP_ROLE", " VM-Admin "}, nil, "vm-admin", "env VSPHERE_MCP_ROLE", "role chosen by env VSPHERE_MCP_ROLE"},
		{"empty flag falls through", []string{"VSPHERE_MCP_ROLE", "operator"}, []string{"--role="}, "operator", "env VSPHERE_MCP_ROLE", "role chosen by env VSPHERE_MCP_ROLE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := f.with(tc.env...)
			out, stderr, err := f.run(env, append([]string{"config", "show"}, tc.flags...)...)
			if err != nil {
				t.Fatalf("config show: %v\n%s", err, stderr)
			}
			if l := line(out, "role "); !strings.Contains(l, " "+tc.role+" ") || !strings.Contains(l, " "+tc.src+"; ") {
				t.Errorf("role line %q, want %s from %s", l, tc.role, tc.src)
			}
			out, _, err = f.run(env, append([]string{"roles", tc.role}, tc.flags...)...)
			if err != nil || !strings.Contains(out, "  * "+tc.rolesMarkOf) {
				t.Errorf("roles %s: %v, want mark %q:\n%s", tc.role, err, tc.rolesMarkOf, out)
			}
		})
	}

	// An unknown role names where it came from and the roles there are.
	for _, tc := range []struct {
		env, flags []string
		want       string
	}{
		{nil, []string{"--role", "nope"}, `flag --role: unknown role "nope"`},
		{[]string{"VSPHERE_MCP_ROLE", "nope"}, nil, `env VSPHERE_MCP_ROLE: unknown role "nope"`},
	} {
		_, _, err := f.run(f.with(tc.env...), append([]string{"config", "show"}, tc.flags...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "lab-op") {
			t.Errorf("%v %v: %v, want %q and the custom role listed", tc.env, tc.flags, err, tc.want)
		}
	}
}

// TestRoleCappedBySystemPolicy: --role and VSPHERE_MCP_ROLE choose only
// within the system policy's max_role, exactly as a profile's role does:
// over stdio the capped tools do not exist.
func TestRoleCappedBySystemPolicy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sys := f.write(filepath.Join(f.home, "policy.yaml"), "max_role: operator\ndeny: [vm_reset]\n", 0o644)
	for _, args := range [][]string{{"--role", "admin"}, nil} {
		env := f.with("VSPHERE_MCP_SYSTEM_POLICY", sys, "VSPHERE_MCP_TOOLSETS", "all")
		if args == nil {
			env["VSPHERE_MCP_ROLE"] = "admin"
		}
		out, _, err := f.run(env, append([]string{"config", "show"}, args...)...)
		if err != nil || !strings.Contains(line(out, "role "), "capped by system max_role operator") {
			t.Errorf("%v: config show: %v\n%s", args, err, out)
		}
		s := startStdio(t, env, append([]string{"--simulator"}, args...)...)
		names := listToolNames(t, s)
		s.stop(t)
		src := `role_source="flag --role"`
		if args == nil {
			src = `role_source="env VSPHERE_MCP_ROLE"`
		}
		if log := s.stderr.String(); !strings.Contains(log, "msg=policy profile=\"\" role=admin "+src+" capped_by=operator ") {
			t.Errorf("%v: the startup log does not say the role and its cap:\n%s", args, log)
		}
		for _, want := range []string{"vm_list", "vm_power_off"} {
			if !slices.Contains(names, want) {
				t.Errorf("%v: capped admin lacks %s", args, want)
			}
		}
		for _, hidden := range []string{"vm_delete", "vm_reset", "snapshot_delete", "vm_create"} {
			if slices.Contains(names, hidden) {
				t.Errorf("%v: capped admin is served %s", args, hidden)
			}
		}
	}
}

// TestRoleByFlagPowersOffWithoutConfig is the set-up of the README's
// env-only examples: no config file, --role operator, a vCenter from
// VSPHERE_* variables. The VM is powered off in vCenter and the audit line
// carries the role chosen by the flag, not the default.
func TestRoleByFlagPowersOffWithoutConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, err := vcenter.StartSimulator(ctx, simulator.VPX(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	f := newFixture(t)
	env := simEnv(f, sim)
	const vm = "/DC0/vm/DC0_H0_VM0"

	// Without a role: viewer, and the CLI says why the tool is missing.
	_, _, err = f.run(env, "tools", "call", "vm_power_off", `{"vm":"`+vm+`"}`, "--log-level", "warn")
	if err == nil || !strings.Contains(err.Error(), "vm_power_off is not available to role viewer (from default); roles that allow it here: operator, vm-admin, admin") {
		t.Errorf("viewer: %v", err)
	}
	out, stderr, err := f.run(env, "tools", "call", "vm_power_off", `{"vm":"`+vm+`"}`, "--role", "operator", "--log-level", "warn")
	if err != nil || !strings.Contains(out, "1 done") {
		t.Fatalf("--role operator: %v\n%s%s", err, out, stderr)
	}
	if got := powerState(t, sim, vm); got != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("power state %s after vm_power_off", got)
	}
	lines := readAuditLines(t, f.auditPath())
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2", len(lines))
	}
	for i, want := range []struct{ role, decision string }{{"viewer", "denied"}, {"operator", "allowed"}} {
		if lines[i]["role"] != want.role || lines[i]["decision"] != want.decision || lines[i]["tool"] != "vm_power_off" {
			t.Errorf("audit line %d: role %v decision %v, want %s %s", i+1, lines[i]["role"], lines[i]["decision"], want.role, want.decision)
		}
	}

	// The same on the embedded simulator, which needs no vCenter at all.
	g := newFixture(t)
	out, stderr, err = g.run(nil, "tools", "call", "vm_power_off", `{"vm":"`+vm+`"}`, "--simulator", "--role", "operator", "--log-level", "warn")
	if err != nil || !strings.Contains(out, "1 done") || !strings.Contains(out, "poweredOff") {
		t.Errorf("--simulator --role operator: %v\n%s%s", err, out, stderr)
	}
	if l := readAuditLines(t, g.auditPath()); len(l) != 1 || l[0]["role"] != "operator" || l[0]["outcome"] != "ok" {
		t.Errorf("audit of the --simulator call: %v", l)
	}
}

// simEnv is an environment that points at sim with VSPHERE_* variables
// only: no config file.
func simEnv(f *fixture, sim *vcenter.Simulator) map[string]string {
	return f.with("VSPHERE_URL", sim.Config.URL, "VSPHERE_USERNAME", sim.Config.Username,
		"VSPHERE_PASSWORD", sim.Config.Password, "VSPHERE_THUMBPRINT", sim.Config.Thumbprint)
}

// powerState reads a VM's power state from the simulator through govmomi,
// not through our code.
func powerState(t *testing.T, sim *vcenter.Simulator, path string) types.VirtualMachinePowerState {
	t.Helper()
	ctx := context.Background()
	vm, err := find.NewFinder(login(t, sim)).VirtualMachine(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := vm.PowerState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
