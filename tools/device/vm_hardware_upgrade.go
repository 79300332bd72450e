package device

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// HardwareUpgradeArgs name the VMs and the version.
type HardwareUpgradeArgs struct {
	params.VMTargets
	Version string `json:"version,omitempty" jsonschema:"Target hardware version, e.g. vmx-21 (or 21); default: the newest each VM's host supports"`
	params.SnapshotFirst
}

func (a *HardwareUpgradeArgs) Validate() error {
	if err := a.VMTargets.Validate(); err != nil {
		return err
	}
	if a.Version != "" {
		if _, err := parseHWVersion(a.Version); err != nil {
			return err
		}
	}
	return nil
}

func parseHWVersion(s string) (types.HardwareVersion, error) {
	v, err := types.ParseHardwareVersion(strings.TrimSpace(s))
	if err != nil || !v.IsValid() {
		return 0, fmt.Errorf("version %s is not a hardware version; write it as vmx-21 (or 21)", toolkit.Quote(s, 40))
	}
	return v, nil
}

// HardwareVersionChange is one VM's hardware version before and after.
type HardwareVersionChange struct {
	VM   string `json:"vm"`
	ID   string `json:"id"`
	From string `json:"from"`
	To   string `json:"to,omitempty" jsonschema:"The version afterwards, as vCenter reports it"`
}

// HardwareUpgradeResult is vm_hardware_upgrade's result: an outcome per
// VM, and each VM's version before and after.
type HardwareUpgradeResult struct {
	params.BulkResult
	Versions []HardwareVersionChange `json:"versions"`
}

func (r HardwareUpgradeResult) Text() string {
	var b strings.Builder
	b.WriteString(r.BulkResult.Text())
	t := toolkit.NewTable("vm", "id", "from", "to")
	for _, v := range r.Versions {
		t.Row(v.VM, v.ID, v.From, v.To)
	}
	b.WriteString("Hardware versions:\n" + t.String())
	return b.String()
}

func vmHardwareUpgrade() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_hardware_upgrade",
		Title: "Upgrade VMs' hardware version",
		Description: "Upgrade the virtual hardware version of powered-off VMs (vm, a vms list or a vm_list-style filter) to version, " +
			"by default the newest each VM's host supports (e.g. vmx-21). Irreversible: a VM cannot go back to an older version, so a " +
			"person confirms once for the whole set, told the count and the VMs. VMs already at the version are skipped; running VMs " +
			"fail with what to do. snapshot_first takes a snapshot of each VM first. Reports each VM's outcome.",
		Risk:       policy.RiskIrreversible,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a HardwareUpgradeArgs) (HardwareUpgradeResult, error) {
		targets, err := params.ResolveVMs(ctx, d.Session, a.VMTargets)
		if err != nil {
			return HardwareUpgradeResult{}, err
		}
		var want types.HardwareVersion
		if a.Version != "" {
			want, _ = parseHWVersion(a.Version)
		}
		var plans []upgradePlan
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			plans, err = planUpgrades(ctx, c, targets, want)
			return err
		})
		if err != nil {
			return HardwareUpgradeResult{}, err
		}
		res := HardwareUpgradeResult{BulkResult: params.BulkResult{Action: "Upgrade hardware"}}
		byRef := map[types.ManagedObjectReference]params.TargetResult{}
		var todo []vcenter.Object
		var names []string
		to := map[types.ManagedObjectReference]types.HardwareVersion{}
		versions := map[types.HardwareVersion]bool{}
		for _, p := range plans {
			switch {
			case p.err != "":
				byRef[p.vm.Ref] = params.TargetResult{VM: p.vm.Name, ID: p.vm.ID(), Outcome: "failed", PowerState: p.power, Error: p.err}
			case p.skip:
				byRef[p.vm.Ref] = params.TargetResult{VM: p.vm.Name, ID: p.vm.ID(), Outcome: "unchanged", PowerState: p.power}
			default:
				todo = append(todo, p.vm)
				names = append(names, p.vm.Name)
				to[p.vm.Ref] = p.to
				versions[p.to] = true
			}
		}
		var mu sync.Mutex
		after := map[types.ManagedObjectReference]string{}
		if len(todo) > 0 {
			target := ""
			for v := range versions {
				target = v.String()
			}
			if len(versions) > 1 {
				target = "the newest version each VM's host supports"
			}
			what := fmt.Sprintf("Upgrade the virtual hardware of %d VM(s) (%s) to %s. A VM cannot go back to an older hardware version; "+
				"older ESXi hosts will no longer run them, and some guests need new drivers", len(todo), toolkit.Names(names), target)
			if a.SnapshotFirst.Take {
				what += " (a snapshot of each is taken first)"
			}
			if err := guard.Act(ctx, what, todo...); err != nil {
				return HardwareUpgradeResult{}, err
			}
			bulk := params.RunBulk(ctx, "Upgrade hardware", todo, func(t vcenter.Object, p *guard.Progress) params.TargetResult {
				r, v := upgradeOne(ctx, d.Session, t, to[t.Ref], a.SnapshotFirst.Take, p)
				mu.Lock()
				after[t.Ref] = v
				mu.Unlock()
				return r
			})
			for _, r := range bulk.Results {
				byRef[types.ManagedObjectReference{Type: "VirtualMachine", Value: r.ID}] = r
			}
		}
		for _, p := range plans {
			res.Results = append(res.Results, byRef[p.vm.Ref])
			ch := HardwareVersionChange{VM: p.vm.Name, ID: p.vm.ID(), From: p.from}
			switch v, ok := after[p.vm.Ref]; {
			case ok:
				ch.To = v
			case p.skip:
				ch.To = p.from
			}
			res.Versions = append(res.Versions, ch)
		}
		res.Count()
		if res.Failed > 0 && res.Failed == len(res.Results) {
			return res, res.Failure()
		}
		return res, nil
	})
}

