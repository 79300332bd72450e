package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TestToolsCallArguments: arguments inline, from @FILE and from - (stdin),
// and what is said when they are not one JSON object.
func TestToolsCallArguments(t *testing.T) {
	t.Parallel()
	sim, err := vcenter.StartSimulator(context.Background(), simulator.VPX(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	args := file("args.json", "{\n  \"vm\": \"DC0_H0_VM1\"\n}\n")
	two := file("two.json", `{"vm":"a"} {"vm":"b"}`)
	empty := file("empty.json", "\n")

	tests := []struct {
		name, tool, spec, stdin string
		want, wantErr           string
	}{
		{"inline", "vm_get", `{"vm":"DC0_H0_VM0"}`, "", "VM DC0_H0_VM0 (vm-", ""},
		{"@file", "vm_get", "@" + args, "", "VM DC0_H0_VM1 (vm-", ""},
		{"stdin", "vm_get", "-", `{"vm":"DC0_C0_RP0_VM0"}`, "VM DC0_C0_RP0_VM0 (vm-", ""},
		{"an empty file is no arguments", "vm_list", "@" + empty, "", "4 VMs", ""},
		{"empty stdin is no arguments", "vm_list", "-", "", "4 VMs", ""},
		{"no such file", "vm_get", "@" + filepath.Join(dir, "nope.json"), "", "", "read the tool arguments: open " + filepath.Join(dir, "nope.json")},
		{"two values", "vm_get", "@" + two, "", "", "tool arguments in " + two + ": more than one JSON value"},
		{"not an object on stdin", "vm_get", "-", `["vm"]`, "", "tool arguments on standard input must be a JSON object"},
		{"null", "vm_get", "null", "", "", "must be a JSON object, e.g. '{\"vm\":\"web-01\"}', not null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			out, stderr, err := run(t, simEnv(f, sim), strings.NewReader(tc.stdin), "tools", "call", tc.tool, tc.spec, "--log-level", "warn")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out, tc.want) {
				t.Errorf("%v\nstdout: %s\nstderr: %s", err, out, stderr)
			}
		})
	}
}

// TestToolsCallJSONErrors: with --json every failure — the tool's, the
// arguments', the set-up's, an unknown tool — is one JSON document on
// stdout, exit status 1, nothing on stderr.
func TestToolsCallJSONErrors(t *testing.T) {
	t.Parallel()
	sim, err := vcenter.StartSimulator(context.Background(), simulator.VPX(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"tool error", []string{"vm_get", `{"vm":"no-such-vm"}`}, `no VM matches "no-such-vm"`},
		{"bad arguments", []string{"vm_get", `{"vm":`}, "tool arguments must be a JSON object"},
		{"unknown tool", []string{"vm_lst"}, `unknown tool "vm_lst"; did you mean vm_list`},
		{"hidden by the role", []string{"vm_delete", `{"vm":"DC0_H0_VM0"}`}, "vm_delete is not available to role viewer"},
		{"set-up error", []string{"vm_list", "--toolsets", "nope"}, `unknown toolset "nope"`},
		{"schema error", []string{"vm_list", `{"limit":"ten"}`}, "limit"},
		{"no tool named", nil, "accepts between 1 and 2 arg(s), received 0: tools call NAME"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			out, stderr, err := run(t, simEnv(f, sim), nil, append(append([]string{"tools", "call"}, tc.args...), "--json", "--log-level", "error")...)
			if exitCode(err) != 1 {
				t.Errorf("exit status %d (%v), want 1", exitCode(err), err)
			}
			var doc struct {
				Error   string `json:"error"`
				IsError bool   `json:"isError"`
			}
			dec := json.NewDecoder(strings.NewReader(out))
			if err := dec.Decode(&doc); err != nil || dec.More() {
				t.Fatalf("stdout is not one JSON document (%v):\n%s", err, out)
			}
			if !doc.IsError || !strings.Contains(doc.Error, tc.want) {
				t.Errorf("JSON error %+v, want isError and %q", doc, tc.want)
			}
			if stderr != "" {
				t.Errorf("stderr with --json: %q", stderr)
			}
		})
	}

	// Success stays the structured result.
	f := newFixture(t)
	out, _, err := run(t, simEnv(f, sim), nil, "tools", "call", "vm_get", `{"vm":"DC0_H0_VM0"}`, "--json", "--log-level", "error")
	var vm map[string]any
	if err != nil || json.Unmarshal([]byte(out), &vm) != nil || vm["name"] != "DC0_H0_VM0" {
		t.Errorf("--json result: %v\n%s", err, out)
	}
}

