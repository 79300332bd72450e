package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMFilter selects VMs the way vm_list does, for bulk actions.
type VMFilter struct {
	Name       string `json:"name,omitempty" jsonschema:"Name glob, e.g. web-*"`
	PowerState string `json:"power_state,omitempty" jsonschema:"enum=poweredOn,enum=poweredOff,enum=suspended"`
	Datacenter string `json:"datacenter,omitempty"`
	Cluster    string `json:"cluster,omitempty"`
	Host       string `json:"host,omitempty"`
	Folder     string `json:"folder,omitempty"`
	GuestOS    string `json:"guest_os,omitempty"`
}

// VMTargets names the VMs of a bulk-capable action: one, a list, or a
// filter. A filter must not select more than max_targets VMs, so a loose
// pattern cannot act on the whole inventory.
type VMTargets struct {
	VM         string    `json:"vm,omitempty" jsonschema:"One VM: name, inventory path, ID or UUID"`
	VMs        []string  `json:"vms,omitempty" jsonschema:"Several VMs, each a name, path, ID or UUID"`
	Filter     *VMFilter `json:"filter,omitempty" jsonschema:"Select VMs like vm_list does"`
	MaxTargets int       `json:"max_targets,omitempty" jsonschema:"Refuse when more VMs than this are selected; default 10, at most 100"`
}

const (
	defaultMaxTargets = 10
	hardMaxTargets    = 100
)

func (a *VMTargets) Validate() error {
	n := 0
	if a.VM != "" {
		n++
	}
	if len(a.VMs) > 0 {
		n++
	}
	if a.Filter != nil {
		n++
	}
	if n != 1 {
		return errors.New("name the VMs with exactly one of vm, vms or filter")
	}
	if a.MaxTargets < 0 || a.MaxTargets > hardMaxTargets {
		return fmt.Errorf("max_targets must be between 1 and %d", hardMaxTargets)
	}
	if len(a.VMs) > a.TargetLimit() {
		return fmt.Errorf("%d VMs given; at most %d at once (raise max_targets up to %d)", len(a.VMs), a.TargetLimit(), hardMaxTargets)
	}
	if f := a.Filter; f != nil {
		if *f == (VMFilter{}) {
			return errors.New("filter selects every VM; give at least one criterion")
		}
		if f.PowerState != "" && !contains(validPowerStates, f.PowerState) {
			return fmt.Errorf("filter.power_state %q is not a vSphere power state; use one of %s", f.PowerState, strings.Join(validPowerStates, ", "))
		}
		if err := CheckGlob("filter.name", f.Name); err != nil {
			return err
		}
		if err := CheckGlob("filter.guest_os", f.GuestOS); err != nil {
			return err
		}
	}
	return nil
}

func (a *VMTargets) TargetLimit() int {
	if a.MaxTargets == 0 {
		return defaultMaxTargets
	}
	return a.MaxTargets
}

// ResolveVMs turns VMTargets into resolved VMs (scope applies in vcenter).
func ResolveVMs(ctx context.Context, s *vcenter.Session, a VMTargets) ([]vcenter.Object, error) {
	idents := a.VMs
	if a.VM != "" {
		idents = []string{a.VM}
	}
	var out []vcenter.Object
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		out = out[:0]
		if a.Filter != nil {
			return resolveFilter(ctx, c, *a.Filter, a.TargetLimit(), &out)
		}
		seen := map[types.ManagedObjectReference]bool{}
		for _, id := range idents {
			o, err := c.Resolve(ctx, "VirtualMachine", id)
			if err != nil {
				return err
			}
			if !seen[o.Ref] {
				seen[o.Ref] = true
				out = append(out, o)
			}
		}
		return nil
	})
	return out, err
}

func resolveFilter(ctx context.Context, c *vcenter.Conn, f VMFilter, max int, out *[]vcenter.Object) error {
	q := vcenter.Query{Type: "VirtualMachine"}
	var err error
	if q.Roots, q.Within, err = ContainerFilters(ctx, c, VMContainers(f.Host, f.Cluster, f.Folder, f.Datacenter)); err != nil {
		return err
	}
	notTemplate := false
	setVMMatch(&q, f.Name, f.PowerState, f.GuestOS, &notTemplate)
	refs, err := c.Select(ctx, q)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return errors.New("the filter selects no VMs; check it with vm_list")
	}
	if len(refs) > max {
		return fmt.Errorf("the filter selects %d VMs, more than max_targets=%d; narrow the filter, or raise max_targets (at most %d) if you mean all of them", len(refs), max, hardMaxTargets)
	}
	for _, r := range refs {
		o, err := c.Describe(ctx, r)
		if err != nil {
			return err
		}
		*out = append(*out, o)
	}
	return nil
}

// TargetResult is the outcome of a bulk action on one VM.
type TargetResult struct {
	VM         string `json:"vm"`
	ID         string `json:"id"`
	Outcome    string `json:"outcome" jsonschema:"done, unchanged or failed"`
	PowerState string `json:"power_state,omitempty"`
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

// Text renders the outcome line and a row per target.
func (r BulkResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d done, %d unchanged, %d failed\n", r.Action, r.Succeeded, r.Unchanged, r.Failed)
	t := NewTable("vm", "id", "outcome", "power_state", "task", "error")
	for _, x := range r.Results {
		t.Row(x.VM, x.ID, x.Outcome, x.PowerState, x.Task, x.Error)
	}
	b.WriteString(t.String())
	return b.String()
}

// powerOp is one power action.
type powerOp struct {
	name, title, action, verb string
	risk                      policy.Risk
	// already reports the power state in which the action has nothing to do.
	already types.VirtualMachinePowerState
	// guest actions need VMware Tools running and start no vCenter task.
	guest bool
	run   func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error)
}

