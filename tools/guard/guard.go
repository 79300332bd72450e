// Package guard is the enforce side of the tools framework: the policy
// middleware around every call (audit, rate limit, role), the
// authorization of writes against their resolved targets (protect, scope,
// confirmation by a person, write budget) that grants the vCenter write
// gate's permit, progress notifications, vCenter task waiting and MCP
// background tasks.
package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Policy decides and records every call. cmd/ builds it from the config
// profile and the system policy.
type Policy struct {
	// Role is the effective role, already capped by the system policy.
	Role *policy.Role
	// Profile names the config profile, for the audit trail.
	Profile string
	// Limiter enforces the role's rate limits; nil means none.
	Limiter *policy.Limiter
	// Audit receives one line per call; nil disables the trail (tests).
	Audit *audit.Writer
	// Fallback says what happens to a call that needs a person's
	// confirmation when the client cannot ask one (no elicitation).
	Fallback policy.Fallback
	// Tokens issues and redeems preview tokens for FallbackPreview.
	Tokens *policy.Tokens
	// VCenter identifies the vCenter and user in the audit trail.
	VCenter audit.VCenter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// VCenterEvents also records each write as a vCenter user event on its
	// targets, so vCenter's own administrators see it (audit.vcenter_events).
	VCenterEvents bool
}

// ConfirmKey is the elicitation field a person answers.
const ConfirmKey = "confirm"

// confirmTokenArg is the argument that carries a preview token.
const confirmTokenArg = policy.ConfirmTokenArg

// Guard applies a Policy to the calls of one server.
type Guard struct {
	p       Policy
	log     *slog.Logger
	session *vcenter.Session // for vCenter user events; may be nil
	osUser  string
	tools   map[string]policy.ToolInfo

	mu      sync.Mutex
	pending map[string]pendingConfirm // elicitation state, kept server-side

	bg *BgTasks // contexts of calls running as MCP background tasks

	// previewDefs are the write tools' definitions with confirm_token, for
	// confirm_fallback: preview.
	previewDefs map[string]mcp.Tool
}

// pendingConfirm binds a question put to a person to exactly what it was
// about: the retry must name the same tool, arguments and targets.
type pendingConfirm struct {
	tool, digest, targets string
	expires               time.Time
}

const confirmTTL = 10 * time.Minute

