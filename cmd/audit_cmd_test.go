package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// TestAuditRotateAfterTruncation: a trail cut short keeps the server from
// starting, with a message that says what happened and what to run;
// audit verify names the missing tail; audit rotate keeps the old file
// and starts a new trail that continues the chain, and the server runs.
func TestAuditRotateAfterTruncation(t *testing.T) {
	f := newFixture(t)
	trail := filepath.Join(f.home, "audit", "trail.jsonl")
	f.writeConfig("audit: {file: " + trail + "}\n")
	call := func() error {
		_, _, err := f.run(nil, "tools", "call", "vm_list", `{"limit":1}`, "--simulator", "--log-level", "error")
		return err
	}
	for range 2 {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, err := f.run(nil, "audit", "verify")
	if err != nil || !strings.Contains(out, "2 records, hash chain intact (seq 1-2); checkpoint seq 2 matches") {
		t.Fatalf("audit verify: %v\n%s%s", err, out, stderr)
	}
	head := readHead(t, trail)

	b, _ := os.ReadFile(trail)
	lines := strings.SplitAfter(string(b), "\n")
	os.WriteFile(trail, []byte(lines[0]), 0o600)

	out, stderr, err = f.run(nil, "audit", "verify")
	if exitCode(err) != 1 || !strings.Contains(stderr, "FAILED at line 2: the file ends at seq 1 but the checkpoint says seq 2") {
		t.Errorf("audit verify of a cut trail: exit %d\n%s%s", exitCode(err), out, stderr)
	}
	for _, args := range [][]string{{"tools", "call", "vm_list", "--simulator"}, {"serve", "--simulator"}} {
		_, _, err := f.run(nil, append(args, "--log-level", "error")...)
		if err == nil || !strings.Contains(err.Error(), "does not continue its checkpoint") || !strings.Contains(err.Error(), "vsphere-mcp audit rotate") {
			t.Errorf("%s on a cut trail: %v", args[0], err)
		}
	}

	out, stderr, err = f.run(nil, "audit", "rotate", "--reason", "cut by test")
	if err != nil || !strings.Contains(out, "kept the old trail as "+trail+".") || !strings.Contains(out, "starts at seq 3") ||
		!strings.Contains(out, "cut by test; the file ends at seq 1") {
		t.Fatalf("audit rotate: %v\n%s%s", err, out, stderr)
	}
	old, _ := filepath.Glob(trail + ".2*Z")
	if len(old) != 1 {
		t.Fatalf("old trails: %v", old)
	}
	if err := call(); err != nil {
		t.Fatalf("tools call after rotate: %v", err)
	}
	out, stderr, err = f.run(nil, "audit", "verify", "--head", head.String())
	if err != nil || !strings.Contains(out, "2 records, hash chain intact (seq 3-4)") || !strings.Contains(out, "rotated from "+filepath.Base(old[0])) ||
		!strings.Contains(out, "holds 1 given head(s)") {
		t.Errorf("audit verify after rotate: %v\n%s%s", err, out, stderr)
	}
	if _, stderr, err = f.run(nil, "audit", "verify", old[0]); exitCode(err) != 1 || !strings.Contains(stderr, "missing from the end") {
		t.Errorf("the old trail should still fail: %v\n%s", err, stderr)
	}
	if _, _, err = f.run(nil, "audit", "verify", "--head", "3:nothex"); err == nil || !strings.Contains(err.Error(), "SEQ:HASH") {
		t.Errorf("bad --head: %v", err)
	}
	out, _, err = f.run(nil, "audit", "tail", "-n", "2")
	if err != nil || !strings.Contains(out, "#3 "+audit.RotateTool+" rotated") || !strings.Contains(out, `reason="cut by test`) {
		t.Errorf("audit tail: %v\n%s", err, out)
	}
}

func readHead(t *testing.T, trail string) audit.Head {
	t.Helper()
	rep, err := audit.VerifyFile(trail)
	if err != nil || rep.Checkpoint == nil {
		t.Fatalf("%+v %v", rep, err)
	}
	return *rep.Checkpoint
}

// TestAuditAndConfigRefusals: the server does not start on an audit file
// that is a link, in a directory others can write, or with a config in a
// directory others can write; each message names the fix.
func TestAuditAndConfigRefusals(t *testing.T) {
	if !filetrust.Supported {
		t.Skip("no Unix permission bits here")
	}
	tests := []struct {
		name  string
		setup func(f *fixture) string // returns the audit file
		want  []string
	}{
		{"audit file is a link", func(f *fixture) string {
			target := f.write(filepath.Join(f.home, "elsewhere"), "", 0o644)
			p := filepath.Join(f.home, "audit.jsonl")
			os.Symlink(target, p)
			return p
		}, []string{"is a symbolic link", "nothing was changed"}},
		{"audit directory writable by others", func(f *fixture) string {
			d := filepath.Join(f.home, "shared")
			os.Mkdir(d, 0o700)
			os.Chmod(d, 0o777)
			return filepath.Join(d, "audit.jsonl")
		}, []string{"audit directory", "others can write it", "chmod 700 "}},
		{"config directory writable by group", func(f *fixture) string {
			os.Chmod(filepath.Dir(f.configPath()), 0o770)
			return filepath.Join(f.home, "audit.jsonl")
		}, []string{"config directory", "its group can write it", "chmod 700 "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.writeConfig("profiles: {}\n")
			trail := tc.setup(f)
			f.writeConfig("audit: {file: " + trail + "}\n")
			_, _, err := f.run(nil, "tools", "call", "vm_list", "--simulator", "--log-level", "error")
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q", err, w)
				}
			}
		})
	}
}
