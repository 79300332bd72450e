package host

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:host).
const ID toolkit.ToolsetID = "host"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the host toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "ESXi hosts: list and inspect them, and manage their services", false, schemas,
		append([]toolkit.Tool{
			hostList(),
			hostGet(),
			hostServiceList(),
		}, serviceTools()...)...,
	)
}
