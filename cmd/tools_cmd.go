package cmd

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

func newToolsCmd(o *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "tools",
		Short: "List the tools, or call one from the shell",
	}
	c.AddCommand(newToolsListCmd(o), newToolsCallCmd(o))
	return c
}

func newToolsListCmd(o *globalOptions) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "list",
		Short: "Print the toolsets with their sizes, and the tools the effective role is served",
		Long: `Print every toolset: whether it is served (--toolsets, VSPHERE_MCP_TOOLSETS or the
profile's toolsets key) and what its tools cost a client in tools/list bytes for
the effective role. Then print the tools served (the role of the selected
profile, capped by the system policy, within the served toolsets, read tools
only under --read-only), with toolset, risk and a one-line description.
With --all, print every tool and whether it is served.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Listing needs neither vCenter nor a password: only the role.
			s, err := o.loadSettings()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
			served := map[toolkit.ToolsetID]bool{}
			for _, ts := range s.toolsets {
				served[ts.ID] = true
			}
			// What each toolset costs a client: the bytes of the tool
			// definitions this role would be served from it.
			fmt.Fprintln(w, "TOOLSET\tSERVED\tTOOLS\tBYTES\tDESCRIPTION")
			total, totalTools := 0, 0
			for _, ts := range tools.Toolsets() {
				allowed := allowedTools(s, ts.Tools())
				size := tools.CatalogBytes(allowed)
				mark := "no"
				switch {
				case served[ts.ID] && len(allowed) == 0:
					mark = "no tool for role " + s.role.Name()
				case served[ts.ID]:
					mark = "yes"
					total += size
					totalTools += len(allowed)
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", ts.ID, mark, len(allowed), size, ts.Description)
			}
			fmt.Fprintf(w, "served\t(%s)\t%d\t%d\t\n", s.toolsetsSource, totalTools, total)
			fmt.Fprintln(w)
			if all {
				fmt.Fprintf(w, "TOOL\tTOOLSET\tRISK\tROLE %s\tDESCRIPTION\n", s.role.Name())
			} else {
				fmt.Fprintln(w, "TOOL\tTOOLSET\tRISK\tDESCRIPTION")
			}
			for _, t := range tools.All() {
				allowed := s.role.Allows(t.Info()) && (!s.readOnly || t.Risk == policy.RiskRead)
				switch {
				case all:
					mark := "-"
					switch {
					case allowed && served[t.Toolset]:
						mark = "served"
					case allowed:
						mark = "allowed, toolset not served"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Def.Name, t.Toolset, t.Risk, mark, firstSentence(t.Def.Description))
				case allowed && served[t.Toolset]:
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Def.Name, t.Toolset, t.Risk, firstSentence(t.Def.Description))
				}
			}
			return w.Flush()
		},
	}
	c.Flags().BoolVar(&all, "all", false, "list every tool, marking those the role allows")
	return c
}

// firstSentence is s up to the first ". " that ends a sentence: an
// abbreviation ("e.g. ", "i.e. ", "etc. ") does not end one.
func firstSentence(s string) string {
	for from := 0; ; {
		i := strings.Index(s[from:], ". ")
		if i < 0 {
			return s
		}
		end := from + i + 1
		if !endsAbbreviation(s[:end]) {
			return s[:end]
		}
		from = end
	}
}

func endsAbbreviation(s string) bool {
	for _, a := range []string{"e.g.", "i.e.", "etc.", "vs."} {
		if strings.HasSuffix(s, a) && (len(s) == len(a) || !isLetter(s[len(s)-len(a)-1])) {
			return true
		}
	}
	return false
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// allowedTools are those of ts the settings' role allows (read tools only
// under read-only).
func allowedTools(s *settings, ts []toolkit.Tool) []toolkit.Tool {
	var out []toolkit.Tool
	for _, t := range ts {
		if s.role.Allows(t.Info()) && (!s.readOnly || t.Risk == policy.RiskRead) {
			out = append(out, t)
		}
	}
	return out
}
