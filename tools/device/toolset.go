// Package device is the device toolset: a VM's virtual hardware — disks,
// network adapters, CD/DVD drives, serial ports, the hardware version.
package device

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:device).
const ID toolkit.ToolsetID = "device"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the device toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "VM hardware: list devices; add, grow and remove disks; NICs, CD/DVD and ISOs, serial ports; hardware version", false, schemas,
		vmDeviceList(),
		vmDiskList(), vmDiskAdd(), vmDiskResize(), vmDiskRemove(),
		vmHardwareUpgrade(),
		vmNICList(), vmNICAdd(), vmNICUpdate(), vmNICRemove(),
		vmCdromInsert(), vmCdromEject(),
		vmSerialAdd(), vmSerialUpdate(), vmSerialRemove(),
	)
}
