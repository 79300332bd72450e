package cluster

import (
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// clusterConfig reads a cluster's configuration through govmomi.
func (e *env) clusterConfig(path string) *types.ClusterConfigInfoEx {
	e.T.Helper()
	cl, err := find.NewFinder(e.Vim).ClusterComputeResource(e.Ctx, path)
	if err != nil {
		e.T.Fatal(err)
	}
	cfg, err := cl.Configuration(e.Ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	return cfg
}

// vmHost is the name of the host a VM runs on, through govmomi.
func (e *env) vmHost(name string) string {
	e.T.Helper()
	for _, vm := range e.AllVMs("name", "runtime.host") {
		if vm.Name == name {
			return e.ObjectName(*vm.Runtime.Host)
		}
	}
	e.T.Fatalf("no VM %s", name)
	return ""
}

func TestClusterConfigure(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "admin", nil, nil)
	e, _ := newExtEnv(t, p, nil)
	const path = "/DC0/host/DC0_C1"

	t.Run("before and after, read back", func(t *testing.T) {
		e := e.at(t)
		args := map[string]any{"cluster": path, "drs_automation_level": "manual", "drs_migration_threshold": 2,
			"ha_enabled": true, "ha_admission_control": true, "ha_host_monitoring": true}
		var res ClusterConfigureResult
		text := e.OK("cluster_configure", args, &res)
		cfg := e.clusterConfig(path)
		if cfg.DrsConfig.DefaultVmBehavior != types.DrsBehaviorManual || cfg.DrsConfig.VmotionRate != 4 || !*cfg.DasConfig.Enabled ||
			!*cfg.DasConfig.AdmissionControlEnabled || cfg.DasConfig.HostMonitoring != "enabled" || !*cfg.DrsConfig.Enabled {
			t.Errorf("govmomi reads DRS %+v HA %+v", cfg.DrsConfig, cfg.DasConfig)
		}
		want := ClusterConfig{DRSEnabled: true, DRSAutomationLevel: "manual", DRSMigrationThreshold: 2, HAEnabled: true, HAAdmissionControl: true, HAHostMonitoring: true}
		if res.Outcome != "done" || res.After != want || len(res.NotApplied) != 0 || res.Before.DRSAutomationLevel != "fullyAutomated" || res.Before.HAEnabled {
			t.Errorf("result %+v", res)
		}
		if !slices.Contains(res.Changed, "drs_migration_threshold") || !slices.Contains(res.Changed, "ha_enabled") || slices.Contains(res.Changed, "drs_enabled") {
			t.Errorf("changed %v", res.Changed)
		}
		toolstest.MustContain(t, text, "Cluster DC0_C1 (domain-", ": done, task ", "setting\tbefore\tafter\n", "drs_automation_level\tfullyAutomated\tmanual\n",
			"drs_migration_threshold\tdefault (3)\t2\n", "ha_enabled\toff\ton\n")
		// Unset in vSphere: its default, 3, said to be the default.
		if res.Before.DRSMigrationThreshold != 3 || !res.Before.DRSThresholdDefault || res.After.DRSThresholdDefault {
			t.Errorf("threshold before %d (default %v), after default %v", res.Before.DRSMigrationThreshold, res.Before.DRSThresholdDefault, res.After.DRSThresholdDefault)
		}

		res = ClusterConfigureResult{}
		e.OK("cluster_configure", args, &res)
		if res.Outcome != "unchanged" || res.Task != "" {
			t.Errorf("again: %+v", res)
		}
		// Threshold 5 (aggressive) is vmotionRate 1.
		e.OK("cluster_configure", map[string]any{"cluster": path, "drs_migration_threshold": 5, "drs_enabled": false}, &res)
		if cfg := e.clusterConfig(path); cfg.DrsConfig.VmotionRate != 1 || *cfg.DrsConfig.Enabled || cfg.DrsConfig.DefaultVmBehavior != types.DrsBehaviorManual {
			t.Errorf("govmomi reads DRS %+v", cfg.DrsConfig)
		}
	})

	t.Run("refusals change nothing", func(t *testing.T) {
		e := e.at(t)
		before := *e.clusterConfig(path)
		for _, tc := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{"cluster": path}, "nothing to change"},
			{map[string]any{"cluster": path, "drs_automation_level": "auto"}, "drs_automation_level must be one of manual, partiallyAutomated, fullyAutomated"},
			{map[string]any{"cluster": path, "drs_migration_threshold": 6}, "drs_migration_threshold must be 1 (conservative) to 5"},
			{map[string]any{"drs_enabled": true}, "cluster is required"},
			{map[string]any{"cluster": "nope", "drs_enabled": true}, `no cluster matches "nope"`},
		} {
			toolstest.MustContain(t, e.Fails("cluster_configure", tc.args), tc.want)
		}
		after := *e.clusterConfig(path)
		if after.DrsConfig.VmotionRate != before.DrsConfig.VmotionRate || *after.DrsConfig.Enabled != *before.DrsConfig.Enabled {
			t.Error("a refused call changed the cluster")
		}
	})
}

