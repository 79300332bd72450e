package params

import (
	"strings"
	"testing"
)

// TestBulkTextEscapes: a VM name or an error message cannot add a row or
// a column to a bulk action's report.
func TestBulkTextEscapes(t *testing.T) {
	t.Parallel()
	r := BulkResult{Action: `Snapshot "pre\nx"`, Results: []TargetResult{
		{VM: "web01\nweb02\tvm-9\tdone", ID: "vm-1", Outcome: "failed", Error: "name 'a\nb' <b>"},
		{VM: "db", ID: "vm-2", Outcome: "done", Snapshot: "base\tx"},
	}}
	r.Count()
	got := r.Text()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("bulk text has %d lines, want 4:\n%s", len(lines), got)
	}
	for _, l := range lines[1:] {
		if n := strings.Count(l, "\t"); n != 5 {
			t.Errorf("row %q has %d columns, want 6", l, n+1)
		}
	}
	if strings.ContainsAny(got, "<>") {
		t.Errorf("raw markup:\n%s", got)
	}
}
