package cmd

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
)

func newRolesCmd(o *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "roles [NAME]",
		Short: "Show each built-in and custom role and the tools it allows here",
		Long: `Show each built-in and custom role (or only NAME): what it inherits, its
allow/deny/confirm/protect rules, scope and rate limits, and the tools it allows.
Roles are shown as they apply on this machine, that is capped by the system
policy. The effective role (--role, VSPHERE_MCP_ROLE or the selected
profile's) is marked with *.`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, noFiles
			}
			return completeRoles(o, toComplete), noFiles
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.loadSettings()
			if err != nil {
				return err
			}
			names := slices.Clone(policy.BuiltinRoles())
			custom := s.file.RoleNames()
			for i := range custom {
				custom[i] = strings.ToLower(custom[i])
			}
			names = append(names, custom...)
			if len(args) == 1 {
				want := strings.ToLower(args[0])
				if !slices.Contains(names, want) {
					return fmt.Errorf("unknown role %q (roles: %s)", args[0], strings.Join(names, ", "))
				}
				names = []string{want}
			}
			infos := toolInfos(tools.All())
			if len(s.sys.Sources) > 0 {
				fmt.Fprintf(o.stdout, "System policy %s applies to every role below.\n\n", strings.Join(s.sys.Sources, ", "))
			}
			for i, name := range names {
				r, err := policy.Resolve(s.file.Roles, name)
				if err == nil {
					r, err = r.Cap(s.sys, nil)
				}
				if err != nil {
					return err
				}
				if i > 0 {
					fmt.Fprintln(o.stdout)
				}
				mark := ""
				if name == s.role.Name() {
					mark = "  * " + roleMark(s)
				}
				fmt.Fprintf(o.stdout, "%s (%s)%s\n", name, roleLineage(r), mark)
				writeRole(o.stdout, r, infos)
			}
			return nil
		},
	}
}

// roleMark says whose role the effective role is.
func roleMark(s *settings) string {
	switch {
	case strings.HasPrefix(s.roleSource, "flag") || strings.HasPrefix(s.roleSource, "env"):
		return "role chosen by " + s.roleSource
	case s.profileName != "":
		return "role of profile " + s.profileName
	}
	return "role of this setup (no profile)"
}

// writeRole prints a role's rules and the tools it allows.
func writeRole(w io.Writer, r *policy.Role, infos []policy.ToolInfo) {
	d := r.Describe()
	line := func(label string, items []string) {
		if len(items) > 0 {
			fmt.Fprintf(w, "  %-10s %s\n", label+":", strings.Join(items, ", "))
		}
	}
	line("allow", d.Allow)
	line("deny", d.Deny)
	line("confirm", d.Confirm)
	line("protect", d.Protect)
	for _, sc := range d.Scopes {
		fmt.Fprintf(w, "  %-10s %s\n", "scope:", describeScope(sc))
	}
	if !d.Limits.IsZero() {
		fmt.Fprintf(w, "  %-10s %s\n", "limits:", describeLimits(d.Limits))
	}
	allowed := r.AllowedTools(infos)
	var names, confirmed []string
	for _, t := range allowed {
		names = append(names, t.Name)
		if r.NeedsConfirm(t) {
			confirmed = append(confirmed, t.Name)
		}
	}
	if len(names) == 0 {
		names = []string{"(none)"}
	}
	fmt.Fprintf(w, "  %-10s %d of %d: %s\n", "tools:", len(allowed), len(infos), strings.Join(names, ", "))
	if len(confirmed) > 0 {
		fmt.Fprintf(w, "  %-10s %s\n", "confirmed:", strings.Join(confirmed, ", "))
	}
}

func describeScope(sc policy.Scope) string {
	var parts []string
	add := func(label string, v []string) {
		if len(v) > 0 {
			parts = append(parts, label+" "+strings.Join(v, ", "))
		}
	}
	add("datacenters", sc.Datacenters)
	add("clusters", sc.Clusters)
	add("folders", sc.Folders)
	add("vms", sc.VMs)
	return strings.Join(parts, "; ")
}

func describeLimits(l policy.Limits) string {
	var parts []string
	if l.CallsPerSecond > 0 {
		parts = append(parts, fmt.Sprintf("%g calls/s", l.CallsPerSecond))
	}
	if l.Burst > 0 {
		parts = append(parts, fmt.Sprintf("burst %d", l.Burst))
	}
	if l.WritesPerHour > 0 {
		parts = append(parts, fmt.Sprintf("%d writes/hour", l.WritesPerHour))
	}
	return strings.Join(parts, ", ")
}
