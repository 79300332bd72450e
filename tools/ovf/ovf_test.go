package ovf

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

func TestOVFInspect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ova := writeOVA(t, e.dir, "appliance.ova")
	ovfPath := writeOVF(t, e.dir)
	for _, src := range []string{ova, ovfPath} {
		t.Run(filepath.Ext(src), func(t *testing.T) {
			var out OVFInspectResult
			text := e.at(t).OK("ovf_inspect", map[string]any{"source": src}, &out)
			if out.Name != "appliance" || !out.EULA || out.Checked || out.MemoryMB != 512 {
				t.Errorf("summary %+v", out.OVFSummary)
			}
			if len(out.Disks) != 1 || out.Disks[0].CapacityBytes != 1<<30 || out.Disks[0].File != "appliance-disk1.vmdk" || out.Disks[0].FileBytes == 0 {
				t.Errorf("disks %+v", out.Disks)
			}
			if len(out.Networks) != 2 || out.Networks[0].Name != "Management" || len(out.DeploymentOptions) != 2 || !out.DeploymentOptions[0].Default {
				t.Errorf("networks %+v options %+v", out.Networks, out.DeploymentOptions)
			}
			keys := []string{}
			for _, p := range out.Properties {
				keys = append(keys, p.Key)
			}
			if !slices.Equal(keys, []string{"ip0", "port", "debug", "role", "build"}) || out.Properties[1].Type != "uint16" || out.Properties[1].Default != "8080" || out.Properties[4].UserConfigurable {
				t.Errorf("properties %+v", out.Properties)
			}
			toolstest.MustContain(t, text, "VM appliance", "EULA: yes", "network Management", "deployment option small (default)", "uint16")
		})
	}
	t.Run("accepted on a target", func(t *testing.T) {
		var out OVFInspectResult
		text := e.at(t).OK("ovf_inspect", map[string]any{"source": ova, "cluster": cluster, "network_mapping": map[string]any{"Data": "DC0_DVPG0"}}, &out)
		if !out.Checked || !out.Accepted || len(out.Errors) != 0 {
			t.Errorf("check %+v", out)
		}
		toolstest.MustContain(t, text, "vCenter accepts it on pool /DC0/host/DC0_C0/Resources")
		if len(e.AllVMs("name")) != 30 {
			t.Error("inspect created a VM")
		}
	})
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"outside the allowed directories", map[string]any{"source": "/etc/passwd.ova"}, "local_files"},
		{"dot-dot out of the directory", map[string]any{"source": filepath.Join(e.dir, "..", "x.ova")}, "local_files"},
		{"not a package", map[string]any{"source": filepath.Join(e.dir, "x.txt")}, "not an OVF package"},
		{"source and library", map[string]any{"source": ova, "library": "l", "item": "i"}, "not both"},
		{"nothing", map[string]any{}, "source is required"},
		{"unknown OVF network", map[string]any{"source": ova, "cluster": cluster, "network_mapping": map[string]any{"Nope": "DC0_DVPG0"}}, "does not have"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toolstest.MustContain(t, e.at(t).Fails("ovf_inspect", tc.args), tc.want)
		})
	}
}

