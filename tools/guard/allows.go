package guard

import (
	"context"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
)

// Allows reports whether the role of the call in ctx may call tool: for a
// tool whose arguments add a change another toolset owns (vm_serial_add
// with open_firewall changes a host, as host_service_start does), so the
// whole call can be refused before anything changes. A tool the server
// serves is judged by its own toolset and risk; one it does not serve (its
// toolset is not enabled) by the toolset and risk given. Outside the
// policy middleware nothing is allowed.
func Allows(ctx context.Context, tool policy.ToolInfo) bool {
	c := callFrom(ctx)
	if c == nil {
		return false
	}
	if info, ok := c.g.tools[tool.Name]; ok {
		tool = info
	}
	return c.g.p.Role.Allows(tool)
}

// RoleName is the name of the role deciding the call in ctx, for messages
// that say why a call was refused ("" outside the policy middleware).
func RoleName(ctx context.Context) string {
	if c := callFrom(ctx); c != nil {
		return c.g.p.Role.Name()
	}
	return ""
}
