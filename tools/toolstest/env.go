// Package toolstest runs the real MCP server on a simulator for the tests
// of every toolset: the server built by the guard from the toolsets a test
// names, a real MCP client connected in-process, and an independent
// govmomi client to read back what a tool did. It is imported by tests
// only.
package toolstest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Env is the real server on a simulator, driven by a real MCP client, with
// an independent govmomi client to check the simulator's state.
type Env struct {
	T       *testing.T
	Ctx     context.Context
	Sim     *vcenter.Simulator
	Session *vcenter.Session
	Client  *client.Client
	Vim     *vim25.Client
	// Tools are what the server serves; a test builds a second server on
	// the same session from them (NewServer).
	Tools []toolkit.Tool
}

// Options vary the server and client of an Env.
type Options struct {
	// Policy decides every call; nil: the viewer role, no audit trail.
	Policy *guard.Policy
	// Elicit answers the server's questions; nil: a client that cannot
	// elicit.
	Elicit client.ElicitationHandler
	// Protocol is the MCP version the client asks for; empty: the latest.
	Protocol string
	// Tasks declares the client's support for MCP tasks (background calls).
	Tasks bool
	// Defaults are the placement defaults the server's tools see.
	Defaults vcenter.Defaults
	// Extend adds resources, prompts and completions to the server (see
	// guard.ServerOptions.Extend); nil: tools only.
	Extend func(toolkit.Deps, *guard.Guard) guard.Extension
	// Guest resolves guest logins for the guest tools; nil: none.
	Guest toolkit.GuestCredentials
	// Log, when set, also receives the server's and session's log at
	// debug level (to check what a log never holds).
	Log io.Writer
	// LocalFiles are the profile's local_files directories the tools see;
	// the client offers roots when LocalFiles.Roots is not nil.
	LocalFiles LocalFiles
}

// LocalFiles are a test profile's local_files and the client's roots.
type LocalFiles struct {
	localfiles.Dirs
	// Roots the client offers (file:// URIs or paths); nil: the client
	// has no roots capability.
	Roots []string
}

// ListRoots answers the server's roots/list.
func (l LocalFiles) ListRoots(context.Context, mcp.ListRootsRequest) (*mcp.ListRootsResult, error) {
	res := &mcp.ListRootsResult{Roots: []mcp.Root{}}
	for _, r := range l.Roots {
		if !strings.HasPrefix(r, "file://") {
			r = "file://" + filepath.ToSlash(r)
		}
		res.Roots = append(res.Roots, mcp.Root{URI: r})
	}
	return res, nil
}

