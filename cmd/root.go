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
	"time"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
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
	configPath string
	profile    string
	role       string
	simulator  string
	logLevel   string
	logFile    string
	toolsets   []string
	readOnly   bool
	// dropLogs are log messages left out of the log (tools call: what its
	// own error already says).
	dropLogs []string

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

What it may do is decided by the role of your config profile (default: viewer,
read-only), capped by the administrator's system policy, and every tool call is
written to a hash-chained audit trail.

Connection settings come from flags, then VSPHERE_* variables, then the config
profile, then govc's GOVC_* variables. Start with:
  vsphere-mcp config init        write a commented config file
  vsphere-mcp doctor             check config, permissions, connection and rights
  vsphere-mcp tools call vm_list --simulator    try it without a vCenter`,
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
	pf.StringVar(&o.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/vsphere-mcp/config.yaml) [$"+envConfig+"]")
	pf.StringVar(&o.profile, "profile", "", "config profile to use (default: the config's default_profile) [$"+envProfile+"]")
	pf.StringVar(&o.role, "role", "", "role to use: a built-in or custom role, capped by the system policy (default: the profile's role, else viewer) [$"+envRole+"]")
	pf.StringVar(&o.simulator, "simulator", "", `serve an embedded vCenter simulator instead of a real vCenter ("vcenter" or "esx")`)
	pf.Lookup("simulator").NoOptDefVal = string(vcenter.SimVCenter)
	pf.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error (logs go to stderr, never stdout)")
	pf.StringVar(&o.logFile, "log-file", "", "write logs to this file instead of stderr")
	pf.StringSliceVar(&o.toolsets, "toolsets", nil, "toolsets to serve, comma-separated: names, all or default (default: the profile's toolsets, else default) [$"+envToolsets+"]")
	pf.BoolVar(&o.readOnly, "read-only", false, "serve and allow only read tools, whatever the role [$"+envReadOnly+"]")
	addConnectionFlags(pf)
	addDefaultFlags(pf)

	root.AddCommand(newServeCmd(o), newToolsCmd(o), newConfigCmd(o), newProfilesCmd(o), newRolesCmd(o),
		newDoctorCmd(o), newAuditCmd(o), newLoginCmd(o), newVersionCmd(o))
	root.Version = versionString()
	root.SetVersionTemplate(versionLine() + "\n")
	registerCompletions(root, o)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath())
	})
	return root
}

// app is one wired-up server: settings, session, policy, tools and MCP
// server.
type app struct {
	log      *slog.Logger
	settings *settings
	session  *vcenter.Session
	sim      *vcenter.Simulator
	audit    *audit.Writer
	policy   *tools.Policy
	tools    []toolkit.Tool
	server   mcpServer
	closers  []func()
	// beforeLogout run while the session is still logged in.
	beforeLogout []func()
}

// logger is the process's log: text records on stderr or --log-file at
// --log-level, and the same records, at the level each asks for, to the
// MCP clients that ask for them (see mcpLog).
func (o *globalOptions) logger() (*slog.Logger, *mcpLog, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, nil, nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	w, closeFn := o.stderr, func() {}
	if o.logFile != "" {
		f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { _ = f.Close() }
	}
	var file slog.Handler = slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	if len(o.dropLogs) > 0 {
		file = dropHandler{file, o.dropLogs}
	}
	ml := newMCPLog()
	return slog.New(teeHandler{file, &mcpLogHandler{l: ml}}), ml, closeFn, nil
}

// newApp wires the server: config and system policy → effective role →
// vCenter session gated by the role's scope → audit trail and rate limits
// → MCP server. The vCenter session connects lazily, so this never blocks
// on vCenter; with --simulator it starts the simulator, whose connection
// replaces the profile's while the profile's role, policy and audit still
// apply.
func (o *globalOptions) newApp(ctx context.Context, cmd *cobra.Command, version string) (_ *app, err error) {
	log, ml, closeLog, err := o.logger()
	if err != nil {
		return nil, err
	}
	a := &app{log: log, closers: []func(){closeLog}}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	s, err := o.loadSettings()
	if err != nil {
		return nil, err
	}
	a.settings = s

	var cfg vcenter.Config
	if o.simulator != "" {
		kind := vcenter.SimulatorKind(strings.ToLower(o.simulator))
		if kind != vcenter.SimVCenter && kind != vcenter.SimESX {
			return nil, fmt.Errorf(`--simulator %q: want "vcenter" or "esx"`, o.simulator)
		}
		sim, err := vcenter.StartSimulator(ctx, vcenter.DemoModel(kind), true)
		if err != nil {
			return nil, err
		}
		a.sim = sim
		a.closers = append(a.closers, sim.Close)
		cfg = sim.Config
		cfg.KeepAlive = keepAliveDefault
		// The profile's connection settings do not apply to the demo, but
		// a --datacenter given on this command line does (relative paths,
		// [datastore] paths when two datacenters share a datastore name).
		if f := cmd.Flags().Lookup("datacenter"); f != nil && f.Changed {
			cfg.Datacenter = f.Value.String()
		}
		log.Info("serving the embedded simulator", "kind", kind, "url", sim.Config.URL)
	} else {
		var srcs []setting
		if cfg, srcs, err = o.connection(ctx, cmd.Flags(), s, true); err != nil {
			return nil, err
		}
		// Refused here, before the server starts, rather than at the first
		// tool call: nothing connects to a vCenter the rules forbid.
		var warnings []string
		if cfg, warnings, err = s.checkConnection(cfg, srcs); err != nil {
			return nil, err
		}
		s.warnings = append(s.warnings, warnings...)
		if cfg.Insecure {
			s.warnings = append(s.warnings, "TLS verification is off (insecure): anyone on the network path can read the vCenter password; use ca_file or thumbprint")
		}
	}
	for _, w := range s.warnings {
		log.Warn(w)
	}

	if s.auditErr != nil {
		return nil, fmt.Errorf("no audit file: %w", s.auditErr)
	}
	// Open refuses a link, an unsafe directory and a trail that does not
	// continue its checkpoint (`audit rotate` is the way past that).
	trail, err := audit.Open(s.auditPath)
	if err != nil {
		return nil, err
	}
	a.audit = trail
	a.closers = append(a.closers, func() {
		// The head in the log is a copy of it off the trail's own file.
		log.Info("audit trail closed", "file", trail.Path(), "head", trail.Head().String())
		if err := trail.Close(); err != nil {
			log.Warn("closing the audit trail", "error", err)
		}
	})
	for _, w := range trail.Warnings() {
		log.Warn(w)
	}
	trail.OnWarning(func(m string) { log.Warn(m) }) // what it notices while serving

	a.session = vcenter.NewSession(cfg, log, vcenter.WithGate(tools.ScopeGate(s.role)))
	if s.file != nil && s.file.Audit.VCenterEvents {
		heads := &auditHeads{session: a.session, file: trail.Path(), log: log}
		trail.OnCheckpoint(s.file.Audit.CheckpointEvery, heads.checkpoint)
		a.beforeLogout = append(a.beforeLogout, func() { heads.final(trail.Head()) })
	}
	a.policy = &tools.Policy{
		Role:     s.role,
		Profile:  s.profileName,
		Limiter:  policy.NewLimiter(s.role.Limits(), time.Now),
		Audit:    trail,
		Fallback: s.fallback,
		Tokens:   policy.NewTokens(time.Now, policy.DefaultTokenTTL),
		VCenter:  audit.VCenter{Host: urlHost(cfg.URL), User: urlUser(cfg)},
		// Posting events writes to vCenter; off unless the config asks.
		VCenterEvents: s.file != nil && s.file.Audit.VCenterEvents,
	}
	// Placement defaults: none under --simulator (see defaults).
	defaults, _ := o.defaults(cmd.Flags(), s, cfg.Datacenter)
	deps := tools.Deps{Session: a.session, Log: log, Defaults: defaults, Guest: o.guestCredentials(s), LocalFiles: s.localFiles()}
	a.tools = tools.Served(s.toolsets, s.readOnly)
	if a.server, err = tools.NewServer(deps, tools.Options{Version: version, Toolsets: s.toolsetNames, ReadOnly: s.readOnly, Policy: a.policy, Logging: ml}); err != nil {
		return nil, err
	}
	log.Info("policy", "profile", s.profileName, "role", s.role.Name(), "role_source", s.roleSource, "capped_by", strings.Join(s.role.Describe().CappedBy, ","), "toolsets", strings.Join(tools.IDs(s.toolsets), ","),
		"read_only", s.readOnly, "tools", len(s.role.AllowedTools(toolInfos(a.tools))),
		"confirm_fallback", s.fallback, "audit", s.auditPath, "system_policy", strings.Join(s.sys.Sources, ","),
		"allowed_vcenters", strings.Join(s.describeVCenters(), "; "))
	return a, nil
}

// close logs out of vCenter and releases everything, in reverse order.
func (a *app) close() {
	for _, f := range a.beforeLogout {
		f()
	}
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

// toolInfos is what policy needs of each tool.
func toolInfos(ts []toolkit.Tool) []policy.ToolInfo {
	out := make([]policy.ToolInfo, len(ts))
	for i, t := range ts {
		out[i] = t.Info()
	}
	return out
}
