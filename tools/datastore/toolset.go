package datastore

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:datastore).
const ID toolkit.ToolsetID = "datastore"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the datastore toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Datastores: list and inspect (capacity, hosts, VMs), browse and manage their files, upload and download", false, schemas,
		datastoreList(),
		datastoreGet(),
		datastoreBrowse(),
		datastoreUsage(),
		datastoreMkdir(),
		datastoreFileMove(),
		datastoreFileCopy(),
		datastoreFileDelete(),
		datastoreUpload(),
		datastoreDownload(),
	)
}
