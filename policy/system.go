package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// SystemPolicy is an administrator's policy file (see
// DefaultSystemPolicyPath). It caps whatever role a user's config names:
//
//	max_role: operator           # no profile gets more than this
//	deny: ["vm_destroy"]         # never allowed, whatever the role
//	confirm: ["vm_power_off"]    # always confirmed by a person
//	protect: ["*-prod-*"]        # no write may touch these objects
//	limits: {writes_per_hour: 100}
//	confirm_fallback: deny       # forbid the preview-token fallback
//	audit: {file: /var/log/vsphere-mcp/audit.jsonl}
//	allowed_vcenters: ["vc1.example.com", "*.lab.example:8443"]
type SystemPolicy struct {
	MaxRole         string      `yaml:"max_role,omitempty" json:"max_role,omitempty"`
	Deny            []string    `yaml:"deny,omitempty" json:"deny,omitempty"`
	Confirm         []string    `yaml:"confirm,omitempty" json:"confirm,omitempty"`
	Protect         []string    `yaml:"protect,omitempty" json:"protect,omitempty"`
	Limits          Limits      `yaml:"limits,omitempty" json:"limits,omitzero"`
	ConfirmFallback Fallback    `yaml:"confirm_fallback,omitempty" json:"confirm_fallback,omitempty"`
	Audit           AuditPolicy `yaml:"audit,omitempty" json:"audit,omitzero"`
	// AllowedVCenters, when not empty, are the only vCenters (host names or
	// globs, optionally with :port; see VCenterList.Allows) a URL may name.
	AllowedVCenters []string `yaml:"allowed_vcenters,omitempty" json:"allowed_vcenters,omitempty"`

	// MaxRoles holds every max_role of the merged files. The effective role
	// must fit under all of them, since two roles have no named intersection.
	MaxRoles []string `yaml:"-" json:"max_roles,omitempty"`
	// VCenterLists holds the allowed_vcenters of every merged file that has
	// one: a URL must match each, since two lists have no written
	// intersection.
	VCenterLists []VCenterList `yaml:"-" json:"vcenter_lists,omitempty"`
	// Sources are the files that were found and applied, in order.
	Sources []string `yaml:"-" json:"sources,omitempty"`
}

// AuditPolicy is the audit section of the system policy.
type AuditPolicy struct {
	// File, when set, forces the audit trail to this absolute path.
	File string `yaml:"file,omitempty" json:"file,omitempty"`
}

// Fallback is what happens to a call that needs confirmation when the
// client cannot ask a person (no elicitation capability).
type Fallback string

const (
	// FallbackDeny refuses the call. It is the default.
	FallbackDeny Fallback = "deny"
	// FallbackPreview answers the first call with a preview and a one-time
	// token (see Tokens); only a second call carrying it proceeds.
	FallbackPreview Fallback = "preview"
)

// ParseFallback validates a confirm_fallback value; "" means FallbackDeny.
func ParseFallback(s string) (Fallback, error) {
	switch Fallback(s) {
	case "", FallbackDeny:
		return FallbackDeny, nil
	case FallbackPreview:
		return FallbackPreview, nil
	}
	return "", fmt.Errorf("confirm_fallback %q: want deny or preview", s)
}

// EffectiveFallback combines the user's confirm_fallback with the system's:
// deny wins, so a user can narrow it but never widen it.
func (s SystemPolicy) EffectiveFallback(user string) (Fallback, error) {
	u, err := ParseFallback(user)
	if err != nil {
		return "", err
	}
	sys, err := ParseFallback(string(s.ConfirmFallback))
	if err != nil {
		return "", fmt.Errorf("system policy: %w", err)
	}
	if s.ConfirmFallback == "" { // the system did not say: the user decides
		return u, nil
	}
	if sys == FallbackDeny {
		return FallbackDeny, nil
	}
	return u, nil
}

// DefaultSystemPolicyPath is the fixed place of the system policy. It does
// not depend on anything a user can set (no environment variable), so a
// user cannot point the server at a policy of their own.
func DefaultSystemPolicyPath() string { return defaultSystemPolicyPath() }

// LoadSystemPolicy reads and merges the policy files in order: the fixed
// path first, then any extra files (tests, a flag), which can only add
// restrictions. A missing file is skipped; any other problem, including an
// unknown key, is an error naming the file, so a broken policy fails closed
// instead of being ignored.
//
// A file, or its directory, that its group or others can write or that
// belongs to another user than root or the user running the server is
// refused: whoever can write it decides what every user may do.
func LoadSystemPolicy(paths ...string) (SystemPolicy, error) {
	return loadSystemPolicy(filetrust.UID(), paths...)
}

// loadSystemPolicy is LoadSystemPolicy for the user uid.
func loadSystemPolicy(uid int, paths ...string) (SystemPolicy, error) {
	var merged SystemPolicy
	for _, p := range paths {
		if p == "" {
			continue
		}
		sp, ok, err := readSystemPolicy(p, uid)
		if err != nil {
			return SystemPolicy{}, err
		}
		if ok {
			merged = merged.merge(sp, p)
		}
	}
	return merged, nil
}

