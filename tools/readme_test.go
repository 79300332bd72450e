package tools_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// TestREADMEToolTable keeps README's tool table generated from tools.All(),
// so the documentation cannot drift from the tools. UPDATE_GOLDEN=1
// rewrites it.
func TestREADMEToolTable(t *testing.T) {
	t.Parallel()
	const path = "../README.md"
	const start, end = "<!-- TOOLS-START -->\n", "<!-- TOOLS-END -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README lacks the %q … %q markers", start, end)
	}
	want := toolTable()
	if got := readme[i+len(start) : j]; got != want {
		if os.Getenv("UPDATE_GOLDEN") != "" {
			readme = readme[:i+len(start)] + want + readme[j:]
			if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README's tool table is stale; run UPDATE_GOLDEN=1 go test ./tools/ -run README")
	}
}

func toolTable() string {
	roles := policy.BuiltinRoles()
	resolved := make([]*policy.Role, len(roles))
	for i, name := range roles {
		r, err := policy.Builtin(name)
		if err != nil {
			panic(err)
		}
		resolved[i] = r
	}
	// Group by toolset, in the order toolsets first appear in All().
	var order []string
	byToolset := map[string][]toolkit.Tool{}
	for _, tool := range tools.All() {
		if _, ok := byToolset[string(tool.Toolset)]; !ok {
			order = append(order, string(tool.Toolset))
		}
		byToolset[string(tool.Toolset)] = append(byToolset[string(tool.Toolset)], tool)
	}
	var b strings.Builder
	for _, ts := range order {
		fmt.Fprintf(&b, "\n**%s**\n\n| Tool | Risk | Lowest role | What it does |\n|---|---|---|---|\n", toolsetTitle(ts))
		for _, tool := range byToolset[ts] {
			writeToolRow(&b, tool, roles, resolved)
		}
	}
	b.WriteString("\n")
	return b.String()
}

func writeToolRow(b *strings.Builder, tool toolkit.Tool, roles []string, resolved []*policy.Role) {
	{
		lowest := "—"
		for i, r := range resolved {
			if r.Allows(tool.Info()) {
				lowest = roles[i]
				break
			}
		}
		desc := strings.ReplaceAll(tool.Def.Description, "|", "\\|")
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", tool.Def.Name, tool.Risk, lowest, desc)
	}
}

func toolsetTitle(ts string) string {
	switch ts {
	case "inventory":
		return "Inventory"
	case "vm":
		return "Virtual machines"
	case "snapshot":
		return "Snapshots"
	case "task":
		return "Tasks"
	case "host":
		return "Hosts"
	case "cluster":
		return "Clusters"
	case "datastore":
		return "Datastores"
	case "network":
		return "Networks"
	}
	return strings.ToUpper(ts[:1]) + ts[1:]
}
