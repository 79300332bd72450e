package filetrust

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	if !Supported {
		t.Skip("no Unix owners or permission bits here")
	}
	me := UID()
	other := me + 12345 // a uid that owns nothing here
	file := Rule{What: "config file", Why: "and with it your role", Mode: 0o600}
	dir := Rule{What: "config directory", Mode: 0o700}
	sticky := Rule{What: "audit directory", Mode: 0o700, AllowRoot: true, StickyOK: true}
	tests := []struct {
		name  string
		isDir bool
		mode  fs.FileMode
		uid   int // who the check thinks is running
		rule  Rule
		want  []string // substrings of the error; nil: accepted
	}{
		{"private file", false, 0o600, me, file, nil},
		{"readable file", false, 0o644, me, file, nil},
		{"group-writable file", false, 0o660, me, file, []string{"config file", "0660", "its group can write it", "and with it your role", "chmod 600 "}},
		{"world-writable file", false, 0o606, me, file, []string{"0606", "others can write it", "chmod 600"}},
		{"private dir", true, 0o700, me, dir, nil},
		{"group-writable dir", true, 0o770, me, dir, []string{"config directory", "0770", "chmod 700 "}},
		{"world-writable dir", true, 0o777, me, dir, []string{"0777", "others"}},
		{"sticky dir not allowed", true, 0o777 | fs.ModeSticky, me, dir, []string{"others can write it"}},
		{"sticky dir of the user", true, 0o777 | fs.ModeSticky, me, sticky, nil},
		{"sticky dir of another user", true, 0o777 | fs.ModeSticky, other, Rule{What: "audit directory", Mode: 0o700, StickyOK: true}, []string{"owned by"}},
		{"owned by another user", false, 0o600, other, file, []string{"is owned by", "not by you", "sudo chown "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "x")
			if tc.isDir {
				if err := os.Mkdir(p, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil { // umask must not decide
				t.Fatal(err)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			err = Check(p, fi, tc.uid, tc.rule)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Path != p {
				t.Fatalf("err = %v, want a *Error for %s", err, p)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

// Root may own what the rule allows it to; tested where the files we make
// are root's, i.e. when the tests run as root.
func TestCheckRootAllowed(t *testing.T) {
	t.Parallel()
	if !Supported || UID() != 0 {
		t.Skip("needs files owned by root")
	}
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	r := Rule{What: "system policy", Mode: 0o644}
	if err := Check(p, fi, 1000, r); err == nil {
		t.Error("a root-owned file was accepted for uid 1000 without AllowRoot")
	}
	r.AllowRoot = true
	if err := Check(p, fi, 1000, r); err != nil {
		t.Errorf("AllowRoot: %v", err)
	}

	// A sticky directory like /tmp is root's, not the user's: others may
	// still plant names in it, so it is refused even with AllowRoot.
	d := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o777|fs.ModeSticky); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(d)
	err := Check(d, fi, 1000, Rule{What: "audit directory", Mode: 0o700, AllowRoot: true, StickyOK: true})
	if err == nil || !strings.Contains(err.Error(), "others can write it") {
		t.Errorf("root's sticky dir for uid 1000: err = %v", err)
	}
}

// A file really owned by someone else (chown needs root).
func TestCheckChowned(t *testing.T) {
	t.Parallel()
	if !Supported || UID() != 0 {
		t.Skip("chown needs root")
	}
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Skip(err)
	}
	fi, _ := os.Stat(p)
	err := Check(p, fi, UID(), Rule{What: "config file", Mode: 0o600, AllowRoot: true})
	if err == nil || !strings.Contains(err.Error(), "sudo chown "+UserName(0)+" "+p) {
		t.Errorf("err = %v", err)
	}
	t.Logf("%v", err)
}
