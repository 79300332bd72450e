package event

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:event).
const ID toolkit.ToolsetID = "event"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the event toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "vCenter events and alarms: what happened to an object, by whom, when; what is red, acknowledged or reset", false, schemas,
		eventList(),
		alarmList(),
		alarmAcknowledge(),
		alarmReset(),
	)
}
