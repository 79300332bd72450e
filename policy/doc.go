// Package policy decides what an AI assistant may do in vSphere. It works
// on plain values (tool name, toolset, risk, object name and path) and
// knows nothing of MCP or govmomi, so every rule can be tested as a table.
//
// # Setup (once per process)
//
//	sys, err := policy.LoadSystemPolicy(policy.DefaultSystemPolicyPath(), extraPolicyFile)
//	role, err := policy.Resolve(cfg.Roles, profile.Role) // "" → viewer
//	role, err = role.Cap(sys, nil)                       // max_role, deny, confirm, protect, limits
//	fallback, err := sys.EffectiveFallback(cfg.ConfirmFallback)
//	limiter := policy.NewLimiter(role.Limits(), time.Now)
//	tokens := policy.NewTokens(time.Now, policy.DefaultTokenTTL)
//	trail, err := audit.Open(auditFile)                // sys.Audit.File wins when set
//
// # Per call (tools middleware), in this order
//
//  1. role.Allows(tool): hide the tool from tools/list; refuse a call to it
//     like an unknown tool (audit decision "denied").
//  2. limiter.Allow(tool.Risk.IsWrite(), len(targets)): refuse with the
//     error's retry hint (audit "rate_limited").
//  3. Resolve targets to Objects, then role.Authorize(tool, objects...): out
//     of scope looks like not found; a write to a protected object is
//     refused (audit "denied"). Lists filter with role.InScope per object.
//  4. role.NeedsConfirm(tool): ask the person by elicitation naming the
//     resolved target (audit "confirmed"/"declined"). Without elicitation,
//     with FallbackPreview: the first call returns a preview and
//     tokens.Issue(tool, target, policy.ArgsDigest(args)) (audit "preview");
//     the repeated call carrying confirm_token proceeds only if
//     tokens.Redeem(...) succeeds. With FallbackDeny: refuse.
//  5. Run the handler, then trail.Write(record, tool.Risk.IsWrite()) with
//     audit.Redact(args): exactly one line per call, synced for writes.
//
// Everything here fails closed: unknown risks count as writes, malformed
// patterns and policy files are errors, and a user config can only narrow
// what the system policy allows.
package policy
