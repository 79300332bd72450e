package cmd

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TestPlacementDefaultsPrecedence: flags over VSPHERE_* over the profile's
// defaults: over GOVC_*, as config show reports them.
func TestPlacementDefaultsPrecedence(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.writeConfig(`
default_profile: lab
profiles:
  lab:
    url: https://profile.example/sdk
    defaults:
      datacenter: DCp
      cluster: Cp
      datastore: DSp
      folder: /DCp/vm/p
`)
	base := []string{"GOVC_DATASTORE", "DSg", "GOVC_NETWORK", "NETg", "GOVC_HOST", "Hg", "GOVC_FOLDER", "Fg", "GOVC_RESOURCE_POOL", "RPg"}
	tests := []struct {
		name       string
		env, flags []string
		key, value string
		src        string
	}{
		{"profile over govc", nil, nil, "datastore", "DSp", "profile lab defaults"},
		{"profile folder over govc", nil, nil, "folder", "/DCp/vm/p", "profile lab defaults"},
		{"govc fills what the profile lacks", nil, nil, "network", "NETg", "env GOVC_NETWORK"},
		{"govc host", nil, nil, "host", "Hg", "env GOVC_HOST"},
		{"govc pool", nil, nil, "resource_pool", "RPg", "env GOVC_RESOURCE_POOL"},
		{"env over profile", []string{"VSPHERE_DATASTORE", "DSe"}, nil, "datastore", "DSe", "env VSPHERE_DATASTORE"},
		{"env over govc", []string{"VSPHERE_NETWORK", "NETe"}, nil, "network", "NETe", "env VSPHERE_NETWORK"},
		{"env cluster", []string{"VSPHERE_CLUSTER", "Ce"}, nil, "cluster", "Ce", "env VSPHERE_CLUSTER"},
		{"flag over env", []string{"VSPHERE_DATASTORE", "DSe"}, []string{"--default-datastore", "DSf"}, "datastore", "DSf", "flag --default-datastore"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := f.with(append(append([]string{}, base...), tc.env...)...)
			out, stderr, err := f.run(env, append([]string{"config", "show"}, tc.flags...)...)
			if err != nil {
				t.Fatalf("config show: %v\n%s", err, stderr)
			}
			sect := out[strings.Index(out, "placement defaults"):]
			l := line(sect, tc.key+" ")
			if !strings.Contains(l, " "+tc.value+" ") || !strings.HasSuffix(strings.TrimSpace(l), tc.src) {
				t.Errorf("%s: got line %q, want value %q from %q\n%s", tc.key, l, tc.value, tc.src, out)
			}
		})
	}

	// defaults.datacenter is the datacenter setting: one value for both.
	out, _, err := f.run(f.env, "config", "show")
	if err != nil {
		t.Fatal(err)
	}
	if l := line(out, "datacenter "); !strings.Contains(l, " DCp ") || !strings.HasSuffix(strings.TrimSpace(l), "profile lab") {
		t.Errorf("connection datacenter from defaults.datacenter: %q\n%s", l, out)
	}
	sect := out[strings.Index(out, "placement defaults"):]
	if l := line(sect, "datacenter "); !strings.Contains(l, " DCp ") {
		t.Errorf("placement datacenter: %q\n%s", l, out)
	}
	env := f.with("VSPHERE_DATACENTER", "DCe")
	out, _, _ = f.run(env, "config", "show")
	sect = out[strings.Index(out, "placement defaults"):]
	if l := line(sect, "datacenter "); !strings.Contains(l, " DCe ") {
		t.Errorf("VSPHERE_DATACENTER not the placement datacenter: %q\n%s", l, out)
	}

	// Two different datacenters in one profile are refused.
	g := newFixture(t)
	g.writeConfig("default_profile: lab\nprofiles:\n  lab:\n    datacenter: DC1\n    defaults: {datacenter: DC2}\n")
	if _, _, err := g.run(nil, "config", "show"); err == nil || !strings.Contains(err.Error(), "defaults.datacenter") {
		t.Errorf("differing datacenters: %v", err)
	}
	// A misspelt defaults key is named.
	g.writeConfig("default_profile: lab\nprofiles:\n  lab:\n    defaults: {datastor: X}\n")
	if _, _, err := g.run(nil, "config", "show"); err == nil || !strings.Contains(err.Error(), "datastor") {
		t.Errorf("misspelt defaults key: %v", err)
	}
	// Under --simulator the profile's defaults are not used.
	out, _, err = f.run(f.env, "config", "show", "--simulator")
	if err != nil || !strings.Contains(out, "no placement defaults apply") {
		t.Errorf("config show --simulator: %v\n%s", err, out)
	}
}

