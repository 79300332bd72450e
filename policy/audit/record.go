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
	DecisionRotated     Decision = "rotated"      // not a call: the first record of a trail started by Rotate
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
	Rotated    *Rotation      `json:"rotated_from,omitempty"` // only in the first record of a rotated trail
	Prev       string         `json:"prev"`
	Hash       string         `json:"hash,omitempty"` // omitted only while hashing
}

// Rotation is what the first record of a trail started by Rotate says
// about the trail before it. That record continues the previous chain: its
// seq and prev follow End, or the previous checkpoint when the file did not
// reach it, so the chain runs on across files.
type Rotation struct {
	File   string `json:"file"`           // the previous trail's file name, as renamed
	End    Head   `json:"end"`            // its last record, as found (seq 0: none)
	Head   *Head  `json:"head,omitempty"` // its checkpoint, when it had one
	Reason string `json:"reason"`         // why it was rotated
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
	if rot := r.Rotated; rot != nil {
		fmt.Fprintf(&b, " from=%s end=%d", rot.File, rot.End.Seq)
		if rot.Head != nil {
			fmt.Fprintf(&b, " checkpoint=%d", rot.Head.Seq)
		}
		fmt.Fprintf(&b, " reason=%q", rot.Reason)
	}
	return b.String()
}
