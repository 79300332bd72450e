package cmd

import (
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// Shell completion (cobra's `completion` command writes the scripts; they
// call the hidden `__complete`). Completing never connects anywhere and
// never prints a warning: a broken config just completes less.

const noFiles = cobra.ShellCompDirectiveNoFileComp

// registerCompletions completes the global flags' values.
func registerCompletions(root *cobra.Command, o *globalOptions) {
	must := func(err error) {
		if err != nil {
			panic(err) // a flag name typo here is a programming error
		}
	}
	must(root.RegisterFlagCompletionFunc("profile", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completeProfiles(o, toComplete), noFiles
	}))
	must(root.RegisterFlagCompletionFunc("role", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completeRoles(o, toComplete), noFiles
	}))
	must(root.RegisterFlagCompletionFunc("toolsets", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completeToolsets(toComplete), noFiles | cobra.ShellCompDirectiveNoSpace
	}))
	must(root.RegisterFlagCompletionFunc("simulator", cobra.FixedCompletions([]cobra.Completion{"vcenter", "esx"}, noFiles)))
	must(root.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]cobra.Completion{"debug", "info", "warn", "error"}, noFiles)))
}

// completeProfiles is the config file's profiles, with their descriptions.
func completeProfiles(o *globalOptions, prefix string) []cobra.Completion {
	f, _, _, err := o.loadFile()
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, name := range f.ProfileNames() {
		if !strings.HasPrefix(name, strings.ToLower(prefix)) {
			continue
		}
		p := f.Profiles[name]
		desc := p.Description
		if desc == "" {
			desc = "role " + dash(p.Role)
		}
		out = append(out, cobra.CompletionWithDesc(name, oneLine(desc)))
	}
	return out
}

// completeRoles is the built-in roles and the config file's custom roles.
func completeRoles(o *globalOptions, prefix string) []cobra.Completion {
	var custom []string
	if f, _, _, err := o.loadFile(); err == nil {
		custom = f.RoleNames()
	}
	var out []cobra.Completion
	for i, name := range roleNames(custom) {
		if !strings.HasPrefix(name, strings.ToLower(prefix)) {
			continue
		}
		desc := "custom role"
		if i < len(policy.BuiltinRoles()) {
			desc = "built-in role"
		}
		out = append(out, cobra.CompletionWithDesc(name, desc))
	}
	return out
}

// completeToolsets completes the last item of a comma-separated list.
func completeToolsets(toComplete string) []cobra.Completion {
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	chosen := map[string]bool{}
	for _, n := range strings.Split(done, ",") {
		chosen[strings.TrimSpace(n)] = true
	}
	var out []cobra.Completion
	add := func(name, desc string) {
		if !chosen[name] && strings.HasPrefix(name, last) {
			out = append(out, cobra.CompletionWithDesc(done+name, desc))
		}
	}
	for _, ts := range tools.Toolsets() {
		add(string(ts.ID), oneLine(ts.Description))
	}
	add("all", "every toolset")
	add("default", "the default toolsets")
	return out
}

// completeToolCallArgs completes `tools call`'s tool name — the tools the
// effective role is served, else any tool (the call then says why it is
// not served) — and @FILE for the arguments.
func completeToolCallArgs(o *globalOptions, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		var served []toolkit.Tool
		if s, err := o.loadSettings(); err == nil {
			served = allowedTools(s, tools.Served(s.toolsets, s.readOnly))
		}
		if out := toolCompletions(served, toComplete); len(out) > 0 {
			return out, noFiles
		}
		return toolCompletions(tools.All(), toComplete), noFiles
	case 1:
		if pattern, ok := strings.CutPrefix(toComplete, "@"); ok {
			matches, _ := filepath.Glob(pattern + "*")
			out := make([]cobra.Completion, len(matches))
			for i, m := range matches {
				out[i] = "@" + m
			}
			return out, noFiles | cobra.ShellCompDirectiveNoSpace
		}
	}
	return nil, noFiles
}

func toolCompletions(ts []toolkit.Tool, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, t := range ts {
		if strings.HasPrefix(t.Def.Name, prefix) {
			out = append(out, cobra.CompletionWithDesc(t.Def.Name, oneLine(firstSentence(t.Def.Description))))
		}
	}
	return out
}

// oneLine keeps a description to one short line, as shells show them.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncateRunes(s, 80)
}
