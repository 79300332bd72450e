//go:build windows

package audit

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockFile takes an exclusive lock so that two server processes sharing a
// trail serialise their appends. It locks one byte far beyond any real end
// of file, because Windows locks are mandatory and locking real content
// would make `audit verify` fail to read it meanwhile.
func lockFile(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: 0x7fffffff}
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, ol)
}

func unlockFile(f *os.File) {
	ol := &windows.Overlapped{OffsetHigh: 0x7fffffff}
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}
