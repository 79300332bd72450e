//go:build windows

package policy

import (
	"path/filepath"

	"golang.org/x/sys/windows"
)

// defaultSystemPolicyPath asks Windows for the ProgramData folder instead of
// reading %ProgramData%, which any user can change for their own processes.
func defaultSystemPolicyPath() string {
	dir, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	if err != nil || dir == "" {
		dir = `C:\ProgramData`
	}
	return filepath.Join(dir, "vsphere-mcp", "policy.yaml")
}
