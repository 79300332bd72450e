// Package audit writes the tamper-evident audit trail: one JSON line per
// tool call (allowed, denied, rate-limited, confirmed, declined, preview),
// chained by SHA-256 so that an edited, removed or reordered line is
// detected by Verify. Arguments are redacted before they are written.
package audit

import (
	"fmt"
	"strings"
	"time"
)

// Decision is what policy decided about a call.
type Decision string

const (
	DecisionAllowed     Decision = "allowed"      // ran without needing a person
	DecisionDenied      Decision = "denied"       // role, scope or protect refused it
	DecisionRateLimited Decision = "rate_limited" // a limit refused it
	DecisionConfirmed   Decision = "confirmed"    // a person (or a valid preview token) confirmed it
	DecisionDeclined    Decision = "declined"     // a person declined or cancelled
	DecisionPreview     Decision = "preview"      // answered with a preview and a token, nothing done
	DecisionAsked       Decision = "asked"        // a person was asked to confirm; the answer comes in a later line
)

// Outcome is how an admitted call ended; empty for refusals.
type Outcome string

const (
	OutcomeOK    Outcome = "ok"
	OutcomeError Outcome = "error"
)

// Client identifies the MCP client, as it introduced itself.
type Client struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// VCenter identifies the vCenter and the account the call used.
type VCenter struct {
	Host string `json:"host"`
	User string `json:"user"`
}

// Target is one resolved object a call acted on.
type Target struct {
	ID   string `json:"id"`             // managed object ID, e.g. "vm-42"
	Path string `json:"path,omitempty"` // inventory path
}

// Record is one line of the audit trail. Write fills in Time (if zero),
// Seq, PID, Session, OSUser (if empty), Prev and Hash, and redacts Args.
type Record struct {
	Time       time.Time      `json:"time"`
	Seq        uint64         `json:"seq"`
	PID        int            `json:"pid"`
	Session    string         `json:"session"`
	OSUser     string         `json:"os_user"`
	Client     Client         `json:"client"`
	Profile    string         `json:"profile"`
	Role       string         `json:"role"`
	VCenter    VCenter        `json:"vcenter"`
	Tool       string         `json:"tool"`
	Args       map[string]any `json:"args,omitempty"`
	Targets    []Target       `json:"targets,omitempty"`
	Decision   Decision       `json:"decision"`
	Outcome    Outcome        `json:"outcome,omitempty"`
	Error      string         `json:"error,omitempty"`
	TaskIDs    []string       `json:"task_ids,omitempty"`
	DurationMS int64          `json:"duration_ms"`
	Prev       string         `json:"prev"`
	Hash       string         `json:"hash,omitempty"` // omitted only while hashing
}

// Format renders r as one short line for `audit tail`.
func Format(r Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s #%d %s", r.Time.UTC().Format("2006-01-02T15:04:05.000Z"), r.Seq, r.Tool)
	for _, t := range r.Targets {
		if t.Path != "" {
			b.WriteString(" " + t.Path)
		} else {
			b.WriteString(" " + t.ID)
		}
	}
	b.WriteString(" " + string(r.Decision))
	if r.Outcome != "" {
		b.WriteString("/" + string(r.Outcome))
	}
	fmt.Fprintf(&b, " %dms", r.DurationMS)
	if r.Role != "" || r.Profile != "" {
		fmt.Fprintf(&b, " profile=%s role=%s", r.Profile, r.Role)
	}
	if len(r.TaskIDs) > 0 {
		b.WriteString(" tasks=" + strings.Join(r.TaskIDs, ","))
	}
	if r.Error != "" {
		fmt.Fprintf(&b, " error=%q", r.Error)
	}
	return b.String()
}
