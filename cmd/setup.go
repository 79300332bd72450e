package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Environment variables of vsphere-mcp itself (connection settings are in
// settings.go).
const (
	envConfig       = "VSPHERE_MCP_CONFIG"
	envProfile      = "VSPHERE_MCP_PROFILE"
	envSystemPolicy = "VSPHERE_MCP_SYSTEM_POLICY"
	envToolsets     = "VSPHERE_MCP_TOOLSETS"
	envReadOnly     = "VSPHERE_MCP_READ_ONLY"
	envRole         = "VSPHERE_MCP_ROLE"
)

// settings is what the config file, the environment and the system policy
// decide before anything connects. It holds no password.
type settings struct {
	file         *config.File
	configSource string // "flag --config", "env VSPHERE_MCP_CONFIG" or "default"

	profileName   string // "" when no profile is selected
	profileSource string // "flag --profile", "env VSPHERE_MCP_PROFILE" or "default_profile"
	profile       config.Profile

	sys      policy.SystemPolicy
	sysPaths []string // every file looked at, fixed path first

	// role is the effective role: --role, VSPHERE_MCP_ROLE or the
	// profile's, capped by the system policy; roleSource says which.
	role           *policy.Role
	roleSource     string
	fallback       policy.Fallback
	fallbackSource string

	// toolsetNames are the toolsets as the user named them; toolsets the
	// ones they select.
	toolsetNames   []string
	toolsetsSource string
	toolsets       []toolkit.Toolset
	readOnly       bool
	readOnlySource string

	auditPath   string
	auditSource string
	auditErr    error // no audit path could be worked out

	// vcenters are the allowed_vcenters lists a URL must match, each one:
	// the system policy's files', then the user's config's.
	vcenters []policy.VCenterList

	// warnings are said at startup (logged) and by config show and doctor.
	warnings []string
}

// loadSettings reads the config file, selects the profile, loads the
// system policy and works out the effective role, confirmation fallback
// and audit file. Any error is fatal: a broken config or policy must not
// leave the server running with a role nobody chose.
func (o *globalOptions) loadSettings() (*settings, error) {
	s := &settings{}
	f, src, warn, err := o.loadFile()
	if err != nil {
		return nil, err
	}
	s.file, s.configSource = f, src
	if warn != "" {
		s.warnings = append(s.warnings, warn)
	}

	switch {
	case o.profile != "":
		s.profileName, s.profileSource = o.profile, "flag --profile"
	case o.getenv(envProfile) != "":
		s.profileName, s.profileSource = o.getenv(envProfile), "env "+envProfile
	case s.file.DefaultProfile != "":
		s.profileName, s.profileSource = s.file.DefaultProfile, "default_profile"
	}
	s.profileName = strings.ToLower(strings.TrimSpace(s.profileName))
	if s.profileName != "" {
		p, err := s.file.Profile(s.profileName)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.profileSource, err)
		}
		s.profile = p
		if p.Password != "" {
			s.warnings = append(s.warnings, config.PlainPasswordWarning(s.profileName, s.file.Path))
		}
	} else if len(s.file.Profiles) > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%s defines profiles but none is selected: set default_profile, pass --profile or set %s; using the environment and role viewer", s.file.Path, envProfile))
	}

	// The fixed system policy always applies; VSPHERE_MCP_SYSTEM_POLICY can
	// only add files on top of it, and every file can only narrow.
	s.sysPaths = []string{policy.DefaultSystemPolicyPath()}
	for _, p := range filepath.SplitList(o.getenv(envSystemPolicy)) {
		if p = strings.TrimSpace(p); p != "" {
			s.sysPaths = append(s.sysPaths, p)
		}
	}
	sys, err := policy.LoadSystemPolicy(s.sysPaths...)
	if err != nil {
		return nil, err
	}
	s.sys = sys

	if err := s.selectRole(o); err != nil {
		return nil, err
	}

	if s.fallback, err = sys.EffectiveFallback(s.profile.ConfirmFallback); err != nil {
		return nil, s.inProfile(err)
	}
	switch {
	case sys.ConfirmFallback != "" && string(s.fallback) != s.profile.ConfirmFallback:
		s.fallbackSource = "system policy"
	case s.profile.ConfirmFallback != "":
		s.fallbackSource = "profile " + s.profileName
	default:
		s.fallbackSource = "default"
	}

	s.vcenters = allowedVCenters(sys, s.file, &s.warnings)
	if err := s.selectToolsets(o); err != nil {
		return nil, err
	}

	switch {
	case sys.Audit.File != "":
		s.auditPath, s.auditSource = sys.Audit.File, "system policy"
		if s.file.Audit.File != "" && s.file.Audit.File != sys.Audit.File {
			s.warnings = append(s.warnings, fmt.Sprintf("the system policy sends the audit trail to %s; audit.file %s in your config is not used", sys.Audit.File, s.file.Audit.File))
		}
	case s.file.Audit.File != "":
		s.auditPath, s.auditSource = s.file.Audit.File, "config audit.file"
	default:
		s.auditPath, s.auditErr = config.DefaultAuditPath(o.getenv)
		s.auditSource = "default"
	}
	return s, nil
}

