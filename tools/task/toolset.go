package task

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:task).
const ID toolkit.ToolsetID = "task"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the task toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "vCenter tasks: recent and running tasks, one task's detail, cancel", true, schemas,
		taskList(),
		taskGet(),
		taskCancel(),
	)
}
