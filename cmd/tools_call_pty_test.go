//go:build !windows

package cmd

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ptyTerm is a pseudo-terminal: the command gets tty as its stdin and/or
// stderr, the test reads what it shows from the master side and types
// into it.
type ptyTerm struct {
	master, tty *os.File
	screen      *syncBuffer
}

func openPTY(t *testing.T) *ptyTerm {
	t.Helper()
	m, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := pty.Setsize(m, &pty.Winsize{Rows: 40, Cols: 200}); err != nil {
		t.Fatal(err)
	}
	p := &ptyTerm{master: m, tty: tty, screen: &syncBuffer{}}
	go func() { _, _ = io.Copy(p.screen, m) }()
	t.Cleanup(func() {
		_ = tty.Close()
		_ = m.Close()
	})
	return p
}

// waitFor waits until the screen shows s, giving up a few seconds after
// the command ends without showing it (what it wrote last may still be on
// its way through the pty).
func (p *ptyTerm) waitFor(t *testing.T, r *running, s string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	ended := false
	for !strings.Contains(p.screen.String(), s) {
		if !ended {
			select {
			case <-r.done:
				ended, deadline = true, time.Now().Add(5*time.Second)
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q (command ended: %v, %v); it shows:\n%q", s, ended, r.res.err, p.screen.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running is a CLI run in the background.
type running struct {
	done chan struct{}
	res  cliResult // set before done closes
}

type cliResult struct {
	stdout string
	err    error
}

// start runs the CLI with the given streams in the background.
func start(t *testing.T, env map[string]string, stdin io.Reader, stderr io.Writer, args ...string) *running {
	t.Helper()
	out := &syncBuffer{}
	env = withHome(t, env)
	c := newRootCmd(stdin, out, stderr, func(k string) string { return env[k] })
	c.SetArgs(args)
	r := &running{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		err := c.ExecuteContext(ctx)
		r.res = cliResult{out.String(), err}
	}()
	return r
}

func (r *running) wait(t *testing.T) cliResult {
	t.Helper()
	select {
	case <-r.done:
		return r.res
	case <-time.After(2 * time.Minute):
		t.Fatal("the command did not finish")
	}
	return cliResult{}
}

// TestToolsCallConfirmsOnTerminal: an irreversible tool asks the person on
// the terminal (the message with the exact target, y/N); yes deletes the
// VM in vCenter, no or Enter leaves it as it was, and without a terminal
// the call is refused with the reason. Each leaves its audit decisions.
func TestToolsCallConfirmsOnTerminal(t *testing.T) {
	t.Parallel()
	m := simulator.VPX()
	m.Machine = 3 // a VM per case
	sim, err := vcenter.StartSimulator(context.Background(), m, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close) // after the parallel subtests

	tests := []struct {
		name string
		vm   string
		// ttyIn, ttyErr: which streams are the terminal.
		ttyIn, ttyErr bool
		answer        string // typed at the question; "" asks nothing
		deleted       bool
		want          string // on the terminal or stderr
		decisions     string
	}{
		{"yes", "DC0_H0_VM0", true, true, "y\n", true, "", "asked,confirmed"},
		{"no", "DC0_H0_VM1", true, true, "n\n", false, "the person did not confirm (decline). Nothing was changed.", "asked,declined"},
		{"Enter means no", "DC0_H0_VM2", true, true, "\n", false, "Nothing was changed.", "asked,declined"},
		{"Ctrl-D means no", "DC0_C0_RP0_VM2", true, true, "\x04", false, "the person did not confirm (cancel)", "asked,declined"},
		{"no terminal", "DC0_C0_RP0_VM0", false, false, "", false,
			"vm_delete needs a person's confirmation, which tools call asks for on the terminal, but standard input and standard error are not terminals", "denied"},
		{"stderr redirected", "DC0_C0_RP0_VM1", true, false, "", false, "but standard error is not a terminal", "denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			p := openPTY(t)
			var stdin io.Reader = strings.NewReader("")
			var stderr io.Writer = &syncBuffer{}
			if tc.ttyIn {
				stdin = p.tty
			}
			if tc.ttyErr {
				stderr = p.tty
			}
			path := "/DC0/vm/" + tc.vm
			r := start(t, simEnv(f, sim), stdin, stderr, "tools", "call", "vm_delete", `{"vm":"`+path+`","force":true}`, "--role", "admin", "--log-level", "warn")
			if tc.answer != "" {
				p.waitFor(t, r, "vm_delete: Power off, then delete VM and its disks: "+path+" (vm-")
				p.waitFor(t, r, "? This cannot be undone.\r\nConfirm? [y/N] ")
				if _, err := p.master.Write([]byte(tc.answer)); err != nil {
					t.Fatal(err)
				}
			}
			res := r.wait(t)
			if tc.want != "" && tc.ttyErr {
				p.waitFor(t, r, tc.want)
			}
			shown := p.screen.String()
			if b, ok := stderr.(*syncBuffer); ok {
				shown += b.String()
			}
			if tc.deleted {
				if res.err != nil || !strings.Contains(res.stdout, "Deleted: "+path) {
					t.Errorf("confirmed delete: %v\nstdout: %s\nterminal: %q", res.err, res.stdout, shown)
				}
			} else if exitCode(res.err) != 1 || !strings.Contains(shown, tc.want) {
				t.Errorf("exit %d, want 1, and %q in:\n%q", exitCode(res.err), tc.want, shown)
			}

			// vCenter says what happened, not our output.
			vm, err := find.NewFinder(login(t, sim)).VirtualMachine(context.Background(), path)
			var nf *find.NotFoundError
			switch {
			case tc.deleted && !errors.As(err, &nf):
				t.Errorf("the VM is still in vCenter (%v)", err)
			case !tc.deleted && err != nil:
				t.Errorf("the VM is gone: %v", err)
			case !tc.deleted:
				if st, err := vm.PowerState(context.Background()); err != nil || st != types.VirtualMachinePowerStatePoweredOn {
					t.Errorf("power state %s (%v): something changed", st, err)
				}
			}
			var decisions []string
			for _, l := range readAuditLines(t, f.auditPath()) {
				decisions = append(decisions, l["decision"].(string))
			}
			if got := strings.Join(decisions, ","); got != tc.decisions {
				t.Errorf("audit decisions %s, want %s", got, tc.decisions)
			}
		})
	}
}

// TestToolsCallProgressLine: on a terminal, a task's progress is one line
// on stderr redrawn in place and cleared at the end; stdout gets only the
// result, and a redirected stderr gets no progress at all.
func TestToolsCallProgressLine(t *testing.T) {
	t.Parallel()
	sim, err := vcenter.StartSimulator(context.Background(), simulator.VPX(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	f := newFixture(t)
	p := openPTY(t)
	args := []string{"tools", "call", "vm_power_off", `{"vm":"/DC0/vm/DC0_H0_VM0"}`, "--role", "operator", "--log-level", "warn"}
	run := start(t, simEnv(f, sim), strings.NewReader(""), p.tty, args...)
	r := run.wait(t)
	if r.err != nil || !strings.Contains(r.stdout, "1 done") || strings.Contains(r.stdout, "\x1b") {
		t.Fatalf("vm_power_off: %v\n%q", r.err, r.stdout)
	}
	// The task's first report is drawn; the line is cleared at the end. The
	// last reports may arrive after the result (notifications travel apart
	// from it) and are then dropped, so they are not required here.
	p.waitFor(t, run, "\r\x1b[K[  0%] Power off DC0_H0_VM0: started (task task-")
	<-run.done
	screen := p.screen.String()
	for deadline := time.Now().Add(5 * time.Second); !strings.HasSuffix(screen, "\r\x1b[K") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // the terminal may lag the process
		screen = p.screen.String()
	}
	if !strings.HasSuffix(screen, "\r\x1b[K") {
		t.Errorf("the progress line was not cleared at the end:\n%q", screen)
	}
	if strings.Contains(screen, "\n") {
		t.Errorf("the progress line scrolled:\n%q", screen)
	}

	var stderr syncBuffer
	args[3] = `{"vm":"/DC0/vm/DC0_H0_VM1"}`
	r = start(t, simEnv(f, sim), strings.NewReader(""), &stderr, args...).wait(t)
	if r.err != nil || stderr.String() != "" {
		t.Errorf("without a terminal: %v, stderr %q", r.err, stderr.String())
	}
}

// TestToolsCallNoTerminalArgumentConfirm: a tool that asks a person because
// of what it is asked to do (maintenance mode, not a role's confirm rule)
// is refused without a terminal with the terminal's reason, not advice
// about MCP clients and confirm_fallback; the host stays as it was.
func TestToolsCallNoTerminalArgumentConfirm(t *testing.T) {
	t.Parallel()
	sim, err := vcenter.StartSimulator(context.Background(), simulator.VPX(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	f := newFixture(t)
	stderr := &syncBuffer{}
	r := start(t, simEnv(f, sim), strings.NewReader(""), stderr, "tools", "call", "host_maintenance_enter",
		`{"host":"DC0_C0_H0"}`, "--role", "admin", "--toolsets", "all", "--log-level", "warn")
	res := r.wait(t)
	want := "host_maintenance_enter needs a person's confirmation, which tools call asks for on the terminal, but standard input and standard error are not terminals"
	if exitCode(res.err) != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, want 1, and %q in:\n%s", exitCode(res.err), want, stderr.String())
	}
	if strings.Contains(stderr.String(), "elicitation") {
		t.Errorf("the refusal talks about MCP clients:\n%s", stderr.String())
	}
	h, err := find.NewFinder(login(t, sim)).HostSystem(context.Background(), "DC0_C0_H0")
	if err != nil {
		t.Fatal(err)
	}
	var mh mo.HostSystem
	if err := h.Properties(context.Background(), h.Reference(), []string{"runtime.inMaintenanceMode"}, &mh); err != nil {
		t.Fatal(err)
	}
	if mh.Runtime.InMaintenanceMode {
		t.Error("the host entered maintenance mode")
	}
}
