package policy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// A system policy belongs to root (or, for the extra files tests and
// admins add, to the user running the server, who is the one it limits);
// nobody else may be able to write it or swap it out of its directory.
var (
	sysFileRule = filetrust.Rule{What: "system policy", Why: "and so change what every user may do", Mode: 0o644, AllowRoot: true}
	sysDirRule  = filetrust.Rule{What: "system policy directory", Why: "and so replace the policy file", Mode: 0o755, AllowRoot: true}
)

// readTrusted reads a policy file after checking it and its directory.
// The checks look at the open file, so what is checked is what is read.
func readTrusted(p string, uid int) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := filetrust.Check(p, st, uid, sysFileRule); err != nil {
		return nil, err
	}
	dir := filepath.Dir(p)
	dst, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if err := filetrust.Check(dir, dst, uid, sysDirRule); err != nil {
		return nil, fmt.Errorf("system policy %s: %w", p, err)
	}
	return io.ReadAll(f)
}
