package pool

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:pool).
const ID toolkit.ToolsetID = "pool"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the resource pool toolset: create, change and delete
// pools (resource_pool_list, in the inventory toolset, shows them).
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Resource pools: create them with CPU and memory reservations, limits and shares, change and delete them", false, schemas,
		resourcePoolCreate(),
		resourcePoolUpdate(),
		resourcePoolDelete(),
	)
}
