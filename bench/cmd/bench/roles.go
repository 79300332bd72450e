package main

import (
	"encoding/json"
	"fmt"

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
	all := tools.All(tools.Deps{})
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
