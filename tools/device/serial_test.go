package device

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// firewall returns the VM's host's firewall system and whether its remote
// serial port rule set is enabled, read through govmomi. (The simulator
// shares one rule set list between all hosts of all its instances.)
func (e *env) firewall(vm string) (*object.HostFirewallSystem, bool) {
	e.T.Helper()
	var m mo.VirtualMachine
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, e.VMRef(vm), []string{"runtime.host"}, &m); err != nil {
		e.T.Fatal(err)
	}
	var h mo.HostSystem
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, *m.Runtime.Host, []string{"configManager.firewallSystem"}, &h); err != nil {
		e.T.Fatal(err)
	}
	fw := object.NewHostFirewallSystem(e.Vim, *h.ConfigManager.FirewallSystem)
	var mf mo.HostFirewallSystem
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, fw.Reference(), []string{"firewallInfo"}, &mf); err != nil {
		e.T.Fatal(err)
	}
	for _, r := range mf.FirewallInfo.Ruleset {
		if r.Key == "remoteSerialPort" {
			return fw, r.Enabled
		}
	}
	e.T.Fatal("no remoteSerialPort rule set")
	return nil, false
}

// serials reads the VM's serial ports through govmomi.
func (e *env) serials(vm string) []*types.VirtualSerialPort {
	var out []*types.VirtualSerialPort
	for _, d := range e.devices(vm).List {
		if p, ok := d.(*types.VirtualSerialPort); ok {
			out = append(out, p)
		}
	}
	return out
}

func uriOf(p *types.VirtualSerialPort) *types.VirtualSerialPortURIBackingInfo {
	b, _ := p.Backing.(*types.VirtualSerialPortURIBackingInfo)
	return b
}

