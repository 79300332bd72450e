package toolstest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
)

// Policy builds a guard policy for role (built-in or from custom) with an
// audit trail in a temp dir; mod may adjust it.
func Policy(t *testing.T, role string, custom map[string]policy.RoleSpec, mod func(*guard.Policy)) *guard.Policy {
	t.Helper()
	r, err := policy.Resolve(custom, role)
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	p := &guard.Policy{Role: r, Profile: "test", Audit: w, Limiter: policy.NewLimiter(r.Limits(), time.Now),
		VCenter: audit.VCenter{Host: "sim", User: "user"}}
	if mod != nil {
		mod(p)
	}
	return p
}

// AuditLines reads p's trail back, checking its hash chain.
func AuditLines(t *testing.T, p *guard.Policy) []audit.Record {
	t.Helper()
	b, err := os.ReadFile(p.Audit.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(bytes.NewReader(b)); err != nil {
		t.Fatalf("audit trail does not verify: %v", err)
	}
	var out []audit.Record
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r audit.Record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// LastAudit is the last record of p's trail.
func LastAudit(t *testing.T, p *guard.Policy) audit.Record {
	t.Helper()
	lines := AuditLines(t, p)
	if len(lines) == 0 {
		t.Fatal("no audit lines")
	}
	return lines[len(lines)-1]
}

// Person answers elicitations as a human would, and records the questions.
type Person struct {
	Action  mcp.ElicitationResponseAction
	Confirm bool

	mu    sync.Mutex
	asked []string
}

// Elicit answers one question.
func (p *Person) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, req.Params.Message)
	res := &mcp.ElicitationResult{}
	res.Action = p.Action
	if p.Action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{guard.ConfirmKey: p.Confirm}
	}
	return res, nil
}

// Answer makes the person confirm (yes) or decline from now on, and
// forgets the questions asked so far.
func (p *Person) Answer(yes bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Action, p.Confirm, p.asked = mcp.ElicitationResponseActionDecline, false, nil
	if yes {
		p.Action, p.Confirm = mcp.ElicitationResponseActionAccept, true
	}
}

// Asked returns the questions put to the person so far.
func (p *Person) Asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// Forget clears the questions asked so far.
func (p *Person) Forget() {
	p.mu.Lock()
	p.asked = nil
	p.mu.Unlock()
}