// TestWhyNotServed: the CLI's explanations of a "not found", from the
// settings the way a run works them out.
func TestWhyNotServed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.writeConfig("roles:\n  powerful: {inherits: admin}\n")
	capped := f.write(filepath.Join(f.home, "policy.yaml"), "max_role: viewer\n", 0o644)
	tests := []struct {
		name     string
		o        globalOptions
		env      []string
		tool     string
		want     string
		wantNone bool
	}{
		{name: "served", tool: "vm_list", wantNone: true},
		{name: "typo", tool: "vm_lst", want: `unknown tool "vm_lst"; did you mean vm_list or vm_get?`},
		{name: "words swapped", tool: "power_off_vm", want: "did you mean vm_power_off?"},
		{name: "part of a name", tool: "power_on", want: "did you mean vm_power_on?"},
		{name: "nothing near", tool: "xyzzy", want: `unknown tool "xyzzy" (vsphere-mcp tools list --all lists every tool)`},
		{name: "role", tool: "vm_power_off", want: "vm_power_off is not available to role viewer (from default); roles that allow it here: operator, vm-admin, admin, powerful (choose one with --role or VSPHERE_MCP_ROLE)"},
		{name: "role from env", env: []string{"VSPHERE_MCP_ROLE", "operator"}, tool: "vm_delete", want: "vm_delete is not available to role operator (from env VSPHERE_MCP_ROLE); roles that allow it here: vm-admin, admin, powerful"},
		{name: "capped", o: globalOptions{role: "admin"}, env: []string{"VSPHERE_MCP_SYSTEM_POLICY", capped}, tool: "vm_power_off",
			want: "vm_power_off is not available to role admin (from flag --role, capped by system max_role viewer); no role allows it on this machine: the system policy forbids it"},
		{name: "read-only", o: globalOptions{role: "admin", readOnly: true}, tool: "vm_power_off", want: "vm_power_off changes vCenter, and read-only is on (from flag --read-only)"},
		{name: "toolset", o: globalOptions{toolsets: []string{"vm", "task"}}, tool: "host_list", want: "host_list is in toolset host, which is not served (toolsets from flag --toolsets: vm,task); add it with --toolsets vm,task,host or VSPHERE_MCP_TOOLSETS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := f.with(tc.env...)
			o := tc.o
			o.getenv = func(k string) string { return env[k] }
			s, err := o.loadSettings()
			if err != nil {
				t.Fatal(err)
			}
			got := whyNotServed(s, tc.tool)
			if tc.wantNone && got != "" || !tc.wantNone && !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNearest(t *testing.T) {
	t.Parallel()
	names := []string{"vm_list", "vm_get", "vm_power_on", "vm_power_off", "snapshot_delete", "snapshot_delete_all", "host_list"}
	tests := []struct {
		in   string
		want string
	}{
		{"vm_lsit", "vm_list"}, // a transposition is one edit
		{"VM_LIST", "vm_list"},
		{"vmlist", "vm_list"},
		{"snapshot_remove", "snapshot_delete"},
		{"host", "host_list"},
		{"snapshot", "snapshot_delete,snapshot_delete_all"},
		{"zzzzzz", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := strings.Join(nearest(tc.in, names, 3), ","); got != tc.want {
			t.Errorf("nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"vm_list", "vm_list", 0}} {
		if got := toolkit.EditDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

// TestCompletion: the hidden __complete command that shell completion
// scripts call completes tool names (the role's, else all), @files,
// profiles, roles and toolset lists.
func TestCompletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.writeConfig("profiles:\n  lab: {description: the lab, role: operator}\n  prod: {}\nroles:\n  lab-op: {inherits: operator}\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "args.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		want      []string // lines
		not       []string
		directive string
	}{
		{"tool names", []string{"tools", "call", "vm_power_o"}, []string{"vm_power_off\tPower off VMs", "vm_power_on\t"}, nil, ":4"},
		{"only the role's tools", []string{"tools", "call", "vm_"}, []string{"vm_list\t", "vm_get\t"}, []string{"vm_power_off\t", "vm_delete\t"}, ":4"},
		{"another role's", []string{"--role", "admin", "tools", "call", "vm_d"}, []string{"vm_delete\t"}, nil, ":4"},
		{"a hidden tool when nothing else fits", []string{"tools", "call", "vm_del"}, []string{"vm_delete\t"}, nil, ":4"},
		{"@file", []string{"tools", "call", "vm_get", "@" + dir + "/a"}, []string{"@" + dir + "/args.json"}, nil, ":6"},
		{"profiles", []string{"--profile", ""}, []string{"lab\tthe lab", "prod\trole -"}, nil, ":4"},
		{"roles", []string{"--role", ""}, []string{"viewer\tbuilt-in role", "admin\tbuilt-in role", "lab-op\tcustom role"}, nil, ":4"},
		{"roles command", []string{"roles", "v"}, []string{"viewer\tbuilt-in role", "vm-admin\t"}, []string{"admin\t"}, ":4"},
		{"toolsets", []string{"--toolsets", ""}, []string{"vm\t", "host\t", "all\tevery toolset", "default\t"}, nil, ":6"},
		{"toolset lists", []string{"--toolsets", "vm,sn"}, []string{"vm,snapshot\t"}, []string{"vm,vm\t"}, ":6"},
		{"simulator", []string{"--simulator="}, []string{"vcenter", "esx"}, nil, ":4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, stderr, err := f.run(nil, append([]string{"__complete"}, tc.args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			has := func(prefix string) bool {
				for _, l := range lines {
					if strings.HasPrefix(l, prefix) {
						return true
					}
				}
				return false
			}
			for _, w := range tc.want {
				if !has(w) {
					t.Errorf("no completion %q in:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if has(w) {
					t.Errorf("completion %q offered:\n%s", w, out)
				}
			}
			if last := lines[len(lines)-1]; last != tc.directive {
				t.Errorf("directive %q, want %q", last, tc.directive)
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	flag, _, err1 := run(t, nil, nil, "--version")
	cmd, _, err2 := run(t, nil, nil, "version")
	if err1 != nil || err2 != nil || flag != cmd || !strings.HasPrefix(flag, "vsphere-mcp ") {
		t.Errorf("--version %q (%v), version %q (%v)", flag, err1, cmd, err2)
	}
}

func TestPrintable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Delete VM: /DC0/vm/web-01 (vm-42)?", "Delete VM: /DC0/vm/web-01 (vm-42)?"},
		{"web\x1b[2J\x1b[Hyes", `web\u001b[2J\u001b[Hyes`},
		{"a\rb\nc", `a\u000db` + "\nc"},
		{"bidi \u202e", `bidi \u202e`},
		{"bad \xff", `bad \xff`},
		{"ünïcode", "ünïcode"},
	} {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestToolsCallSaysAFailureOnce: the call's error is the message; the
// log's record of the same failure is not printed beside it (unless
// --log-level asks for the log).
func TestToolsCallSaysAFailureOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := f.with("VSPHERE_URL", "https://127.0.0.1:1/sdk", "VSPHERE_USERNAME", "u", "VSPHERE_PASSWORD", "Once-Secret-Pw-1")
	_, stderr, err := f.run(env, "tools", "call", "vm_list")
	if exitCode(err) != 1 || strings.Count(stderr, "cannot reach vCenter at 127.0.0.1:1") != 1 || strings.Contains(stderr, "level=INFO") {
		t.Errorf("exit %d; stderr:\n%s", exitCode(err), stderr)
	}
	_, stderr, _ = f.run(env, "tools", "call", "vm_list", "--log-level", "info")
	if !strings.Contains(stderr, `msg="vCenter connection failed"`) || !strings.Contains(stderr, "level=INFO") {
		t.Errorf("--log-level info: the log is not there:\n%s", stderr)
	}
	assertNoSecret(t, "Once-Secret-Pw-1", stderr)
}
