package policy

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSystemPolicy(t *testing.T) {
	dir := t.TempDir()
	fixed := writeFile(t, dir, "policy.yaml", `
max_role: vm-admin
deny: [vm_destroy]
confirm: [vm_power_off]
protect: ["*-prod-*"]
limits: {writes_per_hour: 100}
audit: {file: /var/log/vsphere-mcp/audit.jsonl}
`)
	extra := writeFile(t, dir, "extra.yaml", `
max_role: operator
deny: ["toolset:guest"]
limits: {writes_per_hour: 500, calls_per_second: 5}
confirm_fallback: deny
audit: {file: /tmp/elsewhere.jsonl}
`)
	empty := writeFile(t, dir, "empty.yaml", "")
	sp, err := LoadSystemPolicy(fixed, filepath.Join(dir, "missing.yaml"), empty, extra)
	if err != nil {
		t.Fatal(err)
	}
	if sp.MaxRole != "vm-admin" || !slices.Equal(sp.MaxRoles, []string{"vm-admin", "operator"}) {
		t.Errorf("max roles = %q %v", sp.MaxRole, sp.MaxRoles)
	}
	if !slices.Equal(sp.Deny, []string{"vm_destroy", "toolset:guest"}) {
		t.Errorf("deny = %v", sp.Deny)
	}
	if want := (Limits{CallsPerSecond: 5, WritesPerHour: 100}); sp.Limits != want {
		t.Errorf("limits = %+v, want %+v", sp.Limits, want)
	}
	if sp.Audit.File != "/var/log/vsphere-mcp/audit.jsonl" {
		t.Errorf("audit file = %q: a later file must not redirect the trail", sp.Audit.File)
	}
	if sp.ConfirmFallback != FallbackDeny {
		t.Errorf("confirm_fallback = %q", sp.ConfirmFallback)
	}
	if !slices.Equal(sp.Sources, []string{fixed, empty, extra}) {
		t.Errorf("sources = %v", sp.Sources)
	}

	none, err := LoadSystemPolicy(filepath.Join(dir, "nope.yaml"))
	if err != nil || len(none.Sources) != 0 || none.MaxRole != "" {
		t.Errorf("missing file: %+v, %v", none, err)
	}
}

func TestLoadSystemPolicyFailsClosed(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body, want string
	}{
		{"malformed", "max_role: [unclosed", "yaml"},
		{"unknown key", "deny_tools: [vm_destroy]", "deny_tools"},
		{"bad glob", "deny: ['vm_[']", "bad pattern"},
		{"bad fallback", "confirm_fallback: maybe", "confirm_fallback"},
		{"relative audit file", "audit: {file: audit.jsonl}", "absolute"},
		{"negative limit", "limits: {burst: -1}", "burst"},
		{"not a map", "- a\n- b", "yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml", tc.body)
			_, err := LoadSystemPolicy(p)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q should name %s and mention %q", err, p, tc.want)
			}
		})
	}
	if runtime.GOOS != "windows" && os.Getuid() != 0 {
		p := writeFile(t, dir, "unreadable.yaml", "max_role: viewer")
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadSystemPolicy(p); err == nil || errors.Is(err, os.ErrNotExist) {
			t.Errorf("unreadable policy: err = %v, want a permission error", err)
		}
	}
}

