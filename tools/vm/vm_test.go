package vm

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestVMListMatchesSimulator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := e.AllVMs("name", "runtime.powerState", "summary.config.numCpu", "summary.config.memorySizeMB", "config.template")

	tests := []struct {
		name string
		args map[string]any
		keep func(mo.VirtualMachine) bool
	}{
		{"all", map[string]any{"limit": 1000}, func(mo.VirtualMachine) bool { return true }},
		{"powered off", map[string]any{"power_state": "poweredOff", "limit": 1000},
			func(v mo.VirtualMachine) bool {
				return v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff
			}},
		{"suspended", map[string]any{"power_state": "suspended"},
			func(v mo.VirtualMachine) bool { return v.Runtime.PowerState == types.VirtualMachinePowerStateSuspended }},
		{"name glob", map[string]any{"name": "DC1_*VM1"},
			func(v mo.VirtualMachine) bool { ok, _ := path.Match("DC1_*VM1", v.Name); return ok }},
		{"glob and state", map[string]any{"name": "DC0_*", "power_state": "poweredOn"},
			func(v mo.VirtualMachine) bool {
				return strings.HasPrefix(v.Name, "DC0_") && v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			var got VMList
			e.OK("vm_list", tc.args, &got)
			var wantNames []string
			for _, v := range want {
				if tc.keep(v) {
					wantNames = append(wantNames, v.Name)
				}
			}
			if len(wantNames) == 0 {
				t.Fatal("test filter selects nothing; fix the test")
			}
			var gotNames []string
			for _, it := range got.Items {
				gotNames = append(gotNames, it.Name)
			}
			sort.Strings(wantNames)
			sort.Strings(gotNames)
			if !slices.Equal(gotNames, wantNames) {
				t.Errorf("names:\n got %v\nwant %v", gotNames, wantNames)
			}
			if got.Total != len(wantNames) || got.NextCursor != "" {
				t.Errorf("total=%d next=%q, want %d and no cursor", got.Total, got.NextCursor, len(wantNames))
			}
		})
	}

	// Each item's values equal what govmomi reads.
	var got VMList
	e.OK("vm_list", map[string]any{"limit": 1000}, &got)
	byName := map[string]mo.VirtualMachine{}
	for _, v := range want {
		byName[v.Name] = v
	}
	for _, it := range got.Items {
		v := byName[it.Name]
		if it.ID != v.Self.Value || it.PowerState != string(v.Runtime.PowerState) ||
			it.CPUs != v.Summary.Config.NumCpu || it.MemoryMB != v.Summary.Config.MemorySizeMB ||
			it.Template != v.Config.Template {
			t.Errorf("item %+v differs from simulator %s %s cpu=%d mem=%d template=%v", it, v.Self.Value,
				v.Runtime.PowerState, v.Summary.Config.NumCpu, v.Summary.Config.MemorySizeMB, v.Config.Template)
		}
		if it.Host == "" && it.PowerState == "poweredOn" {
			t.Errorf("item %s has no host", it.Name)
		}
	}
}

func TestVMListContainerFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	finder := find.NewFinder(e.Vim)
	cluster, err := finder.ClusterComputeResource(e.Ctx, "/DC0/host/DC0_C1")
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := cluster.Hosts(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	// vcsim places a cluster's VMs on random hosts: filter on the host
	// that has the most, so the case never compares two empty lists.
	var inCluster []string
	byHost := map[types.ManagedObjectReference][]string{}
	for _, v := range e.AllVMs("name", "runtime.host") {
		if v.Runtime.Host == nil {
			continue
		}
		for _, h := range hosts {
			if *v.Runtime.Host == h.Reference() {
				inCluster = append(inCluster, v.Name)
				byHost[h.Reference()] = append(byHost[h.Reference()], v.Name)
			}
		}
	}
	busiest := hosts[0]
	for _, h := range hosts {
		if len(byHost[h.Reference()]) > len(byHost[busiest.Reference()]) {
			busiest = h
		}
	}
	onHost := byHost[busiest.Reference()]
	hostName, _ := busiest.ObjectName(e.Ctx)

	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"cluster by name", map[string]any{"cluster": "DC0_C1"}, inCluster},
		{"cluster by path", map[string]any{"cluster": "/DC0/host/DC0_C1"}, inCluster},
		{"cluster by id", map[string]any{"cluster": cluster.Reference().Value}, inCluster},
		{"host within cluster", map[string]any{"cluster": "DC0_C1", "host": hostName}, onHost},
		{"host", map[string]any{"host": busiest.Reference().Value}, onHost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			var got VMList
			e.OK("vm_list", tc.args, &got)
			var names []string
			for _, it := range got.Items {
				names = append(names, it.Name)
			}
			sort.Strings(names)
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if len(want) == 0 || !slices.Equal(names, want) {
				t.Errorf("got %v, want %v", names, want)
			}
		})
	}

	var dc1 VMList
	e.OK("vm_list", map[string]any{"datacenter": "DC1", "limit": 1000}, &dc1)
	for _, it := range dc1.Items {
		if !strings.HasPrefix(it.Name, "DC1_") {
			t.Errorf("datacenter DC1 listed %s", it.Name)
		}
	}
	if dc1.Total == 0 {
		t.Error("datacenter DC1 listed nothing")
	}
	var folder VMList
	e.OK("vm_list", map[string]any{"folder": "/DC1/vm", "limit": 1000}, &folder)
	if folder.Total != dc1.Total {
		t.Errorf("folder /DC1/vm has %d VMs, datacenter DC1 %d", folder.Total, dc1.Total)
	}
}

