package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// Each refusal of a config file or directory, with the command that fixes it.
func TestLoadTrust(t *testing.T) {
	t.Parallel()
	if !filetrust.Supported {
		t.Skip("no Unix owners or permission bits here")
	}
	me := filetrust.UID()
	const body = "profiles:\n  lab: {url: x, role: admin}\n"
	tests := []struct {
		name     string
		file     os.FileMode
		dir      os.FileMode
		link     bool // config path is a symlink into the directory under test
		fileUser bool // the file belongs to another user
		dirUser  bool // the directory belongs to another user
		want     []string
	}{
		{"trusted", 0o600, 0o700, false, false, false, nil},
		{"readable by others is fine without a password", 0o644, 0o755, false, false, false, nil},
		{"group-writable file", 0o620, 0o700, false, false, false, []string{"config file", "0620", "its group can write it", "choose your role", "fix with: chmod 600 "}},
		{"world-writable file", 0o602, 0o700, false, false, false, []string{"0602", "others can write it", "chmod 600"}},
		{"group-writable directory", 0o600, 0o770, false, false, false, []string{"config directory", "0770", "replace the config file", "fix with: chmod 700 "}},
		{"world-writable directory", 0o600, 0o777, false, false, false, []string{"config directory", "0777", "others"}},
		{"sticky world-writable directory", 0o600, 0o777 | os.ModeSticky, false, false, false, []string{"config directory", "others"}},
		{"symlink into a world-writable directory", 0o600, 0o777, true, false, false, []string{"config directory", "0777"}},
		{"owned by another user", 0o600, 0o700, false, true, false, []string{"config file", "is owned by", "not by you", "sudo chown "}},
		{"directory owned by another user", 0o600, 0o700, false, false, true, []string{"config directory", "is owned by", "sudo chown "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// As root, another owner is made with chown; otherwise Load is
			// told it runs as someone else, which only works for the file.
			uid := me
			if (tc.fileUser || tc.dirUser) && me != 0 {
				if tc.dirUser {
					t.Skip("chown needs root")
				}
				uid = me + 12345
			}
			dir := filepath.Join(t.TempDir(), "vsphere-mcp")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, dir, "config.yaml", body, tc.file)
			if tc.link {
				l := filepath.Join(t.TempDir(), "config.yaml")
				if err := os.Symlink(p, l); err != nil {
					t.Fatal(err)
				}
				p = l
			}
			if err := os.Chmod(dir, tc.dir); err != nil {
				t.Fatal(err)
			}
			for path, chown := range map[string]bool{p: tc.fileUser, dir: tc.dirUser} {
				if chown && me == 0 {
					if err := os.Chown(path, 65534, 65534); err != nil {
						t.Skip(err)
					}
				}
			}
			_, err := load(p, true, env(nil), uid)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

// A config file really owned by another user, and one owned by root (which
// could rewrite it anyway), when the tests can chown.
func TestLoadOwnedBy(t *testing.T) {
	t.Parallel()
	if !filetrust.Supported || filetrust.UID() != 0 {
		t.Skip("chown needs root")
	}
	p := writeFile(t, t.TempDir(), "config.yaml", "profiles:\n  lab: {role: admin}\n", 0o644)
	if _, err := load(p, true, env(nil), 1000); err != nil {
		t.Errorf("root-owned config for uid 1000: %v", err)
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Skip(err)
	}
	_, err := Load(p, true, env(nil))
	if err == nil || !strings.Contains(err.Error(), "sudo chown "+filetrust.UserName(0)+" "+p) {
		t.Errorf("config owned by uid 65534: %v", err)
	}
}

func TestCheckpointEvery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml string
		want int
		err  string
	}{
		{"audit: {vcenter_events: true}\n", 0, ""},
		{"audit: {vcenter_events: true, checkpoint_every: 10}\n", 10, ""},
		{"audit: {checkpoint_every: -1}\n", 0, "audit.checkpoint_every -1"},
		{"audit: {checkpoint_every: 2000000}\n", 0, "from 1 to 1000000"},
	} {
		p := writeFile(t, t.TempDir(), "config.yaml", tc.yaml, 0o600)
		f, err := Load(p, true, env(nil))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil || f.Audit.CheckpointEvery != tc.want {
			t.Errorf("%q: %v, %v", tc.yaml, f, err)
		}
	}
}
