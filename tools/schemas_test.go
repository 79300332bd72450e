package tools_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// TestServedSchemas keeps each toolset's schemas/*.json, which the server serves,
// equal to the schemas reflection generates from each tool's Go types.
// UPDATE_GOLDEN=1 go test ./tools/ rewrites them.
func TestServedSchemas(t *testing.T) {
	t.Parallel()
	update := os.Getenv("UPDATE_GOLDEN") != ""
	seen := map[string]bool{}
	for _, tool := range tools.All() {
		name := tool.Def.Name
		seen[name+".json"] = true
		want, err := json.Marshal(tool.Reflected())
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(tool.Def)
		if err != nil {
			t.Fatal(err)
		}
		if !update {
			if !bytes.Equal(got, want) {
				t.Errorf("%s: tools/%s/schemas/%s.json is stale or missing (the argument or result type changed); run UPDATE_GOLDEN=1 go test ./tools/ and review the diff", name, tool.Toolset, name)
			}
			continue
		}
		var f toolkit.SchemaFile
		if err := json.Unmarshal(want, &f); err != nil {
			t.Fatal(err)
		}
		b, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(string(tool.Toolset), "schemas", name+".json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, ts := range tools.Toolsets() {
		dir := filepath.Join(string(ts.ID), "schemas")
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !seen[e.Name()] {
				if update {
					_ = os.Remove(filepath.Join(dir, e.Name()))
					continue
				}
				t.Errorf("%s/%s belongs to no tool; delete it or run UPDATE_GOLDEN=1", dir, e.Name())
			}
		}
	}
}
