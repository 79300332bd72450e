package toolkit

import (
	"encoding/json"
	"math"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
)

// CompactOutputSchema keeps the output schema to what a client needs to
// know: the top-level fields and their types. Nested objects are declared
// as objects without their fields, integer bounds and
// additionalProperties=false go. Every byte of tools/list is paid for in
// the model's context on every turn; the full detail is in each result.
func CompactOutputSchema(s *mcp.ToolOutputSchema) {
	s.AdditionalProperties = nil
	// Which fields are always there is in the result itself; a client
	// validating structuredContent needs the types.
	s.Required = nil
	for k, p := range s.Properties {
		s.Properties[k] = shallowSchema(p)
	}
}

// shallowSchema reduces a property schema to its type (and enum), and an
// array's items to their type. Descriptions go: a client validates
// structuredContent against the schema, models are not shown it, and the
// text result says what each value means.
func shallowSchema(node any) any {
	m, ok := node.(map[string]any)
	if !ok {
		return node
	}
	out := map[string]any{}
	for _, k := range []string{"type", "enum"} {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	if t, ok := out["type"]; ok {
		out["type"] = nonNull(t)
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
	props[policy.ConfirmTokenArg] = map[string]any{
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

// CompactInputSchema drops what the generator writes but a model does not
// need: "null" beside array types (an omitted argument says the same) and
// additionalProperties=false on nested objects (unknown arguments are
// refused with a clear message anyway). The top level keeps it, so clients
// that check arguments up front still can.
func CompactInputSchema(s *mcp.ToolInputSchema) {
	for k, p := range s.Properties {
		s.Properties[k] = compactNode(p)
	}
}

// compactRawInput is CompactInputSchema for a generated raw schema.
func compactRawInput(raw json.RawMessage) json.RawMessage {
	var s mcp.ToolInputSchema
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return raw
	}
	CompactInputSchema(&s)
	b, err := json.Marshal(s)
	if err != nil {
		return raw
	}
	return b
}

func compactNode(node any) any {
	m, ok := node.(map[string]any)
	if !ok {
		return node
	}
	if t, ok := m["type"]; ok {
		m["type"] = nonNull(t)
	}
	delete(m, "additionalProperties")
	// The generator bounds every integer by its Go type (int32's range for
	// a CPU count): no information for the model, so they go; bounds a
	// tool sets itself stay.
	if isTypeBound(m["minimum"]) && isTypeBound(m["maximum"]) {
		delete(m, "minimum")
		delete(m, "maximum")
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, p := range props {
			props[k] = compactNode(p)
		}
	}
	if items, ok := m["items"]; ok {
		m["items"] = compactNode(items)
	}
	return m
}

// nonNull turns the generator's ["null", T] (for slices and pointers) into
// T; the argument or field is optional either way.
func nonNull(t any) any {
	switch ts := t.(type) {
	case []any:
		if len(ts) == 2 && ts[0] == "null" {
			return ts[1]
		}
	case []string:
		if len(ts) == 2 && ts[0] == "null" {
			return ts[1]
		}
	}
	return t
}

// isTypeBound reports whether v is the bound of a Go integer type, as the
// schema generator writes for int32, int64 and uint32 fields.
func isTypeBound(v any) bool {
	f, ok := v.(float64)
	if !ok {
		return false
	}
	switch f {
	case math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64, math.MaxUint32, 0:
		return true
	}
	return false
}
