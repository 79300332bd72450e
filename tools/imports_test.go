package tools_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools"
)

const module = "github.com/vsphere-mcp/vsphere-mcp/"

// framework are the packages under tools/ that toolsets build on; they
// must never import a toolset or the assembly.
var framework = []string{"tools/toolkit", "tools/guard", "tools/params", "tools/toolstest", "tools/mcpctx"}

// TestImportDirections keeps the house in order: cmd → tools →
// tools/<toolset> → framework → {vcenter, policy}. No toolset imports
// another toolset or the assembly; the framework imports no toolset; vcenter
// and policy know neither MCP nor each other.
func TestImportDirections(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \",\"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	toolsets := map[string]bool{}
	for _, id := range tools.IDs(tools.Toolsets()) {
		toolsets["tools/"+id] = true
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		pkg = strings.TrimPrefix(pkg, module)
		for _, d := range strings.Split(deps, ",") {
			imports[pkg] = append(imports[pkg], d)
		}
	}
	for id := range toolsets {
		if _, ok := imports[id]; !ok {
			t.Errorf("toolset %s has no package %s", id, module+id)
		}
	}
	for pkg, deps := range imports {
		for _, d := range deps {
			dep, ours := strings.CutPrefix(d, module)
			if !ours {
				if (pkg == "vcenter" || strings.HasPrefix(pkg, "policy")) && strings.HasPrefix(d, "github.com/mark3labs/mcp-go") {
					t.Errorf("%s imports %s: vcenter and policy must not know MCP", pkg, d)
				}
				continue
			}
			switch {
			case toolsets[pkg] && (toolsets[dep] || dep == "tools"):
				t.Errorf("toolset %s imports %s: a toolset imports only the framework, vcenter and policy (move what they share down)", pkg, dep)
			case slices.Contains(framework, pkg) && (toolsets[dep] || dep == "tools"):
				t.Errorf("framework package %s imports %s: the framework must not know the toolsets", pkg, dep)
			case pkg == "vcenter" && strings.HasPrefix(dep, "policy"), strings.HasPrefix(pkg, "policy") && dep == "vcenter":
				t.Errorf("%s imports %s: vcenter and policy do not know each other", pkg, dep)
			case (pkg == "vcenter" || strings.HasPrefix(pkg, "policy")) && strings.HasPrefix(dep, "tools"):
				t.Errorf("%s imports %s: an arrow back up", pkg, dep)
			}
		}
	}
}
