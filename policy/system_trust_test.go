package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// A system policy anyone but root or the user could rewrite is refused,
// naming the fix; root's own policy is what it should be.
func TestLoadSystemPolicyTrust(t *testing.T) {
	t.Parallel()
	if !filetrust.Supported {
		t.Skip("no Unix owners or permission bits here")
	}
	me := filetrust.UID()
	tests := []struct {
		name      string
		file, dir os.FileMode
		fileUser  bool // the file belongs to another user (chown as root, else a pretend uid)
		asUser    int  // run the check as this uid instead of me; -1: me
		want      []string
	}{
		{"trusted", 0o644, 0o755, false, -1, nil},
		{"group-writable", 0o664, 0o755, false, -1, []string{"system policy", "0664", "its group can write it", "change what every user may do", "chmod 644 "}},
		{"world-writable", 0o646, 0o755, false, -1, []string{"others can write it"}},
		{"world-writable directory", 0o644, 0o777, false, -1, []string{"system policy directory", "0777", "chmod 755 "}},
		{"owned by another user", 0o644, 0o755, true, -1, []string{"system policy", "is owned by", "sudo chown "}},
		{"root's policy, read by a user", 0o644, 0o755, false, 1000, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			uid := me
			if tc.asUser >= 0 {
				if me != 0 {
					t.Skip("needs files owned by root")
				}
				uid = tc.asUser
			}
			dir := filepath.Join(t.TempDir(), "vsphere-mcp")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, dir, "policy.yaml", "max_role: viewer\n")
			if err := os.Chmod(p, tc.file); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.dir); err != nil {
				t.Fatal(err)
			}
			if tc.fileUser {
				if me == 0 {
					if err := os.Chown(p, 65534, 65534); err != nil {
						t.Skip(err)
					}
				} else {
					uid = me + 12345
				}
			}
			sp, err := loadSystemPolicy(uid, p)
			if tc.want == nil {
				if err != nil || sp.MaxRole != "viewer" {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(tc.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}
