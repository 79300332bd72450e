package tools

import (
	"encoding/json"
	"math"

	"github.com/mark3labs/mcp-go/mcp"
)

// compactOutputSchema drops what the generated output schema says without
// telling a client anything: the int32/int64 bounds of every integer and
// additionalProperties=false on every object. Every byte of tools/list is
// paid for in the model's context on every turn.
func compactOutputSchema(s *mcp.ToolOutputSchema) {
	s.AdditionalProperties = nil
	for _, p := range s.Properties {
		compactSchemaNode(p)
	}
}

func compactSchemaNode(node any) {
	m, ok := node.(map[string]any)
	if !ok {
		return
	}
	if m["type"] == "integer" {
		if isIntBound(m["minimum"]) && isIntBound(m["maximum"]) {
			delete(m, "minimum")
			delete(m, "maximum")
		}
	}
	if ap, ok := m["additionalProperties"].(bool); ok && !ap {
		delete(m, "additionalProperties")
	}
	for _, k := range []string{"items", "additionalProperties"} {
		compactSchemaNode(m[k])
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for _, p := range props {
			compactSchemaNode(p)
		}
	}
}

func isIntBound(v any) bool {
	f, ok := v.(float64)
	return ok && (f == math.MinInt32 || f == math.MaxInt32 || f == math.MinInt64 || f == math.MaxInt64 ||
		f == 0 || f == math.MaxUint32 || f == math.MaxUint64)
}

// addConfirmToken declares the confirm_token argument on a write tool: it
// carries a preview token when the client cannot ask a person (see
// confirm_fallback). The policy middleware consumes it.
func addConfirmToken(t *mcp.Tool) {
	var schema map[string]any
	if err := json.Unmarshal(t.RawInputSchema, &schema); err != nil {
		return
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
	if b, err := json.Marshal(schema); err == nil {
		t.RawInputSchema = b
	}
}