func TestOVFDeploy(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	ova := writeOVA(t, e.dir, "appliance.ova")
	var out OVFDeployResult
	text := e.OK("ovf_deploy", map[string]any{
		"source": ova, "name": "appliance-01", "cluster": cluster, "datastore": "LocalDS_0",
		"network_mapping":   map[string]any{"Management": "VM Network", "Data": "DC0_DVPG0"},
		"properties":        map[string]any{"ip0": "10.0.30.5", "port": "9443", "role": "db"},
		"deployment_option": "large", "power_on": true, "accept_eula": true,
	}, &out)
	toolstest.MustContain(t, text, "Deployed VM appliance-01", "network Data → DC0_DVPG0", "ip0")
	if out.Path != "/DC0/vm/appliance-01" || out.CPUs != 4 || out.MemoryMB != 512 || out.PowerState != "poweredOn" || out.Uploaded == 0 {
		t.Errorf("result %+v", out)
	}
	// Read back through govmomi.
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, "/DC0/vm/appliance-01")
	if err != nil {
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"config", "runtime.powerState", "datastore", "resourcePool"}, &m); err != nil {
		t.Fatal(err)
	}
	if m.Config.Hardware.NumCPU != 4 || m.Config.Hardware.MemoryMB != 512 || m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("hardware %d CPU %d MB %s", m.Config.Hardware.NumCPU, m.Config.Hardware.MemoryMB, m.Runtime.PowerState)
	}
	devs := object.VirtualDeviceList(m.Config.Hardware.Device)
	nics := devs.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(nics) != 2 || len(devs.SelectByType((*types.VirtualDisk)(nil))) != 1 {
		t.Fatalf("devices: %d NICs", len(nics))
	}
	if b, ok := nics[0].GetVirtualDevice().Backing.(*types.VirtualEthernetCardNetworkBackingInfo); !ok || b.DeviceName != "VM Network" {
		t.Errorf("NIC 0 backing %#v", nics[0].GetVirtualDevice().Backing)
	}
	if _, ok := nics[1].GetVirtualDevice().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); !ok {
		t.Errorf("NIC 1 backing %#v", nics[1].GetVirtualDevice().Backing)
	}
	vals := map[string]string{}
	for _, pr := range m.Config.VAppConfig.(*types.VmConfigInfo).Property {
		vals[pr.Id] = pr.Value
	}
	if vals["ip0"] != "10.0.30.5" || vals["port"] != "9443" || vals["role"] != "db" {
		t.Errorf("vApp properties %v", vals)
	}
	if rec := toolstest.LastAudit(t, p); rec.Tool != "ovf_deploy" || rec.Outcome != "ok" {
		t.Errorf("audit %+v", rec)
	}
	// A .ovf with its disk beside it deploys the same way.
	dir := filepath.Join(e.dir, "unpacked")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var out2 OVFDeployResult
	e.OK("ovf_deploy", map[string]any{"source": writeOVF(t, dir), "name": "appliance-02", "cluster": cluster, "accept_eula": true}, &out2)
	if out2.CPUs != 2 || out2.Uploaded == 0 || !e.Exists("/DC0/vm/appliance-02") {
		t.Errorf("deploy from .ovf %+v", out2)
	}
}

func TestOVFDeployRefused(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	ova := writeOVA(t, e.dir, "appliance.ova")
	base := func(extra map[string]any) map[string]any {
		a := map[string]any{"source": ova, "name": "bad-01", "cluster": cluster, "accept_eula": true}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"port not a uint16", base(map[string]any{"properties": map[string]any{"port": "70000"}}), "uint16"},
		{"role outside its value map", base(map[string]any{"properties": map[string]any{"role": "mail"}}), "ValueMap"},
		{"ip too long", base(map[string]any{"properties": map[string]any{"ip0": "1234567890123456"}}), "MaxLen"},
		{"boolean", base(map[string]any{"properties": map[string]any{"debug": "yes"}}), "true or false"},
		{"not user-configurable", base(map[string]any{"properties": map[string]any{"build": "43"}}), "not user-configurable"},
		{"unknown property", base(map[string]any{"properties": map[string]any{"nope": "1"}}), "no property"},
		{"unknown deployment option", base(map[string]any{"deployment_option": "huge"}), "no deployment option"},
		{"bad disk provisioning", base(map[string]any{"disk_provisioning": "sparse"}), "disk_provisioning"},
		{"EULA not accepted", base(map[string]any{"accept_eula": false}), "accept_eula"},
		{"name taken", base(map[string]any{"name": "DC0_C0_RP1_VM2"}), "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toolstest.MustContain(t, e.at(t).Fails("ovf_deploy", tc.args), tc.want)
		})
	}
	if e.Exists("/DC0/vm/bad-01") {
		t.Error("a refused deploy left a VM")
	}
}

