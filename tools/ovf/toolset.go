// Package ovf is the ovf toolset: inspect a local OVF/OVA package (or a
// content library item), deploy one as a new VM through an import lease,
// and export a powered-off VM as OVF or OVA to a local directory.
package ovf

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:ovf).
const ID toolkit.ToolsetID = "ovf"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the ovf toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "OVF and OVA packages: inspect one, deploy one as a VM (local file or content library item), export a VM to local files", false, schemas,
		ovfInspect(),
		ovfDeploy(),
		ovfExport(),
	)
}
