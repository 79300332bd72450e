package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- host_maintenance_enter ----

// HostMaintenanceEnterArgs puts one host into maintenance mode.
type HostMaintenanceEnterArgs struct {
	HostArgs
	EvacuatePoweredOff bool   `json:"evacuate_powered_off,omitempty" jsonschema:"Also move powered-off and suspended VMs to other hosts (DRS must be fully automated); by default they stay registered on the host"`
	TimeoutS           int    `json:"timeout_s,omitempty" jsonschema:"Give up after this many seconds (vCenter cancels entering then and the host stays as it was); 0 or absent: no limit"`
	VsanMode           string `json:"vsan_mode,omitempty" jsonschema:"enum=ensureObjectAccessibility,enum=evacuateAllData,enum=noAction"`
	WaitForManualMoves bool   `json:"wait_for_manual_moves,omitempty" jsonschema:"When DRS will not move the powered-on VMs itself, go ahead anyway and wait (up to timeout_s) while someone moves or powers them off"`
}

var vsanModes = []string{"ensureObjectAccessibility", "evacuateAllData", "noAction"}

// maxMaintenanceTimeout bounds timeout_s: a day.
const maxMaintenanceTimeout = 86400

func (a *HostMaintenanceEnterArgs) Validate() error {
	if err := a.HostArgs.Validate(); err != nil {
		return err
	}
	if a.TimeoutS < 0 || a.TimeoutS > maxMaintenanceTimeout {
		return fmt.Errorf("timeout_s must be between 0 (no limit) and %d seconds", maxMaintenanceTimeout)
	}
	if a.VsanMode != "" && !slices.Contains(vsanModes, a.VsanMode) {
		return fmt.Errorf("vsan_mode must be one of %s (default ensureObjectAccessibility: keep every vSAN object reachable; evacuateAllData: move all data off; noAction: move nothing)",
			strings.Join(vsanModes, ", "))
	}
	return nil
}

// VMMove is a VM that left a host, and where it went.
type VMMove struct {
	VM       string `json:"vm"`
	ID       string `json:"id"`
	ToHost   string `json:"to_host"`
	ToHostID string `json:"to_host_id"`
}

// HostMaintenanceResult is the result of entering or leaving maintenance
// mode: the state read back and, on entering, the VMs that moved.
type HostMaintenanceResult struct {
	Host            string   `json:"host"`
	ID              string   `json:"id"`
	Outcome         string   `json:"outcome" jsonschema:"done or unchanged (it already was so)"`
	MaintenanceMode bool     `json:"maintenance_mode"`
	Moved           []VMMove `json:"moved"`
	Stayed          []string `json:"stayed" jsonschema:"VMs still registered on the host (powered off or suspended)"`
	Hidden          int      `json:"hidden,omitempty" jsonschema:"VMs outside your scope that moved or stayed, not named"`
	Task            string   `json:"task,omitempty"`
}

// Text renders the outcome line and the moves.
func (r HostMaintenanceResult) Text() string {
	var b strings.Builder
	state := map[bool]string{true: "in maintenance mode", false: "not in maintenance mode"}[r.MaintenanceMode]
	fmt.Fprintf(&b, "Host %s (%s): %s (%s)", toolkit.Name(r.Host), r.ID, state, r.Outcome)
	if r.Task != "" {
		fmt.Fprintf(&b, ", task %s", r.Task)
	}
	b.WriteString("\n")
	if len(r.Moved) > 0 {
		fmt.Fprintf(&b, "%d VMs moved:\n", len(r.Moved))
		t := toolkit.NewTable("vm", "id", "to_host", "to_host_id")
		for _, m := range r.Moved {
			t.Row(m.VM, m.ID, m.ToHost, m.ToHostID)
		}
		b.WriteString(t.String())
	}
	if len(r.Stayed) > 0 {
		fmt.Fprintf(&b, "stayed on the host: %s\n", toolkit.Names(r.Stayed))
	}
	if r.Hidden > 0 {
		fmt.Fprintf(&b, "%d more VMs outside your scope moved or stayed\n", r.Hidden)
	}
	return b.String()
}

