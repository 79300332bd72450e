package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- cluster_configure ----

// ClusterConfigureArgs changes a cluster's DRS and HA settings; absent
// settings stay as they are.
type ClusterConfigureArgs struct {
	ClusterArgs
	DRSEnabled            *bool  `json:"drs_enabled,omitempty" jsonschema:"Turn DRS on or off"`
	DRSAutomationLevel    string `json:"drs_automation_level,omitempty" jsonschema:"enum=manual,enum=partiallyAutomated,enum=fullyAutomated"`
	DRSMigrationThreshold int    `json:"drs_migration_threshold,omitempty" jsonschema:"DRS migration threshold as the vSphere client shows it: 1 (conservative: only mandatory moves) … 5 (aggressive); 3 is vCenter's default"`
	HAEnabled             *bool  `json:"ha_enabled,omitempty" jsonschema:"Turn vSphere HA on or off"`
	HAAdmissionControl    *bool  `json:"ha_admission_control,omitempty" jsonschema:"Reserve failover capacity: refuse power-ons that would eat into it"`
	HAHostMonitoring      *bool  `json:"ha_host_monitoring,omitempty" jsonschema:"Let HA restart VMs of a failed host (host monitoring enabled)"`
}

var automationLevels = []string{string(types.DrsBehaviorManual), string(types.DrsBehaviorPartiallyAutomated), string(types.DrsBehaviorFullyAutomated)}

func (a *ClusterConfigureArgs) Validate() error {
	if err := a.ClusterArgs.Validate(); err != nil {
		return err
	}
	if a.DRSEnabled == nil && a.DRSAutomationLevel == "" && a.DRSMigrationThreshold == 0 && a.HAEnabled == nil && a.HAAdmissionControl == nil && a.HAHostMonitoring == nil {
		return errors.New("nothing to change: give at least one of drs_enabled, drs_automation_level, drs_migration_threshold, ha_enabled, ha_admission_control, ha_host_monitoring")
	}
	if a.DRSAutomationLevel != "" && !slices.Contains(automationLevels, a.DRSAutomationLevel) {
		return fmt.Errorf("drs_automation_level must be one of %s", strings.Join(automationLevels, ", "))
	}
	if a.DRSMigrationThreshold != 0 && (a.DRSMigrationThreshold < 1 || a.DRSMigrationThreshold > 5) {
		return errors.New("drs_migration_threshold must be 1 (conservative) to 5 (aggressive), as in the vSphere client")
	}
	return nil
}

// vmotionRate is the API's DRS vmotionRate for a vSphere client migration
// threshold: the scales run in opposite directions (client 1, conservative,
// is vmotionRate 5; client 5, aggressive, is vmotionRate 1).
func vmotionRate(threshold int) int32 { return int32(6 - threshold) }

// defaultVmotionRate is vSphere's vmotionRate when a cluster's DRS
// configuration sets none: the client's threshold 3.
const defaultVmotionRate = 3

// migrationThreshold is the client's threshold for a vmotionRate, and
// whether it is vSphere's default because vCenter reports none.
func migrationThreshold(rate int32) (int, bool) {
	if rate < 1 || rate > 5 {
		return int(6 - defaultVmotionRate), true
	}
	return int(6 - rate), false
}

// ClusterConfig is a cluster's DRS and HA settings as read.
type ClusterConfig struct {
	DRSEnabled            bool   `json:"drs_enabled"`
	DRSAutomationLevel    string `json:"drs_automation_level"`
	DRSMigrationThreshold int    `json:"drs_migration_threshold" jsonschema:"1 (conservative) … 5 (aggressive) as the vSphere client shows it; vSphere's default 3 when the cluster sets none"`
	DRSThresholdDefault   bool   `json:"drs_migration_threshold_default,omitempty" jsonschema:"The cluster sets no migration threshold: vSphere's default (3) applies"`
	HAEnabled             bool   `json:"ha_enabled"`
	HAAdmissionControl    bool   `json:"ha_admission_control"`
	HAHostMonitoring      bool   `json:"ha_host_monitoring"`
}

