package snapshot

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:snapshot).
const ID toolkit.ToolsetID = "snapshot"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the snapshot toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "VM snapshots: list the tree, create, revert, delete", true, schemas,
		snapshotList(),
		snapshotCreate(),
		snapshotRevert(),
		snapshotDelete(),
		snapshotDeleteAll(),
	)
}