// TestClusterConfigurePlainSimulator: vcsim as it is ignores the
// migration threshold and HA host monitoring; the tool reads the result
// back and says so instead of claiming success.
func TestClusterConfigurePlainSimulator(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"ops": {Inherits: "admin", Protect: []string{"/DC1/host/DC1_C0"}}}
	e := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, "ops", custom, nil)})}
	var res ClusterConfigureResult
	text := e.OK("cluster_configure", map[string]any{"cluster": "DC0_C0", "drs_migration_threshold": 5, "ha_host_monitoring": true, "ha_enabled": true}, &res)
	if !slices.Equal(res.NotApplied, []string{"drs_migration_threshold", "ha_host_monitoring"}) || !res.After.HAEnabled {
		t.Errorf("result %+v", res)
	}
	toolstest.MustContain(t, text, "vCenter did not apply: drs_migration_threshold, ha_host_monitoring")
	if !*e.clusterConfig("/DC0/host/DC0_C0").DasConfig.Enabled {
		t.Error("govmomi: HA not enabled")
	}

	// Protected: refused, unchanged.
	toolstest.MustContain(t, e.Fails("cluster_configure", map[string]any{"cluster": "/DC1/host/DC1_C0", "ha_enabled": true}), "is protected by policy")
	if cfg := e.clusterConfig("/DC1/host/DC1_C0"); cfg.DasConfig.Enabled != nil && *cfg.DasConfig.Enabled {
		t.Error("a protected cluster changed")
	}

	// Roles: cluster changes are admin's; reads are everyone's.
	vmAdmin := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, "vm-admin", nil, nil)})}
	listed := vmAdmin.ListedTools()
	for _, name := range []string{"cluster_configure", "cluster_drs_apply"} {
		if slices.Contains(listed, name) {
			t.Errorf("vm-admin is served %s", name)
		}
	}
	if viewer := newEnv(t).ListedTools(); !slices.Contains(viewer, "cluster_drs_recommendations") || slices.Contains(viewer, "cluster_configure") {
		t.Errorf("viewer is served %v", viewer)
	}
}

