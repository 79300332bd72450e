//go:build unix

package cmd

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeExitsCleanlyWhenClientGoes: SIGHUP, SIGTERM and SIGINT, and a
// client that closes its end of our stdout, each end the real server the
// way stdin EOF does: it logs out of vCenter (the simulator's session
// count is back where it was) and exits 0 with a tidy reason, not killed by
// the signal and without the raw Go error.
func TestServeExitsCleanlyWhenClientGoes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		end  func(c *child)
		say  string
	}{
		{"SIGHUP", func(c *child) { _ = c.cmd.Process.Signal(syscall.SIGHUP) }, "received SIGHUP; shutting down"},
		{"SIGTERM", func(c *child) { _ = c.cmd.Process.Signal(syscall.SIGTERM) }, "received SIGTERM; shutting down"},
		{"SIGINT", func(c *child) { _ = c.cmd.Process.Signal(syscall.SIGINT) }, "received SIGINT; shutting down"},
		{"stdout closed", func(c *child) {
			_ = c.stdout.Close()
			c.Request("2", "ping", nil) // its answer meets the broken pipe (SIGPIPE, EPIPE)
		}, "the MCP client stopped reading our output (stdout closed); shutting down"},
		{"stdin closed", func(c *child) { _ = c.stdin.Close() }, "the MCP client closed stdin; shutting down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, 0)
			checker := login(t, sim)
			before := sessionCount(t, checker)
			c := startChild(t, sim, "serve")
			c.Initialize()
			c.vmList("1")
			if m := c.Await("1", time.Minute); m.Error != nil {
				t.Fatalf("vm_list: %s", m.Raw)
			}
			if got := sessionCount(t, checker); got != before+1 {
				t.Fatalf("sessions while serving: %d, want %d", got, before+1)
			}
			tc.end(c)
			code := c.wait(t)
			stderr := c.stderr.String()
			if code != 0 {
				t.Errorf("exit status %d (-1: killed by a signal)\nstderr:\n%s", code, stderr)
			}
			if got := sessionCount(t, checker); got != before {
				t.Errorf("sessions after exit: %d, want %d: the server did not log out\nstderr:\n%s", got, before, stderr)
			}
			if !strings.Contains(stderr, tc.say) || !strings.Contains(stderr, "logged out of vCenter") {
				t.Errorf("stderr lacks %q and the logout:\n%s", tc.say, stderr)
			}
			for _, raw := range []string{"broken pipe", "file already closed", "Error writing", "|1:"} {
				if strings.Contains(stderr, raw) {
					t.Errorf("stderr shows the raw error %q:\n%s", raw, stderr)
				}
			}
		})
	}
}
