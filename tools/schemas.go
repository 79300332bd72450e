package tools

import (
	"embed"
	"encoding/json"
	"path"
)

// schemaFiles holds each tool's input and output schema as generated from
// its Go types by `UPDATE_GOLDEN=1 go test ./tools/` (TestServedSchemas
// fails when a file differs from what reflection gives).
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// SchemaFile is the shape of schemas/NAME.json.
type SchemaFile struct {
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema"`
}

// servedSchemas returns the generated schemas of the tool called name.
func servedSchemas(name string) (in, out json.RawMessage, ok bool) {
	b, err := schemaFiles.ReadFile(path.Join("schemas", name+".json"))
	if err != nil {
		return nil, nil, false
	}
	var f SchemaFile
	if err := json.Unmarshal(b, &f); err != nil || len(f.InputSchema) == 0 || len(f.OutputSchema) == 0 {
		return nil, nil, false
	}
	return f.InputSchema, f.OutputSchema, true
}
