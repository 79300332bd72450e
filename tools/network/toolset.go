package network

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:network).
const ID toolkit.ToolsetID = "network"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the network toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Networks and port groups: list", false, schemas,
		networkList(),
	)
}
