package policy

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Built-in role names.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleVMAdmin  = "vm-admin"
	RoleAdmin    = "admin"

	// DefaultRole is what a profile without a role gets.
	DefaultRole = RoleViewer
)

// RoleSpec is a role as written in a config file:
//
//	roles:
//	  lab-operator:
//	    inherits: operator
//	    allow: ["snapshot_*"]
//	    deny: ["vm_power_off"]
//	    scope: {datacenters: [DC1], folders: ["/DC1/vm/lab"], vms: ["lab-*"]}
//	    protect: ["*-prod-*"]
//	    confirm: ["vm_power_off"]
//	    limits: {calls_per_second: 10, burst: 20, writes_per_hour: 30}
//
// Allow, Deny and Confirm hold tool selectors: a tool name or path.Match
// glob ("snapshot_*"), "toolset:<glob>" ("toolset:host") or "risk:<risk>"
// ("risk:irreversible"). Protect holds object globs (see Role.Protected).
type RoleSpec struct {
	Inherits string   `yaml:"inherits,omitempty" mapstructure:"inherits" json:"inherits,omitempty"`
	Allow    []string `yaml:"allow,omitempty" mapstructure:"allow" json:"allow,omitempty"`
	Deny     []string `yaml:"deny,omitempty" mapstructure:"deny" json:"deny,omitempty"`
	Scope    Scope    `yaml:"scope,omitempty" mapstructure:"scope" json:"scope,omitzero"`
	Protect  []string `yaml:"protect,omitempty" mapstructure:"protect" json:"protect,omitempty"`
	Confirm  []string `yaml:"confirm,omitempty" mapstructure:"confirm" json:"confirm,omitempty"`
	Limits   Limits   `yaml:"limits,omitempty" mapstructure:"limits" json:"limits,omitzero"`
}

// BuiltinRoles lists the built-in role names from least to most powerful.
func BuiltinRoles() []string {
	return []string{RoleViewer, RoleOperator, RoleVMAdmin, RoleAdmin}
}

// builtinSpec defines the built-in roles with the same selectors a user
// writes, so `roles` can show them and they follow new tools by risk and
// toolset. A function rather than a package map keeps it immutable.
func builtinSpec(name string) (RoleSpec, bool) {
	switch name {
	case RoleViewer:
		// Guest file contents, directory listings and process lists can
		// hold secrets: reading inside a guest starts at operator.
		return RoleSpec{Allow: []string{"risk:read"}, Deny: guestReads()}, true
	case RoleOperator:
		// Not inherits: viewer, whose deny of guest reads would win.
		return RoleSpec{Allow: []string{
			"risk:read",
			"vm_power_*", "vm_reset", "vm_suspend", "vm_shutdown_guest", "vm_reboot_guest",
			"snapshot_create", "snapshot_revert", "task_cancel",
			"guest_process_list", "guest_file_read", "guest_dir_list", "vm_question_answer",
			"alarm_acknowledge", "alarm_reset",
		}}, true
	case RoleVMAdmin:
		return RoleSpec{Inherits: RoleOperator, Allow: []string{
			"toolset:vm", "toolset:snapshot", "toolset:device", "toolset:guest",
			"toolset:tag", "toolset:ovf", "toolset:library", "toolset:console", "toolset:task",
			"toolset:folder", "toolset:pool",
			"datastore_mkdir", "datastore_file_*", "datastore_upload", "datastore_download",
		}}, true
	case RoleAdmin:
		return RoleSpec{Allow: []string{"*"}}, true
	}
	return RoleSpec{}, false
}

// guestReads are the read tools that look inside a guest OS.
func guestReads() []string {
	return []string{"guest_process_list", "guest_file_read", "guest_dir_list"}
}

// Role is a resolved role: inheritance followed and, after Cap, the system
// policy applied. It is immutable and safe for concurrent use.
type Role struct {
	name     string
	chain    []string     // ancestors, nearest first
	cappedBy []string     // max_role names applied by Cap
	allow    [][]selector // a tool must match some selector of every group
	deny     []selector
	confirm  []selector
	protect  []string // lower-cased object globs
	scopes   []Scope  // an object must be permitted by every scope
	limits   Limits

	allowRaw, denyRaw, confirmRaw, protectRaw []string
}

