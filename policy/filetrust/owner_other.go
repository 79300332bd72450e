//go:build !unix

package filetrust

import "io/fs"

// Supported reports whether owners and permission bits are checked here:
// not on Windows and other non-Unix systems, where ACLs (or nothing)
// decide, so Check accepts everything there.
const Supported = false

// Owner returns the uid that owns fi, when the platform says.
func Owner(fs.FileInfo) (int, bool) { return 0, false }

// UID is the user running this process (-1: not a Unix uid).
func UID() int { return -1 }