func NewGuard(p Policy, log *slog.Logger, session *vcenter.Session, ts []toolkit.Tool) *Guard {
	if p.Role == nil {
		// Least privilege when the caller configured nothing. The built-in
		// default role always resolves.
		r, err := policy.Builtin(policy.DefaultRole)
		if err != nil {
			panic(fmt.Sprintf("built-in role %s: %v", policy.DefaultRole, err))
		}
		p.Role = r
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Fallback == "" {
		p.Fallback = policy.FallbackDeny
	}
	if p.Tokens == nil {
		p.Tokens = policy.NewTokens(p.Now, policy.DefaultTokenTTL)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{p: p, log: log, session: session, osUser: currentUser(), tools: make(map[string]policy.ToolInfo, len(ts)), pending: map[string]pendingConfirm{}}
	g.bg = NewBgTasks()
	for _, t := range ts {
		g.tools[t.Def.Name] = t.Info()
		if p.Fallback == policy.FallbackPreview && t.Risk.IsWrite() {
			if g.previewDefs == nil {
				g.previewDefs = map[string]mcp.Tool{}
			}
			g.previewDefs[t.Def.Name] = toolkit.WithConfirmToken(t.Def)
		}
	}
	return g
}

// Visible is the tool filter: the role decides which tools exist, for
// tools/list and tools/call alike. Under confirm_fallback: preview, write
// tools also declare the confirm_token argument a preview asks for; other
// configurations never take one, so they do not pay for it in tools/list.
func (g *Guard) Visible(_ context.Context, ts []mcp.Tool) []mcp.Tool {
	out := ts[:0:0]
	for _, t := range ts {
		info, ok := g.tools[t.Name]
		if !ok || !g.p.Role.Allows(info) {
			continue
		}
		if pt, ok := g.previewDefs[t.Name]; ok {
			t = pt
		}
		out = append(out, t)
	}
	return out
}

// call is the audit record of the call in progress, which handlers extend
// with what they resolve and start.
type call struct {
	g    *Guard
	info policy.ToolInfo
	req  mcp.CallToolRequest
	args map[string]any // arguments without confirm_token

	mu       sync.Mutex
	targets  []audit.Target
	refs     []vcenter.Object
	decision audit.Decision
	taskIDs  []string
	// confirm: the handler said this call needs a person's confirmation
	// whatever the role says (see Confirm); irreversible: and that it
	// cannot be undone (ConfirmIrreversible).
	confirm, irreversible bool
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// Middleware runs around every tool handler: audit begin, rate limit,
// authorize, handler (which resolves targets and confirms), audit end.
// Every call that reaches it leaves exactly one audit line.
func (g *Guard) Middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if req.Params.Task != nil {
			// See bgTasks: the context mcp-go gives a background call ends
			// with the tools/call request, not with the task.
			var done func()
			ctx, done = g.bg.detach(ctx)
			defer done()
		}
		start := g.p.Now()
		info, known := g.tools[req.Params.Name]
		args := req.GetArguments()
		// Size first: a huge call must cost a bounded audit line and a
		// short answer, not a record built from all of it.
		size, tooBig := toolkit.ArgsTooBig(req.Params.Arguments)
		if tooBig {
			args = map[string]any{"_omitted": fmt.Sprintf("%d bytes of arguments", size)}
		}
		c := &call{g: g, info: info, req: req, args: toolkit.WithoutKey(args, confirmTokenArg), decision: audit.DecisionAllowed}
		rec := g.record(ctx, req.Params.Name, args)

		finish := func(res *mcp.CallToolResult, err error) (*mcp.CallToolResult, error) {
			c.mu.Lock()
			rec.Decision, rec.Targets, rec.TaskIDs = c.decision, c.targets, c.taskIDs
			c.mu.Unlock()
			rec.DurationMS = g.p.Now().Sub(start).Milliseconds()
			if info.Risk.IsWrite() && res != nil && res.IsError && vcenter.ScopeRefused(ctx) {
				// The caller was told "not found"; the trail says why.
				rec.Decision = audit.DecisionDenied
			}
			switch {
			case err != nil:
				rec.Outcome, rec.Error = audit.OutcomeError, err.Error()
			case res != nil && res.IsError:
				rec.Outcome, rec.Error = audit.OutcomeError, toolkit.Truncate(toolkit.ResultText(res), 500)
			case res != nil && res.InputRequests != nil:
				// Asked a person; the retry that carries the answer gets
				// its own line.
			case rec.Decision == audit.DecisionAllowed || rec.Decision == audit.DecisionConfirmed:
				rec.Outcome = audit.OutcomeOK
			}
			g.write(rec, info.Risk.IsWrite())
			if info.Risk.IsWrite() && g.session != nil {
				// What it changed (a name, say) is visible to the next call.
				g.session.NoteWrite()
			}
			if info.Risk.IsWrite() && rec.Outcome != "" {
				g.vcenterEvents(ctx, c, rec)
			}
			return res, err
		}

		if !known || !g.p.Role.Allows(info) {
			c.decision = audit.DecisionDenied
			return finish(mcp.NewToolResultError(fmt.Sprintf("tool %q is not available to role %s", toolkit.Truncate(req.Params.Name, 64), g.p.Role.Name())), nil)
		}
		if tooBig {
			c.decision = audit.DecisionDenied
			return finish(toolkit.ErrorResult(&toolkit.ArgError{Msg: fmt.Sprintf("arguments are %d bytes; the limit is %d", size, toolkit.MaxArgBytes)}), nil)
		}
		if g.p.Limiter != nil {
			if _, err := g.p.Limiter.Allow(info.Risk.IsWrite(), 1); err != nil {
				c.decision = audit.DecisionRateLimited
				return finish(mcp.NewToolResultError(err.Error()), nil)
			}
		}
		// Writes reach vCenter only once Act grants this permit.
		ctx = vcenter.TrackScope(vcenter.TrackWork(vcenter.WithWritePermit(context.WithValue(ctx, callKey{}, c))))
		res, err := next(ctx, req)
		if err == nil && res != nil && vcenter.ScopeEmptied(ctx) {
			g.scopeHint(res)
		}
		return finish(res, err)
	}
}

// scopeHint tells the caller that an empty listing or an object not found
// may be the scope's doing, naming the scope (the role's own words, never a hidden object),
// so an empty answer is not taken for an empty vCenter.
func (g *Guard) scopeHint(res *mcp.CallToolResult) {
	for i, ct := range res.Content {
		if tc, ok := ct.(mcp.TextContent); ok {
			tc.Text = strings.TrimRight(tc.Text, "\n") + "\n" + toolkit.Line(fmt.Sprintf(
				"Note: role %s limits what this profile sees (%s); objects outside that scope are not shown.", g.p.Role.Name(), describeScopes(g.p.Role)), 1000) + "\n"
			res.Content[i] = tc
			return
		}
	}
}

// describeScopes renders a role's scopes as the config writes them.
func describeScopes(r *policy.Role) string {
	var parts []string
	for _, sc := range r.Describe().Scopes {
		var dims []string
		for _, d := range []struct {
			name string
			vals []string
		}{{"datacenters", sc.Datacenters}, {"clusters", sc.Clusters}, {"folders", sc.Folders}, {"VMs", sc.VMs}} {
			if len(d.vals) > 0 {
				dims = append(dims, d.name+" "+strings.Join(d.vals, ", "))
			}
		}
		if len(dims) > 0 {
			parts = append(parts, strings.Join(dims, "; "))
		}
	}
	return strings.Join(parts, " | ")
}

// Refused audits a tools/call that mcp-go answered before any middleware
// ran: an unknown tool, or one the role hides (answered like unknown).
func (g *Guard) Refused(ctx context.Context, _ any, method mcp.MCPMethod, message any, err error) {
	if method != mcp.MethodToolsCall || !errors.Is(err, server.ErrToolNotFound) {
		return
	}
	req, ok := message.(*mcp.CallToolRequest)
	if !ok {
		return
	}
	rec := g.record(ctx, req.Params.Name, req.GetArguments())
	rec.Decision = audit.DecisionDenied
	rec.Error = "tool not found or not available to role " + g.p.Role.Name()
	g.write(rec, true)
}

func (g *Guard) record(ctx context.Context, tool string, args map[string]any) audit.Record {
	rec := audit.Record{
		Time:    g.p.Now(),
		Profile: g.p.Profile,
		Role:    g.p.Role.Name(),
		VCenter: g.p.VCenter,
		Tool:    tool,
		Args:    audit.Redact(args),
	}
	if via, ok := ctx.Value(viaKey{}).(string); ok {
		// A resource read or subscription: the line says which request
		// ran the tool (see Via).
		if rec.Args == nil {
			rec.Args = map[string]any{}
		}
		rec.Args[ViaArg] = audit.RedactString(via)
	}
	if ci := clientInfo(ctx); ci != nil {
		rec.Client = audit.Client{Name: ci.Name, Version: ci.Version}
	}
	return rec
}

func (g *Guard) write(rec audit.Record, sync bool) {
	if g.p.Audit == nil {
		return
	}
	if err := g.p.Audit.Write(rec, sync); err != nil {
		// The call has happened; losing its record is worth shouting about.
		g.log.Error("audit write failed", "tool", rec.Tool, "error", err)
	}
}

// vcenterEvents posts the outcome of a write that ran as a user event on
// each target (at most ten), when the policy asks for it.
func (g *Guard) vcenterEvents(ctx context.Context, c *call, rec audit.Record) {
	if !g.p.VCenterEvents || g.session == nil {
		return
	}
	c.mu.Lock()
	targets := c.refs
	c.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	who := g.osUser
	if rec.Client.Name != "" {
		who += " via " + rec.Client.Name
	}
	msg := fmt.Sprintf("vsphere-mcp: %s by %s (profile %s, role %s): %s", rec.Tool, who, rec.Profile, rec.Role, rec.Outcome)
	if len(rec.TaskIDs) > 0 {
		msg += " [" + strings.Join(rec.TaskIDs, ",") + "]"
	}
	// Bounded: an event is a courtesy; the audit line is the record.
	ctx, cancel := context.WithTimeout(vcenter.WithWritePermit(context.WithoutCancel(ctx)), 10*time.Second)
	defer cancel()
	vcenter.Permit(ctx) // the guard's own record, whatever the call's outcome
	err := g.session.Do(ctx, func(conn *vcenter.Conn) error {
		logged := 0
		for _, t := range targets {
			if logged == 10 {
				break
			}
			if !managedEntity(t.Ref.Type) {
				continue // a snapshot, a tag: vCenter logs events on inventory objects only
			}
			if err := conn.LogUserEvent(ctx, t.Ref, msg); err != nil {
				return err
			}
			logged++
		}
		return nil
	})
	if err != nil {
		g.log.Warn("vCenter user event not logged", "tool", rec.Tool, "error", err)
	}
}

// managedEntity reports whether a target of this type is an inventory
// object, which vCenter can log an event on.
func managedEntity(kind string) bool {
	switch kind {
	case "VirtualMachineSnapshot", "Tag", "TagCategory", "Task", "":
		return false
	}
	return true
}

func clientInfo(ctx context.Context) *mcp.Implementation {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.ClientInfo != nil {
		return info.ClientInfo
	}
	if s, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		ci := s.GetClientInfo()
		return &ci
	}
	return nil
}

