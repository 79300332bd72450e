package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/spf13/cobra"
)

// maxArgsInput bounds tool arguments read from a file or stdin; the server
// refuses far less (toolkit.MaxArgBytes), with a clear message.
const maxArgsInput = 16 << 20

// toolsCall is `tools call`: one tool through the real server, middleware,
// policy and audit included, via an in-process MCP client that stands for
// the person at the shell.
type toolsCall struct {
	o       *globalOptions
	asJSON  bool
	timeout time.Duration

	name string
	args map[string]any
}

func newToolsCallCmd(o *globalOptions) *cobra.Command {
	tc := &toolsCall{o: o}
	c := &cobra.Command{
		Use:   "call NAME [JSON | @FILE | -]",
		Short: "Call one tool and print its result; exit status 1 on a tool error",
		Long: `Call one tool through the same policy, confirmation and audit path an MCP
client's call takes, and print the text the model would read (or, with --json,
the structured result; errors too are JSON then: {"error": …, "isError": true}).

The arguments are a JSON object: inline, from a file (@args.json) or from
standard input (-).

On a terminal, a tool that needs a person's confirmation asks on the terminal
(y/N) and long work shows a progress line on stderr. Without a terminal
(standard input or standard error redirected) nothing can be asked, so such a
call is refused and nothing is done.

A tool the role hides, a toolset not served or a misspelt name is explained
(the MCP answer to a client stays "not found"). Logs are at warn unless
--log-level is given.`,
		Example: `  vsphere-mcp tools call vm_list --simulator
  vsphere-mcp tools call vm_list '{"power_state":"poweredOff","limit":10}'
  vsphere-mcp tools call vm_get '{"vm":"web-01"}' --json
  vsphere-mcp tools call vm_power_off @args.json --role operator
  echo '{"vm":"web-01"}' | vsphere-mcp tools call vm_get -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.RangeArgs(1, 2)(cmd, args); err != nil {
				return tc.fail(fmt.Errorf("%w: tools call NAME [JSON | @FILE | -]", err))
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return completeToolCallArgs(o, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			tc.name = args[0]
			if len(args) == 2 {
				var err error
				if tc.args, err = tc.readArgs(args[1]); err != nil {
					return tc.fail(err)
				}
			}
			return tc.run(cmd)
		},
	}
	c.Flags().BoolVar(&tc.asJSON, "json", false, `print the structured result as JSON instead of the text the model reads; errors as {"error": …, "isError": true}`)
	c.Flags().DurationVar(&tc.timeout, "timeout", 5*time.Minute, "give up after this long (0 = no limit)")
	return c
}

// readArgs reads the tool's arguments: JSON inline, @FILE or - (stdin).
func (tc *toolsCall) readArgs(spec string) (map[string]any, error) {
	var data []byte
	var from string
	switch {
	case spec == "-":
		b, err := io.ReadAll(io.LimitReader(tc.o.stdin, maxArgsInput+1))
		if err != nil {
			return nil, fmt.Errorf("read the tool arguments from standard input: %w", err)
		}
		data, from = b, " on standard input"
	case strings.HasPrefix(spec, "@"):
		path := spec[1:]
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read the tool arguments: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxArgsInput+1))
		if err != nil {
			return nil, fmt.Errorf("read the tool arguments from %s: %w", path, err)
		}
		data, from = b, " in "+path
	default:
		data = []byte(spec)
	}
	if len(data) > maxArgsInput {
		return nil, fmt.Errorf("tool arguments%s are over %d MiB", from, maxArgsInput>>20)
	}
	if strings.TrimSpace(string(data)) == "" {
		return nil, nil
	}
	var args map[string]any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&args); err != nil {
		return nil, fmt.Errorf(`tool arguments%s must be a JSON object, e.g. '{"vm":"web-01"}': %v`, from, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("tool arguments%s: more than one JSON value", from)
	}
	if args == nil {
		return nil, fmt.Errorf(`tool arguments%s must be a JSON object, e.g. '{"vm":"web-01"}', not null`, from)
	}
	return args, nil
}

func (tc *toolsCall) run(cmd *cobra.Command) error {
	o := tc.o
	// A person reads the result, not a server log: warnings and errors
	// only, unless --log-level says otherwise, and not the session's
	// "connection failed", which the call's own error repeats.
	if !cmd.Flags().Changed("log-level") {
		o.logLevel = "warn"
		o.dropLogs = []string{"vCenter connection failed"}
	}
	// Ctrl-C at a question or during a long task cancels the call, and the
	// session still logs out of vCenter on the way out.
	sctx, stop := withSignals(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := contextWithOptionalTimeout(sctx, tc.timeout)
	defer cancel()
	a, err := o.newApp(ctx, cmd, versionString())
	if err != nil {
		return tc.fail(err)
	}
	defer a.close()
	why := whyNotServed(a.settings, tc.name)

	tty := newTerminal(tc.name, o.stdin, o.stderr)
	var opts []client.ClientOption
	if tty.canAsk {
		// Declaring elicitation is what lets the server ask at all: a
		// client that cannot ask gets the policy's fallback instead.
		opts = append(opts, client.WithElicitationHandler(tty))
	}
	cl, err := client.NewInProcessClientWithOptions(a.server, opts...)
	if err != nil {
		return tc.fail(fmt.Errorf("start the in-process MCP client: %w", err))
	}
	defer cl.Close()
	if err := cl.Start(ctx); err != nil {
		return tc.fail(fmt.Errorf("start the in-process MCP client: %w", err))
	}
	cl.OnNotification(tty.progress)
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "vsphere-mcp-cli", Version: versionString()}
	if _, err := cl.Initialize(ctx, init); err != nil {
		return tc.fail(fmt.Errorf("initialize the in-process MCP client: %w", err))
	}

	req := mcp.CallToolRequest{}
	req.Params.Name = tc.name
	req.Params.Arguments = tc.args
	if tty.drawsProgress {
		req.Params.Meta = &mcp.Meta{ProgressToken: mcp.ProgressToken("cli")}
	}
	// A tool the server does not serve is still called: the server audits
	// the refusal, exactly as it does for an MCP client.
	res, err := cl.CallTool(ctx, req)
	tty.finish()
	switch {
	case err != nil && why != "":
		return tc.fail(errors.New(why))
	case err != nil:
		return tc.fail(fmt.Errorf("call %s: %w", tc.name, err))
	}
	// Not only the tools the role always confirms: a tool may ask because
	// of its arguments or targets (guard.Confirm), e.g. maintenance mode.
	if res.IsError && !tty.canAsk && isNoElicitationRefusal(res) {
		// The server's message is about MCP clients; the person at the
		// shell needs to know it was the terminal that was missing.
		res.Content = []mcp.Content{mcp.NewTextContent(fmt.Sprintf(
			"%s needs a person's confirmation, which tools call asks for on the terminal, but %s (redirected, piped or run from a script); nothing was done. Run it from an interactive terminal.",
			tc.name, tty.noTTYReason()))}
	}
	return tc.print(res)
}

// isNoElicitationRefusal reports whether res is the guard's refusal of a
// call that needed a confirmation the client could not ask for.
func isNoElicitationRefusal(res *mcp.CallToolResult) bool {
	return strings.Contains(resultText(res), "needs a person's confirmation and this MCP client cannot ask for it")
}

// print writes a result: the text the model reads, or JSON with --json.
// A tool error goes to stderr (as JSON to stdout with --json) and exits 1.
func (tc *toolsCall) print(res *mcp.CallToolResult) error {
	o := tc.o
	switch {
	case res.IsError && tc.asJSON:
		out := map[string]any{"error": resultText(res), "isError": true}
		if res.StructuredContent != nil {
			out["structuredContent"] = res.StructuredContent
		}
		if err := writeJSON(o.stdout, out); err != nil {
			return err
		}
		return &exitError{code: 1}
	case res.IsError:
		fmt.Fprint(o.stderr, printableResult(res))
		return &exitError{code: 1}
	case tc.asJSON && res.StructuredContent != nil:
		return writeJSON(o.stdout, res.StructuredContent)
	case tc.asJSON:
		// A result without structured content (a preview, say) is its text.
		return writeJSON(o.stdout, map[string]any{"text": resultText(res)})
	}
	fmt.Fprint(o.stdout, printableResult(res))
	return nil
}

// fail reports err as the command's error, or with --json prints it as a
// JSON error and exits 1 so the shell reads one JSON document either way.
func (tc *toolsCall) fail(err error) error {
	if !tc.asJSON {
		return err
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if werr := writeJSON(tc.o.stdout, map[string]any{"error": err.Error(), "isError": true}); werr != nil {
		return errors.Join(err, werr)
	}
	return &exitError{code: 1}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write the JSON result: %w", err)
	}
	return nil
}

// resultText is the text content of a result, joined.
func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			parts = append(parts, strings.TrimRight(t.Text, "\n"))
		}
	}
	return strings.Join(parts, "\n")
}

// printableResult is each text content on its own line(s).
func printableResult(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			b.WriteString(strings.TrimRight(t.Text, "\n") + "\n")
		}
	}
	return b.String()
}

func contextWithOptionalTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