// logger is the log of a server or session under o.
func logger(t *testing.T, o Options) *slog.Logger {
	var w io.Writer = Writer{t}
	level := slog.LevelWarn
	if o.Log != nil {
		w, level = io.MultiWriter(Writer{t}, o.Log), slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Tools lists the tools of toolsets, for New and NewWith.
func Tools(toolsets ...toolkit.Toolset) []toolkit.Tool {
	var out []toolkit.Tool
	for _, ts := range toolsets {
		out = append(out, ts.Tools()...)
	}
	return out
}

// New starts the demo simulator (or model, when given) and a client of a
// server serving tools, with no policy (viewer).
func New(t *testing.T, tools []toolkit.Tool, model ...*simulator.Model) *Env {
	t.Helper()
	return NewOn(t, tools, Options{}, model...)
}

// NewOn is New with options.
func NewOn(t *testing.T, tools []toolkit.Tool, o Options, model ...*simulator.Model) *Env {
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
	return NewWith(t, ctx, sim, sim.Config, tools, o)
}

// NewWith connects a client to a server serving tools on sim (nil: none)
// through cfg.
func NewWith(t *testing.T, ctx context.Context, sim *vcenter.Simulator, cfg vcenter.Config, tools []toolkit.Tool, o Options) *Env {
	t.Helper()
	log := logger(t, o)
	var sessOpts []vcenter.SessionOption
	if o.Policy != nil {
		if g := guard.ScopeGate(o.Policy.Role); g != nil {
			sessOpts = append(sessOpts, vcenter.WithGate(g))
		}
	}
	sess := vcenter.NewSession(cfg, log, sessOpts...)
	t.Cleanup(func() { _ = sess.Close(context.Background()) })
	e := &Env{T: t, Ctx: ctx, Sim: sim, Session: sess, Tools: tools}
	e.Client = e.Connect(o)
	if sim != nil {
		e.Vim = GovmomiClient(t, ctx, sim)
	}
	return e
}

// Connect starts another client on a new server over e's session.
func (e *Env) Connect(o Options) *client.Client {
	t := e.T
	t.Helper()
	log := logger(t, o)
	srv := guard.NewServer(toolkit.Deps{Session: e.Session, Log: log, Defaults: o.Defaults, Guest: o.Guest, LocalFiles: o.LocalFiles.Dirs}, e.Tools, guard.ServerOptions{Version: "test", Policy: o.Policy, Extend: o.Extend})
	var copts []client.ClientOption
	if o.Elicit != nil {
		copts = append(copts, client.WithElicitationHandler(o.Elicit))
	}
	if o.LocalFiles.Roots != nil {
		copts = append(copts, client.WithRootsHandler(o.LocalFiles))
	}
	c, err := client.NewInProcessClientWithOptions(srv, copts...)
	if err != nil {
		t.Fatalf("in-process client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Start(e.Ctx); err != nil {
		t.Fatalf("start client: %v", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if o.Protocol != "" {
		init.Params.ProtocolVersion = o.Protocol
	}
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "1"}
	if o.Tasks {
		init.Params.Capabilities.Tasks = mcp.NewTasksCapability()
	}
	if _, err := c.Initialize(e.Ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return c
}

// GovmomiClient logs in to the simulator independently of the server
// under test, to read back the state a tool produced.
func GovmomiClient(t *testing.T, ctx context.Context, sim *vcenter.Simulator) *vim25.Client {
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

// Writer sends the server's log lines to the test's log.
type Writer struct{ T *testing.T }

func (w Writer) Write(p []byte) (int, error) {
	w.T.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// At returns e reporting to t, for use in subtests.
func (e *Env) At(t *testing.T) *Env {
	c := *e
	c.T = t
	return &c
}

// Call runs a tool and returns its result; protocol errors fail the test.
func (e *Env) Call(name string, args map[string]any) *mcp.CallToolResult {
	e.T.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := e.Client.CallTool(e.Ctx, req)
	if err != nil {
		e.T.Fatalf("%s: protocol error: %v", name, err)
	}
	return res
}

// OK runs a tool that must succeed and decodes its structured result.
func (e *Env) OK(name string, args map[string]any, out any) string {
	e.T.Helper()
	res := e.Call(name, args)
	text := ResultText(res)
	if res.IsError {
		e.T.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	if out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			e.T.Fatalf("%s: marshal structured content: %v", name, err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			e.T.Fatalf("%s: decode structured content %s: %v", name, b, err)
		}
	}
	return text
}

// Fails runs a tool that must fail and returns its error text.
func (e *Env) Fails(name string, args map[string]any) string {
	e.T.Helper()
	res := e.Call(name, args)
	text := ResultText(res)
	if !res.IsError {
		e.T.Fatalf("%s(%v) succeeded, want an error; result: %s", name, args, text)
	}
	return text
}

// ResultText is the text content of a result.
func ResultText(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// AllVMs reads every VM straight from the simulator through govmomi.
func (e *Env) AllVMs(props ...string) []mo.VirtualMachine {
	e.T.Helper()
	return RetrieveAll[mo.VirtualMachine](e, "VirtualMachine", props...)
}

// RetrieveAll reads every object of kind from the simulator.
func RetrieveAll[T any](e *Env, kind string, props ...string) []T {
	e.T.Helper()
	v, err := view.NewManager(e.Vim).CreateContainerView(e.Ctx, e.Vim.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		e.T.Fatalf("container view: %v", err)
	}
	defer func() { _ = v.Destroy(e.Ctx) }()
	var out []T
	if err := v.Retrieve(e.Ctx, []string{kind}, props, &out); err != nil {
		e.T.Fatalf("retrieve %s: %v", kind, err)
	}
	return out
}

// PowerState reads the power state of the VM at path from the simulator.
func (e *Env) PowerState(path string) types.VirtualMachinePowerState {
	e.T.Helper()
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	if err != nil {
		e.T.Fatalf("find %s: %v", path, err)
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"runtime.powerState"}, &mvm); err != nil {
		e.T.Fatal(err)
	}
	return mvm.Runtime.PowerState
}

// Exists reports whether a VM is at path in the simulator.
func (e *Env) Exists(path string) bool {
	e.T.Helper()
	_, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	return err == nil
}

// MustContain fails t for each of wants that text lacks.
func MustContain(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
}

// CreateSnapshot takes a snapshot through the snapshot_create tool (which
// the server must serve) and fails the test unless it was done.
func (e *Env) CreateSnapshot(vm, name string, extra map[string]any) params.TargetResult {
	e.T.Helper()
	args := map[string]any{"vm": vm, "name": name}
	for k, v := range extra {
		args[k] = v
	}
	var res params.BulkResult
	e.OK("snapshot_create", args, &res)
	if len(res.Results) != 1 || res.Results[0].Outcome != "done" {
		e.T.Fatalf("snapshot_create %s on %s: %+v", name, vm, res)
	}
	return res.Results[0]
}

// TaskInfo reads a vCenter task's info from the simulator.
func (e *Env) TaskInfo(id string) types.TaskInfo {
	e.T.Helper()
	var mt mo.Task
	ref := types.ManagedObjectReference{Type: "Task", Value: id}
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, ref, []string{"info"}, &mt); err != nil {
		e.T.Fatalf("read task %s: %v", id, err)
	}
	return mt.Info
}

// ListedTools is the sorted names tools/list shows this client.
func (e *Env) ListedTools() []string {
	e.T.Helper()
	res, err := e.Client.ListTools(e.Ctx, mcp.ListToolsRequest{})
	if err != nil {
		e.T.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	return names
}

// VMRef finds the VM at path in the simulator.
func (e *Env) VMRef(path string) types.ManagedObjectReference {
	e.T.Helper()
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	if err != nil {
		e.T.Fatal(err)
	}
	return vm.Reference()
}
