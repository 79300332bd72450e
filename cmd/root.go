// Package cmd is the vsphere-mcp command line: the cobra tree, flags,
// configuration loading and the wiring of config → vCenter session →
// policy → MCP server → stdio. It holds no business logic.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Execute runs the command line and exits with its status.
func Execute() {
	err := NewRootCmd().Execute()
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintf(os.Stderr, "vsphere-mcp: %v\n", err)
		os.Exit(1)
	}
}

// exitError ends the process with a status and no further message: the
// command already printed what there is to say.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// globalOptions are the flags every subcommand takes and the process's
// streams and environment, injected so commands are testable.
type globalOptions struct {
	simulator string
	logLevel  string
	logFile   string

	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// NewRootCmd returns the vsphere-mcp command tree bound to the process's
// standard streams and environment.
func NewRootCmd() *cobra.Command {
	return newRootCmd(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	o := &globalOptions{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := &cobra.Command{
		Use:   "vsphere-mcp",
		Short: "An MCP server that lets an AI assistant operate VMware vSphere safely",
		Long: `vsphere-mcp serves the Model Context Protocol over stdio so an AI assistant
(Claude Code, Claude Desktop, VS Code, Cursor) can work with vCenter or ESXi.

Without a subcommand it serves MCP on stdin/stdout, which is what MCP clients
launch:  claude mcp add vsphere -- vsphere-mcp

Connection settings come from flags, then VSPHERE_* variables, then govc's
GOVC_* variables. Try it without a vCenter:  vsphere-mcp tools call vm_list --simulator`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.serve(cmd)
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&o.simulator, "simulator", "", `serve an embedded vCenter simulator instead of a real vCenter ("vcenter" or "esx")`)
	pf.Lookup("simulator").NoOptDefVal = string(vcenter.SimVCenter)
	pf.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error (logs go to stderr, never stdout)")
	pf.StringVar(&o.logFile, "log-file", "", "write logs to this file instead of stderr")
	addConnectionFlags(pf)

	root.AddCommand(newServeCmd(o), newToolsCmd(o), newVersionCmd(o))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath())
	})
	return root
}

// app is one wired-up server: session, tools and MCP server.
type app struct {
	log     *slog.Logger
	session *vcenter.Session
	sim     *vcenter.Simulator
	tools   []tools.Tool
	server  mcpServer
	closers []func()
}

func (o *globalOptions) logger() (*slog.Logger, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	w, closeFn := o.stderr, func() {}
	if o.logFile != "" {
		f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { _ = f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}

// newApp wires the server. The vCenter session connects lazily, so this
// never blocks on vCenter; with --simulator it starts the simulator.
func (o *globalOptions) newApp(ctx context.Context, cmd *cobra.Command, version string) (*app, error) {
	log, closeLog, err := o.logger()
	if err != nil {
		return nil, err
	}
	a := &app{log: log, closers: []func(){closeLog}}
	cfg, err := connectionConfig(cmd.Flags(), o.getenv, nil)
	if err != nil {
		a.close()
		return nil, err
	}
	if o.simulator != "" {
		kind := vcenter.SimulatorKind(strings.ToLower(o.simulator))
		if kind != vcenter.SimVCenter && kind != vcenter.SimESX {
			a.close()
			return nil, fmt.Errorf(`--simulator %q: want "vcenter" or "esx"`, o.simulator)
		}
		sim, err := vcenter.StartSimulator(ctx, vcenter.DemoModel(kind), true)
		if err != nil {
			a.close()
			return nil, err
		}
		a.sim = sim
		a.closers = append(a.closers, sim.Close)
		cfg = sim.Config
		log.Info("serving the embedded simulator", "kind", kind, "url", sim.Config.URL)
	}
	a.session = vcenter.NewSession(cfg, log)
	deps := tools.Deps{Session: a.session, Log: log}
	a.tools = tools.All(deps)
	a.server = tools.NewServer(deps, tools.Options{Version: version, Tools: a.tools})
	return a, nil
}

// close logs out of vCenter and releases everything, in reverse order.
func (a *app) close() {
	if a.session != nil {
		ctx, cancel := context.WithTimeout(context.Background(), defaultLogoutTimeout)
		if err := a.session.Close(ctx); err != nil {
			a.log.Warn("logout failed", "error", err)
		}
		cancel()
	}
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}
