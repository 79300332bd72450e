package policy

import "fmt"

// Risk is how much harm a tool can do. Tools declare it beside their
// definition; roles are derived from it so that a new tool falls into the
// right roles without anyone editing role lists.
type Risk string

const (
	// RiskRead reads inventory or state and changes nothing.
	RiskRead Risk = "read"
	// RiskWrite changes state in a way that can be undone (create, rename, tag).
	RiskWrite Risk = "write"
	// RiskDestructive may lose state (power off, reset) but leaves the object.
	RiskDestructive Risk = "destructive"
	// RiskIrreversible cannot be undone (delete a VM, revert or delete a
	// snapshot, host reboot). Such calls are always confirmed by a person.
	RiskIrreversible Risk = "irreversible"
)

// Risks lists every valid risk from least to most harmful.
func Risks() []Risk {
	return []Risk{RiskRead, RiskWrite, RiskDestructive, RiskIrreversible}
}

// IsWrite reports whether the risk changes anything. An unknown risk counts
// as a write so that a typo fails closed (it cannot slip into viewer).
func (r Risk) IsWrite() bool { return r != RiskRead }

// Valid reports whether r is one of the four known risks.
func (r Risk) Valid() bool {
	switch r {
	case RiskRead, RiskWrite, RiskDestructive, RiskIrreversible:
		return true
	}
	return false
}

// ParseRisk converts a string to a Risk, rejecting unknown values.
func ParseRisk(s string) (Risk, error) {
	r := Risk(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown risk %q (want one of read, write, destructive, irreversible)", s)
	}
	return r, nil
}

// ToolInfo is what policy needs to know about a tool: plain values taken
// from the tool's definition, so policy never depends on MCP types.
type ToolInfo struct {
	Name    string // e.g. "vm_power_off"
	Toolset string // e.g. "vm", "snapshot", "host"
	Risk    Risk
}