func TestVMListPaging(t *testing.T) {
	t.Parallel()
	m := simulator.VPX()
	m.Machine = 40 // 40 VMs per pool: 120 in all across host and cluster pools
	e := newEnv(t, m)
	all := e.AllVMs("name")

	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		args := map[string]any{"limit": 7, "fields": []string{"power_state"}}
		if cursor != "" {
			args["cursor"] = cursor
		}
		var page VMList
		text := e.OK("vm_list", args, &page)
		pages++
		if page.Total != len(all) {
			t.Fatalf("total %d, simulator has %d", page.Total, len(all))
		}
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("%s listed twice", it.ID)
			}
			seen[it.ID] = true
			if it.CPUs != 0 || it.Host != "" {
				t.Fatalf("fields=[power_state] still returned cpus/host: %+v", it)
			}
		}
		if strings.Contains(text, "\tcpus") {
			t.Fatalf("text has a cpus column although not requested:\n%s", text)
		}
		if page.NextCursor == "" {
			break
		}
		if len(page.Items) != 7 {
			t.Fatalf("a non-final page has %d items, want 7", len(page.Items))
		}
		cursor = page.NextCursor
	}
	if len(seen) != len(all) || pages != (len(all)+6)/7 {
		t.Errorf("paged %d VMs in %d pages, want %d in %d", len(seen), pages, len(all), (len(all)+6)/7)
	}

	// A cursor only continues its own query.
	var first VMList
	e.OK("vm_list", map[string]any{"limit": 5}, &first)
	msg := e.Fails("vm_list", map[string]any{"limit": 5, "cursor": first.NextCursor, "power_state": "poweredOff"})
	toolstest.MustContain(t, msg, "cursor", "same filters")
	msg = e.Fails("vm_list", map[string]any{"cursor": "bm90LWEtY3Vyc29y"})
	toolstest.MustContain(t, msg, "cursor", "without a cursor")

	// A VM deleted between pages is skipped, not an error.
	var p1 VMList
	e.OK("vm_list", map[string]any{"limit": 10}, &p1)
	var p2probe VMList
	e.OK("vm_list", map[string]any{"limit": 10, "cursor": p1.NextCursor}, &p2probe)
	e.OK("vm_list", map[string]any{"limit": 10}, &p1)
	victim := object.NewVirtualMachine(e.Vim, refOf(t, e, p2probe.Items[0].ID))
	destroyVM(t, e, victim)
	var p2 VMList
	e.OK("vm_list", map[string]any{"limit": 10, "cursor": p1.NextCursor}, &p2)
	if len(p2.Items) != 9 {
		t.Errorf("page after a deletion has %d items, want 9", len(p2.Items))
	}
}

func refOf(t *testing.T, e *env, id string) types.ManagedObjectReference {
	t.Helper()
	return types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
}

func destroyVM(t *testing.T, e *env, vm *object.VirtualMachine) {
	t.Helper()
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"runtime.powerState"}, &mvm); err != nil {
		t.Fatal(err)
	}
	if mvm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
		task, err := vm.PowerOff(e.Ctx)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	task, err := vm.Destroy(e.Ctx)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestVMListArgumentErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"limit": 5000}, "limit must be between 1 and 1000"},
		{map[string]any{"limit": -1}, "limit must be between 1 and 1000"},
		{map[string]any{"limit": "ten"}, `"limit" must be an integer`},
		{map[string]any{"power_state": "on"}, "poweredOn, poweredOff, suspended"},
		{map[string]any{"name": "web-["}, "not a valid glob"},
		{map[string]any{"fields": []string{"colour"}}, `unknown field "colour"`},
		{map[string]any{"nmae": "web"}, `unknown argument "nmae"`},
		{map[string]any{"cluster": "no-such-cluster"}, `no cluster matches "no-such-cluster"`},
		{map[string]any{"name": strings.Repeat("x", 100<<10)}, "limit is 65536"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			e := e.at(t)
			toolstest.MustContain(t, e.Fails("vm_list", tc.args), tc.want)
		})
	}
}

