package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- host_reboot, host_shutdown ----

// HostPowerArgs reboots or shuts down one host.
type HostPowerArgs struct {
	HostArgs
	Force bool `json:"force,omitempty" jsonschema:"Go ahead although the host is not in maintenance mode: every VM running on it goes down with it"`
}

// HostStateResult is a host's state after a power or connection action.
type HostStateResult struct {
	Host            string `json:"host"`
	ID              string `json:"id"`
	Action          string `json:"action"`
	Outcome         string `json:"outcome" jsonschema:"done or unchanged (it already was so)"`
	ConnectionState string `json:"connection_state"`
	PowerState      string `json:"power_state"`
	MaintenanceMode bool   `json:"maintenance_mode"`
	RunningVMs      int    `json:"running_vms" jsonschema:"Powered-on VMs on the host when the action started"`
	Forced          bool   `json:"forced,omitempty"`
	Task            string `json:"task,omitempty"`
}

// Text renders one line of state.
func (r HostStateResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s host %s (%s): %s; now %s, %s, maintenance mode %s", r.Action, toolkit.Name(r.Host), r.ID, r.Outcome,
		r.ConnectionState, r.PowerState, toolkit.YesNo(r.MaintenanceMode))
	if r.Forced {
		fmt.Fprintf(&b, "; forced with %d VMs running", r.RunningVMs)
	}
	if r.Task != "" {
		fmt.Fprintf(&b, "; task %s", r.Task)
	}
	b.WriteString("\n")
	return b.String()
}

type powerOp struct {
	name, title, verb, description string
	call                           func(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference, force bool) (types.ManagedObjectReference, error)
}

var powerOps = []powerOp{
	{"host_reboot", "Reboot an ESXi host", "Reboot",
		"Reboot one ESXi host. Refused unless the host is in maintenance mode (host_maintenance_enter first) or force=true, which takes " +
			"down every VM running on it. Irreversible: a person confirms, told about force and the running VMs.",
		func(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference, force bool) (types.ManagedObjectReference, error) {
			res, err := methods.RebootHost_Task(ctx, c.Client, &types.RebootHost_Task{This: ref, Force: force})
			if err != nil {
				return types.ManagedObjectReference{}, err
			}
			return res.Returnval, nil
		}},
	{"host_shutdown", "Shut down an ESXi host", "Shut down",
		"Shut down one ESXi host; it stays off until someone powers it on (at its console or out-of-band management). Refused unless " +
			"the host is in maintenance mode (host_maintenance_enter first) or force=true, which takes down every VM running on it. " +
			"Irreversible: a person confirms, told about force and the running VMs.",
		func(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference, force bool) (types.ManagedObjectReference, error) {
			res, err := methods.ShutdownHost_Task(ctx, c.Client, &types.ShutdownHost_Task{This: ref, Force: force})
			if err != nil {
				return types.ManagedObjectReference{}, err
			}
			return res.Returnval, nil
		}},
}

func powerTools() []toolkit.Tool {
	return opTools(powerOps, func(op powerOp) toolkit.Spec {
		return toolkit.Spec{Name: op.name, Title: op.title, Description: op.description, Risk: policy.RiskIrreversible}
	}, runPower)
}

// opTools defines one tool per op of a table, each running run with its op.
func opTools[O, A any](ops []O, spec func(O) toolkit.Spec, run func(context.Context, toolkit.Deps, O, A) (HostStateResult, error)) []toolkit.Tool {
	out := make([]toolkit.Tool, 0, len(ops))
	for _, op := range ops {
		out = append(out, toolkit.Define(spec(op), func(ctx context.Context, d toolkit.Deps, a A) (HostStateResult, error) {
			return run(ctx, d, op, a)
		}))
	}
	return out
}

// hostAction resolves the host ident names in a session, reads its state,
// starts out as verb on it and runs act.
func hostAction(ctx context.Context, d toolkit.Deps, ident, verb string, act func(c *vcenter.Conn, o vcenter.Object, st hostState, out *HostStateResult) error) (HostStateResult, error) {
	var out HostStateResult
	err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
		o, st, err := resolveHostState(ctx, c, ident)
		if err != nil {
			return err
		}
		out = HostStateResult{Host: o.Name, ID: o.ID(), Action: verb, RunningVMs: st.poweredOn}
		return act(c, o, st, &out)
	})
	return out, err
}

