//go:build unix

package audit

import (
	"os"
	"syscall"
)

// openNoFollow opens path but never through a symbolic link at its last
// component: O_NOFOLLOW makes the kernel refuse one, so nothing is read,
// written or chmod-ed through a link, and there is no window between a
// check and the open. O_NONBLOCK keeps a FIFO planted at the path from
// hanging the open; Go makes no difference for regular files.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err != nil {
		return nil, explainLink(path, err)
	}
	return f, nil
}