func configOf(cfg types.BaseComputeResourceConfigInfo) ClusterConfig {
	c, ok := cfg.(*types.ClusterConfigInfoEx)
	if !ok {
		return ClusterConfig{}
	}
	out := ClusterConfig{
		DRSEnabled:         c.DrsConfig.Enabled != nil && *c.DrsConfig.Enabled,
		DRSAutomationLevel: string(c.DrsConfig.DefaultVmBehavior),
		HAEnabled:          c.DasConfig.Enabled != nil && *c.DasConfig.Enabled,
		HAAdmissionControl: c.DasConfig.AdmissionControlEnabled != nil && *c.DasConfig.AdmissionControlEnabled,
		HAHostMonitoring:   c.DasConfig.HostMonitoring == string(types.ClusterDasConfigInfoServiceStateEnabled),
	}
	out.DRSMigrationThreshold, out.DRSThresholdDefault = migrationThreshold(c.DrsConfig.VmotionRate)
	if out.DRSAutomationLevel == "" {
		out.DRSAutomationLevel = string(types.DrsBehaviorFullyAutomated) // vCenter's default
	}
	return out
}

// ClusterConfigureResult shows the settings before and after.
type ClusterConfigureResult struct {
	Cluster    string        `json:"cluster"`
	ID         string        `json:"id"`
	Outcome    string        `json:"outcome" jsonschema:"done, or unchanged when every setting already was as asked"`
	Before     ClusterConfig `json:"before"`
	After      ClusterConfig `json:"after"`
	Changed    []string      `json:"changed" jsonschema:"The settings that differ after from before"`
	NotApplied []string      `json:"not_applied,omitempty" jsonschema:"Settings asked for that vCenter reports differently afterwards"`
	Task       string        `json:"task,omitempty"`
}

// Text renders one line per setting, before → after.
func (r ClusterConfigureResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster %s (%s): %s", toolkit.Name(r.Cluster), r.ID, r.Outcome)
	if r.Task != "" {
		fmt.Fprintf(&b, ", task %s", r.Task)
	}
	b.WriteString("\n")
	t := toolkit.NewTable("setting", "before", "after")
	for _, s := range settings {
		t.Row(s.name, s.get(r.Before), s.get(r.After))
	}
	b.WriteString(t.String())
	if len(r.NotApplied) > 0 {
		fmt.Fprintf(&b, "vCenter did not apply: %s (it reports the values above)\n", strings.Join(r.NotApplied, ", "))
	}
	return b.String()
}

type setting struct {
	name string
	get  func(ClusterConfig) string
	// asked is the value asked for, "" when not given.
	asked func(ClusterConfigureArgs) string
}

func boolText(b bool) string { return map[bool]string{true: "on", false: "off"}[b] }

func boolArg(b *bool) string {
	if b == nil {
		return ""
	}
	return boolText(*b)
}

var settings = []setting{
	{"drs_enabled", func(c ClusterConfig) string { return boolText(c.DRSEnabled) }, func(a ClusterConfigureArgs) string { return boolArg(a.DRSEnabled) }},
	{"drs_automation_level", func(c ClusterConfig) string { return c.DRSAutomationLevel }, func(a ClusterConfigureArgs) string { return a.DRSAutomationLevel }},
	{"drs_migration_threshold", thresholdText, func(a ClusterConfigureArgs) string {
		if a.DRSMigrationThreshold == 0 {
			return ""
		}
		return toolkit.Itoa(a.DRSMigrationThreshold)
	}},
	{"ha_enabled", func(c ClusterConfig) string { return boolText(c.HAEnabled) }, func(a ClusterConfigureArgs) string { return boolArg(a.HAEnabled) }},
	{"ha_admission_control", func(c ClusterConfig) string { return boolText(c.HAAdmissionControl) }, func(a ClusterConfigureArgs) string { return boolArg(a.HAAdmissionControl) }},
	{"ha_host_monitoring", func(c ClusterConfig) string { return boolText(c.HAHostMonitoring) }, func(a ClusterConfigureArgs) string { return boolArg(a.HAHostMonitoring) }},
}

// thresholdText is the migration threshold, "default (3)" when the
// cluster sets none.
func thresholdText(c ClusterConfig) string {
	if c.DRSThresholdDefault {
		return "default (" + toolkit.Itoa(c.DRSMigrationThreshold) + ")"
	}
	return toolkit.Itoa(c.DRSMigrationThreshold)
}

