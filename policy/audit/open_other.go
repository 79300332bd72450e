//go:build !unix

package audit

import (
	"io/fs"
	"os"
)

// openNoFollow opens path but refuses a symbolic link at its last
// component. Without O_NOFOLLOW (Windows, Plan 9, WASI) this is a check
// before the open, so a link swapped in between the two is followed.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, explainLink(path, err)
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, explainLink(path, err)
	}
	return f, nil
}