func clientCanElicit(ctx context.Context) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.ClientCapabilities != nil {
		return info.ClientCapabilities.Elicitation != nil
	}
	if s, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		return s.GetClientCapabilities().Elicitation != nil
	}
	return false
}

// ---- target authorization and confirmation, for write tools ----

// needsInput ends a handler with a question for the person (elicitation)
// or a preview; define() returns its result as is.
type needsInput struct{ res *mcp.CallToolResult }

func (n *needsInput) Error() string { return "waiting for confirmation" }

// ToolResult is the question or preview to return as the call's result.
func (n *needsInput) ToolResult() *mcp.CallToolResult { return n.res }

// Act authorizes a write against its resolved targets: it records them for
// the audit trail, refuses protected objects, and, when the action needs a
// person's confirmation, asks for it (or applies the fallback). It must be
// called after resolving and before changing anything; a nil error means
// go ahead. what describes the action for the person, e.g. "Delete VM".
func Act(ctx context.Context, what string, targets ...vcenter.Object) error {
	c := callFrom(ctx)
	if c == nil {
		return errors.New("internal error: write tool called outside the policy middleware")
	}
	return c.authorize(ctx, what, targets, nil)
}

// ActOn authorizes a write on target, as act does, that also involves
// other objects: a destination folder, pool, host or datastore, or the
// snapshot a revert goes to. Those are refused when protected (snapshots
// excepted: protect patterns name inventory objects), bound into the
// person's confirmation — an answer about one snapshot does not revert to
// another — and recorded in the audit trail, but not charged to the write
// budget: the call is still one write.
func ActOn(ctx context.Context, what string, target vcenter.Object, touches ...vcenter.Object) error {
	c := callFrom(ctx)
	if c == nil {
		return errors.New("internal error: write tool called outside the policy middleware")
	}
	return c.authorize(ctx, what, []vcenter.Object{target}, touches)
}

