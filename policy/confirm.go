package policy

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ConfirmTokenArg is the argument a client passes the preview token back
// in. ArgsDigest ignores it so the preview and the real call hash alike.
const ConfirmTokenArg = "confirm_token"

// Errors from Tokens.Redeem; match with errors.Is.
var (
	ErrTokenUnknown  = errors.New("confirmation token unknown")
	ErrTokenExpired  = errors.New("confirmation token expired")
	ErrTokenUsed     = errors.New("confirmation token already used")
	ErrTokenMismatch = errors.New("confirmation token was issued for a different call")
)

// Tokens issues and redeems one-time confirmation tokens for clients that
// cannot ask a person (confirm_fallback: preview). A token is bound to the
// tool, the resolved target and a digest of the arguments, so a model
// cannot preview one thing and then do another. State is kept server-side;
// nothing the client sends back is trusted beyond the random token itself.
// Safe for concurrent use.
type Tokens struct {
	now func() time.Time
	ttl time.Duration

	mu sync.Mutex
	m  map[string]*tokenEntry
}

type tokenEntry struct {
	tool, target, digest string
	expires              time.Time
	used                 bool
}

// DefaultTokenTTL is how long a preview token stays valid.
const DefaultTokenTTL = 5 * time.Minute

// NewTokens returns an empty token store. now is the clock (nil: time.Now);
// ttl ≤ 0 means DefaultTokenTTL.
func NewTokens(now func() time.Time, ttl time.Duration) *Tokens {
	if now == nil {
		now = time.Now
	}
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	return &Tokens{now: now, ttl: ttl, m: map[string]*tokenEntry{}}
}

// TTL is how long an issued token stays valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a new unguessable token (130 random bits) for one call of
// tool on target with arguments digest argsDigest (see ArgsDigest).
func (t *Tokens) Issue(tool, target, argsDigest string) string {
	tok := "ct-" + rand.Text()
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.purge(now)
	t.m[tok] = &tokenEntry{tool: tool, target: target, digest: argsDigest, expires: now.Add(t.ttl)}
	return tok
}

// Redeem consumes token for a call of tool on target with argsDigest. It
// fails if the token is unknown, expired, already used or was issued for a
// different tool, target or arguments. Any attempt uses the token up, even
// a mismatched one: a token aimed at the wrong call is not retried.
func (t *Tokens) Redeem(token, tool, target, argsDigest string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.purge(now)
	e, ok := t.m[token]
	switch {
	case !ok:
		return fmt.Errorf("%w: ask for a new preview", ErrTokenUnknown)
	case e.used:
		return fmt.Errorf("%w: each token confirms exactly one call; ask for a new preview", ErrTokenUsed)
	}
	e.used = true
	switch {
	case !now.Before(e.expires):
		return fmt.Errorf("%w %s ago: ask for a new preview", ErrTokenExpired, now.Sub(e.expires).Round(time.Second))
	case e.tool != tool:
		return fmt.Errorf("%w: it confirms %s, not %s", ErrTokenMismatch, e.tool, tool)
	case e.target != target:
		return fmt.Errorf("%w: it confirms %s on %s, not on %s", ErrTokenMismatch, e.tool, e.target, target)
	case e.digest != argsDigest:
		return fmt.Errorf("%w: the arguments differ from the previewed call", ErrTokenMismatch)
	}
	return nil
}

// purge forgets tokens that expired more than a TTL ago. Keeping them that
// long lets Redeem say "expired" or "already used" rather than "unknown".
func (t *Tokens) purge(now time.Time) {
	for k, e := range t.m {
		if now.Sub(e.expires) > t.ttl {
			delete(t.m, k)
		}
	}
}

// ArgsDigest is the SHA-256 (hex) of the canonical JSON of args (keys
// sorted at every level, as encoding/json does for maps), without the
// top-level confirm_token argument.
func ArgsDigest(args map[string]any) string {
	clean := make(map[string]any, len(args))
	for k, v := range args {
		if k != ConfirmTokenArg {
			clean[k] = v
		}
	}
	b, err := json.Marshal(clean)
	if err != nil {
		// Arguments decoded from JSON always marshal; for anything else fall
		// back to fmt, which also prints maps in sorted key order.
		b = fmt.Appendf(nil, "%#v", clean)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