func runPower(ctx context.Context, d toolkit.Deps, op powerOp, a HostPowerArgs) (HostStateResult, error) {
	return hostAction(ctx, d, a.Host, op.verb, func(c *vcenter.Conn, o vcenter.Object, st hostState, out *HostStateResult) error {
		if cs := st.host.Runtime.ConnectionState; cs != types.HostSystemConnectionStateConnected {
			return fmt.Errorf("host %s is %s, not connected: vCenter cannot reach it to %s it; reconnect it first (host_reconnect)",
				toolkit.Name(o.Name), cs, strings.ToLower(op.verb))
		}
		inMaint := st.host.Runtime.InMaintenanceMode
		names, hidden := st.poweredOnNames()
		if !inMaint && !a.Force {
			running := "no VMs run on it now, but it is not drained either"
			if st.poweredOn > 0 {
				running = fmt.Sprintf("%d VMs run on it (%s) and would go down with it", st.poweredOn, namesAndHidden(names, hidden))
			}
			return fmt.Errorf("host %s is not in maintenance mode: %s. Put it into maintenance mode first (host_maintenance_enter), or call again with force=true "+
				"to %s it anyway. Nothing was changed.", toolkit.Name(o.Name), running, strings.ToLower(op.verb))
		}
		what := fmt.Sprintf("%s host %s", op.verb, toolkit.Name(o.Name))
		if inMaint {
			what += " (in maintenance mode)"
		} else {
			out.Forced = true
			what += fmt.Sprintf(" with force=true although it is NOT in maintenance mode: its %d running VMs go down with it", st.poweredOn)
			if st.poweredOn > 0 {
				what += " (" + namesAndHidden(names, hidden) + ")"
			}
		}
		if err := guard.Act(ctx, what, o); err != nil {
			return err
		}
		ref, err := op.call(ctx, c, o.Ref, a.Force)
		if err != nil {
			return explainPower(err, o.Name, op.verb)
		}
		return finishHostTask(ctx, c, o, object.NewTask(c.Client, ref), op.verb, out, func(err error) error { return explainPower(err, o.Name, op.verb) })
	})
}

// finishHostTask waits for the task of a host action, with progress, and
// reads back the state it left the host in. explain, when set, rewrites
// a failed task's error.
func finishHostTask(ctx context.Context, c *vcenter.Conn, o vcenter.Object, task *object.Task, verb string, out *HostStateResult, explain func(error) error) error {
	out.Task = task.Reference().Value
	if _, err := guard.WaitTask(ctx, task, strings.ToLower(verb)+" host "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
		if explain != nil {
			return explain(err)
		}
		return err
	}
	out.Outcome = "done"
	return readState(ctx, c, o, out)
}

func readState(ctx context.Context, c *vcenter.Conn, o vcenter.Object, out *HostStateResult) error {
	var h mo.HostSystem
	if err := c.ReadOne(ctx, o, []string{"runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode"}, &h); err != nil {
		return err
	}
	out.ConnectionState, out.PowerState = string(h.Runtime.ConnectionState), string(h.Runtime.PowerState)
	out.MaintenanceMode = h.Runtime.InMaintenanceMode
	return nil
}

func explainPower(err error, host, verb string) error {
	if fault.Is(err, &types.InvalidState{}) {
		return fmt.Errorf("%s host %s: the host refused (InvalidState): it is not in maintenance mode; enter it first or use force=true: %w",
			strings.ToLower(verb), toolkit.Name(host), err)
	}
	return fmt.Errorf("%s host %s: %s", strings.ToLower(verb), toolkit.Name(host), vcenter.Explain(err))
}

// ---- host_disconnect, host_reconnect ----

type connOp struct {
	name, title, verb, description string
	risk                           policy.Risk
	// want is the connection state the action leaves the host in.
	want types.HostSystemConnectionState
	call func(ctx context.Context, h *object.HostSystem) (*object.Task, error)
}

var connOps = []connOp{
	{"host_disconnect", "Disconnect an ESXi host from vCenter", "Disconnect",
		"Disconnect one ESXi host from vCenter: its VMs keep running, but vCenter stops managing it (no vMotion, HA or DRS for it, no changes) " +
			"until host_reconnect.", policy.RiskDestructive, types.HostSystemConnectionStateDisconnected,
		func(ctx context.Context, h *object.HostSystem) (*object.Task, error) { return h.Disconnect(ctx) }},
	{"host_reconnect", "Reconnect an ESXi host to vCenter", "Reconnect",
		"Reconnect a disconnected or not-responding ESXi host to vCenter with the credentials vCenter keeps for it. A connected host is left alone.",
		policy.RiskWrite, types.HostSystemConnectionStateConnected,
		func(ctx context.Context, h *object.HostSystem) (*object.Task, error) {
			return h.Reconnect(ctx, nil, nil)
		}},
}

func connTools() []toolkit.Tool {
	return opTools(connOps, func(op connOp) toolkit.Spec {
		return toolkit.Spec{Name: op.name, Title: op.title, Description: op.description, Risk: op.risk, Idempotent: true}
	}, runConn)
}

func runConn(ctx context.Context, d toolkit.Deps, op connOp, a HostArgs) (HostStateResult, error) {
	return hostAction(ctx, d, a.Host, op.verb, func(c *vcenter.Conn, o vcenter.Object, st hostState, out *HostStateResult) error {
		what := fmt.Sprintf("%s host %s", op.verb, toolkit.Name(o.Name))
		if op.want == types.HostSystemConnectionStateDisconnected {
			what += fmt.Sprintf(" from vCenter (its %d running VMs keep running, unmanaged)", st.poweredOn)
		}
		// Authorized first: a protected host is refused whatever the
		// call would do.
		if err := guard.Act(ctx, what, o); err != nil {
			return err
		}
		if st.host.Runtime.ConnectionState == op.want {
			out.Outcome = "unchanged"
			return readState(ctx, c, o, out)
		}
		task, err := op.call(ctx, object.NewHostSystem(c.Client, o.Ref))
		if err != nil {
			return fmt.Errorf("%s host %s: %s", strings.ToLower(op.verb), toolkit.Name(o.Name), vcenter.Explain(err))
		}
		return finishHostTask(ctx, c, o, task, op.verb, out, nil)
	})
}