// selectRole works out the effective role: --role over VSPHERE_MCP_ROLE
// over the profile's role, a built-in role or one of the config's custom
// roles, then capped by the system policy exactly as a profile's role is:
// a flag or variable only chooses within what the administrator allows.
func (s *settings) selectRole(o *globalOptions) error {
	name, src := s.profile.Role, s.profileLabel()
	switch {
	case strings.TrimSpace(o.role) != "":
		name, src = o.role, "flag --role"
	case strings.TrimSpace(o.getenv(envRole)) != "":
		name, src = o.getenv(envRole), "env "+envRole
	case name == "":
		src = "default"
	}
	role, err := policy.Resolve(s.file.Roles, name)
	if err != nil {
		if strings.HasPrefix(src, "profile") {
			return s.inProfile(err)
		}
		return fmt.Errorf("%s: %w", src, err)
	}
	// Cap with the built-in resolver only: a user must not be able to
	// define what the administrator's max_role means.
	if role, err = role.Cap(s.sys, nil); err != nil {
		return err
	}
	s.role, s.roleSource = role, src
	return nil
}

// selectToolsets works out which toolsets to serve and whether read-only:
// flag over env over profile, like the connection settings.
func (s *settings) selectToolsets(o *globalOptions) error {
	switch {
	case len(o.toolsets) > 0:
		s.toolsetNames, s.toolsetsSource = o.toolsets, "flag --toolsets"
	case o.getenv(envToolsets) != "":
		s.toolsetNames, s.toolsetsSource = strings.Split(o.getenv(envToolsets), ","), "env "+envToolsets
	case len(s.profile.Toolsets) > 0:
		s.toolsetNames, s.toolsetsSource = s.profile.Toolsets, s.profileLabel()
	default:
		s.toolsetsSource = "default"
	}
	sel, err := tools.Select(s.toolsetNames)
	if err != nil {
		return fmt.Errorf("%s: %w", s.toolsetsSource, err)
	}
	s.toolsets = sel

	s.readOnlySource = "default"
	switch {
	case o.readOnly:
		s.readOnly, s.readOnlySource = true, "flag --read-only"
	case o.getenv(envReadOnly) != "":
		b, err := parseBool(o.getenv(envReadOnly))
		if err != nil {
			return fmt.Errorf("env %s: %w", envReadOnly, err)
		}
		s.readOnly, s.readOnlySource = b, "env "+envReadOnly
	case s.profile.ReadOnly != nil:
		s.readOnly, s.readOnlySource = *s.profile.ReadOnly, s.profileLabel()
	}
	return nil
}

// loadFile finds and reads the config file: --config, VSPHERE_MCP_CONFIG
// or the default path. A missing default file is an empty config; a
// missing file the user named is an error. warn is set when there is no
// default location at all.
func (o *globalOptions) loadFile() (f *config.File, source, warn string, err error) {
	path, explicit := o.configPath, true
	source = "flag --config"
	if path == "" {
		path, source = o.getenv(envConfig), "env "+envConfig
	}
	if path == "" {
		explicit, source = false, "default"
		p, err := config.DefaultPath(o.getenv)
		if err != nil {
			return &config.File{}, source, fmt.Sprintf("no default config file location (%v): using the environment only", err), nil
		}
		path = p
	}
	f, err = config.Load(path, explicit, o.getenv)
	return f, source, "", err
}

