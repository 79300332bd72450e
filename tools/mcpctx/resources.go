package mcpctx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// resource is one resource or resource template and the tool whose
// result is its content.
type resource struct {
	path     string // after the scheme: "summary", "tasks/recent", "vm"
	template bool   // vsphere://<path>/{id}
	name     string
	title    string
	desc     string
	tool     string // the tool that produces the content
	arg      string // the tool's argument the ID goes into (templates)
	moType   string // the managed object type of the ID (templates)
	watch    vcenter.WatchTarget
	example  string
	listTool string
}

func (r *resource) uriTemplate() string {
	if r.template {
		return Scheme + r.path + "/{id}"
	}
	return Scheme + r.path
}

// target is what a subscription to r (with id) watches; false: nothing.
func (r *resource) target(id string) (vcenter.WatchTarget, bool) {
	t := r.watch
	if r.template {
		t = vcenter.WatchTarget{Kind: r.moType, ID: id}
	}
	return t, vcenter.Watchable(t)
}

// resources are every resource and template, in listing order.
var resources = []resource{
	{path: "summary", name: "summary", title: "Inventory summary", tool: "inventory_summary",
		desc: "Counts of datacenters, clusters, hosts, VMs (by power state), datastores and networks, with capacity; the inventory_summary tool's result as text and JSON."},
	{path: "alarms", name: "alarms", title: "Triggered alarms", tool: "alarm_list", watch: vcenter.WatchAlarms,
		desc: "Triggered alarms from the root folder down (red and yellow), with object, alarm, since when and acknowledgement; alarm_list's first page. Subscribe to hear when alarms trigger or clear."},
	{path: "tasks/recent", name: "tasks", title: "Recent tasks", tool: "task_list", watch: vcenter.WatchTasks,
		desc: "vCenter's recent and running tasks; task_list's first page. Subscribe to hear when tasks start or finish."},
	{path: "vm", template: true, name: "vm", title: "Virtual machine", tool: "vm_get", arg: "vm", moType: "VirtualMachine", example: "vm-42", listTool: "vm_list",
		desc: "One VM by managed object ID (vm-42): vm_get's result as text and JSON. Subscribe to hear of power state, host, CPU and memory changes."},
	{path: "host", template: true, name: "host", title: "ESXi host", tool: "host_get", arg: "host", moType: "HostSystem", example: "host-21", listTool: "host_list",
		desc: "One ESXi host by managed object ID (host-21): host_get's result as text and JSON. Subscribe to hear of connection, power and maintenance mode changes."},
	{path: "cluster", template: true, name: "cluster", title: "Cluster", tool: "cluster_get", arg: "cluster", moType: "ClusterComputeResource", example: "domain-c7", listTool: "cluster_list",
		desc: "One cluster by managed object ID (domain-c7): cluster_get's result as text and JSON."},
	{path: "datastore", template: true, name: "datastore", title: "Datastore", tool: "datastore_get", arg: "datastore", moType: "Datastore", example: "datastore-11", listTool: "datastore_list",
		desc: "One datastore by managed object ID (datastore-11): datastore_get's result as text and JSON."},
}

// addResources registers the resources and templates whose tool the role
// may call here: resources/list shows these, never one entry per object.
func (e *ext) addResources(s *server.MCPServer) {
	for i := range resources {
		r := &resources[i]
		if !e.offered(r.tool) {
			continue
		}
		if r.template {
			s.AddResourceTemplate(mcp.NewResourceTemplate(r.uriTemplate(), r.name,
				mcp.WithTemplateDescription(r.desc), mcp.WithTemplateMIMEType("text/plain"),
				mcp.WithTemplateAnnotations([]mcp.Role{mcp.RoleUser, mcp.RoleAssistant}, 0.5, "")),
				func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
					return e.read(ctx, req.Params.URI)
				})
			continue
		}
		res := mcp.NewResource(r.uriTemplate(), r.name, mcp.WithResourceDescription(r.desc), mcp.WithMIMEType("text/plain"))
		res.Title = r.title
		s.AddResource(res, func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return e.read(ctx, req.Params.URI)
		})
	}
}

// read serves resources/read: the tool's text, then its structured
// result as JSON.
func (e *ext) read(ctx context.Context, uri string) ([]mcp.ResourceContents, error) {
	ref, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	res, err := e.run(ctx, "resources/read", ref)
	if err != nil {
		return nil, err
	}
	out := []mcp.ResourceContents{mcp.TextResourceContents{URI: ref.URI(), MIMEType: "text/plain", Text: toolkit.ResultText(res)}}
	if res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", ref.URI(), err)
		}
		out = append(out, mcp.TextResourceContents{URI: ref.URI(), MIMEType: "application/json", Text: string(b)})
	}
	return out, nil
}

// run produces ref's content with its tool, through the guard: the role
// decides, the session's gate applies the scope, and one audit line says
// method and URI. A refusal or a failed read is an error.
func (e *ext) run(ctx context.Context, method string, ref Ref) (*mcp.CallToolResult, error) {
	r := ref.Res
	h, ok := e.handlers[r.tool]
	if !ok {
		// The guard refuses (and audits) a tool it does not serve before
		// it would call this.
		h = func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return nil, errors.New("not served")
		}
	}
	args := map[string]any{}
	if r.template {
		args[r.arg] = ref.ID
	}
	res, err := e.g.Via(ctx, method+" "+ref.URI(), r.tool, args, h)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("%s: no result", ref.URI())
	}
	if res.IsError {
		msg := toolkit.ResultText(res)
		if !ok {
			msg += fmt.Sprintf("; %s is the %s tool's content", ref.URI(), r.tool)
			if t, known := e.catalog[r.tool]; known {
				msg += fmt.Sprintf(", of toolset %s (the user can add it with --toolsets)", t.Toolset)
			}
		}
		return nil, errors.New(msg)
	}
	if r.template && !sameID(res.StructuredContent, ref.ID) {
		// The tool found an object by a name that looks like an ID: the
		// template takes IDs only.
		return nil, fmt.Errorf("no %s has the managed object ID %s (%s takes IDs; find them with %s)", r.name, ref.ID, r.uriTemplate(), r.listTool)
	}
	return res, nil
}

// sameID reports whether a *_get result is the object with this ID (a
// result without an id field is taken at its word).
func sameID(structured any, id string) bool {
	b, err := json.Marshal(structured)
	if err != nil {
		return false
	}
	var m struct {
		ID *string `json:"id"`
	}
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	return m.ID == nil || *m.ID == id
}

// refusedRead audits a resources/read that mcp-go answered as not found
// because the resource is not registered here — its tool is not served or
// the role may not call it — as the guard audits a hidden tool's call: the
// guard refuses the tool, which writes the line.
func (e *ext) refusedRead(ctx context.Context, _ any, method mcp.MCPMethod, message any, err error) {
	if method != mcp.MethodResourcesRead || !errors.Is(err, server.ErrResourceNotFound) {
		return
	}
	req, ok := message.(*mcp.ReadResourceRequest)
	if !ok {
		return
	}
	ref, perr := ParseURI(req.Params.URI)
	if perr != nil || e.offered(ref.Res.tool) {
		return
	}
	_, _ = e.run(ctx, "resources/read", ref)
}
