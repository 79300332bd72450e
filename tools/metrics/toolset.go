// Package metrics is the metrics toolset: vCenter's performance
// statistics of an object, the heaviest VMs or hosts by a metric, and the
// counters an object has, through govmomi's performance manager.
package metrics

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:metrics).
const ID toolkit.ToolsetID = "metrics"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the metrics toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Performance metrics: CPU, ready, memory, disk and network of an object over time; the heaviest VMs or hosts", false, schemas,
		metricsGet(),
		metricsTop(),
		metricsList(),
	)
}