func TestVMGetIdentifiers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, "/DC0/vm/DC0_C0_RP1_VM0")
	if err != nil {
		t.Fatal(err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"config", "runtime", "guest", "snapshot"}, &mvm); err != nil {
		t.Fatal(err)
	}

	for _, ident := range []string{
		"DC0_C0_RP1_VM0",
		"/DC0/vm/DC0_C0_RP1_VM0",
		vm.Reference().Value,
		mvm.Config.InstanceUuid,
		mvm.Config.Uuid,
	} {
		t.Run(ident, func(t *testing.T) {
			e := e.at(t)
			var got VMDetail
			text := e.OK("vm_get", map[string]any{"vm": ident}, &got)
			if got.ID != vm.Reference().Value || got.Path != "/DC0/vm/DC0_C0_RP1_VM0" {
				t.Fatalf("resolved to %s %s", got.ID, got.Path)
			}
			if got.CPUs != mvm.Config.Hardware.NumCPU || got.MemoryMB != mvm.Config.Hardware.MemoryMB ||
				got.PowerState != string(mvm.Runtime.PowerState) || got.GuestID != mvm.Config.GuestId ||
				got.InstanceUUID != mvm.Config.InstanceUuid {
				t.Errorf("detail %+v differs from simulator", got)
			}
			var disks, nics int
			for _, d := range mvm.Config.Hardware.Device {
				switch d.(type) {
				case *types.VirtualDisk:
					disks++
				case types.BaseVirtualEthernetCard:
					nics++
				}
			}
			if len(got.Disks) != disks || len(got.NICs) != nics || disks == 0 || nics == 0 {
				t.Errorf("disks %d nics %d, simulator has %d and %d", len(got.Disks), len(got.NICs), disks, nics)
			}
			if got.Host == "" || len(got.Datastores) == 0 || got.NICs[0].Network == "" {
				t.Errorf("host, datastores or NIC network missing: %+v", got)
			}
			toolstest.MustContain(t, text, "DC0_C0_RP1_VM0", "power: ", "disk: ", "nic: ")
		})
	}
}

func TestVMGetErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Two VMs with one name in different folders: the name is ambiguous.
	dc, err := find.NewFinder(e.Vim).Datacenter(e.Ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	folders, _ := dc.Folders(e.Ctx)
	sub, err := folders.VmFolder.CreateFolder(e.Ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, "/DC0/vm/DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	cloneTask, err := vm.Clone(e.Ctx, sub, "DC0_H0_VM0", types.VirtualMachineCloneSpec{})
	if err == nil {
		err = cloneTask.Wait(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	msg := e.Fails("vm_get", map[string]any{"vm": "DC0_H0_VM0"})
	toolstest.MustContain(t, msg, "matches 2 VMs", "/DC0/vm/DC0_H0_VM0", "/DC0/vm/web/DC0_H0_VM0")
	var got VMDetail
	e.OK("vm_get", map[string]any{"vm": "/DC0/vm/web/DC0_H0_VM0"}, &got)
	if got.Path != "/DC0/vm/web/DC0_H0_VM0" {
		t.Errorf("path lookup got %s", got.Path)
	}

	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{}, "vm is required"},
		{map[string]any{"vm": "dc0_h0_vm1"}, `did you mean "DC0_H0_VM1"`},
		{map[string]any{"vm": "vm-999999"}, `no VM matches "vm-999999"`},
		{map[string]any{"vm": "/DC0/vm/nope"}, `no VM matches "/DC0/vm/nope"`},
		{map[string]any{"vm": "/DC0/host/DC0_C0"}, "no VM matches"},
		{map[string]any{"vm": "relative/path"}, "no default datacenter"},
		{map[string]any{"vm": 42}, `"vm" must be a string`},
		{map[string]any{"vm": strings.Repeat("a", 3000)}, "limit is 2048"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.args["vm"]), func(t *testing.T) {
			e := e.at(t)
			toolstest.MustContain(t, e.Fails("vm_get", tc.args), tc.want)
		})
	}
}
