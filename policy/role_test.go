package policy

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// catalog is a stand-in for tools.All(): enough tools of every toolset and
// risk to pin down what each role means.
var catalog = []ToolInfo{
	{"vm_list", "vm", RiskRead},
	{"vm_get", "vm", RiskRead},
	{"host_list", "host", RiskRead},
	{"snapshot_list", "snapshot", RiskRead},
	{"vm_power_on", "vm", RiskWrite},
	{"vm_power_off", "vm", RiskDestructive},
	{"vm_reset", "vm", RiskDestructive},
	{"vm_suspend", "vm", RiskDestructive},
	{"vm_shutdown_guest", "vm", RiskWrite},
	{"vm_reboot_guest", "vm", RiskWrite},
	{"snapshot_create", "snapshot", RiskWrite},
	{"snapshot_revert", "snapshot", RiskIrreversible},
	{"snapshot_delete", "snapshot", RiskIrreversible},
	{"task_cancel", "task", RiskWrite},
	{"vm_create", "vm", RiskWrite},
	{"vm_destroy", "vm", RiskIrreversible},
	{"device_disk_add", "device", RiskWrite},
	{"guest_run", "guest", RiskWrite},
	{"guest_file_read", "guest", RiskRead},
	{"tag_attach", "tag", RiskWrite},
	{"ovf_deploy", "ovf", RiskWrite},
	{"console_ticket", "console", RiskWrite},
	{"host_maintenance_enter", "host", RiskIrreversible},
	{"datastore_file_delete", "datastore", RiskIrreversible},
	{"cluster_drs_set", "cluster", RiskWrite},
}

func tool(t testing.TB, name string) ToolInfo {
	t.Helper()
	for _, ti := range catalog {
		if ti.Name == name {
			return ti
		}
	}
	t.Fatalf("no tool %q in catalog", name)
	return ToolInfo{}
}

const labYAML = `
roles:
  lab-operator:
    inherits: operator
    allow: ["snapshot_*"]
    deny: ["vm_power_off"]
    scope: {datacenters: [DC1], clusters: [], folders: ["/DC1/vm/lab"], vms: ["lab-*"]}
    protect: ["*-prod-*"]
    confirm: ["vm_power_off"]
    limits: {calls_per_second: 10, burst: 20, writes_per_hour: 30}
  lab-junior:
    inherits: Lab-Operator
    deny: ["snapshot_delete", "risk:irreversible"]
    scope: {vms: ["lab-web-*"]}
    limits: {writes_per_hour: 50, burst: 5}
  no-host-admin:
    inherits: admin
    deny: ["toolset:host", "toolset:datastore"]
  readers:
    allow: ["risk:read", "tag_attach"]
`

// viperRoles decodes roles the way cmd/ does: viper + mapstructure.
func viperRoles(t testing.TB, src string) map[string]RoleSpec {
	t.Helper()
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewBufferString(src)); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Roles map[string]RoleSpec `mapstructure:"roles"`
	}
	if err := v.Unmarshal(&cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Roles
}

func TestViperDecodesRoleSpec(t *testing.T) {
	var direct struct {
		Roles map[string]RoleSpec `yaml:"roles"`
	}
	if err := yaml.Unmarshal([]byte(labYAML), &direct); err != nil {
		t.Fatal(err)
	}
	for _, got := range []RoleSpec{viperRoles(t, labYAML)["lab-operator"], direct.Roles["lab-operator"]} {
		checkLabOperator(t, got)
	}
}

func checkLabOperator(t *testing.T, got RoleSpec) {
	t.Helper()
	want := RoleSpec{
		Inherits: "operator",
		Allow:    []string{"snapshot_*"},
		Deny:     []string{"vm_power_off"},
		Scope:    Scope{Datacenters: []string{"DC1"}, Clusters: []string{}, Folders: []string{"/DC1/vm/lab"}, VMs: []string{"lab-*"}},
		Protect:  []string{"*-prod-*"},
		Confirm:  []string{"vm_power_off"},
		Limits:   Limits{CallsPerSecond: 10, Burst: 20, WritesPerHour: 30},
	}
	if got.Inherits != want.Inherits || !slices.Equal(got.Allow, want.Allow) || !slices.Equal(got.Deny, want.Deny) ||
		!slices.Equal(got.Scope.Datacenters, want.Scope.Datacenters) || !slices.Equal(got.Scope.Folders, want.Scope.Folders) ||
		!slices.Equal(got.Scope.VMs, want.Scope.VMs) || len(got.Scope.Clusters) != 0 ||
		!slices.Equal(got.Protect, want.Protect) || !slices.Equal(got.Confirm, want.Confirm) || got.Limits != want.Limits {
		t.Fatalf("decoded %+v\nwant     %+v", got, want)
	}
}