func TestCap(t *testing.T) {
	custom := viperRoles(t, labYAML)
	sys := SystemPolicy{MaxRole: "operator", Deny: []string{"snapshot_revert"}, Confirm: []string{"vm_reset"},
		Protect: []string{"vcsa*"}, Limits: Limits{WritesPerHour: 10}}

	tests := []struct {
		role    string
		tool    string
		allowed bool
		confirm bool
	}{
		{"admin", "vm_list", true, false},
		{"admin", "vm_power_on", true, false},
		{"admin", "vm_destroy", false, true}, // above max_role
		{"admin", "host_maintenance_enter", false, true},
		{"admin", "snapshot_revert", false, true}, // system deny
		{"admin", "vm_reset", true, true},         // system confirm
		{"vm-admin", "device_disk_add", false, false},
		{"viewer", "vm_power_on", false, false}, // the cap never widens
		{"lab-operator", "snapshot_delete", false, true},
		{"lab-operator", "vm_power_off", false, true},
		{"readers", "tag_attach", false, false},
		{"readers", "vm_list", true, false},
	}
	for _, tc := range tests {
		r, err := Resolve(custom, tc.role)
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.Cap(sys, nil)
		if err != nil {
			t.Fatal(err)
		}
		ti := tool(t, tc.tool)
		if got := c.Allows(ti); got != tc.allowed {
			t.Errorf("%s capped allows %s = %v, want %v", tc.role, tc.tool, got, tc.allowed)
		}
		if got := c.NeedsConfirm(ti); got != tc.confirm {
			t.Errorf("%s capped confirms %s = %v, want %v", tc.role, tc.tool, got, tc.confirm)
		}
		if !c.Protected(Object{Name: "vcsa-01"}) {
			t.Errorf("%s capped: system protect not applied", tc.role)
		}
		if c.Limits().WritesPerHour != 10 {
			t.Errorf("%s capped: limits %+v", tc.role, c.Limits())
		}
		if d := c.Describe(); !slices.Equal(d.CappedBy, []string{"operator"}) || d.Name != r.Name() {
			t.Errorf("%s capped: describe %+v", tc.role, d)
		}
	}

	// Cap leaves the original role alone.
	admin, _ := Builtin("admin")
	if _, err := admin.Cap(sys, nil); err != nil {
		t.Fatal(err)
	}
	if !admin.Allows(tool(t, "vm_destroy")) {
		t.Error("Cap changed the role it was called on")
	}

	// Two max_roles (fixed file + extra file): both apply.
	two, err := admin.Cap(SystemPolicy{MaxRole: "vm-admin", MaxRoles: []string{"vm-admin", "operator"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if two.Allows(tool(t, "vm_create")) || !two.Allows(tool(t, "vm_power_on")) {
		t.Error("both max_roles should cap")
	}

	// max_role resolves against built-ins only by default: a user cannot
	// define what it means.
	if _, err := admin.Cap(SystemPolicy{MaxRole: "lab-operator"}, nil); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Errorf("unknown max_role: err = %v", err)
	}
	if _, err := admin.Cap(SystemPolicy{Deny: []string{"[bad"}}, nil); err == nil {
		t.Error("bad system deny accepted")
	}
	// No max_role: only the other restrictions apply.
	free, _ := admin.Cap(SystemPolicy{}, nil)
	if !free.Allows(tool(t, "host_maintenance_enter")) {
		t.Error("empty system policy restricted admin")
	}
}

func TestEffectiveFallback(t *testing.T) {
	tests := []struct {
		sys  Fallback
		user string
		want Fallback
		err  bool
	}{
		{"", "", FallbackDeny, false},
		{"", "preview", FallbackPreview, false},
		{"", "deny", FallbackDeny, false},
		{FallbackDeny, "preview", FallbackDeny, false},
		{FallbackPreview, "preview", FallbackPreview, false},
		{FallbackPreview, "", FallbackDeny, false}, // the user can narrow
		{"", "yes", "", true},
		{"bogus", "deny", "", true},
	}
	for _, tc := range tests {
		got, err := SystemPolicy{ConfirmFallback: tc.sys}.EffectiveFallback(tc.user)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("sys %q user %q: %q, %v; want %q", tc.sys, tc.user, got, err, tc.want)
		}
	}
}

func TestDefaultSystemPolicyPath(t *testing.T) {
	p := DefaultSystemPolicyPath()
	if runtime.GOOS == "windows" {
		if !strings.HasSuffix(p, `\vsphere-mcp\policy.yaml`) {
			t.Errorf("path %q", p)
		}
		return
	}
	if p != "/etc/vsphere-mcp/policy.yaml" {
		t.Errorf("path %q", p)
	}
}
