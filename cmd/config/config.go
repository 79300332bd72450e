// Package config reads the vsphere-mcp configuration file: profiles (which
// vCenter, which account, which role), custom roles and the audit file. It
// finds the file, checks its permissions, decodes it strictly (a misspelt
// key is an error that names it) and resolves a profile's password from the
// source the profile names. It decides nothing about policy: roles are
// handed to package policy as written.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// File is the configuration file as written.
type File struct {
	// DefaultProfile is used when neither --profile nor
	// VSPHERE_MCP_PROFILE names one.
	DefaultProfile string `mapstructure:"default_profile"`
	// Audit configures the audit trail.
	Audit Audit `mapstructure:"audit"`
	// Profiles by name (lower-case: names are case-insensitive).
	Profiles map[string]Profile `mapstructure:"profiles"`
	// Roles are custom roles by name (see policy.RoleSpec).
	Roles map[string]policy.RoleSpec `mapstructure:"roles"`
	// AllowedVCenters, when set, are the only vCenters (host names or
	// globs, optionally with :port) any URL may name, whichever profile,
	// flag or variable it comes from. It narrows the system policy's list,
	// never widens it.
	AllowedVCenters []string `mapstructure:"allowed_vcenters"`

	// Path is where the file was looked for.
	Path string `mapstructure:"-"`
	// Found reports whether the file exists. A missing default file is an
	// empty configuration.
	Found bool `mapstructure:"-"`
	// Mode is the file's permission bits when found.
	Mode fs.FileMode `mapstructure:"-"`
}

// Audit is the audit section.
type Audit struct {
	// File is the audit trail; empty means DefaultAuditPath. A system
	// policy's audit.file overrides it.
	File string `mapstructure:"file"`
	// VCenterEvents also posts each write as an event on its targets in
	// vCenter, for vCenter's own administrators to see, and the trail's
	// chain head every CheckpointEvery records and at exit, so a trail cut
	// or rewritten on this machine can be checked against a copy it cannot
	// reach (audit verify --head).
	VCenterEvents bool `mapstructure:"vcenter_events"`
	// CheckpointEvery is how many records pass between posted heads; 0
	// means audit.DefaultCheckpointEvery (100).
	CheckpointEvery int `mapstructure:"checkpoint_every"`
}

// Profile names a vCenter, an account and a role.
type Profile struct {
	URL        string `mapstructure:"url"`
	Username   string `mapstructure:"username"`
	Insecure   *bool  `mapstructure:"insecure"` // nil: not set in the profile
	CAFile     string `mapstructure:"ca_file"`
	Thumbprint string `mapstructure:"thumbprint"`
	Datacenter string `mapstructure:"datacenter"`
	// CallTimeout bounds each request to vCenter ("30s", "2m"); empty
	// means the default.
	CallTimeout string `mapstructure:"call_timeout"`

	// The password comes from at most one of these.
	PasswordEnv     string `mapstructure:"password_env"`
	PasswordFile    string `mapstructure:"password_file"`
	PasswordCommand string `mapstructure:"password_command"`
	Keyring         bool   `mapstructure:"keyring"`
	Password        string `mapstructure:"password"` // plain text: discouraged

	// Role is a built-in or custom role; empty means viewer.
	Role string `mapstructure:"role"`
	// ConfirmFallback is deny (default) or preview; the system policy may
	// force deny.
	ConfirmFallback string `mapstructure:"confirm_fallback"`
	// Toolsets to serve: toolset names, all or default; empty means the
	// default toolsets.
	Toolsets []string `mapstructure:"toolsets"`
	// ReadOnly serves and allows only read tools, whatever the role.
	ReadOnly *bool `mapstructure:"read_only"`
	// Description is shown by `vsphere-mcp profiles`.
	Description string `mapstructure:"description"`
	// Defaults are where new VMs, disks and NICs go when a tool's argument
	// is absent.
	Defaults Defaults `mapstructure:"defaults"`

	// GuestCredentials are the logins the guest tools use inside VMs,
	// first match wins (see guest.go).
	GuestCredentials []GuestCredential `mapstructure:"guest_credentials"`
	// Guest holds the guest tools' settings.
	Guest GuestSettings `mapstructure:"guest"`
	// LocalFiles are the local directories tools may read (uploads) and
	// write (downloads, exports), besides the MCP client's roots; none by
	// default.
	LocalFiles LocalFiles `mapstructure:"local_files"`
}

