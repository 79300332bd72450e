package tools_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vsphere-mcp/vsphere-mcp/tools"
)

// TestToolDefinitionsGolden snapshots every tool definition as the client
// sees it, so an accidental schema or description change shows up in
// review. UPDATE_GOLDEN=1 go test ./tools/ rewrites the files.
func TestToolDefinitionsGolden(t *testing.T) {
	t.Parallel()
	update := os.Getenv("UPDATE_GOLDEN") != ""
	dir := filepath.Join("testdata", "toolsnaps")
	seen := map[string]bool{}
	for _, tool := range tools.All() {
		name := tool.Def.Name
		seen[name+".json"] = true
		got, err := json.MarshalIndent(tool.Def, "", "  ")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got = append(got, '\n')
		path := filepath.Join(dir, name+".json")
		if update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no golden file (run UPDATE_GOLDEN=1 go test ./tools/): %v", name, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s definition changed; if intended, run UPDATE_GOLDEN=1 go test ./tools/ and review the diff.\ngot:\n%s", name, got)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !seen[e.Name()] {
			if update {
				_ = os.Remove(filepath.Join(dir, e.Name()))
				continue
			}
			t.Errorf("golden file %s has no tool; delete it or run UPDATE_GOLDEN=1", e.Name())
		}
	}
}

// TestToolMetadataComplete fails when a tool lacks any annotation hint, its
// toolset or a valid risk, or when the hints contradict the risk.
func TestToolMetadataComplete(t *testing.T) {
	t.Parallel()
	all := tools.All()
	if len(all) == 0 {
		t.Fatal("no tools")
	}
	var names []string
	for _, tool := range all {
		d := tool.Def
		names = append(names, d.Name)
		a := d.Annotations
		switch {
		case a.ReadOnlyHint == nil, a.DestructiveHint == nil, a.IdempotentHint == nil, a.OpenWorldHint == nil:
			t.Errorf("%s: an annotation hint is unset: %+v", d.Name, a)
			continue
		case a.Title == "":
			t.Errorf("%s: no title", d.Name)
		case tool.Toolset == "":
			t.Errorf("%s: no toolset", d.Name)
		case !tool.Risk.Valid():
			t.Errorf("%s: invalid risk %q", d.Name, tool.Risk)
		case *a.ReadOnlyHint != !tool.Risk.IsWrite():
			t.Errorf("%s: readOnlyHint %v contradicts risk %s", d.Name, *a.ReadOnlyHint, tool.Risk)
		case *a.DestructiveHint && !tool.Risk.IsWrite():
			t.Errorf("%s: a read tool marked destructive", d.Name)
		case !hasObjectSchemas(t, d):
			t.Errorf("%s: missing typed input or output schema", d.Name)
		case d.Description == "" || !strings.HasSuffix(strings.TrimSpace(d.Description), "."):
			t.Errorf("%s: description must be sentences", d.Name)
		}
		if !isSnakeNounVerb(d.Name) {
			t.Errorf("%s: tool names are noun_verb snake_case", d.Name)
		}
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if c := slices.Compact(sorted); len(c) != len(names) {
		t.Errorf("duplicate tool names in %v", names)
	}
}

func isSnakeNounVerb(name string) bool {
	if !strings.Contains(name, "_") {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// hasObjectSchemas reports whether the definition as served declares an
// object input schema and an object output schema.
func hasObjectSchemas(t *testing.T, d mcp.Tool) bool {
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		In  struct{ Type string } `json:"inputSchema"`
		Out struct{ Type string } `json:"outputSchema"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v.In.Type == "object" && v.Out.Type == "object"
}
