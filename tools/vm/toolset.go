package vm

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:vm).
const ID toolkit.ToolsetID = "vm"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the vm toolset with its tools.
func Toolset() toolkit.Toolset {
	tools := []toolkit.Tool{
		vmList(),
		vmGet(),
		templateList(),
		vmDelete(),
		vmCreate(),
		vmClone(),
		vmReconfigure(),
		vmRename(),
		vmMigrate(),
		vmMove(),
		vmMarkTemplate(),
		vmMarkVM(),
	}
	tools = append(tools, powerTools()...)
	return toolkit.NewToolset(ID, "Virtual machines: list and inspect, power, create, clone, reconfigure, rename, migrate, move, templates, delete", true, schemas, tools...)
}
