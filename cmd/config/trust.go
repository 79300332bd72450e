package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// Whoever can write the config file chooses the role; whoever can write
// its directory can put another file in its place. Root may own either:
// root can rewrite any file anyway (ssh allows it for the same reason).
var (
	fileRule = filetrust.Rule{What: "config file", Why: "and so choose your role", Mode: 0o600, AllowRoot: true}
	dirRule  = filetrust.Rule{What: "config directory", Why: "and so replace the config file", Mode: 0o700, AllowRoot: true}
)

// checkTrust refuses a config file (st is its Stat) that the user uid
// cannot trust, or one in a directory the user cannot trust. When path is
// a symbolic link, the directory it points into is checked as well.
func checkTrust(path string, st fs.FileInfo, uid int) error {
	if err := filetrust.Check(path, st, uid, fileRule); err != nil {
		return err
	}
	dirs := []string{filepath.Dir(path)}
	if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Dir(real) != dirs[0] {
		dirs = append(dirs, filepath.Dir(real))
	}
	for _, d := range dirs {
		dst, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("config directory %s: %w", d, err)
		}
		if err := filetrust.Check(d, dst, uid, dirRule); err != nil {
			return err
		}
	}
	return nil
}