// hostState is what the maintenance and power tools read of a host
// before acting.
type hostState struct {
	host      mo.HostSystem
	cluster   string // the cluster's name; "" for a standalone host
	drsAuto   bool   // DRS on and fully automated
	drsText   string // how DRS stands, for messages
	vms       []vmOnHost
	poweredOn int
	hidden    int // VMs the caller's scope does not show
}

type vmOnHost struct {
	ref   types.ManagedObjectReference
	name  string
	power types.VirtualMachinePowerState
	seen  bool // in the caller's scope
}

var hostStateProps = []string{"name", "parent", "vm", "runtime.inMaintenanceMode", "runtime.connectionState", "runtime.powerState"}

// resolveHostState resolves the host ident names and reads its state.
func resolveHostState(ctx context.Context, c *vcenter.Conn, ident string) (vcenter.Object, hostState, error) {
	o, err := c.Resolve(ctx, "HostSystem", ident)
	if err != nil {
		return o, hostState{}, err
	}
	st, err := readHostState(ctx, c, o)
	return o, st, err
}

func readHostState(ctx context.Context, c *vcenter.Conn, o vcenter.Object) (hostState, error) {
	var st hostState
	if err := c.ReadOne(ctx, o, hostStateProps, &st.host); err != nil {
		return st, err
	}
	st.drsText = "the host is in no cluster, so no DRS moves its VMs"
	if p := st.host.Parent; p != nil && p.Type == "ClusterComputeResource" {
		var cl mo.ClusterComputeResource
		if err := c.ReadRef(ctx, *p, []string{"name", "configurationEx"}, &cl); err != nil {
			return st, fmt.Errorf("read the cluster of host %s: %w", toolkit.Name(o.Name), err)
		}
		st.cluster = cl.Name
		st.drsText = fmt.Sprintf("DRS of cluster %s is off", toolkit.Name(cl.Name))
		if cfg, ok := cl.ConfigurationEx.(*types.ClusterConfigInfoEx); ok && cfg.DrsConfig.Enabled != nil && *cfg.DrsConfig.Enabled {
			behavior := cfg.DrsConfig.DefaultVmBehavior
			if behavior == "" {
				behavior = types.DrsBehaviorFullyAutomated
			}
			st.drsAuto = behavior == types.DrsBehaviorFullyAutomated
			st.drsText = fmt.Sprintf("DRS of cluster %s is %s", toolkit.Name(cl.Name), behavior)
		}
	}
	visible, err := c.VisibleSet(ctx, st.host.Vm)
	if err != nil {
		return st, err
	}
	objs, _, err := c.RetrieveMany(ctx, st.host.Vm, []string{"name", "runtime.powerState", "runtime.host"})
	if err != nil {
		return st, fmt.Errorf("read the VMs of host %s: %w", toolkit.Name(o.Name), err)
	}
	for _, oc := range objs {
		// vCenter's host.vm can lag behind a migration: a VM counts
		// where its runtime.host says it runs.
		if h, ok := vcenter.PropVal(oc, "runtime.host").(types.ManagedObjectReference); ok && h != o.Ref {
			continue
		}
		v := vmOnHost{ref: oc.Obj, seen: visible[oc.Obj]}
		v.name, _ = vcenter.PropVal(oc, "name").(string)
		v.power, _ = vcenter.PropVal(oc, "runtime.powerState").(types.VirtualMachinePowerState)
		st.vms = append(st.vms, v)
		if v.power == types.VirtualMachinePowerStatePoweredOn {
			st.poweredOn++
		}
		if !v.seen {
			st.hidden++
		}
	}
	return st, nil
}

// poweredOnNames names the powered-on VMs the caller may see, and counts
// the others.
func (st hostState) poweredOnNames() (names []string, hidden int) {
	for _, v := range st.vms {
		if v.power != types.VirtualMachinePowerStatePoweredOn {
			continue
		}
		if v.seen {
			names = append(names, v.name)
		} else {
			hidden++
		}
	}
	return names, hidden
}

func namesAndHidden(names []string, hidden int) string {
	s := toolkit.Names(names)
	if hidden > 0 {
		if s != "" {
			s += " and "
		}
		s += fmt.Sprintf("%d outside your scope", hidden)
	}
	return s
}

