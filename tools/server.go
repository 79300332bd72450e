package tools

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/mcpctx"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Deps are what tool handlers share.
type Deps = toolkit.Deps

// Policy decides and records every call (see guard.Policy).
type Policy = guard.Policy

// ScopeGate adapts a role's scope to the session's gate (see guard.ScopeGate).
func ScopeGate(r *policy.Role) vcenter.Gate { return guard.ScopeGate(r) }

// Options configure NewServer.
type Options struct {
	// Version is reported to clients in serverInfo.
	Version string
	// Toolsets are the toolsets to serve, as the user named them (IDs,
	// "all", "default"); empty means the default toolsets.
	Toolsets []string
	// ReadOnly serves only read tools, whatever the role allows.
	ReadOnly bool
	// Policy decides and audits every call; nil means the viewer role with
	// no audit trail.
	Policy *Policy
	// Logging, when set, declares MCP logging and delivers log records to
	// the clients that ask (see guard.Logging).
	Logging guard.Logging
}

const websiteURL = "https://github.com/vsphere-mcp/vsphere-mcp"

// NewServer builds the MCP server for the selected toolsets behind the
// policy.
func NewServer(d Deps, o Options) (*server.MCPServer, error) {
	sel, err := Select(o.Toolsets)
	if err != nil {
		return nil, err
	}
	served := Served(sel, o.ReadOnly)
	var role *policy.Role
	if o.Policy != nil {
		role = o.Policy.Role
	}
	return guard.NewServer(d, served, guard.ServerOptions{
		Version:      o.Version,
		Title:        "vSphere",
		WebsiteURL:   websiteURL,
		Icons:        []mcp.Icon{{Src: iconDataURI, MIMEType: "image/svg+xml"}},
		Instructions: Instructions(sel, o.ReadOnly, role),
		Policy:       o.Policy,
		Logging:      o.Logging,
		// Resources, subscriptions, prompts and completions over the
		// served tools.
		Extend: mcpctx.New(served, All()),
	}), nil
}

// Served is the tools of the selected toolsets, only the read ones when
// readOnly.
func Served(sel []toolkit.Toolset, readOnly bool) []toolkit.Tool {
	var out []toolkit.Tool
	for _, ts := range sel {
		for _, t := range ts.Tools() {
			if readOnly && t.Risk != policy.RiskRead {
				continue
			}
			out = append(out, t)
		}
	}
	return out
}

// Select resolves the toolsets a user named: toolset IDs, "all" (every
// toolset) and "default" (the default ones), in any mix; none means the
// default. An unknown name is an error that lists the valid ones.
func Select(names []string) ([]toolkit.Toolset, error) {
	all := Toolsets()
	if len(names) == 0 {
		names = []string{"default"}
	}
	want := map[toolkit.ToolsetID]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		switch n {
		case "":
			continue
		case "all":
			for _, ts := range all {
				want[ts.ID] = true
			}
			continue
		case "default":
			for _, ts := range all {
				want[ts.ID] = want[ts.ID] || ts.Default
			}
			continue
		}
		i := slices.IndexFunc(all, func(ts toolkit.Toolset) bool { return string(ts.ID) == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown toolset %q; the toolsets are %s (or all, default)", n, strings.Join(IDs(all), ", "))
		}
		want[all[i].ID] = true
	}
	var out []toolkit.Toolset
	for _, ts := range all {
		if want[ts.ID] {
			out = append(out, ts)
		}
	}
	return out, nil
}

// IDs lists the toolsets' IDs.
func IDs(sets []toolkit.Toolset) []string {
	out := make([]string, len(sets))
	for i, ts := range sets {
		out[i] = string(ts.ID)
	}
	return out
}

// Instructions is what a client reads before any tool schema (clients
// with tool search load only names and this up front): what the server
// does, which toolsets it serves, how objects are named, and where to
// start.
func Instructions(sel []toolkit.Toolset, readOnly bool, role *policy.Role) string {
	var b strings.Builder
	b.WriteString("vsphere-mcp operates VMware vSphere (vCenter or a standalone ESXi host)")
	if role != nil {
		fmt.Fprintf(&b, " as role %s", role.Name())
	}
	if readOnly {
		b.WriteString(", read-only: no tool here changes anything")
	}
	b.WriteString(".\n")
	fmt.Fprintf(&b, "Toolsets served: %s.", strings.Join(IDs(sel), ", "))
	var off []string
	for _, ts := range Toolsets() {
		if !slices.ContainsFunc(sel, func(s toolkit.Toolset) bool { return s.ID == ts.ID }) {
			off = append(off, string(ts.ID))
		}
	}
	if len(off) > 0 {
		fmt.Fprintf(&b, " Not served (the user can add them with --toolsets or the profile's toolsets key): %s.", strings.Join(off, ", "))
	}
	b.WriteString("\nObjects are named by name, inventory path (/DC0/vm/web-01), managed object ID (vm-42) or UUID; an ambiguous name is an error that lists the paths.\n")
	b.WriteString("Lists are paged: pass next_cursor back as cursor, and narrow with filters rather than paging through everything.\n")
	b.WriteString("Start from inventory_summary for an overview, vm_list to find VMs and vm_get for one VM.\n")
	b.WriteString("Resources (vsphere://summary, vsphere://alarms, vsphere://tasks/recent, vsphere://vm/{id} and host, cluster, datastore by ID) hold the same as those tools and can be subscribed to; prompts health_check, capacity_report, snapshot_hygiene and maintenance_prep are runbooks.")
	return b.String()
}

// iconDataURI is the server's icon: a small vSphere-like mark, inline so
// no client has to fetch anything.
const iconDataURI = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAzMiAzMiI+PHJlY3Qgd2lkdGg9IjMyIiBoZWlnaHQ9IjMyIiByeD0iNiIgZmlsbD0iIzFkNDI4YSIvPjxwYXRoIGQ9Ik02IDlsNSAxNGg0bDUtMTRoLTRsLTMgOS0zLTl6IiBmaWxsPSIjZmZmIi8+PHJlY3QgeD0iMjAiIHk9IjE3IiB3aWR0aD0iNiIgaGVpZ2h0PSI2IiBmaWxsPSIjN2ZjNmY0Ii8+PC9zdmc+"

// CatalogBytes is the size of ts's definitions as a tools/list result
// carries them: what a client (and the model's context) pays for them.
func CatalogBytes(ts []toolkit.Tool) int {
	defs := make([]mcp.Tool, len(ts))
	for i, t := range ts {
		defs[i] = t.Def
	}
	b, err := json.Marshal(mcp.ListToolsResult{Tools: defs})
	if err != nil {
		return 0
	}
	return len(b)
}