// upgradePlan is what the upgrade does to one VM: skip it, fail it (err),
// or take it from one version to another.
type upgradePlan struct {
	vm    vcenter.Object
	from  string
	to    types.HardwareVersion
	power string
	skip  bool
	err   string
}

// planUpgrades reads each VM's version, power state and host, and the
// versions its host supports (QueryConfigOptionDescriptor of its compute
// resource's environment browser).
func planUpgrades(ctx context.Context, c *vcenter.Conn, targets []vcenter.Object, want types.HardwareVersion) ([]upgradePlan, error) {
	supported := map[types.ManagedObjectReference][]types.HardwareVersion{}
	out := make([]upgradePlan, 0, len(targets))
	for _, t := range targets {
		var m mo.VirtualMachine
		if err := c.ReadOne(ctx, t, []string{"config.version", "config.template", "runtime.powerState", "runtime.host"}, &m); err != nil {
			return nil, fmt.Errorf("read %s: %w", toolkit.Path(t.Path), err)
		}
		p := upgradePlan{vm: t, power: string(m.Runtime.PowerState)}
		if m.Config != nil {
			p.from = m.Config.Version
		}
		cur, _ := types.ParseHardwareVersion(p.from)
		if m.Runtime.Host == nil {
			p.err = "the VM has no host, so the versions it can run are unknown"
			out = append(out, p)
			continue
		}
		host := *m.Runtime.Host
		vers, ok := supported[host]
		if !ok {
			var err error
			vers, _, err = hostHWVersions(ctx, c, host)
			if err != nil {
				return nil, err
			}
			supported[host] = vers
		}
		if len(vers) == 0 {
			p.err = "vCenter reports no hardware versions for its host"
			out = append(out, p)
			continue
		}
		newest := vers[len(vers)-1]
		p.to = want
		if want == 0 {
			p.to = newest
		}
		switch {
		case cur.IsValid() && p.to <= cur:
			p.skip = true
		case m.Config != nil && m.Config.Template:
			p.err = fmt.Sprintf("%s is a template; convert it to a VM (vm_mark_vm), upgrade it, and mark it as a template again", toolkit.Name(t.Name))
		case !slices.Contains(vers, p.to):
			p.err = fmt.Sprintf("its host supports up to %s, not %s; omit version for the newest it supports", newest, p.to)
		case m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff:
			p.err = fmt.Sprintf("%s is %s; the hardware version can only change while the VM is off: shut it down (vm_shutdown_guest) and retry", toolkit.Name(t.Name), m.Runtime.PowerState)
		}
		out = append(out, p)
	}
	return out, nil
}