func hostMaintenanceEnter() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "host_maintenance_enter",
		Title: "Put an ESXi host into maintenance mode",
		Description: "Put one ESXi host into maintenance mode: vCenter moves its powered-on VMs away (DRS fully automated) and, with " +
			"evacuate_powered_off, its powered-off ones too. A person confirms first. Refused up front, naming the VMs, when DRS will not " +
			"move powered-on VMs itself (no cluster, DRS off, manual or partially automated) unless wait_for_manual_moves=true. " +
			"Reports progress; the result lists each VM moved and its new host. Can take long (every vMotion).",
		Risk:       policy.RiskDestructive,
		Idempotent: true,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a HostMaintenanceEnterArgs) (HostMaintenanceResult, error) {
		var out HostMaintenanceResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, st, err := resolveHostState(ctx, c, a.Host)
			if err != nil {
				return err
			}
			out = HostMaintenanceResult{Host: o.Name, ID: o.ID(), Moved: []VMMove{}, Stayed: []string{}}
			if st.host.Runtime.InMaintenanceMode {
				out.Outcome, out.MaintenanceMode = "unchanged", true
				return nil
			}
			if st.host.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
				return fmt.Errorf("host %s is %s, not connected: vCenter cannot put it into maintenance mode; reconnect it first (host_reconnect)",
					toolkit.Name(o.Name), st.host.Runtime.ConnectionState)
			}
			if a.EvacuatePoweredOff && !st.drsAuto {
				return fmt.Errorf("evacuate_powered_off needs DRS to move the VMs, but %s; move the powered-off VMs yourself or leave them registered (drop evacuate_powered_off)", st.drsText)
			}
			names, hidden := st.poweredOnNames()
			blocked := !st.drsAuto && st.poweredOn > 0
			if blocked && !a.WaitForManualMoves {
				drs := ""
				if st.cluster != "" {
					drs = ", set the cluster's DRS to fullyAutomated (cluster_configure)"
				}
				return fmt.Errorf("host %s would not enter maintenance mode by itself: %s, and its %d powered-on VMs would have to be moved or powered off by hand first: %s. "+
					"Move them (vm_migrate) or power them off%s, or call again with wait_for_manual_moves=true (and timeout_s) "+
					"to start entering and wait while they are moved. Nothing was changed.",
					toolkit.Name(o.Name), st.drsText, st.poweredOn, namesAndHidden(names, hidden), drs)
			}
			what := fmt.Sprintf("Put host %s into maintenance mode", toolkit.Name(o.Name))
			switch {
			case st.poweredOn == 0:
				what += " (no powered-on VMs on it)"
			case blocked:
				what += fmt.Sprintf(" and wait while its %d powered-on VMs are moved by hand (%s)", st.poweredOn, namesAndHidden(names, hidden))
			default:
				what += fmt.Sprintf(", with DRS moving its %d powered-on VMs (%s) to other hosts", st.poweredOn, namesAndHidden(names, hidden))
			}
			if a.EvacuatePoweredOff {
				what += " and its powered-off VMs too"
			}
			if a.VsanMode != "" && a.VsanMode != vsanModes[0] {
				what += ", vSAN " + a.VsanMode
			}
			guard.Confirm(ctx)
			if err := guard.Act(ctx, what, o); err != nil {
				return err
			}
			before := map[types.ManagedObjectReference]vmOnHost{}
			for _, v := range st.vms {
				before[v.ref] = v
			}
			mode := a.VsanMode
			if mode == "" {
				mode = vsanModes[0]
			}
			spec := &types.HostMaintenanceSpec{VsanMode: &types.VsanHostDecommissionMode{ObjectAction: mode}}
			task, err := object.NewHostSystem(c.Client, o.Ref).EnterMaintenanceMode(ctx, int32(a.TimeoutS), a.EvacuatePoweredOff, spec)
			if err != nil {
				return fmt.Errorf("put host %s into maintenance mode: %w; nothing was changed", toolkit.Name(o.Name), err)
			}
			out.Task = task.Reference().Value
			if _, err := guard.WaitTask(ctx, task, "enter maintenance mode on host "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 95); err != nil {
				return explainMaintenance(err, o.Name)
			}
			out.Outcome = "done"
			return readMoves(ctx, c, o, before, &out)
		})
		return out, err
	})
}