// LocalFiles is a profile's local_files: directories, absolute or ~/.
type LocalFiles struct {
	Read  []string `mapstructure:"read"`
	Write []string `mapstructure:"write"`
}

// expand expands ~ in every directory and refuses relative ones: what a
// tool may touch on this machine should not depend on where the config
// file lies.
func (l LocalFiles) expand(getenv func(string) string) (LocalFiles, error) {
	var out LocalFiles
	for _, k := range []struct {
		key string
		in  []string
		out *[]string
	}{{"local_files.read", l.Read, &out.Read}, {"local_files.write", l.Write, &out.Write}} {
		for _, d := range k.in {
			t := strings.TrimSpace(d)
			if !(filepath.IsAbs(t) || t == "~" || strings.HasPrefix(t, "~/") || strings.HasPrefix(t, `~\`)) {
				return out, fmt.Errorf("%s: %q is not an absolute directory path: write paths like /data/isos or ~/Downloads", k.key, d)
			}
			p, err := expandPath(t, "", getenv)
			if err != nil {
				return out, fmt.Errorf("%s: %w", k.key, err)
			}
			*k.out = append(*k.out, p)
		}
	}
	return out, nil
}

// Defaults are a profile's placement defaults: identifiers of any kind
// (name, inventory path or managed object ID), each optional.
// Datacenter is the profile's datacenter setting under another name:
// write either (the same value in both is accepted).
type Defaults struct {
	Datacenter   string `mapstructure:"datacenter"`
	Cluster      string `mapstructure:"cluster"`
	Host         string `mapstructure:"host"`
	ResourcePool string `mapstructure:"resource_pool"`
	Folder       string `mapstructure:"folder"`
	Datastore    string `mapstructure:"datastore"`
	Network      string `mapstructure:"network"`
}

// DatacenterSetting is the profile's datacenter: datacenter, or
// defaults.datacenter when only that is written.
func (p Profile) DatacenterSetting() string {
	if p.Datacenter != "" {
		return p.Datacenter
	}
	return p.Defaults.Datacenter
}

// Load reads the configuration file at path. A missing file is an empty
// configuration unless explicit (the user named the file), when it is an
// error. getenv expands "~" in paths (HOME, or USERPROFILE on Windows).
//
// The file is refused, as ssh refuses its config, when its group or others
// can write it or its directory, or when it or its directory belongs to
// another user (root excepted): whoever can write it chooses the role. It
// is also refused when it holds a plain password that anyone but its owner
// can read.
func Load(path string, explicit bool, getenv func(string) string) (*File, error) {
	return load(path, explicit, getenv, filetrust.UID())
}

// load is Load for the user uid, so tests can play another user.
func load(path string, explicit bool, getenv func(string) string, uid int) (*File, error) {
	f := &File{Path: path}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return f, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("config file %s does not exist (create one with: vsphere-mcp config init --config %s)", path, path)
	case err != nil:
		return nil, fmt.Errorf("config file %s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("config file %s is a directory", path)
	}
	f.Found, f.Mode = true, st.Mode().Perm()
	if err := checkTrust(path, st, uid); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if err := decode(data, f); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if err := f.normalize(getenv); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if names := f.plainPasswordProfiles(); len(names) > 0 && CheckPerms && f.Mode&0o077 != 0 {
		return nil, fmt.Errorf("config file %s holds a plain password (profile %s) and has mode %04o, so others can read it: fix with: chmod 600 %s (better: use password_env, password_file, password_command or keyring)",
			path, strings.Join(names, ", "), f.Mode, path)
	}
	return f, nil
}

// CheckPerms is whether Unix permission bits are checked. On Windows they
// mean little (ACLs decide), so the checks are skipped there.
const CheckPerms = runtime.GOOS != "windows"

// decode parses YAML strictly into f. viper lower-cases keys, so profile
// and role names are case-insensitive; the key delimiter is set to
// something no name contains, so a profile called "lab.example" stays one
// name.
func decode(data []byte, f *File) error {
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("not valid YAML: %w", unwrapViper(err))
	}
	if err := v.UnmarshalExact(f); err != nil {
		return tidyDecodeError(err)
	}
	// viper's unmarshalling walks leaf keys, so a profile or role written
	// with an empty body ("lab: {}") would vanish; keep it, empty.
	for name := range v.GetStringMap("profiles") {
		if _, ok := f.Profiles[name]; !ok {
			if f.Profiles == nil {
				f.Profiles = map[string]Profile{}
			}
			f.Profiles[name] = Profile{}
		}
	}
	for name := range v.GetStringMap("roles") {
		if _, ok := f.Roles[name]; !ok {
			if f.Roles == nil {
				f.Roles = map[string]policy.RoleSpec{}
			}
			f.Roles[name] = policy.RoleSpec{}
		}
	}
	return nil
}

// unwrapViper drops viper's generic wrapper around the YAML parser's message.
func unwrapViper(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

var (
	invalidKeysRE = regexp.MustCompile(`'([^']*)' has invalid keys: (.*)`)
	quotedPathRE  = regexp.MustCompile(`'([^']*)'`)
	// valueRE matches the value mapstructure quotes in a type error: it
	// could be a password typed into the wrong place, so it is dropped.
	valueRE = regexp.MustCompile(`,? value: .*$`)
)

// tidyDecodeError turns mapstructure's report into lines that name the
// unknown keys (or bad values) with where they are: profiles.lab.url.
func tidyDecodeError(err error) error {
	dotted := func(p string) string { return strings.NewReplacer("[", ".", "]", "").Replace(p) }
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "* "))
		if line == "" || strings.HasPrefix(line, "decoding failed") {
			continue
		}
		if m := invalidKeysRE.FindStringSubmatch(line); m != nil {
			where := "at the top level"
			if m[1] != "" {
				where = "in " + dotted(m[1])
			}
			noun := "key"
			if strings.Contains(m[2], ",") {
				noun = "keys"
			}
			line = fmt.Sprintf("unknown %s %s %s (check the spelling; vsphere-mcp config init writes an example with every key)", noun, m[2], where)
		} else {
			line = valueRE.ReplaceAllString(line, "")
			line = quotedPathRE.ReplaceAllStringFunc(line, func(q string) string { return dotted(strings.Trim(q, "'")) })
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return err
	}
	return errors.New(strings.Join(out, "; "))
}

