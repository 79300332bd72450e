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
}

// buildAll builds every binary with the same command (`go build -o`), so the
// cold-start comparison between vsphere-mcp and the bare server is fair.
func buildAll(ctx context.Context, root, out string) (*binaries, error) {
	b := &binaries{
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

// hasFlag reports whether bin's --help mentions flag (e.g. "--role"), so
// the benchmark measures per-role tool lists as soon as the server has them.
func hasFlag(ctx context.Context, bin, flag string) bool {
	out, _ := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	return bytes.Contains(out, []byte(flag+" "))
}