// TestDoctorChecksDefaults: doctor resolves each default; one that names
// nothing fails the run.
func TestDoctorChecksDefaults(t *testing.T) {
	t.Parallel()
	const user, secret = "svc-ai", "Sim-Secret-Pw-3391"
	sim := startSecretSim(t, user, secret)
	f := newFixture(t)
	conn := "    url: " + sim.Config.URL + "\n    username: " + user + "\n    thumbprint: " + sim.Config.Thumbprint + "\n    password_env: SIM_PW\n"
	f.writeConfig(`
profiles:
  good:
` + conn + `    defaults: {datacenter: DC0, cluster: DC0_C0, datastore: LocalDS_0, network: VM Network, folder: /DC0/vm}
  bad:
` + conn + `    defaults: {datastore: NoSuchDS, network: VM Network}
  none:
` + conn)
	env := f.with("SIM_PW", secret)
	tests := []struct {
		profile string
		env     []string
		code    int
		want    []string
	}{
		{"good", nil, 0, []string{"ok    defaults      datacenter /DC0", "ok    defaults      cluster /DC0/host/DC0_C0", "datastore /DC0/datastore/LocalDS_0", "folder /DC0/vm"}},
		{"bad", nil, 1, []string{`FAIL  defaults      datastore "NoSuchDS" (from profile bad defaults) does not resolve`, "ok    defaults      network"}},
		{"none", []string{"GOVC_NETWORK", "nope-net"}, 1, []string{`FAIL  defaults      network "nope-net" (from env GOVC_NETWORK)`}},
		{"none", nil, 0, []string{"no placement defaults"}},
	}
	for _, tc := range tests {
		t.Run(tc.profile, func(t *testing.T) {
			e := env
			if tc.env != nil {
				e = f.with(append([]string{"SIM_PW", secret}, tc.env...)...)
			}
			out, stderr, err := f.run(e, "doctor", "--profile", tc.profile, "--timeout", "5s")
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit code %d (%v), want %d\n%s%s", got, err, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("doctor output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestServedToolsUseDefaults: the server hands the defaults to its tools:
// vm_create without datastore or network lands on the ones from the
// environment and from govc's variables.
func TestServedToolsUseDefaults(t *testing.T) {
	t.Parallel()
	const user, secret = "svc-ai", "Sim-Secret-Pw-7710"
	sim := startSecretSim(t, user, secret)
	f := newFixture(t)
	env := f.with("VSPHERE_URL", sim.Config.URL, "VSPHERE_USERNAME", user, "VSPHERE_PASSWORD", secret, "VSPHERE_THUMBPRINT", sim.Config.Thumbprint,
		"VSPHERE_DATASTORE", "LocalDS_0", "GOVC_NETWORK", "DC0_DVPG0", "VSPHERE_CLUSTER", "DC0_C0")
	out, stderr, err := f.run(env, "tools", "call", "vm_create", `{"name":"from-defaults"}`, "--role", "vm-admin", "--log-level", "warn")
	if err != nil {
		t.Fatalf("vm_create: %v\n%s%s", err, out, stderr)
	}
	for _, w := range []string{`datastore "LocalDS_0": the placement default`, `network "DC0_DVPG0": the placement default`, "DC0_C0"} {
		if !strings.Contains(out, w) {
			t.Errorf("vm_create output lacks %q:\n%s", w, out)
		}
	}
	ctx := context.Background()
	c := login(t, sim)
	vm, err := find.NewFinder(c).VirtualMachine(ctx, "/DC0/vm/from-defaults")
	if err != nil {
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"datastore", "network", "resourcePool"}, &m); err != nil {
		t.Fatal(err)
	}
	var ds mo.Datastore
	if len(m.Datastore) != 1 {
		t.Fatalf("datastores %v", m.Datastore)
	}
	if err := vm.Properties(ctx, m.Datastore[0], []string{"name"}, &ds); err != nil || ds.Name != "LocalDS_0" {
		t.Errorf("datastore %q (%v), want LocalDS_0", ds.Name, err)
	}
	var n mo.Network
	if len(m.Network) != 1 {
		t.Fatalf("networks %v", m.Network)
	}
	if err := vm.Properties(ctx, m.Network[0], []string{"name"}, &n); err != nil || n.Name != "DC0_DVPG0" {
		t.Errorf("network %q (%v), want DC0_DVPG0", n.Name, err)
	}
	var pool mo.ResourcePool
	if err := vm.Properties(ctx, *m.ResourcePool, []string{"owner"}, &pool); err != nil || pool.Owner.Type != "ClusterComputeResource" {
		t.Errorf("pool owner %v (%v), want the cluster", pool.Owner, err)
	}

	// The same from a profile's defaults:.
	g := newFixture(t)
	g.writeConfig(`
default_profile: lab
profiles:
  lab:
    url: ` + sim.Config.URL + `
    username: ` + user + `
    thumbprint: ` + sim.Config.Thumbprint + `
    password_env: SIM_PW
    role: vm-admin
    defaults: {cluster: DC0_C0, datastore: LocalDS_0, network: DC0_DVPG0, folder: /DC0/vm}
`)
	out, stderr, err = g.run(g.with("SIM_PW", secret), "tools", "call", "vm_create", `{"name":"from-profile"}`, "--log-level", "warn")
	if err != nil {
		t.Fatalf("vm_create with profile defaults: %v\n%s%s", err, out, stderr)
	}
	for _, w := range []string{`placement cluster "DC0_C0": the placement defaults`, `network "DC0_DVPG0": the placement default`, `folder "/DC0/vm": the placement default`} {
		if !strings.Contains(out, w) {
			t.Errorf("vm_create output lacks %q:\n%s", w, out)
		}
	}
	if _, err := find.NewFinder(c).VirtualMachine(ctx, "/DC0/vm/from-profile"); err != nil {
		t.Errorf("from-profile: %v", err)
	}
}

// TestDoctorDefaultsAmongPlacement: a datastore or network default is
// looked up among those the default cluster can use, as the tools look it
// up, so a name a second datacenter has too passes doctor (vm_create
// takes it) instead of failing as ambiguous; one the cluster cannot use
// still fails.
func TestDoctorDefaultsAmongPlacement(t *testing.T) {
	t.Parallel()
	const user, secret = "svc-ai", "Sim-Secret-Pw-5120"
	m := simulator.VPX()
	m.Datacenter = 2 // LocalDS_0 and VM Network in DC0 and DC1
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	m.Service.Listen = &url.URL{User: url.UserPassword(user, secret)}
	sim, err := vcenter.StartSimulator(context.Background(), m, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	f := newFixture(t)
	conn := "    url: " + sim.Config.URL + "\n    username: " + user + "\n    thumbprint: " + sim.Config.Thumbprint + "\n    password_env: SIM_PW\n"
	f.writeConfig(`
profiles:
  same:
` + conn + `    defaults: {cluster: DC0_C0, datastore: LocalDS_0, network: VM Network}
  other:
` + conn + `    defaults: {cluster: DC0_C0, datastore: /DC1/datastore/LocalDS_0}
  nocluster:
` + conn + `    defaults: {datastore: LocalDS_0}
`)
	env := f.with("SIM_PW", secret)
	tests := []struct {
		profile string
		code    int
		want    []string
	}{
		{"same", 0, []string{"ok    defaults      datastore /DC0/datastore/LocalDS_0", "ok    defaults      network /DC0/network/VM Network"}},
		{"other", 1, []string{`FAIL  defaults      datastore "/DC1/datastore/LocalDS_0"`, "not mounted on cluster"}},
		{"nocluster", 1, []string{`FAIL  defaults      datastore "LocalDS_0"`, "matches 2 datastores"}},
	}
	for _, tc := range tests {
		t.Run(tc.profile, func(t *testing.T) {
			out, stderr, err := f.run(env, "doctor", "--profile", tc.profile, "--timeout", "5s")
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit code %d (%v), want %d\n%s%s", got, err, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("doctor output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
