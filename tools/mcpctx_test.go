package tools_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/mcpctx"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// The MCP features besides tools (tools/mcpctx), through a real client on
// the assembled server: resources, subscriptions, prompts, completions.

// newCtxEnv serves toolsets (nil: all) with resources, prompts and
// completions, under p (nil: viewer), speaking protocol (empty: latest).
func newCtxEnv(t *testing.T, p *tools.Policy, toolsets []string, protocol string) *env {
	t.Helper()
	e, _ := newCtxEnvWatching(t, p, toolsets, protocol)
	return e
}

// watching is what mcpctx's extension reports of its subscriptions.
type watching interface {
	Watching() (subscriptions, filters int)
}

// newCtxEnvWatching is newCtxEnv that also returns the server's extension.
func newCtxEnvWatching(t *testing.T, p *tools.Policy, toolsets []string, protocol string) (*env, func() watching) {
	t.Helper()
	srv := served(t, envOptions{toolsets: toolsets})
	var mu sync.Mutex
	var ext guard.Extension
	extend := func(d toolkit.Deps, g *guard.Guard) guard.Extension {
		mu.Lock()
		defer mu.Unlock()
		ext = mcpctx.New(srv, tools.All())(d, g)
		return ext
	}
	e := &env{toolstest.NewOn(t, srv, toolstest.Options{Policy: p, Protocol: protocol, Extend: extend})}
	return e, func() watching { mu.Lock(); defer mu.Unlock(); return ext.(watching) }
}

func (e *env) readResource(uri string) ([]mcp.ResourceContents, error) {
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	res, err := e.Client.ReadResource(e.Ctx, req)
	if err != nil {
		return nil, err
	}
	return res.Contents, nil
}

// textAndJSON splits a resource's contents into its text and its JSON.
func textAndJSON(t *testing.T, cs []mcp.ResourceContents) (string, map[string]any) {
	t.Helper()
	var text string
	var js map[string]any
	for _, c := range cs {
		tc, ok := c.(mcp.TextResourceContents)
		if !ok {
			t.Fatalf("content %T, want text", c)
		}
		switch tc.MIMEType {
		case "text/plain":
			text = tc.Text
		case "application/json":
			if err := json.Unmarshal([]byte(tc.Text), &js); err != nil {
				t.Fatalf("resource JSON: %v", err)
			}
		}
	}
	if text == "" || js == nil {
		t.Fatalf("resource lacks text or JSON: %+v", cs)
	}
	return text, js
}

// firstVM is a VM of the simulator in state, by path prefix.
func (e *env) firstVM(prefix string, state types.VirtualMachinePowerState) mo.VirtualMachine {
	e.T.Helper()
	vms := e.AllVMs("name", "runtime.powerState")
	slices.SortFunc(vms, func(a, b mo.VirtualMachine) int { return strings.Compare(a.Name, b.Name) })
	for _, vm := range vms {
		if strings.HasPrefix(vm.Name, prefix) && vm.Runtime.PowerState == state {
			return vm
		}
	}
	e.T.Fatalf("no VM %s* is %s", prefix, state)
	return mo.VirtualMachine{}
}

// volatile are the parts of a result that differ between two calls: a
// cursor's token, times, a host's clock drift.
var volatile = regexp.MustCompile(`cursor=\S+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|drift [-+0-9.]+s`)

