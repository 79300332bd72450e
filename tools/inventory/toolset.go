package inventory

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:inventory).
const ID toolkit.ToolsetID = "inventory"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the inventory toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Whole-inventory views: vCenter info, inventory summary, datacenters, folders, resource pools", true, schemas,
		vcenterInfo(),
		inventorySummary(),
		datacenterList(),
		folderList(),
		resourcePoolList(),
	)
}
