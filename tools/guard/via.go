package guard

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ViaArg is the audit record argument that names the MCP request (a
// resource read or subscription) a tool ran for, when it was not a
// tools/call.
const ViaArg = "_via"

type viaKey struct{}

// Allows reports whether this server serves tool and the role may call it:
// what decides whether a resource, prompt step or completion that stands
// for the tool is offered at all.
func (g *Guard) Allows(tool string) bool {
	info, ok := g.tools[tool]
	return ok && g.p.Role.Allows(info)
}

// Via runs h, the handler of tool, exactly as the guard runs a tools/call
// of it with args — role, rate limit, scope (through the session's gate),
// one audit line — for an MCP request that is not a tools/call: a
// resources/read or a subscription. via names that request and its URI
// ("resources/read vsphere://vm/vm-42"); the audit line carries it as the
// argument _via, so the trail tells a resource read from a tool call.
func (g *Guard) Via(ctx context.Context, via, tool string, args map[string]any, h server.ToolHandlerFunc) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	return g.Middleware(h)(context.WithValue(ctx, viaKey{}, via), req)
}

// Permits reports whether the role may call t, served here or not: a
// prompt says which toolset to add for a step the role allows but this
// server does not serve.
func (g *Guard) Permits(t toolkit.Tool) bool { return g.p.Role.Allows(t.Info()) }

// RoleName is the role's name, for messages.
func (g *Guard) RoleName() string { return g.p.Role.Name() }