// hostHWVersions lists the hardware versions a host can create VMs with,
// lowest first.
func hostHWVersions(ctx context.Context, c *vcenter.Conn, host types.ManagedObjectReference) ([]types.HardwareVersion, string, error) {
	var h mo.HostSystem
	if err := c.ReadRef(ctx, host, []string{"name", "parent"}, &h); err != nil {
		return nil, "", fmt.Errorf("read host %s: %w", host.Value, err)
	}
	if h.Parent == nil {
		return nil, h.Name, nil
	}
	var cr mo.ComputeResource
	if err := c.ReadRef(ctx, *h.Parent, []string{"environmentBrowser"}, &cr); err != nil {
		return nil, h.Name, fmt.Errorf("read the compute resource of host %s: %w", toolkit.Name(h.Name), err)
	}
	if cr.EnvironmentBrowser == nil {
		return nil, h.Name, nil
	}
	res, err := methods.QueryConfigOptionDescriptor(ctx, c.Client, &types.QueryConfigOptionDescriptor{This: *cr.EnvironmentBrowser})
	if err != nil {
		return nil, h.Name, fmt.Errorf("query the hardware versions of host %s: %w", toolkit.Name(h.Name), err)
	}
	var out []types.HardwareVersion
	for _, d := range res.Returnval {
		if !d.CreateSupported {
			continue
		}
		if len(d.Host) > 0 && !slices.Contains(d.Host, host) {
			continue
		}
		if v, err := types.ParseHardwareVersion(d.Key); err == nil && v.IsValid() && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, h.Name, nil
}

// upgradeOne upgrades one VM, after its snapshot_first snapshot when
// asked, and returns its outcome and the version it reports afterwards.
func upgradeOne(ctx context.Context, s *vcenter.Session, t vcenter.Object, to types.HardwareVersion, snapFirst bool, p *guard.Progress) (params.TargetResult, string) {
	r := params.TargetResult{VM: t.Name, ID: t.ID()}
	var snap *params.SafetySnapshot
	version := ""
	started := false
	err := s.Do(ctx, func(c *vcenter.Conn) error {
		if snapFirst && snap == nil {
			started = true
			sn, err := params.TakeSafetySnapshot(ctx, c, t, "vm_hardware_upgrade", p)
			if err != nil {
				return err
			}
			snap = sn
			r.Snapshot, r.SnapshotID = sn.Name, sn.ID
		}
		started = true
		task, err := object.NewVirtualMachine(c.Client, t.Ref).UpgradeVM(ctx, to.String())
		if err != nil {
			return err
		}
		r.Task = task.Reference().Value
		if _, err := guard.WaitTask(ctx, task, "upgrade the hardware of "+toolkit.Name(t.Name), p, 0, 100); err != nil {
			return err
		}
		var m mo.VirtualMachine
		if err := c.ReadOne(ctx, t, []string{"config.version", "runtime.powerState"}, &m); err == nil && m.Config != nil {
			version, r.PowerState = m.Config.Version, string(m.Runtime.PowerState)
		}
		if version != to.String() {
			return &toolkit.PlainError{Msg: fmt.Sprintf("vCenter finished the task but %s reports hardware %s, not %s; check it with vm_get", toolkit.Name(t.Name), version, to)}
		}
		return nil
	})
	if err != nil {
		r.Outcome = "failed"
		r.Error = params.WrapAfterSnapshot(explainUpgrade(params.SessionSafe(err, started), t.Name), t.Name, snap).Error()
		return r, version
	}
	r.Outcome = "done"
	return r, version
}

// explainUpgrade names the faults of UpgradeVM_Task and what to do.
func explainUpgrade(err error, vm string) error {
	switch {
	case toolkit.HasFault[*types.AlreadyUpgradedFault](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is already at that hardware version or newer (AlreadyUpgradedFault); nothing to do", toolkit.Name(vm))}
	case toolkit.HasFault[*types.InvalidPowerStateFault](err), toolkit.HasFault[*types.InvalidPowerState](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (InvalidPowerState): the hardware version can only change while %s is off; shut it down (vm_shutdown_guest) and retry", vcenter.ErrorText(err), toolkit.Name(vm))}
	case toolkit.HasFault[*types.NotSupported](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (NotSupported): the VM's host does not support that hardware version; omit version for the newest it supports", vcenter.ErrorText(err))}
	case toolkit.HasFault[*types.InvalidState](err):
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s (InvalidState): the VM is a template, its host is in maintenance mode, or it is at the newest version already; check it with vm_get", vcenter.ErrorText(err))}
	}
	var pe *toolkit.PlainError
	var ee *toolkit.ExplainedError
	if errors.As(err, &pe) || errors.As(err, &ee) {
		return err
	}
	return &toolkit.PlainError{Msg: toolkit.ExplainNamed(err)}
}