// TestRoleToolTable is the role × tool table: which role lists and may call
// which tool, and which calls need a person's confirmation.
func TestRoleToolTable(t *testing.T) {
	custom := viperRoles(t, labYAML)
	roles := []string{"viewer", "operator", "vm-admin", "admin", "lab-operator", "lab-junior", "no-host-admin", "readers"}
	// Per tool: the roles that allow it, and the roles for which it needs confirmation.
	type row struct {
		tool    string
		allowed []string
		confirm []string
	}
	ops := []string{"operator", "vm-admin", "admin", "lab-operator", "lab-junior", "no-host-admin"}
	table := []row{
		{"vm_list", roles, nil},
		{"vm_get", roles, nil},
		{"snapshot_list", roles, nil},
		{"vm_suspend", ops, nil},
		{"vm_shutdown_guest", ops, nil},
		{"vm_reboot_guest", ops, nil},
		{"host_list", []string{"viewer", "operator", "vm-admin", "admin", "lab-operator", "lab-junior", "readers"}, nil},
		{"vm_power_on", []string{"operator", "vm-admin", "admin", "lab-operator", "lab-junior", "no-host-admin"}, nil},
		// Power off is destructive but not confirmed unless a role says so;
		// lab-operator both denies and confirms it: deny wins.
		{"vm_power_off", []string{"operator", "vm-admin", "admin", "no-host-admin"}, []string{"lab-operator", "lab-junior"}},
		{"vm_reset", []string{"operator", "vm-admin", "admin", "lab-operator", "lab-junior", "no-host-admin"}, nil},
		{"snapshot_create", []string{"operator", "vm-admin", "admin", "lab-operator", "lab-junior", "no-host-admin"}, nil},
		{"snapshot_revert", []string{"operator", "vm-admin", "admin", "lab-operator", "no-host-admin"}, roles},
		{"snapshot_delete", []string{"vm-admin", "admin", "lab-operator", "no-host-admin"}, roles},
		{"task_cancel", []string{"operator", "vm-admin", "admin", "lab-operator", "lab-junior", "no-host-admin"}, nil},
		{"vm_create", []string{"vm-admin", "admin", "no-host-admin"}, nil},
		{"vm_destroy", []string{"vm-admin", "admin", "no-host-admin"}, roles},
		{"device_disk_add", []string{"vm-admin", "admin", "no-host-admin"}, nil},
		{"guest_run", []string{"vm-admin", "admin", "no-host-admin"}, nil},
		// Reading inside a guest starts at operator: viewer denies it.
		{"guest_file_read", []string{"operator", "vm-admin", "admin", "lab-operator", "lab-junior", "no-host-admin", "readers"}, nil},
		{"tag_attach", []string{"vm-admin", "admin", "no-host-admin", "readers"}, nil},
		{"ovf_deploy", []string{"vm-admin", "admin", "no-host-admin"}, nil},
		{"console_ticket", []string{"vm-admin", "admin", "no-host-admin"}, nil},
		{"host_maintenance_enter", []string{"admin"}, roles},
		{"datastore_file_delete", []string{"vm-admin", "admin"}, roles},
		{"cluster_drs_set", []string{"admin", "no-host-admin"}, nil},
		// A future tool falls into roles by its risk and toolset alone.
		{"vm_future_read", roles, nil},
	}
	resolved := map[string]*Role{}
	for _, n := range roles {
		r, err := Resolve(custom, n)
		if err != nil {
			t.Fatalf("Resolve(%s): %v", n, err)
		}
		resolved[n] = r
	}
	for _, row := range table {
		ti := ToolInfo{Name: row.tool, Toolset: "vm", Risk: RiskRead}
		if row.tool != "vm_future_read" {
			ti = tool(t, row.tool)
		}
		for _, n := range roles {
			if got, want := resolved[n].Allows(ti), slices.Contains(row.allowed, n); got != want {
				t.Errorf("%s allows %s = %v, want %v", n, row.tool, got, want)
			}
			if got, want := resolved[n].NeedsConfirm(ti), slices.Contains(row.confirm, n); got != want {
				t.Errorf("%s confirms %s = %v, want %v", n, row.tool, got, want)
			}
		}
	}
	// Every tool is covered by the table, so a catalog change forces a look.
	for _, ti := range catalog {
		if !slices.ContainsFunc(table, func(r row) bool { return r.tool == ti.Name }) {
			t.Errorf("tool %s missing from the table", ti.Name)
		}
	}
}