// TestSerial is not parallel: vcsim keeps one firewall for every host of
// every simulator in the process (package state), which this test opens and
// closes while other tests' simulators would read it.
func TestSerial(t *testing.T) {
	e := newNICEnv(t)
	c := *e.Env
	c.Client = e.Connect(toolstest.Options{Policy: toolstest.Policy(t, "admin", nil, nil)})
	admin := &env{&c}
	vm := e.idleVM()
	fw, _ := e.firewall(vm)
	if err := fw.DisableRuleset(e.Ctx, "remoteSerialPort"); err != nil {
		t.Fatal(err)
	}

	t.Run("network server port: how to connect, firewall closed", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_serial_add", map[string]any{"vm": vm, "backing": "network", "uri": "telnet://:7001"}, &got)
		ports := e.serials(vm)
		if len(ports) != 1 {
			t.Fatalf("%d serial ports", len(ports))
		}
		b := uriOf(ports[0])
		if b == nil || b.ServiceURI != "telnet://:7001" || b.Direction != "server" || !ports[0].YieldOnPoll || ports[0].Key != got.Device.Key {
			t.Fatalf("port %+v backing %+v", ports[0], ports[0].Backing)
		}
		if got.Serial == nil || got.Serial.ConnectWith != "telnet://127.0.0.1:7001" || got.Serial.FirewallOpen == nil || *got.Serial.FirewallOpen {
			t.Errorf("result %+v", got.Serial)
		}
		toolstest.MustContain(t, text, "Added Serial port 1", "connect with telnet://127.0.0.1:7001", "remoteSerialPort rule set is closed", "open_firewall: true")
	})
	t.Run("open_firewall for a role that may not change hosts: whole call refused", func(t *testing.T) {
		before := len(e.serials(vm))
		toolstest.MustContain(t, e.at(t).Fails("vm_serial_add", map[string]any{"vm": vm, "backing": "network", "uri": "telnet://:7002", "open_firewall": true}), "role vm-admin may not change hosts", "nothing was changed")
		if _, open := e.firewall(vm); open || len(e.serials(vm)) != before {
			t.Errorf("changed: firewall open %v, %d ports", open, len(e.serials(vm)))
		}
	})
	t.Run("open_firewall as admin: rule set enabled, yield_on_poll false", func(t *testing.T) {
		var got DeviceEdit
		text := admin.at(t).OK("vm_serial_add", map[string]any{"vm": vm, "backing": "network", "uri": "tcp://:7002", "open_firewall": true, "yield_on_poll": false}, &got)
		if _, open := e.firewall(vm); !open {
			t.Fatal("rule set still closed")
		}
		p := e.serials(vm)[1]
		if uriOf(p).ServiceURI != "tcp://:7002" || p.YieldOnPoll {
			t.Errorf("port %+v", p)
		}
		toolstest.MustContain(t, text, "Serial port 2", "was closed and is now open")
	})
	t.Run("file, pipe and host device backings; a client port through a vSPC", func(t *testing.T) {
		for _, tc := range []struct {
			args  map[string]any
			check func(types.BaseVirtualDeviceBackingInfo) bool
		}{
			{map[string]any{"backing": "file", "path": "[LocalDS_0] serial.log"}, func(b types.BaseVirtualDeviceBackingInfo) bool {
				f, ok := b.(*types.VirtualSerialPortFileBackingInfo)
				return ok && f.FileName == "[LocalDS_0] serial.log"
			}},
			{map[string]any{"backing": "pipe", "name": "/tmp/vm-serial", "endpoint": "client"}, func(b types.BaseVirtualDeviceBackingInfo) bool {
				p, ok := b.(*types.VirtualSerialPortPipeBackingInfo)
				return ok && p.PipeName == "/tmp/vm-serial" && p.Endpoint == "client"
			}},
			{map[string]any{"backing": "device", "device": "/dev/char/serial/uart0"}, func(b types.BaseVirtualDeviceBackingInfo) bool {
				d, ok := b.(*types.VirtualSerialPortDeviceBackingInfo)
				return ok && d.DeviceName == "/dev/char/serial/uart0"
			}},
			{map[string]any{"backing": "network", "uri": "telnet://10.0.0.5:9000", "direction": "client", "proxy_uri": "telnets://vspc.example.com:13370"}, func(b types.BaseVirtualDeviceBackingInfo) bool {
				u, ok := b.(*types.VirtualSerialPortURIBackingInfo)
				return ok && u.Direction == "client" && u.ProxyURI == "telnets://vspc.example.com:13370"
			}},
			// No backing: the fields given name it.
			{map[string]any{"uri": "telnet://10.0.0.6:9001", "direction": "client"}, func(b types.BaseVirtualDeviceBackingInfo) bool {
				u, ok := b.(*types.VirtualSerialPortURIBackingInfo)
				return ok && u.ServiceURI == "telnet://10.0.0.6:9001" && u.Direction == "client"
			}},
			{map[string]any{"path": "[LocalDS_0] inferred.log"}, func(b types.BaseVirtualDeviceBackingInfo) bool {
				f, ok := b.(*types.VirtualSerialPortFileBackingInfo)
				return ok && f.FileName == "[LocalDS_0] inferred.log"
			}},
			{map[string]any{"name": "/tmp/inferred"}, func(b types.BaseVirtualDeviceBackingInfo) bool {
				p, ok := b.(*types.VirtualSerialPortPipeBackingInfo)
				return ok && p.PipeName == "/tmp/inferred"
			}},
		} {
			tc.args["vm"] = vm
			var got DeviceEdit
			e.at(t).OK("vm_serial_add", tc.args, &got)
			d := e.devices(vm).List.FindByKey(got.Device.Key)
			if d == nil || !tc.check(d.GetVirtualDevice().Backing) {
				t.Errorf("%v: device %+v", tc.args, d)
			}
		}
	})
	t.Run("refusals leave the VM as it was", func(t *testing.T) {
		before := len(e.serials(vm))
		for _, tc := range []struct {
			vm   string
			args map[string]any
			want string
		}{
			{runVM, map[string]any{"backing": "network", "uri": "telnet://:7005"}, "only to a powered-off VM"},
			{vm, map[string]any{"backing": "network", "uri": "telnet://:7001"}, "already used by Serial port 1"},
			{vm, map[string]any{"backing": "network", "uri": "telnet://:70001"}, "not a number from 1 to 65535"},
			{vm, map[string]any{"backing": "network", "uri": "http://:7001"}, "scheme"},
			{vm, map[string]any{"backing": "network", "uri": "telnet://:7001", "direction": "client"}, "names no host"},
			{vm, map[string]any{"backing": "network", "uri": "telnet://:7009", "path": "[LocalDS_0] x"}, "path does not apply to backing network"},
			{vm, map[string]any{"backing": "file", "path": "[NoSuchDS] x.log"}, "not in datacenter DC0"},
			{vm, map[string]any{"backing": "pipe"}, "name is required"},
			{vm, map[string]any{"backing": "device", "device": "uart0"}, "absolute path"},
			{vm, map[string]any{"backing": "file", "path": "[LocalDS_0] y.log", "open_firewall": true}, "open_firewall applies"},
			{vm, map[string]any{}, "backing is required"},
			{vm, map[string]any{"uri": "telnet://:7011", "path": "[LocalDS_0] z.log"}, "backing is required when the fields given belong to different backings"},
			{vm, map[string]any{"backing": "serial", "uri": "telnet://:7012"}, "use one of network, file, pipe, device"},
		} {
			tc.args["vm"] = tc.vm
			toolstest.MustContain(t, e.at(t).Fails("vm_serial_add", tc.args), tc.want)
		}
		if n := len(e.serials(vm)); n != before {
			t.Errorf("%d serial ports, want %d", n, before)
		}
	})
	t.Run("update: a new backing, start_connected; then remove", func(t *testing.T) {
		var got DeviceEdit
		text := e.at(t).OK("vm_serial_update", map[string]any{"vm": vm, "serial": "Serial port 1", "backing": "network", "uri": "telnet://10.0.0.9:7100", "direction": "client", "start_connected": false}, &got)
		p := e.serials(vm)[0]
		if b := uriOf(p); b == nil || b.ServiceURI != "telnet://10.0.0.9:7100" || b.Direction != "client" || p.Connectable.StartConnected {
			t.Fatalf("port %+v backing %+v", p.Connectable, p.Backing)
		}
		toolstest.MustContain(t, text, "backing: ", "→", "connect at power on: yes → no")
		toolstest.MustContain(t, e.at(t).Fails("vm_serial_update", map[string]any{"vm": vm, "serial": "Serial port 1", "connected": true}), "start_connected: true")
		toolstest.MustContain(t, e.at(t).Fails("vm_serial_update", map[string]any{"vm": vm, "serial": "Serial port 99", "start_connected": true}), "has no such serial", "Serial port 1 (key")

		key := p.Key
		n := len(e.serials(vm))
		e.at(t).OK("vm_serial_remove", map[string]any{"vm": vm, "serial": "Serial port 1"}, &got)
		if len(e.serials(vm)) != n-1 || e.devices(vm).List.FindByKey(key) != nil {
			t.Errorf("port %d still there", key)
		}
		if got.Action != "removed" || !strings.Contains(got.Device.Backing, "10.0.0.9") {
			t.Errorf("result %+v", got)
		}
	})
	t.Run("kind serial in the device list", func(t *testing.T) {
		var got DeviceList
		e.at(t).OK("vm_device_list", map[string]any{"vm": vm, "kind": "serial"}, &got)
		if len(got.Devices) != len(e.devices(vm).OfKind(params.KindSerial)) {
			t.Errorf("%d listed", len(got.Devices))
		}
	})
}
