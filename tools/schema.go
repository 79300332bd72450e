package tools

import (
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// CompactOutputSchema keeps the output schema to what a client needs to
// know: the top-level fields and their types. Nested objects are declared
// as objects without their fields, integer bounds and
// additionalProperties=false go. Every byte of tools/list is paid for in
// the model's context on every turn; the full detail is in each result.
func CompactOutputSchema(s *mcp.ToolOutputSchema) {
	s.AdditionalProperties = nil
	for k, p := range s.Properties {
		s.Properties[k] = shallowSchema(p)
	}
}

// shallowSchema reduces a property schema to its type (and enum or
// description), and an array's items to their type.
func shallowSchema(node any) any {
	m, ok := node.(map[string]any)
	if !ok {
		return node
	}
	out := map[string]any{}
	for _, k := range []string{"type", "enum", "description"} {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	if _, ok := m["properties"]; ok && out["type"] == nil {
		out["type"] = "object"
	}
	if items, ok := m["items"].(map[string]any); ok {
		if t, ok := items["type"]; ok {
			out["items"] = map[string]any{"type": t}
		}
	}
	return out
}

// WithConfirmToken returns t declaring the confirm_token argument, which
// carries a preview token when the client cannot ask a person (see
// confirm_fallback). The policy middleware consumes it.
func WithConfirmToken(t mcp.Tool) mcp.Tool {
	raw := t.RawInputSchema
	if len(raw) == 0 {
		b, err := json.Marshal(t.InputSchema)
		if err != nil {
			return t
		}
		raw = b
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		return t
	}
	props, _ := schema["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		schema["properties"] = props
	}
	props[confirmTokenArg] = map[string]any{
		"type":        "string",
		"description": "Only to proceed after a preview: the token that preview returned",
	}
	b, err := json.Marshal(schema)
	if err != nil {
		return t
	}
	t.RawInputSchema = b
	t.InputSchema = mcp.ToolInputSchema{}
	return t
}
