package cmd

import (
	"fmt"
	"slices"
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

// nearest returns up to n of candidates closest to s (toolkit.Nearest).
func nearest(s string, candidates []string, n int) []string { return toolkit.Nearest(s, candidates, n) }
