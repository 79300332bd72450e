package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// binaries are the programs the benchmark runs as separate processes.
type binaries struct {
	server, bare, vcsim, govc string
	// serverRev describes the vsphere-mcp build (commit, dirty tree).
	serverRev string
	// tmp is the benchmark's scratch directory: the servers' config and
	// state (audit trail) live here, never in the user's home.
	tmp string
}

// serverEnv is the environment of every vsphere-mcp process: the
// simulator's connection settings, and XDG directories in the scratch
// directory so that no user config is read and the audit trail (one line
// per tool call) is written there.
func (b *binaries) serverEnv(sim *simProc) []string {
	return append(sim.env(),
		"XDG_CONFIG_HOME="+filepath.Join(b.tmp, "config"),
		"XDG_STATE_HOME="+filepath.Join(b.tmp, "state"),
		"VSPHERE_MCP_CONFIG=",
		"VSPHERE_MCP_PROFILE=",
	)
}

// buildAll builds every binary with the same command (`go build -o`), so the
// cold-start comparison between vsphere-mcp and the bare server is fair.
func buildAll(ctx context.Context, root, out string) (*binaries, error) {
	b := &binaries{
		tmp:    out,
		server: filepath.Join(out, "vsphere-mcp"),
		bare:   filepath.Join(out, "bareserver"),
		vcsim:  filepath.Join(out, "vcsim"),
		govc:   filepath.Join(out, "govc"),
	}
	for _, x := range []struct{ bin, pkg string }{
		{b.server, "."},
		{b.bare, "./bench/cmd/bareserver"},
		{b.vcsim, "./bench/cmd/vcsim"},
		{b.govc, "./bench/cmd/govc"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", x.bin, x.pkg)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go build -o %s %s: %v\n%s", filepath.Base(x.bin), x.pkg, err, stderr.String())
		}
	}
	b.serverRev = revision(ctx, root)
	return b, nil
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run the benchmark inside the vsphere-mcp module")
	}
	return filepath.Dir(mod), nil
}

func revision(ctx context.Context, root string) string {
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	cmd = exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
		rev += "+dirty"
	}
	return rev
}

// writeRoleConfig writes a config file with one profile per built-in role,
// each named after its role, all on the simulator.
func writeRoleConfig(dir string, sim *simProc) (string, error) {
	u := *sim.url
	user := u.User.Username()
	u.User = nil
	var b strings.Builder
	fmt.Fprintf(&b, "audit:\n  file: %s\nprofiles:\n", filepath.Join(dir, "state", "audit-roles.jsonl"))
	for _, role := range builtinRoles() {
		fmt.Fprintf(&b, "  %s:\n    url: %s\n    username: %s\n    password_env: VSPHERE_PASSWORD\n    insecure: true\n    role: %s\n", role, u.String(), user, role)
	}
	path := filepath.Join(dir, "roles.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// hasFlag reports whether bin's --help mentions flag (e.g. "--role"), so
// the benchmark measures per-role tool lists as soon as the server has them.
func hasFlag(ctx context.Context, bin, flag string) bool {
	out, _ := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	return bytes.Contains(out, []byte(flag+" "))
}
