package cmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// run executes the CLI with args and env, returning stdout, stderr, error.
func run(t *testing.T, env map[string]string, stdin io.Reader, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	env = withHome(t, env)
	c := newRootCmd(stdin, &out, &errw, func(k string) string { return env[k] })
	c.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := c.ExecuteContext(ctx)
	return out.String(), errw.String(), err
}

func TestToolsCallOnSimulator(t *testing.T) {
	out, stderr, err := run(t, nil, nil, "tools", "call", "vm_list", `{"limit":5}`, "--simulator", "--log-level", "warn")
	if err != nil {
		t.Fatalf("tools call: %v\n%s", err, stderr)
	}
	if !strings.HasPrefix(out, "30 VMs, 5 shown; more with cursor=") || strings.Count(out, "\n") != 7 {
		t.Errorf("unexpected output:\n%s", out)
	}

	out, _, err = run(t, nil, nil, "tools", "call", "vm_get", `{"vm":"DC0_H0_VM0"}`, "--json", "--simulator", "--log-level", "warn")
	if err != nil || !strings.Contains(out, `"path": "/DC0/vm/DC0_H0_VM0"`) {
		t.Errorf("--json output: %v\n%s", err, out)
	}

	_, stderr, err = run(t, nil, nil, "tools", "call", "vm_get", `{"vm":"no-such-vm"}`, "--simulator=esx", "--log-level", "warn")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(stderr, `no VM matches "no-such-vm"`) {
		t.Errorf("tool error: err=%v stderr=%s", err, stderr)
	}

	_, _, err = run(t, nil, nil, "tools", "call", "vm_list", `not json`)
	if err == nil || !strings.Contains(err.Error(), "must be a JSON object") {
		t.Errorf("bad JSON: %v", err)
	}
	_, _, err = run(t, nil, nil, "tools", "call", "vm_list", "--simulator=vcsa")
	if err == nil || !strings.Contains(err.Error(), `want "vcenter" or "esx"`) {
		t.Errorf("bad --simulator: %v", err)
	}
}

func TestToolsListAndVersion(t *testing.T) {
	out, _, err := run(t, nil, nil, "tools", "list")
	if err != nil || !strings.Contains(out, "vm_list") || !strings.Contains(out, "read") {
		t.Errorf("tools list: %v\n%s", err, out)
	}
	out, _, err = run(t, nil, nil, "version")
	if err != nil || !strings.HasPrefix(out, "vsphere-mcp ") {
		t.Errorf("version: %v %q", err, out)
	}
	out, _, err = run(t, nil, nil, "tools", "call", "--help")
	if err != nil || !strings.Contains(out, "--simulator") || !strings.Contains(out, "--url") {
		t.Errorf("global flags missing from subcommand help: %v\n%s", err, out)
	}
}

// stdioServer runs `vsphere-mcp` (serve) on pipes and connects a real MCP
// client to it over those pipes, exactly as an MCP client launches it.
type stdioServer struct {
	client *client.Client
	stdin  *io.PipeWriter
	done   chan error
	stderr *syncBuffer
}

func startStdio(t *testing.T, env map[string]string, args ...string) *stdioServer {
	t.Helper()
	return startStdioWith(t, env, nil, args...)
}

// startStdioWith is startStdio with client options, e.g. an elicitation
// handler: a client that can ask its person.
func startStdioWith(t *testing.T, env map[string]string, opts []client.ClientOption, args ...string) *stdioServer {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	stderr := &syncBuffer{}
	env = withHome(t, env)
	c := newRootCmd(inR, outW, stderr, func(k string) string { return env[k] })
	c.SetArgs(args)
	done := make(chan error, 1)
	go func() {
		err := c.ExecuteContext(context.Background())
		_ = outW.Close()
		done <- err
	}()
	cl := client.NewClient(transport.NewIO(outR, inW, io.NopCloser(strings.NewReader(""))), opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "cmd-test", Version: "1"}
	if _, err := cl.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v\nstderr: %s", err, stderr)
	}
	s := &stdioServer{client: cl, stdin: inW, done: done, stderr: stderr}
	t.Cleanup(func() { _ = inW.Close() })
	return s
}

// withHome returns env with HOME and the XDG directories pointing into a
// temporary directory unless env sets HOME, so that no test reads the real
// user's config or writes to the real audit trail.
func withHome(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(env)+3)
	for k, v := range env {
		out[k] = v
	}
	if out["HOME"] == "" {
		home := t.TempDir()
		out["HOME"] = home
		out["XDG_CONFIG_HOME"] = filepath.Join(home, "config")
		out["XDG_STATE_HOME"] = filepath.Join(home, "state")
	}
	return out
}

