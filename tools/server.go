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
}

const instructions = `vsphere-mcp operates VMware vSphere (vCenter or ESXi).
Objects are named by name, inventory path (/DC0/vm/web-01), managed object ID (vm-42) or UUID; an ambiguous name is an error listing paths.
Lists are paged: pass next_cursor back as cursor. Narrow with filters rather than paging through everything.`

// NewServer builds the MCP server with its tools.
func NewServer(d Deps, o Options) *server.MCPServer {
	s := server.NewMCPServer("vsphere-mcp", o.Version,
		server.WithToolCapabilities(false),
		server.WithRecovery(),
		server.WithInstructions(instructions),
	)
	tools := o.Tools
	if tools == nil {
		tools = All(d)
	}
	for _, t := range tools {
		s.AddTool(t.Def, t.Handler)
	}
	return s
}
