package tools_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// env is the real server on a simulator, driven by a real MCP client, with
// an independent govmomi client to check the simulator's state.
type env struct {
	t       *testing.T
	ctx     context.Context
	sim     *vcenter.Simulator
	session *vcenter.Session
	client  *client.Client
	vim     *vim25.Client
}

// newEnv starts the demo simulator (or model, when given) and an MCP
// client connected in-process to a server with every tool.
func newEnv(t *testing.T, model ...*simulator.Model) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	m := vcenter.DemoModel(vcenter.SimVCenter)
	vary := true
	if len(model) > 0 {
		m, vary = model[0], false
	}
	sim, err := vcenter.StartSimulator(ctx, m, vary)
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	return newEnvFor(t, ctx, sim, sim.Config)
}

func newEnvFor(t *testing.T, ctx context.Context, sim *vcenter.Simulator, cfg vcenter.Config) *env {
	t.Helper()
	return newEnvWith(t, ctx, sim, cfg, envOptions{})
}

// envOptions vary the server and client of an env.
type envOptions struct {
	policy *tools.Policy
	// elicit answers the server's questions; nil means a client that
	// cannot elicit.
	elicit client.ElicitationHandler
	// protocol is the MCP version the client asks for; empty: the latest.
	protocol string
	// toolsets to serve; nil: all.
	toolsets []string
	readOnly bool
}

// newPolicyEnv starts the demo simulator with the server under p, and a
// client that answers confirmations with elicit (nil: cannot elicit).
func newPolicyEnv(t *testing.T, p *tools.Policy, elicit client.ElicitationHandler) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	sim, err := vcenter.StartSimulator(ctx, vcenter.DemoModel(vcenter.SimVCenter), true)
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	return newEnvWith(t, ctx, sim, sim.Config, envOptions{policy: p, elicit: elicit})
}

func newEnvWith(t *testing.T, ctx context.Context, sim *vcenter.Simulator, cfg vcenter.Config, o envOptions) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var sessOpts []vcenter.SessionOption
	if o.policy != nil {
		if g := tools.ScopeGate(o.policy.Role); g != nil {
			sessOpts = append(sessOpts, vcenter.WithGate(g))
		}
	}
	sess := vcenter.NewSession(cfg, log, sessOpts...)
	t.Cleanup(func() { _ = sess.Close(context.Background()) })
	toolsets := o.toolsets
	if toolsets == nil {
		toolsets = []string{"all"}
	}
	srv, err := tools.NewServer(tools.Deps{Session: sess, Log: log}, tools.Options{Version: "test", Policy: o.policy, Toolsets: toolsets, ReadOnly: o.readOnly})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	var copts []client.ClientOption
	if o.elicit != nil {
		copts = append(copts, client.WithElicitationHandler(o.elicit))
	}
	c, err := client.NewInProcessClientWithOptions(srv, copts...)
	if err != nil {
		t.Fatalf("in-process client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start client: %v", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if o.protocol != "" {
		init.Params.ProtocolVersion = o.protocol
	}
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	e := &env{t: t, ctx: ctx, sim: sim, session: sess, client: c}
	if sim != nil {
		e.vim = govmomiClient(t, ctx, sim)
	}
	return e
}

// govmomiClient logs in to the simulator independently of the server under
// test, to read back the state a tool produced.
func govmomiClient(t *testing.T, ctx context.Context, sim *vcenter.Simulator) *vim25.Client {
	t.Helper()
	u := *sim.Server.URL
	u.User = nil
	c, err := vim25.NewClient(ctx, soap.NewClient(&u, true))
	if err != nil {
		t.Fatalf("govmomi client: %v", err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(sim.Config.Username, sim.Config.Password)); err != nil {
		t.Fatalf("govmomi login: %v", err)
	}
	return c
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// at returns e reporting to t, for use in subtests.
func (e *env) at(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// call runs a tool and returns its result; protocol errors fail the test.
func (e *env) call(name string, args map[string]any) *mcp.CallToolResult {
	e.t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := e.client.CallTool(e.ctx, req)
	if err != nil {
		e.t.Fatalf("%s: protocol error: %v", name, err)
	}
	return res
}

// ok runs a tool that must succeed and decodes its structured result.
func (e *env) ok(name string, args map[string]any, out any) string {
	e.t.Helper()
	res := e.call(name, args)
	text := resultText(res)
	if res.IsError {
		e.t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	if out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			e.t.Fatalf("%s: marshal structured content: %v", name, err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s: decode structured content %s: %v", name, b, err)
		}
	}
	return text
}

// fails runs a tool that must fail and returns its error text.
func (e *env) fails(name string, args map[string]any) string {
	e.t.Helper()
	res := e.call(name, args)
	text := resultText(res)
	if !res.IsError {
		e.t.Fatalf("%s(%v) succeeded, want an error; result: %s", name, args, text)
	}
	return text
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// allVMs reads every VM straight from the simulator through govmomi.
func (e *env) allVMs(props ...string) []mo.VirtualMachine {
	e.t.Helper()
	return retrieveAll[mo.VirtualMachine](e, "VirtualMachine", props...)
}

func retrieveAll[T any](e *env, kind string, props ...string) []T {
	e.t.Helper()
	v, err := view.NewManager(e.vim).CreateContainerView(e.ctx, e.vim.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		e.t.Fatalf("container view: %v", err)
	}
	defer func() { _ = v.Destroy(e.ctx) }()
	var out []T
	if err := v.Retrieve(e.ctx, []string{kind}, props, &out); err != nil {
		e.t.Fatalf("retrieve %s: %v", kind, err)
	}
	return out
}

func mustContain(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
}