func TestClusterDRS(t *testing.T) {
	t.Parallel()
	e, fx := newExtEnv(t, toolstest.Policy(t, "admin", nil, nil), nil)

	var recs DRSRecommendations
	text := e.OK("cluster_drs_recommendations", map[string]any{"cluster": fx.cluster}, &recs)
	if len(recs.Recommendations) != 2 {
		t.Fatalf("recommendations %+v", recs)
	}
	for i, r := range recs.Recommendations {
		if r.Key != fx.keys[i] || len(r.Actions) != 1 || r.Actions[0].VM != fx.vms[i] || r.Actions[0].FromHost != fx.from || r.Actions[0].ToHost != fx.to {
			t.Errorf("recommendation %d: %+v", i, r)
		}
	}
	toolstest.MustContain(t, text, "Cluster DC0_C0 (domain-", "2 DRS recommendations", "key\trating\treason\taction\tvm\tfrom_host\tto_host\ttarget\treason_text",
		"11\t3\tBalance average CPU loads\tMigrationV1\t"+fx.vms[0]+"\t"+fx.from+"\t"+fx.to)

	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"cluster": fx.cluster}, "give either keys"},
		{map[string]any{"cluster": fx.cluster, "keys": []string{"11"}, "all": true}, "give either keys"},
		{map[string]any{"cluster": fx.cluster, "keys": []string{"11", "99"}}, "has no DRS recommendation 99 (it has 11, 12"},
	}
	for _, tc := range tests {
		toolstest.MustContain(t, e.Fails("cluster_drs_apply", tc.args), tc.want)
	}
	if e.vmHost(fx.vms[0]) != fx.from {
		t.Fatal("a refused apply moved a VM")
	}

	var res DRSApplyResult
	text = e.OK("cluster_drs_apply", map[string]any{"cluster": fx.cluster, "keys": []string{"11"}}, &res)
	if res.Succeeded != 1 || res.Remaining != 1 || e.vmHost(fx.vms[0]) != fx.to || e.vmHost(fx.vms[1]) != fx.from {
		t.Errorf("apply 11: %+v; govmomi: %s on %s", res, fx.vms[0], e.vmHost(fx.vms[0]))
	}
	toolstest.MustContain(t, text, "1 done, 0 failed, 1 remaining", "11\tdone\tMigrationV1 "+fx.vms[0]+" → "+fx.to)
	e.OK("cluster_drs_apply", map[string]any{"cluster": fx.cluster, "all": true}, &res)
	if res.Succeeded != 1 || res.Remaining != 0 || e.vmHost(fx.vms[1]) != fx.to {
		t.Errorf("apply all: %+v", res)
	}
	toolstest.MustContain(t, e.Fails("cluster_drs_apply", map[string]any{"cluster": fx.cluster, "all": true}), "has no DRS recommendations now")
	e.OK("cluster_drs_recommendations", map[string]any{"cluster": fx.cluster}, &recs)
	if len(recs.Recommendations) != 0 || !strings.Contains(e.OK("cluster_drs_recommendations", map[string]any{"cluster": fx.cluster}, nil), "0 DRS recommendations") {
		t.Errorf("after applying: %+v", recs)
	}
}

// TestClusterInfraScope: a role scoped to DC1 neither sees nor changes DC0's
// clusters.
func TestClusterInfraScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc1-admin": {Inherits: "admin", Scope: policy.Scope{Datacenters: []string{"DC1"}}}}
	m, fx := extendClusters(t)
	e := &env{toolstest.NewOn(t, served(), toolstest.Options{Policy: toolstest.Policy(t, "dc1-admin", custom, nil)}, m)}
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"cluster_drs_recommendations", map[string]any{"cluster": fx.cluster}},
		{"cluster_drs_apply", map[string]any{"cluster": fx.cluster, "all": true}},
		{"cluster_configure", map[string]any{"cluster": fx.cluster, "ha_enabled": true}},
	} {
		toolstest.MustContain(t, e.Fails(tc.tool, tc.args), `no cluster matches "DC0_C0"`)
	}
	if e.vmHost(fx.vms[0]) != fx.from {
		t.Error("an out-of-scope recommendation was applied")
	}
	var cl []mo.ClusterComputeResource
	cl = toolstest.RetrieveAll[mo.ClusterComputeResource](e.Env, "ClusterComputeResource", "name", "configurationEx")
	for _, c := range cl {
		if cfg := c.ConfigurationEx.(*types.ClusterConfigInfoEx); c.Name == "DC0_C0" && cfg.DasConfig.Enabled != nil && *cfg.DasConfig.Enabled {
			t.Error("an out-of-scope cluster changed")
		}
	}
}