func TestResourcesListedAndRead(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "viewer", nil, nil)
	e := newCtxEnv(t, p, nil, "")

	// Listed page by page: the fixed resources and the templates, never
	// one entry per object.
	var uris []string
	req := mcp.ListResourcesRequest{}
	for page := 0; ; page++ {
		res, err := e.Client.ListResourcesByPage(e.Ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Resources {
			uris = append(uris, r.URI)
		}
		if res.NextCursor == "" || page > 10 {
			break
		}
		req.Params.Cursor = res.NextCursor
	}
	slices.Sort(uris)
	if want := []string{"vsphere://alarms", "vsphere://summary", "vsphere://tasks/recent"}; !slices.Equal(uris, want) {
		t.Errorf("resources = %v, want %v", uris, want)
	}
	tres, err := e.Client.ListResourceTemplates(e.Ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var templates []string
	for _, rt := range tres.ResourceTemplates {
		templates = append(templates, rt.URITemplate.Raw())
	}
	slices.Sort(templates)
	if want := []string{"vsphere://cluster/{id}", "vsphere://datastore/{id}", "vsphere://host/{id}", "vsphere://vm/{id}"}; !slices.Equal(templates, want) {
		t.Errorf("templates = %v, want %v", templates, want)
	}
	caps := e.Client.GetServerCapabilities()
	if caps.Resources == nil || !caps.Resources.Subscribe || !caps.Resources.ListChanged {
		t.Errorf("resource capabilities = %+v, want subscribe and listChanged", caps.Resources)
	}

	vm := e.firstVM("DC0_", types.VirtualMachinePowerStatePoweredOn)
	hosts := toolstest.RetrieveAll[mo.HostSystem](e.Env, "HostSystem", "name")
	clusters := toolstest.RetrieveAll[mo.ClusterComputeResource](e.Env, "ClusterComputeResource", "name")
	stores := toolstest.RetrieveAll[mo.Datastore](e.Env, "Datastore", "name")
	// The same content as the matching tool: its text, and its structured
	// result as JSON.
	for _, tc := range []struct {
		uri, tool string
		args      map[string]any
	}{
		{"vsphere://summary", "inventory_summary", nil},
		{"vsphere://alarms", "alarm_list", nil},
		{"vsphere://tasks/recent", "task_list", nil},
		{"vsphere://vm/" + vm.Self.Value, "vm_get", map[string]any{"vm": vm.Self.Value}},
		{"vsphere://host/" + hosts[0].Self.Value, "host_get", map[string]any{"host": hosts[0].Self.Value}},
		{"vsphere://cluster/" + clusters[0].Self.Value, "cluster_get", map[string]any{"cluster": clusters[0].Self.Value}},
		{"vsphere://datastore/" + stores[0].Self.Value, "datastore_get", map[string]any{"datastore": stores[0].Self.Value}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			cs, err := e.readResource(tc.uri)
			if err != nil {
				t.Fatalf("read %s: %v", tc.uri, err)
			}
			text, js := textAndJSON(t, cs)
			var want map[string]any
			wantText := e.at(t).OK(tc.tool, tc.args, &want)
			// What changes from one call to the next: a cursor's
			// token, a host's clock.
			for _, m := range []map[string]any{js, want} {
				delete(m, "next_cursor")
				delete(m, "host_time")
				delete(m, "drift_s")
			}
			text, wantText = volatile.ReplaceAllString(text, "X"), volatile.ReplaceAllString(wantText, "X")
			if !reflect.DeepEqual(js, want) {
				t.Errorf("%s JSON differs from %s:\n%v\n%v", tc.uri, tc.tool, js, want)
			}
			if text != wantText {
				t.Errorf("%s text differs from %s:\n%s\n---\n%s", tc.uri, tc.tool, text, wantText)
			}
		})
	}

	// Every read is one audit line, marked as a resource read.
	var reads []string
	for _, r := range toolstest.AuditLines(t, p) {
		if via, _ := r.Args[guard.ViaArg].(string); via != "" {
			reads = append(reads, r.Tool+" "+via)
		}
	}
	if len(reads) != 7 || !slices.Contains(reads, "vm_get resources/read vsphere://vm/"+vm.Self.Value) {
		t.Errorf("audited resource reads = %v, want 7 with vm_get's", reads)
	}

	// Bad URIs: clear errors, nothing read.
	for uri, want := range map[string]string{
		"vsphere://vm/vm-99999":   "no VM matches",
		"vsphere://vm/web server": "not found",
		"vsphere://vm/web-x":      "not a managed object ID",
		"vsphere://nothing":       "not found",
	} {
		if _, err := e.readResource(uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("read %s: %v, want an error with %q", uri, err, want)
		}
	}
}

func TestResourceRefusedForRoleAndScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{
		"no-vms":   {Inherits: "viewer", Deny: []string{"vm_get"}},
		"dc0-only": {Inherits: "viewer", Scope: policy.Scope{Datacenters: []string{"DC0"}}},
	}
	p := toolstest.Policy(t, "no-vms", custom, nil)
	e := newCtxEnv(t, p, nil, "")
	vm := e.firstVM("DC0_", types.VirtualMachinePowerStatePoweredOn)
	uri := "vsphere://vm/" + vm.Self.Value

	tres, err := e.Client.ListResourceTemplates(e.Ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range tres.ResourceTemplates {
		if rt.URITemplate.Raw() == "vsphere://vm/{id}" {
			t.Errorf("vm template listed for a role without vm_get")
		}
	}
	if _, err := e.readResource(uri); err == nil {
		t.Fatalf("read %s succeeded for a role without vm_get", uri)
	}
	last := toolstest.LastAudit(t, p)
	if last.Tool != "vm_get" || last.Decision != "denied" || last.Args[guard.ViaArg] != "resources/read "+uri {
		t.Errorf("refused read audited as %+v", last)
	}
	// Subscribing is refused alike.
	sreq := mcp.SubscribeRequest{}
	sreq.Params.URI = uri
	e2 := newCtxEnv(t, p, nil, mcp.ProtocolVersion20251125)
	if err := e2.Client.Subscribe(e2.Ctx, sreq); err == nil {
		t.Errorf("subscribe %s succeeded for a role without vm_get", uri)
	}

	// A DC0-scoped role reads DC0's VMs, and DC1's not at all.
	ps := toolstest.Policy(t, "dc0-only", custom, nil)
	es := newCtxEnv(t, ps, nil, "")
	if _, err := es.readResource(uri); err != nil {
		t.Errorf("read DC0 VM: %v", err)
	}
	other := es.firstVM("DC1_", types.VirtualMachinePowerStatePoweredOn)
	_, err = es.readResource("vsphere://vm/" + other.Self.Value)
	if err == nil || !strings.Contains(err.Error(), "within this profile's scope") {
		t.Errorf("read DC1 VM with a DC0 scope: %v, want not found within scope", err)
	}
	if strings.Contains(err.Error(), other.Name) {
		t.Errorf("refusal names the hidden VM: %v", err)
	}
}
