// Package tools defines the MCP tools of vsphere-mcp and the server that
// serves them. Each area (vm.go, host.go, …) declares its tools with one
// constructor per tool that returns the definition together with its
// toolset, its risk and its handler, so policy can never drift from the
// tools it governs. All() is the one explicit list.
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Tool is one MCP tool with everything policy needs to know about it.
type Tool struct {
	Def     mcp.Tool
	Toolset string
	Risk    policy.Risk
	Handler server.ToolHandlerFunc
}

// Info returns the plain values policy decides from.
func (t Tool) Info() policy.ToolInfo {
	return policy.ToolInfo{Name: t.Def.Name, Toolset: t.Toolset, Risk: t.Risk}
}

// Deps are what tool handlers share.
type Deps struct {
	Session *vcenter.Session
	Log     *slog.Logger
}

// All returns every tool vsphere-mcp has, in one explicit list. Roles pick
// from it by risk and name; nothing registers itself elsewhere.
func All(d Deps) []Tool {
	var all []Tool
	// Inventory (read).
	all = append(all,
		vmList(d),
		vmGet(d),
		vcenterInfo(d),
		inventorySummary(d),
		datacenterList(d),
		folderList(d),
		hostList(d),
		hostGet(d),
		clusterList(d),
		clusterGet(d),
		datastoreList(d),
		datastoreGet(d),
		networkList(d),
		resourcePoolList(d),
		templateList(d),
	)
	// VM power and lifecycle.
	all = append(all, powerTools(d)...)
	all = append(all, vmDelete(d))
	// Snapshots.
	all = append(all,
		snapshotList(d),
		snapshotCreate(d),
		snapshotRevert(d),
		snapshotDelete(d),
		snapshotDeleteAll(d),
	)
	return all
}

// Result is a tool's structured output; Text is the compact rendering the
// model reads (tables, not JSON dumps).
type Result interface {
	Text() string
}

// spec is the declaration of a tool beside its handler.
type spec struct {
	name        string
	toolset     string
	title       string
	description string
	risk        policy.Risk
	// idempotent: repeating the call with the same arguments has no further
	// effect (true for every read).
	idempotent bool
	// background: long-running; a client may run it as an MCP task and
	// cancel it (which cancels the vCenter task).
	background bool
}

// maxArgBytes bounds a call's arguments: nothing a tool takes is anywhere
// near this, and a huge argument should fail fast with a clear message.
const maxArgBytes = 64 << 10

// define builds a Tool from a typed handler: the input schema comes from A,
// the output schema from R, the annotations from the risk. Arguments are
// decoded strictly here rather than by mcp-go's schema validation, because
// that runs before middleware and such calls would escape the audit trail.
func define[A any, R Result](s spec, run func(ctx context.Context, args A) (R, error)) Tool {
	readOnly := s.risk == policy.RiskRead
	destructive := s.risk == policy.RiskDestructive || s.risk == policy.RiskIrreversible
	idempotent := s.idempotent || readOnly
	openWorld := false // vCenter's inventory is a closed domain, not the open web
	def := mcp.NewTool(s.name,
		mcp.WithDescription(s.description),
		mcp.WithInputSchema[A](),
		mcp.WithOutputSchema[R](),
		mcp.WithToolAnnotation(mcp.ToolAnnotation{
			Title:           s.title,
			ReadOnlyHint:    &readOnly,
			DestructiveHint: &destructive,
			IdempotentHint:  &idempotent,
			OpenWorldHint:   &openWorld,
		}),
	)
	if s.background {
		mcp.WithTaskSupport(mcp.TaskSupportOptional)(&def)
	}
	compactOutputSchema(&def.OutputSchema)
	if s.risk.IsWrite() {
		addConfirmToken(&def)
	}
	handler := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var args A
		raw := req.Params.Arguments
		if s.risk.IsWrite() {
			// confirm_token belongs to the policy middleware, not the tool.
			raw = withoutKey(req.GetArguments(), confirmTokenArg)
		}
		if err := decodeArgs(raw, &args); err != nil {
			return errorResult(err), nil
		}
		if v, ok := any(&args).(interface{ validate() error }); ok {
			if err := v.validate(); err != nil {
				return errorResult(&ArgError{Msg: err.Error()}), nil
			}
		}
		res, err := run(ctx, args)
		var ni *needsInput
		if errors.As(err, &ni) {
			return ni.res, nil
		}
		if err != nil {
			return errorResult(err), nil
		}
		return &mcp.CallToolResult{
			Content:           []mcp.Content{mcp.NewTextContent(res.Text())},
			StructuredContent: res,
		}, nil
	}
	return Tool{Def: def, Toolset: s.toolset, Risk: s.risk, Handler: handler}
}

// ArgError is a problem with the caller's arguments.
type ArgError struct{ Msg string }

func (e *ArgError) Error() string { return "invalid arguments: " + e.Msg }

func decodeArgs(raw any, dst any) error {
	if raw == nil {
		raw = map[string]any{}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return &ArgError{Msg: "arguments are not valid JSON"}
	}
	if len(b) > maxArgBytes {
		return &ArgError{Msg: fmt.Sprintf("arguments are %d bytes; the limit is %d", len(b), maxArgBytes)}
	}
	if bytes.Equal(b, []byte("null")) {
		b = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return &ArgError{Msg: describeDecodeError(err)}
	}
	return nil
}

func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field[strings.LastIndex(te.Field, ".")+1:]
		if field == "" {
			return "arguments must be a JSON object"
		}
		return fmt.Sprintf("argument %q must be %s, not a JSON %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Sprintf("unknown argument %s; see the tool's input schema for the arguments it takes", f)
	}
	return strings.TrimPrefix(msg, "json: ")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a " + goKind
}

// errorResult renders an error for the model: what failed, the vCenter
// fault by name, and what to do.
func errorResult(err error) *mcp.CallToolResult {
	return mcp.NewToolResultError(vcenter.Explain(err))
}
