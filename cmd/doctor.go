package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func newDoctorCmd(o *globalOptions) *cobra.Command {
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Check config, file permissions, system policy, connection, TLS, login and the account's vCenter privileges",
		Long: `Check everything the server needs, in order: the config file and its
permissions, the system policy, the profile and its role, the password source,
the audit file, the connection to vCenter (TLS and login), and the vCenter
account's privileges compared with what the role allows. It warns where the
account can do more than the role: the role is then the only thing between the
assistant and those actions, and a vCenter account with fewer rights is safer.

It also resolves each placement default (defaults: in the profile,
VSPHERE_DATASTORE and the like): one that names nothing is a failure.

Exits 1 when a check fails; warnings alone do not fail it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{o: o, out: o.stdout, timeout: timeout}
			d.run(cmd)
			fmt.Fprintf(o.stdout, "\n%d failed, %d warnings\n", d.failed, d.warned)
			if d.failed > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up connecting and logging in to vCenter after this long")
	return c
}

type doctor struct {
	o       *globalOptions
	out     io.Writer
	timeout time.Duration

	failed, warned int
}

func (d *doctor) ok(name, format string, a ...any) { d.line("ok", name, format, a...) }
func (d *doctor) warn(name, format string, a ...any) {
	d.warned++
	d.line("WARN", name, format, a...)
}
func (d *doctor) fail(name, format string, a ...any) {
	d.failed++
	d.line("FAIL", name, format, a...)
}

func (d *doctor) line(status, name, format string, a ...any) {
	fmt.Fprintf(d.out, "%-4s  %-13s %s\n", status, name, fmt.Sprintf(format, a...))
}

func (d *doctor) run(cmd *cobra.Command) {
	o := d.o
	// 1. The config file.
	f, _, warn, err := o.loadFile()
	if err != nil {
		d.fail("config", "%v", err)
		return
	}
	if warn != "" {
		d.warn("config", "%s", warn)
	}
	switch {
	case f.Path == "":
	case !f.Found:
		d.ok("config", "no config file at %s (optional: without one, the environment and role viewer apply; write one with vsphere-mcp config init)", f.Path)
	default:
		d.ok("config", "%s parsed (mode %04o)", f.Path, f.Mode) // a group-writable file is refused by Load
	}

	// 2. The system policy, then everything the settings decide.
	s, err := o.loadSettings()
	if err != nil {
		d.fail("settings", "%v", err)
		return
	}
	if len(s.sys.Sources) == 0 {
		d.ok("system policy", "none (looked at %s)", strings.Join(s.sysPaths, ", "))
	} else {
		d.ok("system policy", "applied: %s", strings.Join(s.sys.Sources, ", "))
	}
	if s.profileName != "" {
		d.ok("profile", "%s (from %s)", s.profileName, s.profileSource)
	} else {
		d.ok("profile", "none selected: connection from the environment, role %s", s.role.Name())
	}
	infos := toolInfos(tools.All())
	d.ok("role", "%s (%s), from %s: %d of %d tools; confirm_fallback %s", s.role.Name(), roleLineage(s.role), s.roleSource, len(s.role.AllowedTools(infos)), len(infos), s.fallback)
	served := allowedTools(s, tools.Served(s.toolsets, s.readOnly))
	d.ok("toolsets", "%s (%s): %d tools served, %d bytes of tools/list; read-only %v (%s)", strings.Join(tools.IDs(s.toolsets), ", "), s.toolsetsSource,
		len(served), tools.CatalogBytes(served), s.readOnly, s.readOnlySource)

	// 3. The audit trail, opened exactly as the server opens it.
	d.checkAudit(s)

	// 4. Connection, TLS, login and privileges.
	d.checkVCenter(cmd, s, infos)

	for _, w := range s.warnings {
		if s.profile.Password != "" && w == config.PlainPasswordWarning(s.profileName, s.file.Path) {
			continue // said under "password"
		}
		d.warn("warning", "%s", w)
	}
}

func (d *doctor) checkAudit(s *settings) {
	if s.auditErr != nil {
		d.fail("audit", "no audit file: %v", s.auditErr)
		return
	}
	dir := filepath.Dir(s.auditPath)
	if st, err := os.Stat(dir); err == nil && config.CheckPerms && st.Mode().Perm()&0o077 != 0 {
		d.warn("audit", "directory %s has mode %04o: others can list it; chmod 700 %s", dir, st.Mode().Perm(), dir)
	}
	w, err := audit.Open(s.auditPath)
	if err != nil {
		d.fail("audit", "%v", err)
		return
	}
	for _, m := range w.Warnings() {
		d.warn("audit", "%s", m)
	}
	_ = w.Close()
	rep, err := audit.VerifyFile(s.auditPath)
	for _, m := range rep.Warnings {
		d.warn("audit", "%s", m)
	}
	if err != nil {
		d.warn("audit", "%s (%s) fails verification at %v: the trail was edited or a write was cut short; keep it and start a new chain with: vsphere-mcp audit rotate", s.auditPath, s.auditSource, err)
		return
	}
	d.ok("audit", "%s (%s): %d records, hash chain intact", s.auditPath, s.auditSource, rep.Records)
}

func (d *doctor) checkVCenter(cmd *cobra.Command, s *settings, infos []policy.ToolInfo) {
	o := d.o
	ctx := cmd.Context()
	var cfg vcenter.Config
	if o.simulator != "" {
		kind := vcenter.SimulatorKind(strings.ToLower(o.simulator))
		if kind != vcenter.SimVCenter && kind != vcenter.SimESX {
			d.fail("connection", `--simulator %q: want "vcenter" or "esx"`, o.simulator)
			return
		}
		sim, err := vcenter.StartSimulator(ctx, vcenter.DemoModel(kind), false)
		if err != nil {
			d.fail("connection", "start the simulator: %v", err)
			return
		}
		defer sim.Close()
		cfg = sim.Config
		d.ok("password", "the simulator's (--simulator: the profile's connection settings are not used)")
	} else {
		var srcs []setting
		var err error
		cfg, srcs, err = o.connection(ctx, cmd.Flags(), s, true)
		if err == nil && cfg.PasswordFunc != nil {
			// The server reads the password at login; doctor checks the
			// source here, so its failure is reported as such.
			cfg.Password, err = cfg.PasswordFunc(ctx)
			cfg.PasswordFunc = nil
		}
		if err != nil {
			d.fail("password", "%v", err)
			return
		}
		pwSrc := srcs[len(srcs)-1].source
		switch {
		case pwSrc == "" && !urlHasPassword(cfg.URL):
			d.warn("password", "no password source: set one in the profile (password_env, password_file, password_command or keyring: true) or VSPHERE_PASSWORD")
		case pwSrc == "":
			d.warn("password", "the password is in the URL; prefer a password source in the profile")
		case s.profile.Password != "" && strings.HasPrefix(pwSrc, s.profileLabel()+":"):
			d.warn("password", "%s", config.PlainPasswordWarning(s.profileName, s.file.Path))
		default:
			d.ok("password", "from %s", pwSrc)
		}
		for _, v := range s.describeVCenters() {
			d.ok("vcenters", "allowed: %s", v)
		}
		if cfg.URL == "" {
			d.fail("connection", "no vCenter URL: set url in the profile, VSPHERE_URL or --url (or try --simulator)")
			return
		}
		var warnings []string
		if cfg, warnings, err = s.checkConnection(cfg, srcs); err != nil {
			d.fail("connection", "%v", err)
			return
		}
		for _, w := range warnings {
			d.warn("tls", "%s", w)
		}
	}
	u, err := vcenter.ParseURL(cfg.URL)
	if err != nil {
		d.fail("connection", "%v", err)
		return
	}

	// Placement defaults: none under --simulator (see defaults).
	_, defaultSrcs := o.defaults(cmd.Flags(), s, cfg.Datacenter)
	cfg.Timeout = d.timeout
	ctx, cancel := context.WithTimeout(ctx, d.timeout+5*time.Second)
	defer cancel()
	sess := vcenter.NewSession(cfg, nil)
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), defaultLogoutTimeout)
		defer ccancel()
		_ = sess.Close(cctx)
	}()
	// The TLS verdict is said after the handshake, from what happened in it:
	// before, doctor could only guess (and said "ok" before "FAIL").
	err = sess.Do(ctx, func(c *vcenter.Conn) error {
		if cfg.Insecure {
			d.warn("tls", "verification is off (insecure): anyone on the network path can read the password; use ca_file or thumbprint")
		} else {
			d.ok("tls", "%s", c.TLS)
		}
		kind := "vCenter"
		if !c.IsVC() {
			kind = "ESXi host (not vCenter)"
		}
		d.ok("login", "%s: %s, %s, logged in as %s", u.Host, kind, c.About.FullName, c.User)
		d.checkPrivileges(ctx, c, s.role, infos)
		if o.simulator == "" {
			d.checkDefaults(ctx, c, cfg.Datacenter, defaultSrcs)
		}
		return nil
	})
	if err != nil {
		var tlsErr *vcenter.TLSError
		if errors.As(err, &tlsErr) {
			d.fail("tls", "%v", err)
			return
		}
		d.fail("login", "%s", vcenter.Explain(err))
	}
}

func urlHasPassword(raw string) bool {
	u, err := vcenter.ParseURL(raw)
	if err != nil || u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}
