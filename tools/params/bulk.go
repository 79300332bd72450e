package params

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TargetResult is the outcome of a bulk action on one VM or host. Each
// action fills the fields that concern it.
type TargetResult struct {
	VM         string `json:"vm,omitempty"`
	Host       string `json:"host,omitempty"`
	ID         string `json:"id"`
	Outcome    string `json:"outcome" jsonschema:"done, unchanged or failed"`
	PowerState string `json:"power_state,omitempty"`
	Snapshot   string `json:"snapshot,omitempty" jsonschema:"The snapshot created: its path in the VM's tree"`
	SnapshotID string `json:"snapshot_id,omitempty"`
	Removed    int    `json:"removed,omitempty" jsonschema:"How many snapshots were removed"`
	Service    string `json:"service,omitempty" jsonschema:"The host service acted on, e.g. TSM-SSH"`
	Running    *bool  `json:"running,omitempty" jsonschema:"Whether the service runs afterwards"`
	Policy     string `json:"policy,omitempty" jsonschema:"The service's startup policy afterwards: on, off or automatic"`
	Task       string `json:"task,omitempty"`
	Error      string `json:"error,omitempty"`
}

// BulkResult reports a bulk action per target; a partial failure is
// reported, never hidden.
type BulkResult struct {
	Action    string         `json:"action"`
	Results   []TargetResult `json:"results"`
	Succeeded int            `json:"succeeded"`
	Unchanged int            `json:"unchanged"`
	Failed    int            `json:"failed"`
}

// bulkColumn is an optional column of BulkResult's table, shown when some
// target has a value for it.
type bulkColumn struct {
	name string
	cell func(TargetResult) string
}

var bulkColumns = []bulkColumn{
	{"power_state", func(r TargetResult) string { return r.PowerState }},
	{"snapshot", func(r TargetResult) string { return r.Snapshot }},
	{"snapshot_id", func(r TargetResult) string { return r.SnapshotID }},
	{"removed", func(r TargetResult) string {
		if r.Removed == 0 {
			return ""
		}
		return toolkit.Itoa(r.Removed)
	}},
	{"service", func(r TargetResult) string { return r.Service }},
	{"running", func(r TargetResult) string {
		if r.Running == nil {
			return ""
		}
		return toolkit.YesNo(*r.Running)
	}},
	{"policy", func(r TargetResult) string { return r.Policy }},
}

// Text renders the outcome line and a row per target, with the columns
// the action filled. The table escapes every cell (VM names, snapshot
// paths, error messages, whose fault messages Explain quoted).
func (r BulkResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d done, %d unchanged, %d failed\n", toolkit.Line(r.Action, toolkit.TextMax), r.Succeeded, r.Unchanged, r.Failed)
	noun := "vm"
	if len(r.Results) > 0 && r.Results[0].Host != "" {
		noun = "host"
	}
	cols := []string{noun, "id", "outcome"}
	var extra []bulkColumn
	for _, c := range bulkColumns {
		for _, x := range r.Results {
			if c.cell(x) != "" {
				extra = append(extra, c)
				cols = append(cols, c.name)
				break
			}
		}
	}
	t := toolkit.NewTable(append(cols, "task", "error")...)
	for _, x := range r.Results {
		cells := []string{x.VM + x.Host, x.ID, x.Outcome}
		for _, c := range extra {
			cells = append(cells, c.cell(x))
		}
		t.Row(append(cells, x.Task, x.Error)...)
	}
	b.WriteString(t.String())
	return b.String()
}

// Count tallies the outcomes.
func (r *BulkResult) Count() {
	r.Succeeded, r.Unchanged, r.Failed = 0, 0, 0
	for _, x := range r.Results {
		switch x.Outcome {
		case "done":
			r.Succeeded++
		case "unchanged":
			r.Unchanged++
		default:
			r.Failed++
		}
	}
}

// Failure is the tool error for a bulk action that failed as a whole (every
// target failed, or every target that had something to do); it still
// carries the per-target detail. A partial failure is reported in the
// result, not as an error.
func (r BulkResult) Failure() error { return &bulkFailed{r} }

type bulkFailed struct{ res BulkResult }

func (b *bulkFailed) Error() string { return b.res.Text() }

// RunBulk runs one per target, four at a time (vCenter queues tasks
// anyway; don't flood it), reporting progress per finished target; with
// one target, that target's task reports the progress itself.
func RunBulk(ctx context.Context, action string, targets []vcenter.Object, one func(t vcenter.Object, p *guard.Progress) TargetResult) BulkResult {
	return RunBulkOf(ctx, action, "VMs", targets, one)
}

// RunBulkOf is RunBulk for targets other than VMs, named by noun (plural)
// in the progress messages.
func RunBulkOf(ctx context.Context, action, noun string, targets []vcenter.Object, one func(t vcenter.Object, p *guard.Progress) TargetResult) BulkResult {
	res := BulkResult{Action: action, Results: make([]TargetResult, len(targets))}
	p := guard.NewProgress(ctx)
	p.Report(0, fmt.Sprintf("%s: %d %s", action, len(targets), noun)) // Report escapes
	var taskP *guard.Progress
	if len(targets) == 1 {
		taskP = p
	}
	var finished atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res.Results[i] = one(t, taskP)
			n := finished.Add(1)
			p.Report(100*float64(n)/float64(len(targets)), fmt.Sprintf("%s: %d of %d %s", action, n, len(targets), noun))
		}()
	}
	wg.Wait()
	res.Count()
	return res
}
