package tools

import (
	"github.com/mark3labs/mcp-go/server"
)

// Options configure NewServer.
type Options struct {
	// Version is reported to clients in serverInfo.
	Version string
	// Tools to serve; nil means All(deps).
	Tools []Tool
	// Policy decides and audits every call; nil means the viewer role with
	// no audit trail.
	Policy *Policy
}

const instructions = `vsphere-mcp operates VMware vSphere (vCenter or ESXi).
Objects are named by name, inventory path (/DC0/vm/web-01), managed object ID (vm-42) or UUID; an ambiguous name is an error listing paths.
Lists are paged: pass next_cursor back as cursor. Narrow with filters rather than paging through everything.`

// NewServer builds the MCP server with its tools, behind the policy: the
// role filters which tools exist (tools/list and tools/call), and every
// call passes the guard's middleware, which audits it.
func NewServer(d Deps, o Options) *server.MCPServer {
	tools := o.Tools
	if tools == nil {
		tools = All(d)
	}
	var p Policy
	if o.Policy != nil {
		p = *o.Policy
	}
	g := NewGuard(p, d.Log, d.Session, tools)
	hooks := &server.Hooks{}
	hooks.AddOnError(g.Refused)
	s := server.NewMCPServer("vsphere-mcp", o.Version,
		server.WithToolCapabilities(false),
		server.WithElicitation(),
		server.WithTaskCapabilities(true, true, true),
		server.WithTaskHooks(g.bg.hooks()),
		server.WithRecovery(),
		server.WithInstructions(instructions),
		server.WithToolFilter(g.Visible),
		server.WithToolHandlerMiddleware(g.Middleware),
		server.WithHooks(hooks),
	)
	for _, t := range tools {
		s.AddTool(t.Def, t.Handler)
	}
	return s
}
