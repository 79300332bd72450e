package cmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func newConfigCmd(o *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Write an example config file, or show the settings in effect",
	}
	c.AddCommand(newConfigInitCmd(o), newConfigShowCmd(o))
	return c
}

func newConfigInitCmd(o *globalOptions) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "init",
		Short: "Write a commented example config file (mode 0600) to the default path or --config",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := o.configPathForWrite()
			if err != nil {
				return fmt.Errorf("no config file location (%v): pass --config PATH", err)
			}
			if err := writeExample(path, force); err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "Wrote %s (mode 0600).\nEdit the profiles, then check them with: vsphere-mcp doctor\n", path)
			return nil
		},
	}
	c.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return c
}

// writeExample writes config.Example to path, creating parent directories
// (0700). Without force an existing file is left alone; with force it is
// replaced atomically.
func writeExample(path string, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create the directory for %s: %w", path, err)
	}
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; not overwriting it (use --force to replace it)", path)
		}
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, config.Example); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := io.WriteString(tmp, config.Example); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func newConfigShowCmd(o *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the effective settings and where each comes from (secrets masked)",
		Long: `Show the effective settings: the config file, the selected profile, the system
policy, the effective role, the audit file and each connection setting with its
source. Passwords are never shown, and password sources that would run a command
or open the keyring are not read here (vsphere-mcp doctor does that).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.loadSettings()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
			cfgState := "found"
			if !s.file.Found {
				cfgState = "not found: no profiles"
			}
			if s.file.Path == "" {
				fmt.Fprintf(w, "config file\t(none)\n")
			} else {
				fmt.Fprintf(w, "config file\t%s\t%s; %s\n", s.file.Path, s.configSource, cfgState)
			}
			if s.profileName != "" {
				fmt.Fprintf(w, "profile\t%s\t%s\n", s.profileName, s.profileSource)
			} else {
				fmt.Fprintf(w, "profile\t(none)\t\n")
			}
			for i, p := range s.sysPaths {
				label := ""
				if i == 0 {
					label = "system policy"
				}
				state := "not present"
				for _, src := range s.sys.Sources {
					if src == p {
						state = "applied"
					}
				}
				how := "fixed path"
				if i > 0 {
					how = "env " + envSystemPolicy
				}
				fmt.Fprintf(w, "%s\t%s\t%s; %s\n", label, p, how, state)
			}
			fmt.Fprintf(w, "role\t%s\t%s; %s\n", s.role.Name(), s.roleSource, roleLineage(s.role))
			infos := toolInfos(tools.All())
			allowed := s.role.AllowedTools(infos)
			fmt.Fprintf(w, "tools\t%d of %d allowed\t(vsphere-mcp tools list --all)\n", len(allowed), len(infos))
			fmt.Fprintf(w, "toolsets\t%s\t%s\n", strings.Join(tools.IDs(s.toolsets), ","), s.toolsetsSource)
			fmt.Fprintf(w, "read_only\t%v\t%s\n", s.readOnly, s.readOnlySource)
			fmt.Fprintf(w, "confirm_fallback\t%s\t%s\n", s.fallback, s.fallbackSource)
			auditPath := s.auditPath
			if s.auditErr != nil {
				auditPath = "(unknown: " + s.auditErr.Error() + ")"
			}
			fmt.Fprintf(w, "audit file\t%s\t%s\n", auditPath, s.auditSource)
			for i, v := range s.describeVCenters() {
				label := ""
				if i == 0 {
					label = "allowed_vcenters"
				}
				fmt.Fprintf(w, "%s\t%s\n", label, v)
			}
			if err := w.Flush(); err != nil {
				return err
			}

			fmt.Fprintln(o.stdout, "\nconnection")
			w = tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
			datacenter := ""
			if o.simulator != "" {
				fmt.Fprintf(w, "  vcenter\tthe embedded simulator (%s)\tflag --simulator; the profile's connection settings are not used\n", o.simulator)
			} else {
				cfg, srcs, err := o.connection(cmd.Context(), cmd.Flags(), s, false)
				if err != nil {
					return err
				}
				datacenter = cfg.Datacenter
				// What the server would refuse is shown, not fatal: this
				// command is where one looks to find out why.
				if _, warnings, err := s.checkConnection(cfg, srcs); err != nil {
					s.warnings = append(s.warnings, "the server refuses to start with these settings: "+err.Error())
				} else {
					s.warnings = append(s.warnings, warnings...)
				}
				for _, st := range srcs {
					v := st.value
					switch st.key {
					case "url":
						v = maskURL(v)
					case "password":
						v = "(none)"
						if st.source != "" {
							v = "********"
						}
					}
					if v == "" {
						v = "-"
					}
					src := st.source
					if st.key == "password" {
						src = describePasswordState(o, s, st.source)
					}
					fmt.Fprintf(w, "  %s\t%s\t%s\n", st.key, v, src)
				}
			}
			if err := w.Flush(); err != nil {
				return err
			}

			fmt.Fprintln(o.stdout, "\nplacement defaults (where new VMs, disks and NICs go when a tool is not told)")
			w = tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
			if o.simulator != "" {
				fmt.Fprintf(w, "  (none)\tflag --simulator: no placement defaults apply (neither the profile's nor --default-* flags or variables: they name objects of your vCenter)\n")
			} else {
				_, srcs := o.defaults(cmd.Flags(), s, datacenter)
				dc := setting{key: "datacenter", value: datacenter, source: "the datacenter connection setting"}
				for _, st := range append([]setting{dc}, srcs...) {
					fmt.Fprint(w, describeDefault(st))
				}
			}
			if err := w.Flush(); err != nil {
				return err
			}
			showLocalFiles(o.stdout, s)
			if len(s.warnings) > 0 {
				fmt.Fprintln(o.stdout, "\nwarnings")
				for _, m := range s.warnings {
					fmt.Fprintf(o.stdout, "  - %s\n", m)
				}
			}
			return nil
		},
	}
}

// describePasswordState adds to a password source whether it is usable,
// where that can be seen without running a command or opening the keyring.
func describePasswordState(o *globalOptions, s *settings, source string) string {
	p := s.profile
	if !strings.HasPrefix(source, s.profileLabel()+":") {
		return source
	}
	switch {
	case p.PasswordEnv != "":
		if o.getenv(p.PasswordEnv) == "" {
			return source + " (NOT SET)"
		}
		return source + " (set)"
	case p.PasswordFile != "":
		if err := config.CheckPrivate("password_file", p.PasswordFile); err != nil {
			return source + " (" + err.Error() + ")"
		}
		return source + " (readable, private)"
	case p.PasswordCommand != "", p.Keyring:
		return source + " (not read here; vsphere-mcp doctor checks it)"
	case p.Password != "":
		return source + " (discouraged)"
	}
	return source
}

// maskURL hides a password in a URL's user info (govc's user:pass@host).
func maskURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := vcenter.ParseURL(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return "(invalid URL, not shown)"
		}
		return raw
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = nil
			return strings.Replace(u.String(), "://", "://"+urlUserOnly(raw)+":********@", 1)
		}
	}
	return u.String()
}

func urlUserOnly(raw string) string {
	u, err := vcenter.ParseURL(raw)
	if err != nil || u.User == nil {
		return ""
	}
	return u.User.Username()
}

// roleLineage says how a role came about: its ancestors and any cap.
func roleLineage(r *policy.Role) string {
	d := r.Describe()
	var parts []string
	if len(d.Inherits) > 0 {
		parts = append(parts, "inherits "+strings.Join(d.Inherits, " → "))
	}
	if len(d.CappedBy) > 0 {
		parts = append(parts, "capped by system max_role "+strings.Join(d.CappedBy, ", "))
	}
	parts = append([]string{describeRoleSource(r.Name())}, parts...)
	return strings.Join(parts, "; ")
}

func describeRoleSource(name string) string {
	for _, b := range policy.BuiltinRoles() {
		if b == name {
			return "built-in"
		}
	}
	return "custom"
}