// normalize lower-cases names, expands paths and validates what can be
// validated without the system policy.
func (f *File) normalize(getenv func(string) string) error {
	f.DefaultProfile = strings.ToLower(strings.TrimSpace(f.DefaultProfile))
	base := filepath.Dir(f.Path)
	if err := policy.ValidateVCenterPatterns(f.AllowedVCenters); err != nil {
		return err
	}
	var err error
	if f.Audit.File, err = expandPath(f.Audit.File, base, getenv); err != nil {
		return fmt.Errorf("audit.file: %w", err)
	}
	if n := f.Audit.CheckpointEvery; n < 0 || n > 1_000_000 {
		return fmt.Errorf("audit.checkpoint_every %d: want a number of records from 1 to 1000000 (0: the default, 100)", n)
	}
	profiles := make(map[string]Profile, len(f.Profiles))
	for name, p := range f.Profiles {
		name = strings.ToLower(name)
		if p.PasswordFile, err = expandPath(p.PasswordFile, base, getenv); err != nil {
			return fmt.Errorf("profiles.%s.password_file: %w", name, err)
		}
		if p.CAFile, err = expandPath(p.CAFile, base, getenv); err != nil {
			return fmt.Errorf("profiles.%s.ca_file: %w", name, err)
		}
		for i := range p.GuestCredentials {
			g := &p.GuestCredentials[i]
			if g.PasswordFile, err = expandPath(g.PasswordFile, base, getenv); err != nil {
				return fmt.Errorf("profiles.%s.guest_credentials[%d].password_file: %w", name, i, err)
			}
		}
		if p.LocalFiles, err = p.LocalFiles.expand(getenv); err != nil {
			return fmt.Errorf("profiles.%s.%w", name, err)
		}
		if err := p.validate(); err != nil {
			return fmt.Errorf("profiles.%s: %w", name, err)
		}
		profiles[name] = p
	}
	f.Profiles = profiles
	if f.DefaultProfile != "" {
		if _, ok := f.Profiles[f.DefaultProfile]; !ok {
			return fmt.Errorf("default_profile %q is not a profile (profiles: %s)", f.DefaultProfile, f.profileList())
		}
	}
	// Every custom role must resolve, used or not: a broken role is a
	// mistake to report now, not when someone first picks it.
	for name := range f.Roles {
		if _, err := policy.Resolve(f.Roles, name); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
	}
	return nil
}

