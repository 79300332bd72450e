package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/tools"
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
		Short: "Print the tools the effective role allows, with risk and a one-line description",
		Long: `Print the tools the effective role allows (the role of the selected profile,
capped by the system policy), with their risk and a one-line description.
With --all, print every tool and whether the role allows it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Listing needs neither vCenter nor a password: only the role.
			s, err := o.loadSettings()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
			if all {
				fmt.Fprintf(w, "TOOL\tRISK\tROLE %s\tDESCRIPTION\n", s.role.Name())
			} else {
				fmt.Fprintln(w, "TOOL\tRISK\tDESCRIPTION")
			}
			for _, t := range tools.All(tools.Deps{}) {
				allowed := s.role.Allows(t.Info())
				switch {
				case all:
					mark := "-"
					if allowed {
						mark = "allowed"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Def.Name, t.Risk, mark, firstSentence(t.Def.Description))
				case allowed:
					fmt.Fprintf(w, "%s\t%s\t%s\n", t.Def.Name, t.Risk, firstSentence(t.Def.Description))
				}
			}
			return w.Flush()
		},
	}
	c.Flags().BoolVar(&all, "all", false, "list every tool, marking those the role allows")
	return c
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func newToolsCallCmd(o *globalOptions) *cobra.Command {
	var asJSON bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "call NAME ['{\"json\":\"args\"}']",
		Short: "Call one tool and print its result; exit status 1 on a tool error",
		Example: `  vsphere-mcp tools call vm_list --simulator
  vsphere-mcp tools call vm_list '{"power_state":"poweredOff","limit":10}'
  vsphere-mcp tools call vm_get '{"vm":"web-01"}' --json`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var toolArgs map[string]any
			if len(args) == 2 && strings.TrimSpace(args[1]) != "" {
				if err := json.Unmarshal([]byte(args[1]), &toolArgs); err != nil {
					return fmt.Errorf(`tool arguments must be a JSON object, e.g. '{"vm":"web-01"}': %v`, err)
				}
			}
			ctx, cancel := contextWithOptionalTimeout(cmd, timeout)
			defer cancel()
			a, err := o.newApp(ctx, cmd, versionString())
			if err != nil {
				return err
			}
			defer a.close()

			// The call goes through the real MCP server, middleware and all,
			// via an in-process client.
			cl, err := client.NewInProcessClient(a.server)
			if err != nil {
				return fmt.Errorf("start in-process MCP client: %w", err)
			}
			defer cl.Close()
			if err := cl.Start(ctx); err != nil {
				return fmt.Errorf("start in-process MCP client: %w", err)
			}
			init := mcp.InitializeRequest{}
			init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
			init.Params.ClientInfo = mcp.Implementation{Name: "vsphere-mcp-cli", Version: versionString()}
			if _, err := cl.Initialize(ctx, init); err != nil {
				return fmt.Errorf("initialize: %w", err)
			}
			req := mcp.CallToolRequest{}
			req.Params.Name = args[0]
			req.Params.Arguments = toolArgs
			res, err := cl.CallTool(ctx, req)
			if err != nil {
				return fmt.Errorf("call %s: %w", args[0], err)
			}
			if asJSON && !res.IsError {
				enc := json.NewEncoder(o.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res.StructuredContent); err != nil {
					return err
				}
			} else {
				out := o.stdout
				if res.IsError {
					out = o.stderr
				}
				for _, c := range res.Content {
					if tc, ok := c.(mcp.TextContent); ok {
						fmt.Fprint(out, strings.TrimRight(tc.Text, "\n")+"\n")
					}
				}
			}
			if res.IsError {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the structured result as JSON instead of the text the model reads")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long (0 = no limit)")
	return c
}

func contextWithOptionalTimeout(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(cmd.Context())
	}
	return context.WithTimeout(cmd.Context(), d)
}