var powerOps = []powerOp{
	{"vm_power_on", "Power on VMs", "Power on", "Power on VMs", policy.RiskWrite, types.VirtualMachinePowerStatePoweredOn, false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.PowerOn(ctx) }},
	{"vm_power_off", "Power off VMs", "Power off", "Power off VMs at once, like pulling the plug (no guest shutdown; unsaved guest data is lost)", policy.RiskDestructive, types.VirtualMachinePowerStatePoweredOff, false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.PowerOff(ctx) }},
	{"vm_reset", "Reset VMs", "Reset", "Hard-reset running VMs, like pressing the reset button", policy.RiskDestructive, "", false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.Reset(ctx) }},
	{"vm_suspend", "Suspend VMs", "Suspend", "Suspend running VMs to disk", policy.RiskDestructive, types.VirtualMachinePowerStateSuspended, false,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) { return vm.Suspend(ctx) }},
	{"vm_shutdown_guest", "Shut down guests", "Guest shutdown", "Ask the guest OS to shut down cleanly (needs VMware Tools running)", policy.RiskDestructive, types.VirtualMachinePowerStatePoweredOff, true,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) {
			return nil, vm.ShutdownGuest(ctx)
		}},
	{"vm_reboot_guest", "Reboot guests", "Guest reboot", "Ask the guest OS to reboot cleanly (needs VMware Tools running)", policy.RiskDestructive, "", true,
		func(ctx context.Context, vm *object.VirtualMachine) (*object.Task, error) {
			return nil, vm.RebootGuest(ctx)
		}},
}

func powerTools(d Deps) []Tool {
	out := make([]Tool, 0, len(powerOps))
	for _, op := range powerOps {
		out = append(out, powerTool(d, op))
	}
	return out
}

func powerTool(d Deps, op powerOp) Tool {
	return Define(Spec{
		Name:        op.name,
		toolset:     "vm",
		Title:       op.title,
		Description: op.verb + ". Takes vm, a vms list, or a vm_list-style filter; reports each VM's outcome.",
		Risk:        op.risk,
		Idempotent:  op.already != "",
		Background:  true,
	}, func(ctx context.Context, a VMTargets) (BulkResult, error) {
		targets, err := ResolveVMs(ctx, d.Session, a)
		if err != nil {
			return BulkResult{}, err
		}
		if err := Act(ctx, op.action+" VM", targets...); err != nil {
			return BulkResult{}, err
		}
		res := BulkResult{Action: op.action, Results: make([]TargetResult, len(targets))}
		p := NewProgress(ctx)
		p.Report(0, fmt.Sprintf("%s: %d VMs", op.action, len(targets)))
		var finished atomic.Int32
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4) // vCenter queues tasks anyway; don't flood it
		for i, t := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				res.Results[i] = powerOne(ctx, d.Session, op, t)
				n := finished.Add(1)
				p.Report(100*float64(n)/float64(len(targets)), fmt.Sprintf("%s: %d of %d VMs", op.action, n, len(targets)))
			}()
		}
		wg.Wait()
		for _, r := range res.Results {
			switch r.Outcome {
			case "done":
				res.Succeeded++
			case "unchanged":
				res.Unchanged++
			default:
				res.Failed++
			}
		}
		if res.Failed > 0 && res.Failed == len(targets) {
			return res, &BulkFailed{res}
		}
		return res, nil
	})
}

// BulkFailed is a bulk action where every target failed: a tool error that
// still carries the per-target detail.
type BulkFailed struct{ res BulkResult }

func (b *BulkFailed) Error() string { return b.res.Text() }

func powerOne(ctx context.Context, s *vcenter.Session, op powerOp, t vcenter.Object) TargetResult {
	r := TargetResult{VM: t.Name, ID: t.ID()}
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		vm := object.NewVirtualMachine(c.Client, t.Ref)
		var mvm mo.VirtualMachine
		if err := vm.Properties(ctx, t.Ref, []string{"runtime.powerState", "guest.toolsRunningStatus"}, &mvm); err != nil {
			return err
		}
		state := mvm.Runtime.PowerState
		if op.already != "" && state == op.already {
			r.Outcome, r.PowerState = "unchanged", string(state)
			return nil
		}
		if op.guest {
			if state != types.VirtualMachinePowerStatePoweredOn {
				return fmt.Errorf("%s is %s; a %s needs it powered on", t.Name, state, strings.ToLower(op.action))
			}
			if mvm.Guest == nil || mvm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
				return fmt.Errorf("VMware Tools is not running in %s, so the guest cannot be asked; use vm_power_off or vm_reset for a hard action", t.Name)
			}
		}
		task, err := op.run(ctx, vm)
		if err != nil {
			return err
		}
		if task != nil {
			r.Task = task.Reference().Value
			// Per-VM progress would interleave; the bulk reports per VM.
			if _, err := WaitTask(ctx, task, op.action+" "+t.Name, nil, 0, 0); err != nil {
				return err
			}
		}
		if err := vm.Properties(ctx, t.Ref, []string{"runtime.powerState"}, &mvm); err == nil {
			r.PowerState = string(mvm.Runtime.PowerState)
		}
		r.Outcome = "done"
		return nil
	})
	if err != nil {
		r.Outcome = "failed"
		r.Error = explainPower(err, t.Name)
	}
	return r
}

// explainPower names the fault and says what to do, e.g. "web-01 is
// already powered off".
func explainPower(err error, name string) string {
	var ips *types.InvalidPowerState
	if _, ok := fault.As(err, &ips); ok && ips != nil {
		return fmt.Sprintf("%s is %s, which does not allow this (InvalidPowerState); check it with vm_get", name, ips.ExistingState)
	}
	return vcenter.Explain(err)
}
