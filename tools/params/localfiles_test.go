package params_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

type checkArgs struct {
	Path  string `json:"path" jsonschema:"local path"`
	Write bool   `json:"write,omitempty" jsonschema:"check for writing"`
}

func (a *checkArgs) Validate() error { return nil }

type checkResult struct {
	Resolved string `json:"resolved"`
}

func (r checkResult) Text() string { return r.Resolved }

func checkTool() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{Name: "local_check", Title: "Check a local path", Description: "Checks a local path.", Risk: policy.RiskRead},
		func(ctx context.Context, d toolkit.Deps, a checkArgs) (checkResult, error) {
			mode := localfiles.Read
			if a.Write {
				mode = localfiles.Write
			}
			p, err := params.LocalPath(ctx, d, "local_path", a.Path, mode)
			return checkResult{Resolved: p}, err
		})
}

// TestLocalPathRoots: the client's roots and the profile's directories
// both count; without either a local path is refused, naming the setting.
func TestLocalPathRoots(t *testing.T) {
	t.Parallel()
	base, _ := filepath.EvalSymlinks(t.TempDir())
	root, dir, other := filepath.Join(base, "root"), filepath.Join(base, "dir"), filepath.Join(base, "other")
	for _, d := range []string{root, dir, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		protocol string
		lf       toolstest.LocalFiles
		path     string
		write    bool
		errHas   string
	}{
		{"root read", "", toolstest.LocalFiles{Roots: []string{root}}, root + "/a.iso", false, ""},
		{"root write", "", toolstest.LocalFiles{Roots: []string{root}}, root + "/a.iso", true, ""},
		{"root, old protocol", "2025-06-18", toolstest.LocalFiles{Roots: []string{root}}, root + "/a.iso", false, ""},
		{"profile dir", "", toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{dir}}}, dir + "/a.iso", false, ""},
		{"profile dir and roots", "", toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{dir}}, Roots: []string{root}}, dir + "/a.iso", false, ""},
		{"outside roots", "", toolstest.LocalFiles{Roots: []string{root}}, other + "/a.iso", false, "client's roots"},
		{"empty roots", "", toolstest.LocalFiles{Roots: []string{}}, other + "/a.iso", false, "to local_files.read"},
		{"no roots, no dirs", "", toolstest.LocalFiles{}, root + "/a.iso", true, "(none are set)"},
		{"dotdot out of a root", "", toolstest.LocalFiles{Roots: []string{root}}, root + "/../other/a.iso", false, "outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			e := toolstest.NewWith(t, ctx, nil, vcenter.Config{}, []toolkit.Tool{checkTool()}, toolstest.Options{Protocol: tc.protocol, LocalFiles: tc.lf})
			args := map[string]any{"path": tc.path, "write": tc.write}
			if tc.errHas == "" {
				var r checkResult
				e.OK("local_check", args, &r)
				if want := filepath.Clean(tc.path); r.Resolved != want {
					t.Fatalf("resolved %q, want %q", r.Resolved, want)
				}
				return
			}
			if msg := e.Fails("local_check", args); !strings.Contains(msg, tc.errHas) {
				t.Fatalf("error %q lacks %q", msg, tc.errHas)
			}
		})
	}
}
