package cluster

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:cluster).
const ID toolkit.ToolsetID = "cluster"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the cluster toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Clusters: list and inspect (DRS, HA, capacity), configure DRS and HA, review and apply DRS recommendations", false, schemas,
		clusterList(),
		clusterGet(),
		clusterConfigure(),
		clusterDRSRecommendations(),
		clusterDRSApply(),
	)
}