// readMoves reads back the host's maintenance state and where each VM
// that was on it runs now.
func readMoves(ctx context.Context, c *vcenter.Conn, o vcenter.Object, before map[types.ManagedObjectReference]vmOnHost, out *HostMaintenanceResult) error {
	var h mo.HostSystem
	if err := c.ReadOne(ctx, o, []string{"runtime.inMaintenanceMode"}, &h); err != nil {
		return err
	}
	out.MaintenanceMode = h.Runtime.InMaintenanceMode
	refs := make([]types.ManagedObjectReference, 0, len(before))
	for r := range before {
		refs = append(refs, r)
	}
	objs, _, err := c.RetrieveMany(ctx, refs, []string{"runtime.host"})
	if err != nil {
		return fmt.Errorf("host %s is in maintenance mode; reading where its VMs went failed: %w", toolkit.Name(o.Name), err)
	}
	var dests []types.ManagedObjectReference
	now := map[types.ManagedObjectReference]types.ManagedObjectReference{}
	for _, oc := range objs {
		if r, ok := vcenter.PropVal(oc, "runtime.host").(types.ManagedObjectReference); ok {
			now[oc.Obj] = r
			dests = append(dests, r)
		}
	}
	names, err := c.VisibleNames(ctx, dests)
	if err != nil {
		return err
	}
	for _, r := range refs {
		v := before[r]
		to, ok := now[r]
		if !v.seen {
			out.Hidden++
			continue
		}
		if !ok || to == o.Ref {
			out.Stayed = append(out.Stayed, v.name)
			continue
		}
		out.Moved = append(out.Moved, VMMove{VM: v.name, ID: r.Value, ToHost: names[to], ToHostID: to.Value})
	}
	slices.SortFunc(out.Moved, func(a, b VMMove) int { return strings.Compare(a.VM, b.VM) })
	slices.Sort(out.Stayed)
	return nil
}

// explainMaintenance says what a failed maintenance task means.
func explainMaintenance(err error, host string) error {
	switch {
	case fault.Is(err, &types.Timedout{}):
		return fmt.Errorf("%w: the host did not empty within timeout_s and stays out of maintenance mode; move or power off its remaining VMs and try again", err)
	case fault.Is(err, &types.InvalidState{}):
		return fmt.Errorf("%w: vCenter refused; check the host's state with host_get", err)
	case errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("host %s: %s", toolkit.Name(host), vcenter.Explain(err))
}

// ---- host_maintenance_exit ----

func hostMaintenanceExit() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "host_maintenance_exit",
		Title:       "Take an ESXi host out of maintenance mode",
		Description: "Take one ESXi host out of maintenance mode so it runs VMs again (DRS may move VMs back onto it). A host not in maintenance mode is left alone.",
		Risk:        policy.RiskWrite,
		Idempotent:  true,
	}, func(ctx context.Context, d toolkit.Deps, a HostArgs) (HostMaintenanceResult, error) {
		var out HostMaintenanceResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "HostSystem", a.Host)
			if err != nil {
				return err
			}
			var h mo.HostSystem
			if err := c.ReadOne(ctx, o, []string{"runtime.inMaintenanceMode"}, &h); err != nil {
				return err
			}
			out = HostMaintenanceResult{Host: o.Name, ID: o.ID(), Moved: []VMMove{}, Stayed: []string{}}
			// Authorized first, as the service tools are: a protected host
			// is refused whatever the call would do.
			if err := guard.Act(ctx, "Take host "+toolkit.Name(o.Name)+" out of maintenance mode", o); err != nil {
				return err
			}
			if !h.Runtime.InMaintenanceMode {
				out.Outcome = "unchanged"
				return nil
			}
			task, err := object.NewHostSystem(c.Client, o.Ref).ExitMaintenanceMode(ctx, 0)
			if err != nil {
				return fmt.Errorf("take host %s out of maintenance mode: %w", toolkit.Name(o.Name), err)
			}
			out.Task = task.Reference().Value
			if _, err := guard.WaitTask(ctx, task, "exit maintenance mode on host "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return explainMaintenance(err, o.Name)
			}
			if err := c.ReadOne(ctx, o, []string{"runtime.inMaintenanceMode"}, &h); err != nil {
				return err
			}
			out.Outcome, out.MaintenanceMode = "done", h.Runtime.InMaintenanceMode
			return nil
		})
		return out, err
	})
}