// Confirm makes the next Act of this call ask a person, whatever the role
// says: for a call whose arguments make it irreversible (vm_disk_remove
// with delete_file, a recursive folder_delete) or a destructive tool that
// always asks (host_maintenance_enter). Call it before Act; it never
// removes a confirmation the role asks for.
func Confirm(ctx context.Context) {
	if c := callFrom(ctx); c != nil {
		c.confirm = true
	}
}

// ConfirmIrreversible is Confirm for a call whose arguments destroy data
// for good (vm_disk_remove with delete_file, a recursive folder_delete):
// the person is told it cannot be undone.
func ConfirmIrreversible(ctx context.Context) {
	if c := callFrom(ctx); c != nil {
		c.confirm, c.irreversible = true, true
	}
}

func (c *call) authorize(ctx context.Context, what string, targets, touches []vcenter.Object) error {
	if err := c.protectAndConfirm(ctx, what, targets, touches); err != nil {
		return err
	}
	if !c.info.Risk.IsWrite() {
		return nil
	}
	// The middleware charged one write; a bulk call pays per target, once
	// it is going ahead.
	if len(targets) > 1 {
		if _, err := c.g.p.Limiter.AllowWrites(len(targets) - 1); err != nil {
			c.setDecision(audit.DecisionRateLimited)
			return err
		}
	}
	vcenter.Permit(ctx)
	return nil
}

