// Package mcpctx is what the server offers besides tools: MCP resources
// (the inventory summary, triggered alarms, recent tasks, and one VM,
// host, cluster or datastore by managed object ID), subscriptions to
// them, prompts for common runbooks, and completions of object names and
// IDs. It is framework: it knows tools by name, never a toolset. Every
// resource's content is produced by the matching tool's handler run
// through the guard (guard.Via), so role, scope and the audit trail apply
// exactly as to a tools/call of that tool.
package mcpctx

import (
	"log/slog"

	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// New returns the guard.ServerOptions.Extend function for a server that
// serves served; catalog is every tool vsphere-mcp has, served or not,
// so a prompt can say which toolset serves a step this server lacks.
func New(served, catalog []toolkit.Tool) func(toolkit.Deps, *guard.Guard) guard.Extension {
	return func(d toolkit.Deps, g *guard.Guard) guard.Extension {
		e := &ext{d: d, g: g, log: d.Log, handlers: map[string]server.ToolHandlerFunc{}, catalog: map[string]toolkit.Tool{}}
		if e.log == nil {
			e.log = slog.New(slog.DiscardHandler)
		}
		for _, t := range served {
			e.handlers[t.Name()] = t.Handler(d)
		}
		for _, t := range catalog {
			e.catalog[t.Name()] = t
		}
		for _, t := range served {
			e.catalog[t.Name()] = t
		}
		e.subs = newSubscriptions(e)
		if d.Session != nil {
			e.watch = d.Session.NewWatcher(e.subs.changed)
		}
		return e
	}
}

// ext is the extension of one server.
type ext struct {
	d        toolkit.Deps
	g        *guard.Guard
	log      *slog.Logger
	handlers map[string]server.ToolHandlerFunc // the served tools, bound
	catalog  map[string]toolkit.Tool
	srv      *server.MCPServer
	watch    *vcenter.Watcher // nil without a session
	subs     *subscriptions
}

func (e *ext) Options() []server.ServerOption {
	return []server.ServerOption{
		server.WithResourceCapabilities(true, true),
		server.WithPromptCapabilities(false),
		server.WithCompletions(),
		server.WithPromptCompletionProvider(completer{e}),
		server.WithResourceCompletionProvider(completer{e}),
		server.WithResourceRecovery(),
	}
}

func (e *ext) Hooks(h *server.Hooks) { e.subs.hooks(h) }

func (e *ext) Attach(s *server.MCPServer) {
	e.srv = s
	e.addResources(s)
	e.addPrompts(s)
}

// offered reports whether tool is served and the role may call it.
func (e *ext) offered(tool string) bool {
	_, ok := e.handlers[tool]
	return ok && e.g.Allows(tool)
}

// Watching reports how many subscriptions the server holds and how many
// targets its watcher has a property filter for: for tests and
// diagnostics.
func (e *ext) Watching() (subscriptions, filters int) {
	if e.watch != nil {
		filters = e.watch.Watching()
	}
	return e.subs.count(), filters
}
