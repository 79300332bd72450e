// Package guest is the guest toolset: work inside a VM's guest OS through
// VMware Tools (run programs, read and write files, list processes and
// directories) and the Tools themselves (status, wait, upgrade). The login
// inside the guest comes from the profile's guest_credentials and never
// reaches a result, a log line or the audit trail; everything the guest
// says is delimited and marked untrusted (toolkit.GuestData).
package guest

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:guest).
const ID toolkit.ToolsetID = "guest"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the guest toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Inside VMs through VMware Tools: Tools status and upgrade, run programs, read and write files, list processes and directories", false, schemas,
		vmToolsStatus(),
		vmToolsWait(),
		vmToolsUpgrade(),
		guestRun(),
		guestProcessList(),
		guestProcessKill(),
		guestFileRead(),
		guestFileWrite(),
		guestDirList(),
		guestDirCreate(),
		guestFileMove(),
		guestFileDelete(),
	)
}