func (c *call) protectAndConfirm(ctx context.Context, what string, targets, touches []vcenter.Object) error {
	c.addTargets(targets)
	c.addTargets(touches)
	for i, t := range append(slices.Clip(targets), touches...) {
		if t.Ref.Type == "VirtualMachineSnapshot" {
			continue
		}
		obj := policy.Object{Type: t.Ref.Type, Name: t.Name, Path: t.Path}
		if c.info.Risk.IsWrite() && c.g.p.Role.Protected(obj) {
			c.setDecision(audit.DecisionDenied)
			if i >= len(targets) {
				return fmt.Errorf("%s is protected by policy: no tool may change it or place anything in it (protect patterns come from your config or the system policy)", toolkit.Path(t.Path))
			}
			return fmt.Errorf("%s is protected by policy: no tool may change it (protect patterns come from your config or the system policy)", toolkit.Path(t.Path))
		}
	}
	if !c.confirm && !c.g.p.Role.NeedsConfirm(c.info) {
		return nil
	}
	if c.req.Params.Task != nil {
		// A background task cannot stop to ask a person: confirmation
		// has to come before the work turns into a task.
		c.setDecision(audit.DecisionDenied)
		return fmt.Errorf("%s needs a person's confirmation, which cannot be asked inside a background task; call it without task augmentation", c.info.Name)
	}
	digest := policy.ArgsDigest(c.args)
	bound := targetKey(append(slices.Clip(targets), touches...))
	// What a person is asked to confirm: one line, whatever a name holds
	// (the targets' paths are quoted unless plain; what was written by the
	// tool with its names escaped, and Line is the backstop).
	question := toolkit.Line(fmt.Sprintf("%s: %s?", what, describeTargets(targets)), 0)

	// A retry carrying the person's answer.
	if answer := server.ElicitationResponse(c.req.Params.InputResponses, ConfirmKey); answer != nil {
		if !c.g.takePending(c.req.Params.RequestState, c.info.Name, digest, bound, c.g.p.Now()) {
			// The answer is not about these exact targets and arguments
			// (they changed, or the state is forged or stale): ask again.
			return c.ask(question, digest, bound)
		}
		content, _ := answer.Content.(map[string]any)
		if answer.Action == mcp.ElicitationResponseActionAccept && content[ConfirmKey] == true {
			c.setDecision(audit.DecisionConfirmed)
			return nil
		}
		c.setDecision(audit.DecisionDeclined)
		return &needsInput{res: mcp.NewToolResultError(fmt.Sprintf("Not done: the person did not confirm (%s). Nothing was changed.", answer.Action))}
	}

	if clientCanElicit(ctx) {
		return c.ask(question, digest, bound)
	}

	switch c.g.p.Fallback {
	case policy.FallbackPreview:
		if tok, _ := c.req.GetArguments()[confirmTokenArg].(string); tok != "" {
			if err := c.g.p.Tokens.Redeem(tok, c.info.Name, bound, digest); err != nil {
				c.setDecision(audit.DecisionDenied)
				return fmt.Errorf("confirmation token refused: %w; call again without confirm_token for a new preview", err)
			}
			c.setDecision(audit.DecisionConfirmed)
			return nil
		}
		tok := c.g.p.Tokens.Issue(c.info.Name, bound, digest)
		c.setDecision(audit.DecisionPreview)
		return &needsInput{res: mcp.NewToolResultText(fmt.Sprintf(
			"Preview, nothing done yet. %s\n%s If the person you work for agrees, call %s again with the same arguments and confirm_token=%q (valid %s, once, for exactly these targets).",
			question, strings.TrimSpace(c.consequence()), c.info.Name, tok, policy.DefaultTokenTTL))}
	default:
		c.setDecision(audit.DecisionDenied)
		return fmt.Errorf("%s needs a person's confirmation and this MCP client cannot ask for it (it does not support elicitation); nothing was done. Use a client that supports elicitation, or ask your administrator about confirm_fallback: preview", c.info.Name)
	}
}

