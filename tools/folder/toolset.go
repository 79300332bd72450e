package folder

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:folder).
const ID toolkit.ToolsetID = "folder"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the folder toolset: create, rename and delete inventory
// folders (folder_list, in the inventory toolset, shows them).
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Inventory folders: create, rename and delete them", false, schemas,
		folderCreate(),
		folderRename(),
		folderDelete(),
	)
}
