//go:build unix

package filetrust

import (
	"io/fs"
	"os"
	"syscall"
)

// Supported reports whether owners and permission bits are checked here.
const Supported = true

// Owner returns the uid that owns fi, when the platform says.
func Owner(fi fs.FileInfo) (int, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), true
	}
	return 0, false
}

// UID is the user running this process.
func UID() int { return os.Getuid() }
