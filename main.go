// Command vsphere-mcp is an MCP server that lets an AI assistant operate
// VMware vSphere safely. See README.md.
package main

import "github.com/vsphere-mcp/vsphere-mcp/cmd"

func main() {
	cmd.Execute()
}