func (p Profile) validate() error {
	if err := p.secret().check(); err != nil {
		return err
	}
	if err := p.checkGuest(); err != nil {
		return err
	}
	if _, err := policy.ParseFallback(p.ConfirmFallback); err != nil {
		return err
	}
	if dc, ddc := strings.TrimSpace(p.Datacenter), strings.TrimSpace(p.Defaults.Datacenter); dc != "" && ddc != "" && dc != ddc {
		return fmt.Errorf("datacenter %q and defaults.datacenter %q differ; they are one setting (relative paths and where new VMs go): keep one", dc, ddc)
	}
	if p.CallTimeout != "" {
		if _, err := ParseCallTimeout(p.CallTimeout); err != nil {
			return fmt.Errorf("call_timeout: %w", err)
		}
	}
	return nil
}

// ParseCallTimeout reads a call_timeout: a positive Go duration.
func ParseCallTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration: write it like 30s, 2m or 1m30s", s)
	}
	return d, nil
}

// describeEnvMistake never repeats the value: someone may have pasted the
// password itself into password_env.
func describeEnvMistake(s string) string {
	if strings.HasPrefix(s, "$") {
		return "a $-reference"
	}
	return "a value with spaces or '='"
}

func (p Profile) passwordSources() []string { return p.secret().sources() }

func (f *File) plainPasswordProfiles() []string {
	var out []string
	for name, p := range f.Profiles {
		if p.Password != "" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// ProfileNames returns the profile names, sorted.
func (f *File) ProfileNames() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RoleNames returns the custom role names as written, sorted.
func (f *File) RoleNames() []string {
	names := make([]string, 0, len(f.Roles))
	for n := range f.Roles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (f *File) profileList() string {
	if len(f.Profiles) == 0 {
		return "none defined"
	}
	return strings.Join(f.ProfileNames(), ", ")
}

// Profile returns the named profile (case-insensitive), or an error that
// lists the profiles there are.
func (f *File) Profile(name string) (Profile, error) {
	p, ok := f.Profiles[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		where := f.Path
		if !f.Found {
			where += " (not found)"
		}
		return Profile{}, fmt.Errorf("no profile %q in config file %s (profiles: %s)", name, where, f.profileList())
	}
	return p, nil
}

// PlainPasswordWarning is what startup and doctor say about a plain
// password in the file.
func PlainPasswordWarning(profile, path string) string {
	return fmt.Sprintf("profile %s keeps its password in plain text in %s: move it to the OS keyring (vsphere-mcp login --profile %s, then keyring: true) or use password_env, password_file or password_command",
		profile, path, profile)
}

// expandPath expands a leading "~" and makes a relative path relative to
// base (the config file's directory).
func expandPath(p, base string, getenv func(string) string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", nil
	}
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		home := homeDir(getenv)
		if home == "" {
			return "", fmt.Errorf("%q starts with ~ but the home directory is unknown (HOME is not set)", p)
		}
		p = filepath.Join(home, p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p), nil
}
