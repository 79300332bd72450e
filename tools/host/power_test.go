package host

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// TestHostPower reboots and shuts down hosts through the MCP client on
// the extended simulator, and disconnects and reconnects one.
func TestHostPower(t *testing.T) {
	t.Parallel()
	person := &toolstest.Person{Action: mcp.ElicitationResponseActionAccept, Confirm: true}
	p := toolstest.Policy(t, "admin", nil, nil)
	e := newExtEnv(t, p, person)

	t.Run("the extension answers as ESXi", func(t *testing.T) {
		e := e.at(t)
		task, err := methods.RebootHost_Task(e.Ctx, e.Vim, &types.RebootHost_Task{This: e.hostObj("DC1_H0").Reference()})
		if err != nil {
			t.Fatal(err)
		}
		if err := taskOf(e, task.Returnval).Wait(e.Ctx); !fault.Is(err, &types.InvalidState{}) {
			t.Errorf("reboot outside maintenance: %v, want InvalidState", err)
		}
	})

	t.Run("reboot refused outside maintenance", func(t *testing.T) {
		e := e.at(t)
		const h = "DC1_H0"
		boot := *e.hostRuntime(h).BootTime
		person.Forget()
		text := e.Fails("host_reboot", map[string]any{"host": h})
		toolstest.MustContain(t, text, "host DC1_H0 is not in maintenance mode", "VMs run on it", "force=true", "Nothing was changed")
		toolstest.MustContain(t, e.Fails("host_shutdown", map[string]any{"host": h}), "is not in maintenance mode")
		if len(person.Asked()) != 0 {
			t.Errorf("asked %v", person.Asked())
		}
		if r := e.hostRuntime(h); !r.BootTime.Equal(boot) || r.ConnectionState != types.HostSystemConnectionStateConnected {
			t.Errorf("a refused reboot changed the host: %+v", r)
		}
	})

	t.Run("forced reboot declined, then confirmed", func(t *testing.T) {
		e := e.at(t)
		const h = "DC1_H0"
		running := len(poweredOnNames(e.vmsRunningOn(h)))
		boot := *e.hostRuntime(h).BootTime
		person.Forget()
		person.Action = mcp.ElicitationResponseActionDecline
		toolstest.MustContain(t, e.Fails("host_reboot", map[string]any{"host": h, "force": true}), "did not confirm")
		person.Action = mcp.ElicitationResponseActionAccept
		if toolstest.LastAudit(t, p).Decision != audit.DecisionDeclined {
			t.Errorf("audit: %+v", toolstest.LastAudit(t, p))
		}
		if r := e.hostRuntime(h); !r.BootTime.Equal(boot) {
			t.Error("a declined reboot rebooted")
		}
		var res HostStateResult
		e.OK("host_reboot", map[string]any{"host": h, "force": true}, &res)
		asked := person.Asked()
		if len(asked) != 2 || !strings.Contains(asked[1], "force=true") || !strings.Contains(asked[1], "NOT in maintenance mode") ||
			!strings.Contains(asked[1], "its "+strconv.Itoa(running)+" running VMs go down") {
			t.Errorf("asked %q", asked)
		}
		if res.Outcome != "done" || !res.Forced || res.RunningVMs != running || res.Task == "" {
			t.Errorf("result %+v", res)
		}
		if r := e.hostRuntime(h); !r.BootTime.After(boot) {
			t.Errorf("boot time %v not after %v", r.BootTime, boot)
		}
	})

	t.Run("shutdown in maintenance", func(t *testing.T) {
		e := e.at(t)
		const h = "DC1_C0_H0" // DRS fully automated: maintenance empties it
		e.OK("host_maintenance_enter", map[string]any{"host": h}, nil)
		person.Forget()
		var res HostStateResult
		text := e.OK("host_shutdown", map[string]any{"host": h}, &res)
		if asked := person.Asked(); len(asked) != 1 || !strings.Contains(asked[0], "Shut down host DC1_C0_H0 (in maintenance mode)") {
			t.Errorf("asked %q", asked)
		}
		r := e.hostRuntime(h)
		if r.ConnectionState != types.HostSystemConnectionStateNotResponding || r.PowerState != types.HostSystemPowerStateUnknown {
			t.Errorf("after shutdown govmomi reads %s %s", r.ConnectionState, r.PowerState)
		}
		if res.ConnectionState != string(r.ConnectionState) || res.Forced {
			t.Errorf("result %+v", res)
		}
		toolstest.MustContain(t, text, "Shut down host DC1_C0_H0 (host-", ": done; now notResponding, unknown")
		toolstest.MustContain(t, e.Fails("host_reboot", map[string]any{"host": h}), "is notResponding, not connected")
	})

	t.Run("disconnect and reconnect", func(t *testing.T) {
		e := e.at(t)
		const h = "DC1_C1_H0"
		person.Forget()
		var res HostStateResult
		e.OK("host_disconnect", map[string]any{"host": h}, &res)
		if got := e.hostRuntime(h).ConnectionState; got != types.HostSystemConnectionStateDisconnected || res.ConnectionState != string(got) || res.Outcome != "done" {
			t.Errorf("disconnect: govmomi %s, result %+v", got, res)
		}
		e.OK("host_disconnect", map[string]any{"host": h}, &res)
		if res.Outcome != "unchanged" {
			t.Errorf("again: %+v", res)
		}
		toolstest.MustContain(t, e.Fails("host_maintenance_enter", map[string]any{"host": h}), "is disconnected, not connected")
		e.OK("host_reconnect", map[string]any{"host": h}, &res)
		if got := e.hostRuntime(h).ConnectionState; got != types.HostSystemConnectionStateConnected || res.Outcome != "done" {
			t.Errorf("reconnect: govmomi %s, result %+v", got, res)
		}
		e.OK("host_reconnect", map[string]any{"host": h}, &res)
		if res.Outcome != "unchanged" {
			t.Errorf("again: %+v", res)
		}
	})
}

func taskOf(e *env, ref types.ManagedObjectReference) *object.Task { return object.NewTask(e.Vim, ref) }