// configPathForWrite is where config init writes: --config,
// VSPHERE_MCP_CONFIG or the default path.
func (o *globalOptions) configPathForWrite() (string, error) {
	if o.configPath != "" {
		return o.configPath, nil
	}
	if p := o.getenv(envConfig); p != "" {
		return p, nil
	}
	return config.DefaultPath(o.getenv)
}

func (s *settings) inProfile(err error) error {
	if s.profileName == "" {
		return err
	}
	return fmt.Errorf("profile %s: %w", s.profileName, err)
}

// profileLabel names the profile as a settings source.
func (s *settings) profileLabel() string {
	if s.profileName == "" {
		return "profile"
	}
	return "profile " + s.profileName
}

// profileMap is the profile's connection settings in the form
// connectionConfig takes. The password is handled by connection.
func (s *settings) profileMap() map[string]string {
	p := s.profile
	m := map[string]string{
		"url":        p.URL,
		"username":   p.Username,
		"ca_file":    p.CAFile,
		"thumbprint": p.Thumbprint,
		"datacenter": p.DatacenterSetting(),

		"call_timeout": p.CallTimeout,
	}
	if p.Insecure != nil {
		m["insecure"] = fmt.Sprint(*p.Insecure)
	}
	return m
}

// connection works out the vCenter connection: flags over VSPHERE_* over
// the profile over GOVC_*. With resolve it also fetches the profile's
// password from its source (which may run a command or ask the keyring);
// without, the password's source is only described.
//
// The profile's password is only sent to the profile's own vCenter: when a
// flag or variable points the URL at another host, it is left out.
func (o *globalOptions) connection(ctx context.Context, fs *pflag.FlagSet, s *settings, resolve bool) (vcenter.Config, []setting, error) {
	cfg, srcs, err := connectionSettings(fs, o.getenv, s.profileMap(), s.profileLabel())
	if err != nil {
		return vcenter.Config{}, nil, err
	}
	pw := &srcs[len(srcs)-1] // connectionSettings puts the password last
	if pw.source == "env VSPHERE_PASSWORD" || !s.profile.HasPassword() {
		return cfg, srcs, nil
	}
	if s.profile.URL != "" && !sameHost(cfg.URL, s.profile.URL) {
		s.warnings = append(s.warnings, fmt.Sprintf("the vCenter URL comes from %s, not from profile %s, so the profile's password is not sent to it: set VSPHERE_PASSWORD for that vCenter", srcs[0].source, s.profileName))
		return cfg, srcs, nil
	}
	pw.source = s.profileLabel() + ": " + s.profile.PasswordSource(s.profileName)
	if !resolve {
		return cfg, srcs, nil
	}
	// Fetched at login, not now: a keyring or a password command may take
	// a while, and the server must answer initialize at once.
	profile, name, getenv := s.profile, s.profileName, o.getenv
	cfg.PasswordFunc = func(ctx context.Context) (string, error) {
		return profile.ResolvePassword(ctx, name, getenv)
	}
	return cfg, srcs, nil
}

// sameHost reports whether two vCenter URLs name the same host and port.
func sameHost(a, b string) bool {
	ua, errA := vcenter.ParseURL(a)
	ub, errB := vcenter.ParseURL(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return strings.EqualFold(ua.Host, ub.Host)
}

// urlHost is the host:port of a vCenter URL, for the audit trail.
func urlHost(raw string) string {
	u, err := vcenter.ParseURL(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// urlUser is the user name, from the config or the URL.
func urlUser(cfg vcenter.Config) string {
	if cfg.Username != "" {
		return cfg.Username
	}
	if u, err := vcenter.ParseURL(cfg.URL); err == nil && u.User != nil {
		return u.User.Username()
	}
	return ""
}