// Resolve builds the role called name from the built-in roles and the
// user's custom roles. An empty name is DefaultRole. Role names are
// case-insensitive (viper lower-cases map keys). A custom role may not
// reuse a built-in name, so "viewer" always means the same thing and a
// system max_role cannot be redefined by a user.
//
// Inheritance merges: allow, deny, confirm and protect are unions; a deny
// anywhere in the chain wins over any allow; each scope in the chain must
// permit an object (a child can only narrow); limits take the stricter value.
func Resolve(custom map[string]RoleSpec, name string) (*Role, error) {
	specs := make(map[string]RoleSpec, len(custom))
	for k, s := range custom {
		lk := strings.ToLower(strings.TrimSpace(k))
		if _, ok := builtinSpec(lk); ok {
			return nil, fmt.Errorf("custom role %q: %q is a built-in role; choose another name and use inherits: %s", k, lk, lk)
		}
		if _, dup := specs[lk]; dup {
			return nil, fmt.Errorf("custom role %q is defined twice (role names are case-insensitive)", k)
		}
		specs[lk] = s
	}
	lookup := func(n string) (RoleSpec, bool) {
		if s, ok := builtinSpec(n); ok {
			return s, true
		}
		s, ok := specs[n]
		return s, ok
	}
	known := func() string {
		names := BuiltinRoles()
		for k := range specs {
			names = append(names, k)
		}
		sort.Strings(names[len(BuiltinRoles()):])
		return strings.Join(names, ", ")
	}

	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		name = DefaultRole
	}
	// Walk up the chain, child first.
	var chain []string
	var chainSpecs []RoleSpec
	for cur, from := name, ""; cur != ""; {
		if i := slices.Index(chain, cur); i >= 0 {
			return nil, fmt.Errorf("role %q: inheritance cycle %s", name, strings.Join(append(chain[i:], cur), " → "))
		}
		spec, ok := lookup(cur)
		if !ok {
			if from == "" {
				return nil, fmt.Errorf("unknown role %q (known roles: %s)", cur, known())
			}
			return nil, fmt.Errorf("role %q inherits unknown role %q (known roles: %s)", from, cur, known())
		}
		chain = append(chain, cur)
		chainSpecs = append(chainSpecs, spec)
		from, cur = cur, strings.ToLower(strings.TrimSpace(spec.Inherits))
	}

	r := &Role{name: name, chain: chain[1:]}
	var allow []selector
	// Merge from the root ancestor down so listed patterns read in order.
	for i := len(chainSpecs) - 1; i >= 0; i-- {
		s, n := chainSpecs[i], chain[i]
		a, err := parseSelectors(s.Allow)
		if err != nil {
			return nil, fmt.Errorf("role %q allow: %w", n, err)
		}
		if err := r.addRestrictions(s.Deny, s.Confirm, s.Protect, s.Scope, s.Limits); err != nil {
			return nil, fmt.Errorf("role %q: %w", n, err)
		}
		allow = append(allow, a...)
		r.allowRaw = append(r.allowRaw, s.Allow...)
	}
	r.allow = [][]selector{allow}
	return r, nil
}

// Builtin resolves a built-in role. It is the safe Resolver for Cap.
func Builtin(name string) (*Role, error) { return Resolve(nil, name) }

