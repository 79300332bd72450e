// Package library is the library toolset: vCenter's content libraries
// (vAPI REST): list libraries and their items, deploy an OVF item as a VM,
// upload a local ISO or OVA as a new item.
package library

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:library).
const ID toolkit.ToolsetID = "library"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the library toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Content libraries: list libraries and items, deploy an OVF item as a VM, upload a local ISO or OVA as a new item", false, schemas,
		libraryList(),
		libraryItemList(),
		libraryDeploy(),
		libraryItemUpload(),
	)
}
