package toolkit

import (
	"encoding/json"
	"io/fs"
	"path"
)

// Each toolset embeds its tools' input and output schemas as generated
// from their Go types by `UPDATE_GOLDEN=1 go test ./tools/` (TestServedSchemas
// fails when a file differs from what reflection gives).

// SchemaFile is the shape of schemas/NAME.json.
type SchemaFile struct {
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema"`
}

// servedSchemas returns the generated schemas of the tool called name.
func servedSchemas(files fs.FS, name string) (in, out json.RawMessage, ok bool) {
	if files == nil {
		return nil, nil, false
	}
	b, err := fs.ReadFile(files, path.Join("schemas", name+".json"))
	if err != nil {
		return nil, nil, false
	}
	var f SchemaFile
	if err := json.Unmarshal(b, &f); err != nil || len(f.InputSchema) == 0 || len(f.OutputSchema) == 0 {
		return nil, nil, false
	}
	return f.InputSchema, f.OutputSchema, true
}