func TestBuiltinMembership(t *testing.T) {
	// Built-ins nest: each allows everything the one before it allows.
	var prev []ToolInfo
	for _, n := range BuiltinRoles() {
		r, err := Builtin(n)
		if err != nil {
			t.Fatal(err)
		}
		got := r.AllowedTools(catalog)
		for _, p := range prev {
			if !slices.Contains(got, p) {
				t.Errorf("%s does not allow %s, which a lesser role does", n, p.Name)
			}
		}
		prev = got
	}
	if len(prev) != len(catalog) {
		t.Errorf("admin allows %d of %d tools", len(prev), len(catalog))
	}
	viewer, _ := Builtin("")
	if viewer.Name() != "viewer" {
		t.Errorf("empty role resolves to %q, want viewer", viewer.Name())
	}
	for _, ti := range viewer.AllowedTools(catalog) {
		if ti.Risk != RiskRead {
			t.Errorf("viewer allows %s (%s)", ti.Name, ti.Risk)
		}
	}
	// An unknown risk is a write: it cannot slip into viewer.
	odd := ToolInfo{Name: "x_get", Toolset: "vm", Risk: "reed"}
	if viewer.Allows(odd) {
		t.Error("viewer allows a tool with an unknown risk")
	}
	if admin, _ := Builtin("admin"); !admin.NeedsConfirm(odd) {
		t.Error("a tool with an unknown risk runs without confirmation")
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name   string
		custom map[string]RoleSpec
		role   string
		want   []string // substrings of the error
	}{
		{"unknown", nil, "superuser", []string{`unknown role "superuser"`, "(known roles: viewer, operator, vm-admin, admin)"}},
		{"unknown lists custom", map[string]RoleSpec{"zeta": {}, "alpha": {}}, "nope", []string{"viewer, operator, vm-admin, admin, alpha, zeta"}},
		{"unknown parent", map[string]RoleSpec{"a": {Inherits: "ghost"}}, "a", []string{`role "a" inherits unknown role "ghost"`}},
		{"cycle", map[string]RoleSpec{"a": {Inherits: "b"}, "b": {Inherits: "c"}, "c": {Inherits: "a"}}, "a", []string{"cycle a → b → c → a"}},
		{"self cycle", map[string]RoleSpec{"a": {Inherits: "a"}}, "a", []string{"cycle a → a"}},
		{"shadow builtin", map[string]RoleSpec{"Viewer": {Allow: []string{"*"}}}, "viewer", []string{"is a built-in role"}},
		{"duplicate by case", map[string]RoleSpec{"Ops": {}, "ops": {}}, "ops", []string{"defined twice"}},
		{"bad allow glob", map[string]RoleSpec{"a": {Allow: []string{"vm_["}}}, "a", []string{`role "a" allow`, "bad pattern"}},
		{"bad deny glob", map[string]RoleSpec{"a": {Inherits: "admin", Deny: []string{"[x"}}}, "a", []string{"deny", "bad pattern"}},
		{"bad selector", map[string]RoleSpec{"a": {Allow: []string{"kind:vm"}}}, "a", []string{"unknown selector"}},
		{"bad risk", map[string]RoleSpec{"a": {Allow: []string{"risk:harmless"}}}, "a", []string{"unknown risk"}},
		{"empty pattern", map[string]RoleSpec{"a": {Deny: []string{""}}}, "a", []string{"empty pattern"}},
		{"relative folder", map[string]RoleSpec{"a": {Scope: Scope{Folders: []string{"DC1/vm"}}}}, "a", []string{"not an absolute inventory path"}},
		{"protect with slash", map[string]RoleSpec{"a": {Protect: []string{"vm/prod"}}}, "a", []string{"neither a name glob"}},
		{"negative limit", map[string]RoleSpec{"a": {Limits: Limits{WritesPerHour: -1}}}, "a", []string{"writes_per_hour"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.custom, tc.role)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestInheritanceMerges(t *testing.T) {
	r, err := Resolve(viperRoles(t, labYAML), "LAB-JUNIOR")
	if err != nil {
		t.Fatal(err)
	}
	d := r.Describe()
	if d.Name != "lab-junior" || !slices.Equal(d.Inherits, []string{"lab-operator", "operator"}) {
		t.Errorf("name/chain = %s %v", d.Name, d.Inherits)
	}
	if len(d.Scopes) != 2 {
		t.Errorf("scopes = %v, want parent's and child's", d.Scopes)
	}
	// Stricter of each limit: parent 10/s burst 20 30/h, child burst 5 50/h.
	if want := (Limits{CallsPerSecond: 10, Burst: 5, WritesPerHour: 30}); r.Limits() != want {
		t.Errorf("limits = %+v, want %+v", r.Limits(), want)
	}
	// Child narrows the VM scope; the parent's still applies.
	for _, tc := range []struct {
		name string
		want bool
	}{{"lab-web-01", true}, {"lab-db-01", false}, {"web-01", false}} {
		o := Object{Type: "VirtualMachine", Name: tc.name, Path: "/DC1/vm/lab/" + tc.name, Datacenter: "DC1"}
		if got := r.InScope(o); got != tc.want {
			t.Errorf("InScope(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Describe returns copies.
	d.Allow[0] = "mutated"
	if r.Describe().Allow[0] == "mutated" {
		t.Error("Describe exposes internal state")
	}
}

func TestAuthorize(t *testing.T) {
	lab, err := Resolve(viperRoles(t, labYAML), "lab-operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := Builtin("admin")
	labVM := Object{Type: "VirtualMachine", Name: "lab-web-01", Path: "/DC1/vm/lab/lab-web-01", Datacenter: "DC1", Cluster: "C1"}
	prodVM := Object{Type: "VirtualMachine", Name: "lab-prod-01", Path: "/DC1/vm/lab/lab-prod-01", Datacenter: "DC1"}
	otherDC := Object{Type: "VirtualMachine", Name: "lab-web-01", Path: "/DC2/vm/lab/lab-web-01", Datacenter: "DC2"}
	outFolder := Object{Type: "VirtualMachine", Name: "lab-x", Path: "/DC1/vm/other/lab-x", Datacenter: "DC1"}
	host := Object{Type: "HostSystem", Name: "esx1", Path: "/DC1/host/C1/esx1", Datacenter: "DC1", Cluster: "C1"}

	tests := []struct {
		role    *Role
		tool    string
		targets []Object
		want    error
	}{
		{lab, "vm_get", []Object{labVM}, nil},
		{lab, "vm_get", []Object{prodVM}, nil}, // protect blocks writes only
		{lab, "vm_power_on", []Object{labVM}, nil},
		{lab, "vm_power_on", []Object{prodVM}, ErrProtected},
		{lab, "vm_power_on", []Object{labVM, prodVM}, ErrProtected}, // bulk: one bad target refuses all
		{lab, "vm_power_on", []Object{otherDC}, ErrOutOfScope},
		{lab, "vm_get", []Object{outFolder}, ErrOutOfScope},
		{lab, "host_list", []Object{host}, nil}, // VM folder scope does not hide hosts
		{lab, "vm_power_off", []Object{labVM}, ErrToolDenied},
		{lab, "vm_destroy", []Object{labVM}, ErrToolDenied},
		{admin, "vm_destroy", []Object{otherDC}, nil},
		{admin, "vm_destroy", []Object{prodVM}, nil}, // admin has no protect of its own
	}
	for _, tc := range tests {
		err := tc.role.Authorize(tool(t, tc.tool), tc.targets...)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s %s %v: err = %v, want %v", tc.role.Name(), tc.tool, tc.targets[0].Name, err, tc.want)
		}
	}
	// The out-of-scope error reads like "not found" and names only the path asked for.
	err = lab.Authorize(tool(t, "vm_get"), otherDC)
	if want := "/DC2/vm/lab/lab-web-01: not found or outside this role's scope"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestProtected(t *testing.T) {
	r, err := Resolve(map[string]RoleSpec{"p": {Inherits: "admin", Protect: []string{"*-prod-*", "/DC1/vm/Finance", "/DC1/vm/*/db-*", "vcenter"}}}, "p")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		o    Object
		want bool
	}{
		{Object{Name: "web-prod-01", Path: "/DC1/vm/web/web-prod-01"}, true},
		{Object{Name: "WEB-PROD-01"}, true}, // case-insensitive
		{Object{Name: "web-dev-01", Path: "/DC1/vm/web/web-dev-01"}, false},
		{Object{Name: "finance", Path: "/DC1/vm/finance"}, true},           // the folder itself
		{Object{Name: "ledger", Path: "/DC1/vm/Finance/sub/ledger"}, true}, // below it
		{Object{Name: "x", Path: "/DC1/vm/Finance2/x"}, false},             // "/" boundary
		{Object{Name: "db-1", Path: "/DC1/vm/apps/db-1"}, true},
		{Object{Name: "disk", Path: "/DC1/vm/apps/db-1/disk"}, true}, // below a glob match
		{Object{Name: "db-1", Path: "/DC1/vm/db-1"}, false},
		{Object{Name: "vcenter"}, true},
		{Object{Name: "vcenter-2"}, false},
		{Object{}, false},
	}
	for _, tc := range tests {
		if got := r.Protected(tc.o); got != tc.want {
			t.Errorf("Protected(%+v) = %v, want %v", tc.o, got, tc.want)
		}
	}
}

func TestRiskHelpers(t *testing.T) {
	for _, r := range Risks() {
		got, err := ParseRisk(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRisk(%s) = %v, %v", r, got, err)
		}
		if r.IsWrite() != (r != RiskRead) {
			t.Errorf("%s.IsWrite() = %v", r, r.IsWrite())
		}
	}
	if _, err := ParseRisk("dangerous"); err == nil {
		t.Error("ParseRisk accepted an unknown risk")
	}
}
