package cmd

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// whyNotServed explains, for the CLI only, why the server will answer a
// call of name with "not found": no such tool (with the nearest names),
// the role does not allow it, --read-only, or its toolset is not served.
// It is "" when the tool is served. Over MCP a hidden tool stays "not
// found", so a model learns nothing about what the role hides; the person
// at the shell chose the role and is told.
func whyNotServed(s *settings, name string) string {
	all := tools.All()
	i := slices.IndexFunc(all, func(t toolkit.Tool) bool { return t.Def.Name == name })
	if i < 0 {
		names := make([]string, len(all))
		for j, t := range all {
			names[j] = t.Def.Name
		}
		msg := fmt.Sprintf("unknown tool %q", toolkit.Truncate(name, 64))
		if near := nearest(name, names, 3); len(near) > 0 {
			msg += "; did you mean " + strings.Join(near, " or ") + "?"
		}
		return msg + " (vsphere-mcp tools list --all lists every tool)"
	}
	t := all[i]
	info := t.Info()
	switch {
	case !s.role.Allows(info):
		msg := fmt.Sprintf("%s is not available to role %s (from %s", name, s.role.Name(), s.roleSource)
		if capped := s.role.Describe().CappedBy; len(capped) > 0 {
			msg += ", capped by system max_role " + strings.Join(capped, ", ")
		}
		msg += ")"
		if roles := rolesAllowing(s, info); len(roles) > 0 {
			msg += "; roles that allow it here: " + strings.Join(roles, ", ") + " (choose one with --role or " + envRole + ")"
		} else {
			msg += "; no role allows it on this machine: the system policy forbids it"
		}
		return msg
	case s.readOnly && t.Risk != policy.RiskRead:
		return fmt.Sprintf("%s changes vCenter, and read-only is on (from %s)", name, s.readOnlySource)
	case !slices.ContainsFunc(s.toolsets, func(ts toolkit.Toolset) bool { return ts.ID == t.Toolset }):
		return fmt.Sprintf("%s is in toolset %s, which is not served (toolsets from %s: %s); add it with --toolsets %s or %s",
			name, t.Toolset, s.toolsetsSource, strings.Join(tools.IDs(s.toolsets), ","), strings.Join(append(tools.IDs(s.toolsets), string(t.Toolset)), ","), envToolsets)
	}
	return ""
}

// rolesAllowing lists the built-in and custom roles that, capped by the
// system policy, allow t.
func rolesAllowing(s *settings, t policy.ToolInfo) []string {
	var out []string
	for _, name := range roleNames(s.file.RoleNames()) {
		r, err := policy.Resolve(s.file.Roles, name)
		if err == nil {
			r, err = r.Cap(s.sys, nil)
		}
		if err == nil && r.Allows(t) {
			out = append(out, name)
		}
	}
	return out
}

// roleNames is the built-in roles, weakest first, then the custom ones.
func roleNames(custom []string) []string {
	names := slices.Clone(policy.BuiltinRoles())
	for _, c := range custom {
		names = append(names, strings.ToLower(c))
	}
	return names
}

// nearest returns up to n of candidates closest to s: those within a few
// edits (more for longer names), then those containing s, closest first.
func nearest(s string, candidates []string, n int) []string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil
	}
	limit := max(2, len(s)/3)
	type scored struct {
		name string
		d    int
	}
	var hits []scored
	for _, c := range candidates {
		d := editDistance(s, c)
		switch {
		case sameWords(s, c):
			d = 1 // power_off_vm for vm_power_off
		case d <= limit:
		case len(s) >= 4 && strings.Contains(c, s):
			d = limit + 1 + len(c) - len(s)
		default:
			continue
		}
		hits = append(hits, scored{c, d})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].d < hits[j].d })
	var out []string
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.name)
	}
	return out
}

// sameWords reports whether a and b are the same _-separated words in
// another order.
func sameWords(a, b string) bool {
	wa, wb := strings.Split(a, "_"), strings.Split(b, "_")
	slices.Sort(wa)
	slices.Sort(wb)
	return slices.Equal(wa, wb)
}

// editDistance is the Damerau–Levenshtein distance (optimal string
// alignment) between a and b, by bytes: tool names are ASCII.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
