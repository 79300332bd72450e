package cmd

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/stdio/stdiotest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// serveChildEnv makes the test binary run the command line instead of the
// tests (see TestMain): the real serve in a process of its own, whose
// signals, exit status and peak memory a test can then observe, and which
// shares no mcp-go globals with other tests, so those tests can be
// parallel.
const serveChildEnv = "VSPHERE_MCP_TEST_CHILD"

func runChild() {
	Execute()
	os.Exit(0)
}

// child is `vsphere-mcp ARGS` in its own process on raw pipes.
type child struct {
	*stdiotest.Client
	cmd    *exec.Cmd
	stdin  *os.File // our write end
	stdout *os.File // our read end
	stderr *syncBuffer
	exited chan struct{}
}

// startChild runs the server against sim (nil: no vCenter configured) with
// a fresh home directory.
func startChild(t *testing.T, sim *vcenter.Simulator, args ...string) *child {
	t.Helper()
	home := t.TempDir()
	env := []string{
		serveChildEnv + "=1",
		"HOME=" + home, "XDG_CONFIG_HOME=" + home + "/config", "XDG_STATE_HOME=" + home + "/state",
	}
	if sim != nil {
		env = append(env, "VSPHERE_URL="+sim.Config.URL, "VSPHERE_USERNAME="+sim.Config.Username,
			"VSPHERE_PASSWORD="+sim.Config.Password, "VSPHERE_THUMBPRINT="+sim.Config.Thumbprint)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{stdin: inW, stdout: outR, stderr: &syncBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], args...)
	c.cmd.Env, c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = env, inR, outW, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = inR.Close()
	_ = outW.Close()
	go func() {
		_ = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = inW.Close()
		select {
		case <-c.exited:
		case <-time.After(20 * time.Second):
			_ = c.cmd.Process.Kill()
			t.Errorf("the server did not exit after stdin closed\nstderr:\n%s", c.stderr)
		}
		_ = outR.Close()
	})
	c.Client = stdiotest.New(t, inW, outR)
	return c
}

// wait waits for the process to end and returns its exit code (-1 when a
// signal killed it).
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		t.Fatalf("the server did not exit\nstderr:\n%s", c.stderr)
	}
	return c.cmd.ProcessState.ExitCode()
}

// peakRSS is the process's high-water resident set size, in bytes.
func (c *child) peakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// vmList asks for one page of VMs under the raw id.
func (c *child) vmList(id string) {
	c.Request(id, "tools/call", map[string]any{"name": "vm_list", "arguments": map[string]any{"limit": 2}})
}

// startSim starts a simulator for one test; delay (ms) slows every
// property read, so tool calls stay in flight.
func startSim(t *testing.T, delay int) *vcenter.Simulator {
	t.Helper()
	m := simulator.VPX()
	if delay > 0 {
		m.DelayConfig.MethodDelay = map[string]int{"RetrievePropertiesEx": delay}
	}
	sim, err := vcenter.StartSimulator(context.Background(), m, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}
