package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
)

func builtinRoles() []string { return policy.BuiltinRoles() }

// computedRoleSizes is tools/list for each built-in role as the server
// would send it once it filters by role: the tools policy allows the role,
// from the same tools.All the server serves, marshalled as a tools/list
// result. The benchmark measures the real thing over stdio instead as soon
// as the server takes --role.
func computedRoleSizes() ([]roleSize, error) {
	all := tools.All()
	infos := make([]policy.ToolInfo, len(all))
	for i, t := range all {
		infos[i] = t.Info()
	}
	var out []roleSize
	for _, name := range policy.BuiltinRoles() {
		role, err := policy.Builtin(name)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", name, err)
		}
		allowed := map[string]bool{}
		for _, ti := range role.AllowedTools(infos) {
			allowed[ti.Name] = true
		}
		var defs []mcp.Tool
		for _, t := range all {
			if allowed[t.Def.Name] {
				defs = append(defs, t.Def)
			}
		}
		b, err := json.Marshal(mcp.ListToolsResult{Tools: defs})
		if err != nil {
			return nil, err
		}
		out = append(out, roleSize{Role: name, Bytes: len(b), Tools: len(defs)})
	}
	return out, nil
}

// toolBreakdown is where the bytes of tools/list go, tool by tool: the
// figures to look at when a role's list grows past its target.
type toolBreakdown struct {
	Name                                          string
	Total, Description, Input, Output, Annotation int
}

func toolBreakdowns() ([]toolBreakdown, error) {
	var out []toolBreakdown
	for _, t := range tools.All() {
		all, err := json.Marshal(t.Def)
		if err != nil {
			return nil, err
		}
		var parts map[string]json.RawMessage
		if err := json.Unmarshal(all, &parts); err != nil {
			return nil, err
		}
		out = append(out, toolBreakdown{
			Name:        t.Def.Name,
			Total:       len(all),
			Description: len(parts["description"]),
			Input:       len(parts["inputSchema"]),
			Output:      len(parts["outputSchema"]),
			Annotation:  len(parts["annotations"]),
		})
	}
	return out, nil
}

func printToolBreakdown(w io.Writer) error {
	bs, err := toolBreakdowns()
	if err != nil {
		return err
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].Total > bs[j].Total })
	var sum toolBreakdown
	fmt.Fprintln(w, "| tool | total | description | inputSchema | outputSchema | annotations |\n|---|---:|---:|---:|---:|---:|")
	for _, b := range bs {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d |\n", b.Name, b.Total, b.Description, b.Input, b.Output, b.Annotation)
		sum.Total += b.Total
		sum.Description += b.Description
		sum.Input += b.Input
		sum.Output += b.Output
		sum.Annotation += b.Annotation
	}
	fmt.Fprintf(w, "| all %d tools | %d | %d | %d | %d | %d |\n", len(bs), sum.Total, sum.Description, sum.Input, sum.Output, sum.Annotation)
	return nil
}
