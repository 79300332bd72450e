package guard

import (
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ServerOptions describe the server to clients.
type ServerOptions struct {
	Version      string
	Title        string
	WebsiteURL   string
	Icons        []mcp.Icon
	Instructions string
	// Policy decides and audits every call; nil means the viewer role with
	// no audit trail.
	Policy *Policy
	// Logging, when set, declares the MCP logging capability and delivers
	// log records to the clients that ask for them.
	Logging Logging
	// Extend, when set, builds what the server offers besides tools
	// (resources, prompts, completions: tools/mcpctx) from the handlers'
	// dependencies and the server's guard, through which it runs tools.
	Extend func(d toolkit.Deps, g *Guard) Extension
}

// Extension adds MCP features besides tools to the server NewServer
// builds: its server options (capabilities, completion providers), its
// hooks (subscriptions, sessions ending), and the server once built (to
// register resources and prompts and to send notifications).
type Extension interface {
	Options() []server.ServerOption
	Hooks(*server.Hooks)
	Attach(*server.MCPServer)
}

// Logging is what delivers log records to MCP clients (cmd/ builds it
// from the same slog records that go to the log file). It is given the
// server's hooks (logging/setLevel, sessions ending), wraps every tool
// call (a request that carries a log level gets the records made while it
// runs) and gets the server once built.
type Logging interface {
	Hooks(*server.Hooks)
	ToolMiddleware(server.ToolHandlerFunc) server.ToolHandlerFunc
	Attach(*server.MCPServer)
}

// NewServer builds the MCP server serving tools behind the policy: the
// role filters which tools exist (tools/list and tools/call), and every
// call passes the guard's middleware, which audits it. Handlers are bound
// to d here.
func NewServer(d toolkit.Deps, tools []toolkit.Tool, o ServerOptions) *server.MCPServer {
	var p Policy
	if o.Policy != nil {
		p = *o.Policy
	}
	g := NewGuard(p, d.Log, d.Session, tools)
	hooks := &server.Hooks{}
	hooks.AddOnError(g.Refused)
	opts := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithElicitation(),
		server.WithTaskCapabilities(true, true, true),
		server.WithTaskHooks(g.bg.hooks()),
		server.WithRecovery(),
		server.WithToolFilter(g.Visible),
	}
	if o.Logging != nil {
		// Outermost, so what the guard logs about a call reaches it too.
		o.Logging.Hooks(hooks)
		opts = append(opts, server.WithLogging(), server.WithToolHandlerMiddleware(o.Logging.ToolMiddleware))
	}
	opts = append(opts, server.WithToolHandlerMiddleware(g.Middleware), server.WithHooks(hooks))
	var ext Extension
	if o.Extend != nil {
		ext = o.Extend(d, g)
		ext.Hooks(hooks)
		opts = append(opts, ext.Options()...)
	}
	if o.Instructions != "" {
		opts = append(opts, server.WithInstructions(o.Instructions))
	}
	if o.Title != "" {
		opts = append(opts, server.WithTitle(o.Title))
	}
	if o.WebsiteURL != "" {
		opts = append(opts, server.WithWebsiteURL(o.WebsiteURL))
	}
	if len(o.Icons) > 0 {
		opts = append(opts, server.WithIcons(o.Icons...))
	}
	s := server.NewMCPServer("vsphere-mcp", o.Version, opts...)
	for _, t := range tools {
		s.AddTool(t.Def, t.Handler(d))
	}
	if o.Logging != nil {
		o.Logging.Attach(s)
	}
	if ext != nil {
		ext.Attach(s)
	}
	return s
}
