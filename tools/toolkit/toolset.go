package toolkit

import (
	"io/fs"
)

// ToolsetID names a toolset. Users choose toolsets by it (--toolsets) and
// roles select tools with it (toolset:<id>), so each is a contract.
type ToolsetID string

// Toolset is one area of vSphere administration: its tools, declared in
// its own package (tools/<toolset>).
type Toolset struct {
	ID          ToolsetID
	Description string
	// Default toolsets are served when the user chooses none.
	Default bool
	tools   []Tool
}

// NewToolset stamps each tool with the toolset's ID and gives it its
// served definition from schemas (the toolset's embedded schemas/*.json).
func NewToolset(id ToolsetID, description string, isDefault bool, schemas fs.FS, tools ...Tool) Toolset {
	ts := Toolset{ID: id, Description: description, Default: isDefault, tools: make([]Tool, len(tools))}
	for i, t := range tools {
		t.Toolset = id
		ts.tools[i] = t.served(schemas)
	}
	return ts
}

// Tools returns the toolset's tools, in declaration order.
func (ts Toolset) Tools() []Tool { return ts.tools }
