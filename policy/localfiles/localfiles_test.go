package localfiles_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
)

// tree builds base/{in/{a.iso,sub/},out/secret,write/} with links
// in/out -> ../out, in/self -> sub, in/abs -> base/out, in/dangling -> base/out/new.
func tree(t *testing.T) string {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"in/sub", "out", "write"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"in/a.iso", "out/secret", "write/old.iso"} {
		if err := os.WriteFile(filepath.Join(base, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	links := map[string]string{
		"in/out":      "../out",
		"in/self":     "sub",
		"in/abs":      filepath.Join(base, "out"),
		"in/dangling": filepath.Join(base, "out/new"),
		"in/loop":     "loop",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(base, l)); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	base := tree(t)
	in, write := filepath.Join(base, "in"), filepath.Join(base, "write")
	p := func(s string) string { return filepath.Join(base, s) }
	raw := func(s string) string { return base + string(filepath.Separator) + filepath.FromSlash(s) } // not cleaned
	dirs := localfiles.Dirs{Read: []string{in}, Write: []string{write}, Profile: "lab"}
	tests := []struct {
		name   string
		rule   localfiles.Rule
		path   string
		mode   localfiles.Mode
		want   string // resolved, "" = refused
		errHas string
	}{
		{"inside read", localfiles.NewRule(dirs, nil, false), raw("in/a.iso"), localfiles.Read, p("in/a.iso"), ""},
		{"the dir itself", localfiles.NewRule(dirs, nil, false), in, localfiles.Read, in, ""},
		{"subdir via link inside", localfiles.NewRule(dirs, nil, false), raw("in/self/x"), localfiles.Read, p("in/sub/x"), ""},
		{"outside", localfiles.NewRule(dirs, nil, false), raw("out/secret"), localfiles.Read, "", `"` + p("out") + `" to local_files.read in profile "lab"`},
		{"dotdot out", localfiles.NewRule(dirs, nil, false), raw("in/../out/secret"), localfiles.Read, "", "outside"},
		{"dotdot staying in", localfiles.NewRule(dirs, nil, false), raw("in/sub/../a.iso"), localfiles.Read, p("in/a.iso"), ""},
		{"dotdot after link goes to link's parent", localfiles.NewRule(dirs, nil, false), raw("in/out/../in/a.iso"), localfiles.Read, p("in/a.iso"), ""},
		{"relative symlink out", localfiles.NewRule(dirs, nil, false), raw("in/out/secret"), localfiles.Read, "", "resolved: \"" + p("out/secret") + "\""},
		{"absolute symlink out", localfiles.NewRule(dirs, nil, false), raw("in/abs/secret"), localfiles.Read, "", "outside"},
		{"dangling link out, write", localfiles.NewRule(localfiles.Dirs{Write: []string{in}}, nil, false), raw("in/dangling"), localfiles.Write, "", "outside"},
		{"link loop", localfiles.NewRule(dirs, nil, false), raw("in/loop/x"), localfiles.Read, "", "too many"},
		{"prefix is not containment", localfiles.NewRule(localfiles.Dirs{Read: []string{p("in/su")}}, nil, false), raw("in/sub/x"), localfiles.Read, "", "outside"},
		{"nonexistent under write dir", localfiles.NewRule(dirs, nil, false), raw("write/new/deeper/file.iso"), localfiles.Write, p("write/new/deeper/file.iso"), ""},
		{"nonexistent dotdot out", localfiles.NewRule(dirs, nil, false), raw("write/new/../../out/x"), localfiles.Write, "", "outside"},
		{"nonexistent dotdot back through a link", localfiles.NewRule(localfiles.Dirs{Write: []string{in}}, nil, false), raw("in/new/../out/x"), localfiles.Write, "", "outside"},
		{"read dir is not writable", localfiles.NewRule(dirs, nil, false), raw("in/new.iso"), localfiles.Write, "", "to local_files.write"},
		{"write dir is not readable", localfiles.NewRule(dirs, nil, false), raw("write/old.iso"), localfiles.Read, "", "to local_files.read"},
		{"root allows read", localfiles.NewRule(localfiles.Dirs{}, []string{"file://" + p("out")}, true), raw("out/secret"), localfiles.Read, p("out/secret"), ""},
		{"root allows write", localfiles.NewRule(localfiles.Dirs{}, []string{p("out")}, true), raw("out/new"), localfiles.Write, p("out/new"), ""},
		{"root elsewhere", localfiles.NewRule(localfiles.Dirs{}, []string{"file://" + p("write")}, true), raw("out/secret"), localfiles.Read, "", "client's roots"},
		{"default none", localfiles.NewRule(localfiles.Dirs{}, nil, false), raw("in/a.iso"), localfiles.Read, "", "(none are set)"},
		{"relative path", localfiles.NewRule(dirs, nil, false), "in/a.iso", localfiles.Read, "", "relative"},
		{"empty", localfiles.NewRule(dirs, nil, false), "", localfiles.Read, "", "empty"},
		{"file is no directory", localfiles.NewRule(dirs, nil, false), raw("in/a.iso/x"), localfiles.Read, "", "not a directory"},
		{"remote file URI", localfiles.NewRule(dirs, nil, false), "file://evil/etc/passwd", localfiles.Read, "", "only local files"},
		{"file URI inside", localfiles.NewRule(dirs, nil, false), "file://" + p("in/a.iso"), localfiles.Read, p("in/a.iso"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.rule.Allowed(tc.path, tc.mode)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("Allowed(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Allowed(%q) = %q; want refused", tc.path, got)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("error %q lacks %q", err, tc.errHas)
			}
		})
	}
}

func TestRefusalNamesSetting(t *testing.T) {
	t.Parallel()
	base := tree(t)
	_, err := localfiles.NewRule(localfiles.Dirs{}, nil, true).Allowed(filepath.Join(base, "out/secret"), localfiles.Read)
	if !errors.Is(err, localfiles.ErrNotAllowed) {
		t.Fatalf("err = %v, want ErrNotAllowed", err)
	}
	msg := err.Error()
	for _, want := range []string{"local_files: {read: [\"" + filepath.Join(base, "out") + "\"]}", "your profile", "client's roots", "Nothing was done"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestTilde(t *testing.T) {
	t.Parallel()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home")
	}
	got, err := localfiles.Clean("~/Downloads/x.iso")
	if err != nil || got != filepath.Join(home, "Downloads/x.iso") {
		t.Fatalf("Clean(~/Downloads/x.iso) = %q, %v", got, err)
	}
}

func TestPendingCommitAbort(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	final := filepath.Join(dir, "f.iso")

	p, err := localfiles.Create(final, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteString("half"); err != nil {
		t.Fatal(err)
	}
	p.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("abort left %v", ents)
	}

	p, _ = localfiles.Create(final, false)
	_, _ = p.WriteString("whole")
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("final name exists before commit: %v", err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Abort() // no-op after commit
	if b, _ := os.ReadFile(final); string(b) != "whole" {
		t.Fatalf("content %q", b)
	}

	if _, err := localfiles.Create(final, false); !errors.Is(err, localfiles.ErrExists) || !strings.Contains(err.Error(), "overwrite: true") {
		t.Fatalf("Create over existing = %v", err)
	}
	// A file that appears while writing is not replaced.
	other := filepath.Join(dir, "g.iso")
	p, _ = localfiles.Create(other, false)
	_ = os.WriteFile(other, []byte("theirs"), 0o644)
	if err := p.Commit(); !errors.Is(err, localfiles.ErrExists) {
		t.Fatalf("commit over a new file = %v", err)
	}
	if b, _ := os.ReadFile(other); string(b) != "theirs" {
		t.Fatalf("replaced: %q", b)
	}
	p, err = localfiles.Create(final, true)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = p.WriteString("new")
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(final); string(b) != "new" {
		t.Fatalf("content %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("temporary files left: %v", ents)
	}
	if _, err := localfiles.Create(dir, true); !errors.Is(err, localfiles.ErrExists) {
		t.Fatalf("Create over a directory = %v", err)
	}
}

func TestInto(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct{ target, name, want, err string }{
		{dir, "a.iso", filepath.Join(dir, "a.iso"), ""},
		{dir, "[ds1] iso/a.iso", filepath.Join(dir, "a.iso"), ""},
		{dir, "../..", "", "cannot be used"},
		{dir, "a\x00b", "", "cannot be used"},
		{filepath.Join(dir, "b.iso"), "a.iso", filepath.Join(dir, "b.iso"), ""},
	} {
		got, err := localfiles.Into(tc.target, tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Into(%q, %q) = %q, %v", tc.target, tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Into(%q, %q) = %q, %v; want %q", tc.target, tc.name, got, err, tc.want)
		}
	}
}

// FuzzAllowed: whatever the path, an allowed answer is a resolved path
// inside the allowed directory whose real location (EvalSymlinks of its
// deepest existing ancestor) is inside too.
func FuzzAllowed(f *testing.F) {
	base, err := filepath.EvalSymlinks(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	in := filepath.Join(base, "in")
	_ = os.MkdirAll(filepath.Join(in, "sub"), 0o755)
	_ = os.MkdirAll(filepath.Join(base, "out"), 0o755)
	_ = os.Symlink("../out", filepath.Join(in, "out"))
	_ = os.Symlink("sub", filepath.Join(in, "self"))
	_ = os.Symlink(base, filepath.Join(in, "up"))
	for _, s := range []string{"a", "../out", "out/x", "self/../../out", "up/in/x", "sub/./../..", "x/../../..", "~/x", "file:///etc", "/etc/passwd", "%2e%2e"} {
		f.Add(s)
	}
	rule := localfiles.NewRule(localfiles.Dirs{Read: []string{in}, Write: []string{in}}, nil, false)
	f.Fuzz(func(t *testing.T, rel string) {
		p := in + string(filepath.Separator) + rel
		if filepath.IsAbs(rel) || strings.HasPrefix(rel, "~") || strings.HasPrefix(rel, "file:") {
			p = rel
		}
		for _, mode := range []localfiles.Mode{localfiles.Read, localfiles.Write} {
			got, err := rule.Allowed(p, mode)
			if err != nil {
				continue
			}
			if !localfiles.Within(got, in) {
				t.Fatalf("Allowed(%q) = %q, outside %q", p, got, in)
			}
			// The real location of the deepest existing ancestor.
			anc := got
			for {
				if _, err := os.Lstat(anc); err == nil {
					break
				}
				anc = filepath.Dir(anc)
			}
			real, err := filepath.EvalSymlinks(anc)
			if err == nil && !localfiles.Within(real, in) {
				t.Fatalf("Allowed(%q) = %q whose ancestor %q really is %q", p, got, anc, real)
			}
		}
	})
}
