package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// ErrSymlink is wrapped by the error for an audit or checkpoint file that
// is a symbolic link: the trail is never written, read for its chain or
// chmod-ed through a link, which could point at any file the user can write.
var ErrSymlink = errors.New("is a symbolic link")

// explainLink turns a failed open of path into the symlink error when a
// link is what is there, and otherwise returns err.
func explainLink(path string, err error) error {
	st, lerr := os.Lstat(path)
	if lerr != nil || st.Mode()&fs.ModeSymlink == 0 {
		return err
	}
	target, _ := os.Readlink(path)
	return fmt.Errorf("audit: %s %w (to %s): refusing to follow it, and nothing was changed; point audit.file at a real file, or remove the link", path, ErrSymlink, target)
}

// Whoever can write the audit directory can remove, replace or pre-create
// the trail and its checkpoint. A sticky directory the user owns is fine:
// others cannot rename or remove what is not theirs.
var dirRule = filetrust.Rule{What: "audit directory", Why: "and so remove or replace the audit trail", Mode: 0o700, AllowRoot: true, StickyOK: true}

// checkDir creates the audit file's directory (0700) if needed and refuses
// one the user uid cannot trust.
func checkDir(path string, uid int) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: create directory for %s: %w", path, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := filetrust.Check(dir, st, uid, dirRule); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// checkOpened refuses an open audit or checkpoint file that is not a
// regular file or not the user's.
func checkOpened(f *os.File, path, what string, uid int) (fs.FileInfo, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit: stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("audit: %s is not a regular file", path)
	}
	if err := filetrust.CheckOwner(path, st, uid, filetrust.Rule{What: what}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return st, nil
}

// tighten makes an audit file readable by its owner only (the trail names
// VMs, users and errors) and says so.
func tighten(f *os.File, path string, st fs.FileInfo) (warning string, err error) {
	if runtime.GOOS == "windows" { // permission bits mean little there; ACLs decide
		return "", nil
	}
	perm := st.Mode().Perm()
	if perm&0o077 == 0 {
		return "", nil
	}
	if err := f.Chmod(0o600); err != nil {
		return "", fmt.Errorf("audit: %s has mode %04o and cannot be tightened to 0600: %w", path, perm, err)
	}
	return fmt.Sprintf("audit file %s had mode %04o, readable by others; changed to 0600", path, perm), nil
}
