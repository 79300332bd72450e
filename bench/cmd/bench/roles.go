package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

func builtinRoles() []string { return policy.BuiltinRoles() }

// computedRoleSizes is tools/list for each built-in role as a server
// serving toolsets ("default" or "all") sends it: the tools of those
// toolsets the role allows, from the same catalog the server serves,
// marshalled as a tools/list result.
func computedRoleSizes(toolsets string) ([]roleSize, error) {
	sel, err := tools.Select([]string{toolsets})
	if err != nil {
		return nil, err
	}
	served := tools.Served(sel, false)
	var out []roleSize
	for _, name := range policy.BuiltinRoles() {
		role, err := policy.Builtin(name)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", name, err)
		}
		var allowed []toolkit.Tool
		for _, t := range served {
			if role.Allows(t.Info()) {
				allowed = append(allowed, t)
			}
		}
		out = append(out, roleSize{Role: name, Bytes: tools.CatalogBytes(allowed), Tools: len(allowed), Toolsets: toolsets})
	}
	return out, nil
}

// printCatalog prints what each role's catalog costs at the default
// toolsets and at all, against the budgets clients can afford.
func printCatalog(w io.Writer) error {
	fmt.Fprintln(w, "| role | toolsets | tools | bytes | per tool | budget |\n|---|---|---:|---:|---:|---|")
	for _, ts := range []string{"default", "all"} {
		sizes, err := computedRoleSizes(ts)
		if err != nil {
			return err
		}
		for _, rs := range sizes {
			budget := ""
			switch {
			case ts == "default" && rs.Role == "viewer":
				budget = verdict(rs.Bytes <= 20<<10, "≤ 20 KB")
			case ts == "default" && rs.Role == "admin":
				budget = verdict(rs.Bytes <= 40<<10 && rs.Tools < 64, "≤ 40 KB, < 64 tools")
			case ts == "all" && rs.Role == "admin":
				budget = verdict(rs.Bytes <= 1024*rs.Tools, "≤ 1.0 KB per tool")
			}
			fmt.Fprintf(w, "| %s | %s | %d | %d | %.2f KB | %s |\n", rs.Role, ts, rs.Tools, rs.Bytes, float64(rs.Bytes)/1024/float64(max(rs.Tools, 1)), budget)
		}
	}
	fmt.Fprintln(w)
	return nil
}

func verdict(ok bool, budget string) string {
	if ok {
		return budget + " PASS"
	}
	return budget + " MISS"
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
