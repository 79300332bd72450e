package host

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:host).
const ID toolkit.ToolsetID = "host"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the host toolset with its tools.
func Toolset() toolkit.Toolset {
	tools := []toolkit.Tool{
		hostList(),
		hostGet(),
		hostNetworking(),
		hostServiceList(),
	}
	tools = append(tools, serviceTools()...)
	tools = append(tools,
		hostNTPConfigure(),
		hostMaintenanceEnter(),
		hostMaintenanceExit(),
	)
	tools = append(tools, powerTools()...)
	tools = append(tools, connTools()...)
	return toolkit.NewToolset(ID, "ESXi hosts: list and inspect them (networking, time), manage their services and NTP, maintenance mode, reboot, shutdown and connection", false, schemas, tools...)
}
