// Package tools assembles vsphere-mcp's MCP server from its toolsets. Each
// toolset lives in its own package (tools/<toolset>) over the framework
// (tools/toolkit declares, tools/guard enforces, tools/params holds shared
// argument shapes); this package holds only the one explicit list of
// toolsets and the server's assembly.
package tools

import (
	"github.com/vsphere-mcp/vsphere-mcp/tools/cluster"
	"github.com/vsphere-mcp/vsphere-mcp/tools/console"
	"github.com/vsphere-mcp/vsphere-mcp/tools/datastore"
	"github.com/vsphere-mcp/vsphere-mcp/tools/device"
	"github.com/vsphere-mcp/vsphere-mcp/tools/event"
	"github.com/vsphere-mcp/vsphere-mcp/tools/folder"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guest"
	"github.com/vsphere-mcp/vsphere-mcp/tools/host"
	"github.com/vsphere-mcp/vsphere-mcp/tools/inventory"
	"github.com/vsphere-mcp/vsphere-mcp/tools/metrics"
	"github.com/vsphere-mcp/vsphere-mcp/tools/network"
	"github.com/vsphere-mcp/vsphere-mcp/tools/pool"
	"github.com/vsphere-mcp/vsphere-mcp/tools/snapshot"
	"github.com/vsphere-mcp/vsphere-mcp/tools/tag"
	"github.com/vsphere-mcp/vsphere-mcp/tools/task"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/vm"
)

// Toolsets returns every toolset vsphere-mcp has, in one explicit list.
// Nothing registers itself elsewhere; a new toolset is one line here.
func Toolsets() []toolkit.Toolset {
	return []toolkit.Toolset{
		inventory.Toolset(),
		vm.Toolset(),
		snapshot.Toolset(),
		task.Toolset(),
		host.Toolset(),
		cluster.Toolset(),
		datastore.Toolset(),
		network.Toolset(),
		event.Toolset(),
		tag.Toolset(),
		folder.Toolset(),
		pool.Toolset(),
		device.Toolset(),
		console.Toolset(),
		metrics.Toolset(),
		guest.Toolset(),
	}
}

// All returns every tool of every toolset: the catalog, which needs no
// vCenter session.
func All() []toolkit.Tool {
	var all []toolkit.Tool
	for _, ts := range Toolsets() {
		all = append(all, ts.Tools()...)
	}
	return all
}