// consequence is what the person is told the action means: an
// irreversible one (by its risk, or by the handler's Confirm for arguments
// that make it so) cannot be undone; a destructive one asked because the
// role or the tool wants a person (maintenance mode, a pool's deletion)
// changes what runs, and can be put back.
func (c *call) consequence() string {
	if c.info.Risk == policy.RiskIrreversible || c.irreversible {
		return " This cannot be undone."
	}
	return " It takes effect at once."
}

// ask returns an elicitation for the person; the state that comes back
// with the answer is only a key into server-side memory.
func (c *call) ask(question, digest, bound string) error {
	c.setDecision(audit.DecisionAsked)
	id := c.g.putPending(pendingConfirm{tool: c.info.Name, digest: digest, targets: bound, expires: c.g.p.Now().Add(confirmTTL)})
	res := server.NewInputRequestBuilder(id).Elicit(ConfirmKey, mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: question + c.consequence(),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				ConfirmKey: map[string]any{"type": "boolean", "title": "Confirm", "description": question},
			},
			"required": []string{ConfirmKey},
		},
	}).ToolResult()
	return &needsInput{res: res}
}

func (g *Guard) putPending(p pendingConfirm) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, v := range g.pending {
		if p.expires.Sub(v.expires) > confirmTTL {
			delete(g.pending, k)
		}
	}
	g.pending[id] = p
	return id
}

// takePending consumes the state id if it binds exactly this call.
func (g *Guard) takePending(id, tool, digest, targets string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.pending[id]
	if !ok {
		return false
	}
	delete(g.pending, id)
	return p.tool == tool && p.digest == digest && p.targets == targets && now.Before(p.expires)
}

func (c *call) addTargets(ts []vcenter.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range ts {
		c.targets = append(c.targets, audit.Target{ID: t.ID(), Path: t.Path})
	}
	c.refs = append(c.refs, ts...)
}

func (c *call) setDecision(d audit.Decision) {
	c.mu.Lock()
	c.decision = d
	c.mu.Unlock()
}

// NoteTask records a vCenter task the call started, for the audit trail.
func NoteTask(ctx context.Context, id string) {
	vcenter.MarkWorkStarted(ctx) // a lost session must not start it twice
	if c := callFrom(ctx); c != nil {
		c.mu.Lock()
		c.taskIDs = append(c.taskIDs, id)
		c.mu.Unlock()
	}
}

func targetKey(ts []vcenter.Object) string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.Ref.Type + ":" + t.Ref.Value
	}
	return strings.Join(ids, ",")
}

func describeTargets(ts []vcenter.Object) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%s (%s)", toolkit.Path(t.Path), t.ID())
	}
	if len(parts) > 10 {
		return strings.Join(parts[:10], ", ") + fmt.Sprintf(" and %d more", len(parts)-10)
	}
	return strings.Join(parts, ", ")
}

// ScopeGate adapts a role's scope to the vcenter Gate, so every resolution
// and listing of the session applies it. It is nil for an unscoped role,
// which then pays nothing for scope.
func ScopeGate(r *policy.Role) vcenter.Gate {
	if r == nil {
		return nil
	}
	g := scopeGate{r: r}
	for _, sc := range r.Describe().Scopes {
		g.all = g.all || len(sc.Datacenters) > 0 || len(sc.Clusters) > 0 || len(sc.Folders) > 0
		g.vms = g.vms || len(sc.VMs) > 0
	}
	if !g.all && !g.vms {
		return nil
	}
	return g
}

type scopeGate struct {
	r *policy.Role
	// all: some dimension restricts every kind; vms: VM name globs only.
	all, vms bool
}

func (g scopeGate) Restricts(kind string) bool { return g.all || (g.vms && kind == "VirtualMachine") }

func (g scopeGate) Permits(p vcenter.Placement) bool { return g.r.InScope(policy.Object(p)) }

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