// addRestrictions merges things that can only make a role narrower.
func (r *Role) addRestrictions(deny, confirm, protect []string, sc Scope, lim Limits) error {
	d, err := parseSelectors(deny)
	if err != nil {
		return fmt.Errorf("deny: %w", err)
	}
	c, err := parseSelectors(confirm)
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	for _, p := range protect {
		if err := validGlob(p); err != nil {
			return fmt.Errorf("protect: %w", err)
		}
		if p[0] != '/' && strings.Contains(p, "/") {
			// It would never match: names hold no "/", paths start with one.
			return fmt.Errorf("protect: %q is neither a name glob nor an absolute inventory path", p)
		}
		// Protection matches case-insensitively: over-protecting is the safe error.
		r.protect = append(r.protect, strings.ToLower(p))
	}
	if err := sc.Validate(); err != nil {
		return err
	}
	if err := lim.Validate(); err != nil {
		return err
	}
	r.deny = append(r.deny, d...)
	r.confirm = append(r.confirm, c...)
	if !sc.IsZero() {
		r.scopes = append(r.scopes, sc)
	}
	r.limits = r.limits.Narrow(lim)
	r.denyRaw = append(r.denyRaw, deny...)
	r.confirmRaw = append(r.confirmRaw, confirm...)
	r.protectRaw = append(r.protectRaw, protect...)
	return nil
}

// clone copies r so that Cap never changes a role someone else holds.
func (r *Role) clone() *Role {
	c := *r
	c.chain = slices.Clone(r.chain)
	c.cappedBy = slices.Clone(r.cappedBy)
	c.allow = slices.Clone(r.allow)
	c.deny = slices.Clone(r.deny)
	c.confirm = slices.Clone(r.confirm)
	c.protect = slices.Clone(r.protect)
	c.scopes = slices.Clone(r.scopes)
	c.allowRaw = slices.Clone(r.allowRaw)
	c.denyRaw = slices.Clone(r.denyRaw)
	c.confirmRaw = slices.Clone(r.confirmRaw)
	c.protectRaw = slices.Clone(r.protectRaw)
	return &c
}

// Name is the role's name as resolved (lower-case).
func (r *Role) Name() string { return r.name }

// Allows reports whether the role may list and call t.
func (r *Role) Allows(t ToolInfo) bool {
	for _, group := range r.allow {
		if !matchAny(group, t) {
			return false
		}
	}
	return len(r.allow) > 0 && !matchAny(r.deny, t)
}

// AllowedTools returns the tools from all that the role allows, in order.
func (r *Role) AllowedTools(all []ToolInfo) []ToolInfo {
	var out []ToolInfo
	for _, t := range all {
		if r.Allows(t) {
			out = append(out, t)
		}
	}
	return out
}

// NeedsConfirm reports whether a person must confirm a call to t:
// irreversible tools always, plus any tool the role or system lists in
// confirm. A tool with an unknown risk is treated as irreversible.
func (r *Role) NeedsConfirm(t ToolInfo) bool {
	return t.Risk == RiskIrreversible || !t.Risk.Valid() || matchAny(r.confirm, t)
}

// InScope reports whether every scope of the role permits o. Use it to
// filter lists and to refuse gets and writes outside the scope.
func (r *Role) InScope(o Object) bool {
	for _, s := range r.scopes {
		if !s.Permits(o) {
			return false
		}
	}
	return true
}

// Protected reports whether o matches a protect glob, in which case no
// write may touch it. Globs match case-insensitively against the object's
// name ("*-prod-*") and its inventory path ("/DC1/vm/prod/*"); a pattern
// starting with "/" also protects everything below the path it matches.
func (r *Role) Protected(o Object) bool {
	if len(r.protect) == 0 {
		return false
	}
	name, p := strings.ToLower(o.Name), strings.ToLower(o.Path)
	for _, g := range r.protect {
		if g[0] == '/' {
			if p != "" && underPath(g, p) {
				return true
			}
		} else if globMatch(g, name) {
			return true
		}
	}
	return false
}

// Limits are the rate limits for sessions in this role.
func (r *Role) Limits() Limits { return r.limits }

// Errors returned by Authorize; match with errors.Is.
var (
	// ErrToolDenied: the role does not include the tool. Answer it like an
	// unknown tool so the role's shape is not revealed.
	ErrToolDenied = errors.New("tool not allowed for this role")
	// ErrOutOfScope: deliberately worded like "not found" so that a scoped
	// role cannot probe for objects outside its scope.
	ErrOutOfScope = errors.New("not found or outside this role's scope")
	// ErrProtected: a write to a protected object.
	ErrProtected = errors.New("object is protected against changes")
)