// TestProtected: deploying into, or exporting, a protected object is
// refused before anything changes.
func TestProtected(t *testing.T) {
	t.Parallel()
	m, x := extendExport(t)
	custom := map[string]policy.RoleSpec{"guarded": {Inherits: "vm-admin", Protect: []string{"/DC0/vm/DC0_C0_RP1_VM2", "/DC0/vm/locked"}}}
	p := toolstest.Policy(t, "guarded", custom, nil)
	dir := t.TempDir()
	lf := toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{dir}, Write: []string{dir}}}
	e := &env{Env: toolstest.NewOn(t, served(), toolstest.Options{Policy: p, LocalFiles: lf}, m), dir: dir}
	e.Sim.Model.Service.Handle("/ovfexport/", x)
	vmPath := e.poweredOff()
	folders, err := find.NewFinder(e.Vim).Folder(e.Ctx, "/DC0/vm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := folders.CreateFolder(e.Ctx, "locked"); err != nil {
		t.Fatal(err)
	}
	ova := writeOVA(t, dir, "appliance.ova")
	toolstest.MustContain(t, e.Fails("ovf_deploy", map[string]any{"source": ova, "name": "guarded-01", "cluster": cluster, "folder": "/DC0/vm/locked", "accept_eula": true}), "is protected by policy")
	toolstest.MustContain(t, e.Fails("ovf_export", map[string]any{"vm": vmPath, "local_path": dir}), "is protected by policy")
	if e.Exists("/DC0/vm/locked/guarded-01") {
		t.Error("a refused deploy made a VM")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a refused export wrote files: %v", entries)
	}
}

// TestOVFDeployManifestMismatch: a package whose files do not match its
// manifest is refused (the descriptor before anything starts, a disk once
// its bytes are read) and leaves no VM.
func TestOVFDeployManifestMismatch(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	for _, tc := range []struct{ entry, name string }{{"appliance.ovf", "bad-desc"}, {"appliance-disk1.vmdk", "bad-disk"}} {
		ova := writeOVA(t, e.dir, tc.name+".ova")
		tamperOVA(t, ova, tc.entry)
		text := e.Fails("ovf_deploy", map[string]any{"source": ova, "name": tc.name, "cluster": cluster, "accept_eula": true})
		toolstest.MustContain(t, text, "does not match the package's manifest")
		if e.Exists("/DC0/vm/" + tc.name) {
			t.Errorf("%s: a refused deploy left a VM", tc.name)
		}
	}
}

// TestOVFDeployProgress: a client that asks for progress hears how the
// upload goes, by bytes, ending at 100.
func TestOVFDeployProgress(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	ova := writeOVA(t, e.dir, "appliance.ova")
	var mu sync.Mutex
	var msgs []string
	var last float64
	e.Client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if m, ok := n.Params.AdditionalFields["message"].(string); ok {
			msgs = append(msgs, m)
		}
		if v, ok := n.Params.AdditionalFields["progress"].(float64); ok {
			last = v
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "ovf_deploy"
	req.Params.Arguments = map[string]any{"source": ova, "name": "progress-01", "cluster": cluster, "accept_eula": true}
	req.Params.Meta = &mcp.Meta{ProgressToken: "deploy-1"}
	res, err := e.Client.CallTool(e.Ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("deploy: %v %s", err, toolstest.ResultText(res))
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	joined := strings.Join(msgs, "\n")
	toolstest.MustContain(t, joined, "uploaded", "appliance-disk1.vmdk", "MB of")
	if last != 100 {
		t.Errorf("last progress %v, want 100; messages:\n%s", last, joined)
	}
}

// TestOVFImportSpecErrors: what vCenter's CreateImportSpec refuses (here
// hardware of an unknown kind) is explained by ovf_inspect on a target and
// stops ovf_deploy before any upload.
func TestOVFImportSpecErrors(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	good := writeOVF(t, e.dir)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	odd := strings.Replace(string(b), "    </VirtualHardwareSection>",
		"      <Item><rasd:ElementName>odd device</rasd:ElementName><rasd:InstanceID>9</rasd:InstanceID><rasd:ResourceType>99</rasd:ResourceType></Item>\n    </VirtualHardwareSection>", 1)
	if err := os.WriteFile(good, []byte(odd), 0o600); err != nil {
		t.Fatal(err)
	}
	var in OVFInspectResult
	text := e.OK("ovf_inspect", map[string]any{"source": good, "cluster": cluster}, &in)
	if !in.Checked || in.Accepted || len(in.Errors) != 1 {
		t.Fatalf("inspect %+v", in)
	}
	toolstest.MustContain(t, text, "vCenter refuses it", "OvfUnsupportedType", "the package asks for hardware this host cannot give")
	before := len(e.AllVMs("name"))
	text = e.Fails("ovf_deploy", map[string]any{"source": good, "name": "odd-01", "cluster": cluster, "accept_eula": true})
	toolstest.MustContain(t, text, "vCenter refuses to import", "nothing was uploaded", "OvfUnsupportedType")
	if len(e.AllVMs("name")) != before {
		t.Error("a refused import made a VM")
	}
}