func readSystemPolicy(p string, uid int) (SystemPolicy, bool, error) {
	data, err := readTrusted(p, uid)
	var untrusted *filetrust.Error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return SystemPolicy{}, false, nil
	case errors.As(err, &untrusted): // names the file already
		return SystemPolicy{}, false, err
	case err != nil:
		return SystemPolicy{}, false, fmt.Errorf("system policy %s: %w", p, err)
	}
	var sp SystemPolicy
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key must not silently drop a restriction
	if err := dec.Decode(&sp); err != nil && !errors.Is(err, io.EOF) {
		return SystemPolicy{}, false, fmt.Errorf("system policy %s: %w", p, err)
	}
	if err := sp.validate(); err != nil {
		return SystemPolicy{}, false, fmt.Errorf("system policy %s: %w", p, err)
	}
	return sp, true, nil
}

// validate checks one file's values before they are merged.
func (s SystemPolicy) validate() error {
	tmp := &Role{}
	if err := tmp.addRestrictions(s.Deny, s.Confirm, s.Protect, Scope{}, s.Limits); err != nil {
		return err
	}
	if _, err := ParseFallback(string(s.ConfirmFallback)); err != nil {
		return err
	}
	if s.Audit.File != "" && !filepath.IsAbs(s.Audit.File) {
		return fmt.Errorf("audit.file %q must be an absolute path", s.Audit.File)
	}
	return ValidateVCenterPatterns(s.AllowedVCenters)
}

// merge adds o (read from file src) on top of s; every field only narrows.
func (s SystemPolicy) merge(o SystemPolicy, src string) SystemPolicy {
	out := SystemPolicy{
		MaxRole:  s.MaxRole,
		Deny:     slices.Concat(s.Deny, o.Deny),
		Confirm:  slices.Concat(s.Confirm, o.Confirm),
		Protect:  slices.Concat(s.Protect, o.Protect),
		Limits:   s.Limits.Narrow(o.Limits),
		Audit:    s.Audit,
		MaxRoles: slices.Clone(s.MaxRoles),
		Sources:  append(slices.Clone(s.Sources), src),

		AllowedVCenters: s.AllowedVCenters,
		VCenterLists:    slices.Clone(s.VCenterLists),
	}
	if len(o.AllowedVCenters) > 0 {
		if out.AllowedVCenters == nil {
			out.AllowedVCenters = o.AllowedVCenters
		}
		out.VCenterLists = append(out.VCenterLists, VCenterList{Source: "system policy " + src, Patterns: o.AllowedVCenters})
	}
	if o.MaxRole != "" {
		if out.MaxRole == "" {
			out.MaxRole = o.MaxRole
		}
		out.MaxRoles = append(out.MaxRoles, o.MaxRole)
	}
	// The first file to force an audit file wins: a later, extra file must
	// not redirect the trail away from where the administrator put it.
	if out.Audit.File == "" {
		out.Audit.File = o.Audit.File
	}
	out.ConfirmFallback = s.ConfirmFallback
	if o.ConfirmFallback == FallbackDeny || out.ConfirmFallback == "" {
		out.ConfirmFallback = o.ConfirmFallback
	}
	return out
}

// maxRoles returns the distinct max_role names to cap with.
func (s SystemPolicy) maxRoles() []string {
	var out []string
	for _, m := range append([]string{s.MaxRole}, s.MaxRoles...) {
		m = strings.ToLower(strings.TrimSpace(m))
		if m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// Resolver turns a role name into a role; see Cap.
type Resolver func(name string) (*Role, error)

// Cap applies the system policy to r and returns the effective role; r is
// not changed. A tool is allowed only if both r and every max_role allow it;
// the system's deny always wins; its confirm, protect and limits are added,
// as are the max_role's own restrictions.
//
// resolve looks up max_role; nil means Builtin. Do not pass a resolver over
// the user's custom roles: a user could then define what max_role means.
func (r *Role) Cap(sys SystemPolicy, resolve Resolver) (*Role, error) {
	if resolve == nil {
		resolve = Builtin
	}
	c := r.clone()
	for _, m := range sys.maxRoles() {
		mr, err := resolve(m)
		if err != nil {
			return nil, fmt.Errorf("system policy max_role: %w", err)
		}
		c.allow = append(c.allow, mr.allow...)
		c.deny = append(c.deny, mr.deny...)
		c.confirm = append(c.confirm, mr.confirm...)
		c.protect = append(c.protect, mr.protect...)
		c.scopes = append(c.scopes, mr.scopes...)
		c.limits = c.limits.Narrow(mr.limits)
		c.denyRaw = append(c.denyRaw, mr.denyRaw...)
		c.confirmRaw = append(c.confirmRaw, mr.confirmRaw...)
		c.protectRaw = append(c.protectRaw, mr.protectRaw...)
		c.cappedBy = append(c.cappedBy, mr.name)
	}
	if err := c.addRestrictions(sys.Deny, sys.Confirm, sys.Protect, Scope{}, sys.Limits); err != nil {
		return nil, fmt.Errorf("system policy: %w", err)
	}
	return c, nil
}
