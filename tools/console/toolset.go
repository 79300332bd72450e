// Package console is the console toolset: what a person sees and does at a
// VM's console, without VMware Tools or a network in the guest — a
// screenshot (vm_screenshot), keystrokes (vm_send_keys), a browser console
// link (vm_console_url) and the answer to a question the VM is blocked on
// (vm_question_answer).
package console

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:console).
const ID toolkit.ToolsetID = "console"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the console toolset with its tools.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "VM consoles: screenshots, keystrokes, browser console links and answers to VM questions", false, schemas,
		vmScreenshot(),
		vmSendKeys(),
		vmConsoleURL(),
		vmQuestionAnswer(),
	)
}