// spec is the reconfiguration for a's settings (modify: absent ones stay).
func (a ClusterConfigureArgs) spec() *types.ClusterConfigSpecEx {
	spec := &types.ClusterConfigSpecEx{}
	if a.DRSEnabled != nil || a.DRSAutomationLevel != "" || a.DRSMigrationThreshold != 0 {
		drs := &types.ClusterDrsConfigInfo{Enabled: a.DRSEnabled, DefaultVmBehavior: types.DrsBehavior(a.DRSAutomationLevel)}
		if a.DRSMigrationThreshold != 0 {
			drs.VmotionRate = vmotionRate(a.DRSMigrationThreshold)
		}
		spec.DrsConfig = drs
	}
	if a.HAEnabled != nil || a.HAAdmissionControl != nil || a.HAHostMonitoring != nil {
		das := &types.ClusterDasConfigInfo{Enabled: a.HAEnabled, AdmissionControlEnabled: a.HAAdmissionControl}
		if a.HAHostMonitoring != nil {
			das.HostMonitoring = string(types.ClusterDasConfigInfoServiceStateDisabled)
			if *a.HAHostMonitoring {
				das.HostMonitoring = string(types.ClusterDasConfigInfoServiceStateEnabled)
			}
		}
		spec.DasConfig = das
	}
	return spec
}

func clusterConfigure() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "cluster_configure",
		Title: "Configure a cluster's DRS and HA",
		Description: "Change a cluster's DRS (on/off, automation level, migration threshold 1 conservative … 5 aggressive as the vSphere client " +
			"shows it) and HA (on/off, admission control, host monitoring) settings; settings not given stay. Shows each setting before → after, " +
			"read back from vCenter, and names any vCenter did not apply.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a ClusterConfigureArgs) (ClusterConfigureResult, error) {
		var out ClusterConfigureResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "ClusterComputeResource", a.Cluster)
			if err != nil {
				return err
			}
			var cl mo.ClusterComputeResource
			if err := c.ReadOne(ctx, o, []string{"configurationEx"}, &cl); err != nil {
				return err
			}
			out = ClusterConfigureResult{Cluster: o.Name, ID: o.ID(), Before: configOf(cl.ConfigurationEx), Changed: []string{}}
			var asked []string
			for _, s := range settings {
				if v := s.asked(a); v != "" && v != s.get(out.Before) {
					asked = append(asked, s.name+" "+s.get(out.Before)+" → "+v)
				}
			}
			what := fmt.Sprintf("Reconfigure cluster %s: %s", toolkit.Name(o.Name), strings.Join(asked, ", "))
			if len(asked) == 0 {
				what = fmt.Sprintf("Reconfigure cluster %s (already as asked)", toolkit.Name(o.Name))
			}
			// Authorized first: a protected cluster is refused whatever
			// the call would do.
			if err := guard.Act(ctx, what, o); err != nil {
				return err
			}
			if len(asked) == 0 {
				out.Outcome, out.After = "unchanged", out.Before
				return nil
			}
			task, err := object.NewClusterComputeResource(c.Client, o.Ref).Reconfigure(ctx, a.spec(), true)
			if err != nil {
				return fmt.Errorf("reconfigure cluster %s: %s; nothing was changed", toolkit.Name(o.Name), vcenter.Explain(err))
			}
			out.Task = task.Reference().Value
			if _, err := guard.WaitTask(ctx, task, "reconfigure cluster "+toolkit.Name(o.Name), guard.NewProgress(ctx), 0, 100); err != nil {
				return err
			}
			if err := c.ReadOne(ctx, o, []string{"configurationEx"}, &cl); err != nil {
				return err
			}
			out.Outcome, out.After = "done", configOf(cl.ConfigurationEx)
			for _, s := range settings {
				if s.get(out.Before) != s.get(out.After) {
					out.Changed = append(out.Changed, s.name)
				}
				if v := s.asked(a); v != "" && v != s.get(out.After) {
					out.NotApplied = append(out.NotApplied, s.name)
				}
			}
			return nil
		})
		return out, err
	})
}