// Authorize checks a call to t on the resolved targets: the role must allow
// the tool, every target must be in scope, and a write may not touch a
// protected target. Confirmation and rate limits are separate steps.
func (r *Role) Authorize(t ToolInfo, targets ...Object) error {
	if !r.Allows(t) {
		return fmt.Errorf("%w: %s (role %s)", ErrToolDenied, t.Name, r.name)
	}
	for _, o := range targets {
		if !r.InScope(o) {
			return fmt.Errorf("%s: %w", displayName(o), ErrOutOfScope)
		}
		if t.Risk.IsWrite() && r.Protected(o) {
			return fmt.Errorf("%s: %w by policy; %s cannot change it", displayName(o), ErrProtected, t.Name)
		}
	}
	return nil
}

func displayName(o Object) string {
	if o.Path != "" {
		return o.Path
	}
	return o.Name
}

// Description is a role laid out for display (`roles`, `config show`).
type Description struct {
	Name     string   `json:"name"`
	Inherits []string `json:"inherits,omitempty"`  // ancestors, nearest first
	CappedBy []string `json:"capped_by,omitempty"` // system max_role(s)
	Allow    []string `json:"allow,omitempty"`
	Deny     []string `json:"deny,omitempty"`
	Confirm  []string `json:"confirm,omitempty"`
	Protect  []string `json:"protect,omitempty"`
	Scopes   []Scope  `json:"scopes,omitempty"`
	Limits   Limits   `json:"limits,omitzero"`
}

// Describe returns the merged role for display.
func (r *Role) Describe() Description {
	return Description{
		Name:     r.name,
		Inherits: slices.Clone(r.chain),
		CappedBy: slices.Clone(r.cappedBy),
		Allow:    slices.Clone(r.allowRaw),
		Deny:     slices.Clone(r.denyRaw),
		Confirm:  slices.Clone(r.confirmRaw),
		Protect:  slices.Clone(r.protectRaw),
		Scopes:   slices.Clone(r.scopes),
		Limits:   r.limits,
	}
}

// selector matches tools by name, toolset or risk.
type selector struct {
	field byte // 'n' name, 't' toolset, 'r' risk
	pat   string
}

func parseSelectors(ss []string) ([]selector, error) {
	out := make([]selector, 0, len(ss))
	for _, s := range ss {
		sel, err := parseSelector(s)
		if err != nil {
			return nil, err
		}
		out = append(out, sel)
	}
	return out, nil
}

func parseSelector(s string) (selector, error) {
	s = strings.TrimSpace(s)
	kind, pat, found := strings.Cut(s, ":")
	if !found {
		if err := validGlob(s); err != nil {
			return selector{}, err
		}
		return selector{field: 'n', pat: s}, nil
	}
	if err := validGlob(pat); err != nil {
		return selector{}, fmt.Errorf("%q: %w", s, err)
	}
	switch kind {
	case "toolset":
		return selector{field: 't', pat: pat}, nil
	case "risk":
		if !hasMeta(pat) && !Risk(pat).Valid() {
			return selector{}, fmt.Errorf("%q: unknown risk %q (want read, write, destructive or irreversible)", s, pat)
		}
		return selector{field: 'r', pat: pat}, nil
	}
	return selector{}, fmt.Errorf("%q: unknown selector %q (want a tool name or glob, toolset:<glob> or risk:<risk>)", s, kind)
}

func (s selector) match(t ToolInfo) bool {
	switch s.field {
	case 't':
		return globMatch(s.pat, t.Toolset)
	case 'r':
		return globMatch(s.pat, string(t.Risk))
	}
	return globMatch(s.pat, t.Name)
}

func matchAny(sels []selector, t ToolInfo) bool {
	for _, s := range sels {
		if s.match(t) {
			return true
		}
	}
	return false
}