func (s *stdioServer) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := s.client.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// stop closes stdin, as a client does when it quits, and waits for serve.
func (s *stdioServer) stop(t *testing.T) {
	t.Helper()
	_ = s.stdin.Close()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after stdin closed")
	}
}

func TestServeWhenVCenterUnreachable(t *testing.T) {
	env := map[string]string{
		"VSPHERE_URL":      "https://127.0.0.1:1/sdk",
		"VSPHERE_USERNAME": "admin",
		"VSPHERE_PASSWORD": "s3cret-Pa55",
	}
	s := startStdio(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	tl, err := s.client.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil || len(tl.Tools) == 0 {
		t.Fatalf("tools/list with vCenter down: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("tools/list waited on vCenter (%s)", d)
	}
	res := s.call(t, "vm_list", nil)
	text := res.Content[0].(mcp.TextContent).Text
	if !res.IsError || !strings.Contains(text, "cannot reach vCenter at 127.0.0.1:1") || !strings.Contains(text, "VSPHERE_URL") {
		t.Errorf("unreachable vCenter: %s", text)
	}
	s.stop(t)
	if strings.Contains(s.stderr.String(), "s3cret-Pa55") || strings.Contains(text, "s3cret-Pa55") {
		t.Error("password leaked into output or logs")
	}
}

func TestServeGovcEnvAndLogout(t *testing.T) {
	ctx := context.Background()
	m := simulator.VPX()
	sim, err := vcenter.StartSimulator(ctx, m, false)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	known := filepath.Join(t.TempDir(), "known_hosts")
	u := *sim.Server.URL
	if err := os.WriteFile(known, []byte(u.Host+" "+sim.Config.Thumbprint+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(sim.Config.Username, sim.Config.Password)
	env := map[string]string{"GOVC_URL": u.String(), "GOVC_TLS_KNOWN_HOSTS": known}

	checker := login(t, sim)
	before := sessionCount(t, checker)
	s := startStdio(t, env)
	res := s.call(t, "vm_list", map[string]any{"limit": 100})
	if res.IsError {
		t.Fatalf("vm_list over govc env: %v", res.Content)
	}
	if got := sessionCount(t, checker); got != before+1 {
		t.Errorf("sessions while serving: %d, want %d", got, before+1)
	}
	s.stop(t)
	if got := sessionCount(t, checker); got != before {
		t.Errorf("sessions after stdin closed: %d, want %d (no logout?)", got, before)
	}
	if strings.Contains(s.stderr.String(), sim.Config.Password) {
		t.Error("password from GOVC_URL leaked into logs")
	}
}

func login(t *testing.T, sim *vcenter.Simulator) *vim25.Client {
	t.Helper()
	ctx := context.Background()
	u := *sim.Server.URL
	u.User = nil
	c, err := vim25.NewClient(ctx, soap.NewClient(&u, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(sim.Config.Username, sim.Config.Password)); err != nil {
		t.Fatal(err)
	}
	return c
}

func sessionCount(t *testing.T, c *vim25.Client) int {
	t.Helper()
	var sm mo.SessionManager
	if err := property.DefaultCollector(c).RetrieveOne(context.Background(), *c.ServiceContent.SessionManager, []string{"sessionList"}, &sm); err != nil {
		t.Fatal(err)
	}
	return len(sm.SessionList)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSimulatorDatacenterFlag: --datacenter reaches the demo, so a
// [datastore] path names the datastore of that datacenter although both
// demo datacenters have a LocalDS_0.
func TestSimulatorDatacenterFlag(t *testing.T) {
	t.Parallel()
	args := []string{"tools", "call", "datastore_browse", `{"path":"[LocalDS_0]"}`, "--simulator", "--toolsets", "default,datastore", "--log-level", "warn"}
	_, stderr, err := run(t, nil, nil, args...)
	if err == nil || !strings.Contains(stderr, "datastore-") {
		t.Fatalf("without --datacenter: %v\n%s", err, stderr)
	}
	out, stderr, err := run(t, nil, nil, append(args, "--datacenter", "DC1")...)
	if err != nil || !strings.Contains(out, "LocalDS_0") {
		t.Fatalf("with --datacenter DC1: %v\n%s%s", err, out, stderr)
	}
}
