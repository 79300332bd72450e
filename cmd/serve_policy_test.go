package cmd

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
)

func listToolNames(t *testing.T, s *stdioServer) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.client.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	return names
}

func readAuditLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestSystemPolicyCapsAdminProfile: a user's admin profile, capped by a
// system policy file added through VSPHERE_MCP_SYSTEM_POLICY, lists only
// the capped tools to a real MCP client over stdio; a second file cannot
// lift the cap; the system policy's audit file wins over the user's.
func TestSystemPolicyCapsAdminProfile(t *testing.T) {
	const secret = "Admin-Secret-Pw-3141"
	f := newFixture(t)
	userAudit := filepath.Join(f.home, "user-audit.jsonl")
	sysAudit := filepath.Join(f.home, "system-audit", "audit.jsonl")
	f.writeConfig(`
default_profile: adm
audit: {file: ` + userAudit + `}
profiles:
  adm:
    url: https://127.0.0.1:1/sdk
    username: admin
    password_env: ADM_PW
    role: admin
`)
	sys1 := f.write(filepath.Join(f.home, "policy.yaml"), "max_role: operator\ndeny: [\"host_*\"]\naudit: {file: "+sysAudit+"}\n", 0o644)
	sys2 := f.write(filepath.Join(f.home, "widen.yaml"), "max_role: admin\naudit: {file: "+userAudit+"}\n", 0o644)

	// Uncapped first, to show what the cap takes away.
	s := startStdio(t, f.with("ADM_PW", secret, "VSPHERE_MCP_TOOLSETS", "all"))
	uncapped := listToolNames(t, s)
	s.stop(t)
	if err := os.Remove(userAudit); err != nil { // opened (and so created) by that run
		t.Fatal(err)
	}
	for _, want := range []string{"vm_delete", "host_list", "vm_power_off", "vm_list"} {
		if !slices.Contains(uncapped, want) {
			t.Fatalf("admin without a system policy lacks %s: %v", want, uncapped)
		}
	}

	env := f.with("ADM_PW", secret, "VSPHERE_MCP_TOOLSETS", "all", "VSPHERE_MCP_SYSTEM_POLICY", sys1+string(os.PathListSeparator)+sys2)
	s = startStdio(t, env)
	capped := listToolNames(t, s)
	for _, want := range []string{"vm_list", "vm_get", "cluster_list", "vm_power_on", "vm_power_off"} {
		if !slices.Contains(capped, want) {
			t.Errorf("capped list lacks %s: %v", want, capped)
		}
	}
	for _, hidden := range []string{"vm_delete", "host_list", "host_get"} {
		if slices.Contains(capped, hidden) {
			t.Errorf("capped list shows %s: %v", hidden, capped)
		}
	}
	// A hidden tool is answered like an unknown one, and audited.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "vm_delete"
	req.Params.Arguments = map[string]any{"vm": "web-01"}
	if res, err := s.client.CallTool(ctx, req); err == nil && !res.IsError {
		t.Errorf("vm_delete ran under a capped role: %+v", res)
	}
	res := s.call(t, "vm_list", nil) // allowed; fails on the unreachable vCenter
	if !res.IsError {
		t.Errorf("vm_list against 127.0.0.1:1 succeeded?")
	}
	s.stop(t)

	if _, err := os.Stat(userAudit); err == nil {
		t.Errorf("the user's audit file %s was written although the system policy forces %s", userAudit, sysAudit)
	}
	lines := readAuditLines(t, sysAudit)
	if len(lines) != 2 {
		t.Fatalf("system audit file has %d lines, want 2", len(lines))
	}
	if lines[0]["tool"] != "vm_delete" || lines[0]["decision"] != "denied" || lines[0]["profile"] != "adm" {
		t.Errorf("first audit line: %v", lines[0])
	}
	if vc, _ := lines[1]["vcenter"].(map[string]any); vc["host"] != "127.0.0.1:1" || vc["user"] != "admin" {
		t.Errorf("vcenter in the audit line: %v", lines[1]["vcenter"])
	}
	b, _ := os.ReadFile(sysAudit)
	assertNoSecret(t, secret, string(b), s.stderr.String())

	// The CLI agrees with what the server listed.
	out, _, err := f.run(env, "tools", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range capped {
		if line(out, name+" ") == "" {
			t.Errorf("tools list lacks %s", name)
		}
	}
	if line(out, "vm_delete ") != "" || line(out, "host_list ") != "" {
		t.Errorf("tools list shows capped tools:\n%s", out)
	}
	out, _, err = f.run(env, "roles", "admin")
	if err != nil || !strings.Contains(out, "capped by system max_role operator, admin") {
		t.Errorf("roles admin: %v\n%s", err, out)
	}
}

// TestAuditTrailOverStdio: every call through the stdio server leaves one
// line; audit verify passes, then catches an edited, a removed and a
// reordered line, naming it; audit tail prints the last records.
func TestAuditTrailOverStdio(t *testing.T) {
	f := newFixture(t)
	trail := filepath.Join(f.home, "audit", "trail.jsonl")
	f.writeConfig(`
default_profile: lab
audit: {file: ` + trail + `}
profiles:
  lab:
    url: https://vc.lab.example/sdk
    username: svc
    password_env: LAB_PW
    role: operator
`)
	// With --simulator the profile's connection is ignored (LAB_PW is not
	// even set) but its role and audit file apply.
	s := startStdio(t, f.env, "--simulator", "--log-level", "warn")
	if res := s.call(t, "vm_list", map[string]any{"limit": 2}); res.IsError {
		t.Fatalf("vm_list: %+v", res.Content)
	}
	if res := s.call(t, "vm_get", map[string]any{"vm": "no-such-vm"}); !res.IsError {
		t.Errorf("vm_get of a missing VM succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "vm_delete" // not in operator
	req.Params.Arguments = map[string]any{"vm": "DC0_H0_VM0"}
	_, _ = s.client.CallTool(ctx, req)
	s.stop(t)

	lines := readAuditLines(t, trail)
	want := []struct{ tool, decision, outcome string }{
		{"vm_list", "allowed", "ok"}, {"vm_get", "allowed", "error"}, {"vm_delete", "denied", ""},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d audit lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		l := lines[i]
		outcome, _ := l["outcome"].(string)
		if l["tool"] != w.tool || l["decision"] != w.decision || outcome != w.outcome ||
			l["profile"] != "lab" || l["role"] != "operator" {
			t.Errorf("line %d: %v, want %+v for profile lab, role operator", i+1, l, w)
		}
		if c, _ := l["client"].(map[string]any); c["name"] != "cmd-test" {
			t.Errorf("line %d: client %v", i+1, l["client"])
		}
	}
	if st, err := os.Stat(trail); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %04o", st.Mode().Perm())
	}

	// verify without FILE reads the configured trail.
	out, stderr, err := f.run(nil, "audit", "verify")
	if err != nil || !strings.Contains(out, "3 records, hash chain intact") {
		t.Fatalf("audit verify: %v\n%s%s", err, out, stderr)
	}
	out, _, err = f.run(nil, "audit", "tail", "-n", "2")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, "#3 vm_delete denied") || !strings.Contains(out, "#2 vm_get") {
		t.Errorf("audit tail -n 2: %v\n%s", err, out)
	}
	out, _, err = f.run(nil, "audit", "tail", "--json", trail)
	if err != nil || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"decision":"denied"`) {
		t.Errorf("audit tail --json: %v\n%s", err, out)
	}

	orig, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.SplitAfter(strings.TrimSuffix(string(orig), "\n"), "\n")
	if !strings.HasSuffix(ls[len(ls)-1], "\n") {
		ls[len(ls)-1] += "\n"
	}
	tamper := []struct {
		name  string
		lines []string
		want  string
	}{
		{"edited", []string{ls[0], strings.Replace(ls[1], `"vm_get"`, `"vm_list"`, 1), ls[2]}, "line 2: hash mismatch"},
		{"removed", []string{ls[0], ls[2]}, "line 2: seq 3 where 2 was expected"},
		{"reordered", []string{ls[0], ls[2], ls[1]}, "line 2: seq 3 where 2 was expected"},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			p := f.write(filepath.Join(f.home, tc.name+".jsonl"), strings.Join(tc.lines, ""), 0o600)
			out, stderr, err := f.run(nil, "audit", "verify", p)
			if exitCode(err) != 1 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "1 good records before it") {
				t.Errorf("audit verify on an %s trail: exit %d\nstdout: %s\nstderr: %s", tc.name, exitCode(err), out, stderr)
			}
		})
	}
	if _, _, err := f.run(nil, "audit", "verify", filepath.Join(f.home, "none.jsonl")); err == nil || !strings.Contains(err.Error(), "no audit trail") {
		t.Errorf("verify of a missing file: %v", err)
	}
}

// TestStartupWarnsAboutPlainPassword: a plain password in the config works
// but startup warns, and the password shows nowhere.
func TestStartupWarnsAboutPlainPassword(t *testing.T) {
	const secret = "Plain-Startup-Secret-77"
	f := newFixture(t)
	f.writeConfig("default_profile: p\nprofiles:\n  p: {url: \"https://127.0.0.1:1/sdk\", username: u, password: " + secret + "}\n")
	s := startStdio(t, f.env)
	res := s.call(t, "vm_list", nil)
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "keeps its password in plain text") {
		t.Errorf("no startup warning:\n%s", s.stderr)
	}
	b, err := os.ReadFile(f.auditPath())
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text += tc.Text
		}
	}
	assertNoSecret(t, secret, s.stderr.String(), string(b), text)
}

func TestSystemPolicyForcesFallback(t *testing.T) {
	f := newFixture(t)
	f.writeConfig("default_profile: p\nprofiles:\n  p: {role: admin, confirm_fallback: preview}\n")
	out, _, err := f.run(nil, "config", "show")
	if err != nil || !strings.Contains(line(out, "confirm_fallback"), "preview") || !strings.Contains(line(out, "confirm_fallback"), "profile p") {
		t.Errorf("user fallback: %v\n%s", err, out)
	}
	sys := f.write(filepath.Join(f.home, "p.yaml"), "confirm_fallback: deny\nmax_role: viewer\n", 0o644)
	out, _, err = f.run(f.with("VSPHERE_MCP_SYSTEM_POLICY", sys), "config", "show")
	if err != nil || !strings.Contains(line(out, "confirm_fallback"), "deny") || !strings.Contains(line(out, "confirm_fallback"), "system policy") {
		t.Errorf("forced fallback: %v\n%s", err, out)
	}
	if l := line(out, "role "); !strings.Contains(l, "admin") || !strings.Contains(l, "capped by system max_role viewer") {
		t.Errorf("role line: %q", l)
	}
	if l := line(out, "system policy"); !strings.Contains(l, "/etc/vsphere-mcp/policy.yaml") && !strings.Contains(l, "policy.yaml") {
		t.Errorf("system policy line: %q", l)
	}
	if !strings.Contains(out, sys) || !strings.Contains(out, "applied") {
		t.Errorf("extra policy file not shown as applied:\n%s", out)
	}
}
