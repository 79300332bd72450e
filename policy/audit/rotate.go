package audit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// RotateTool is the tool name of the record that starts a rotated trail.
const RotateTool = "vsphere-mcp audit rotate"

// RotateResult says what Rotate did.
type RotateResult struct {
	Old   string // where the previous trail is now
	Start Record // the first record of the new trail, as written
}

// Rotate starts a new trail at path and keeps the old one: the old file is
// renamed to path.YYYYMMDDTHHMMSSZ (its checkpoint to the same name plus
// .head), and the new file's first record names it, the old file's last
// record and its checkpoint, and the reason. That record continues the old
// chain (from its end, or from its checkpoint when the file falls short of
// it), so seq numbers run on and Verify accepts it as a start. It is the
// way past a trail that does not continue its checkpoint, and works on a
// healthy one too. Servers writing to path follow to the new file at
// their next write.
func Rotate(path, reason string, now time.Time) (*RotateResult, error) {
	uid := filetrust.UID()
	if err := checkDir(path, uid); err != nil {
		return nil, err
	}
	headPath := HeadPath(path)
	old, err := openNoFollow(path, os.O_RDWR, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Lstat(headPath); err != nil {
			return nil, fmt.Errorf("audit: no audit trail at %s: nothing to rotate", path)
		}
		old = nil // a checkpoint without its trail: start from the checkpoint
	case errors.Is(err, ErrSymlink):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	if old != nil {
		defer old.Close()
		if _, err := checkOpened(old, path, "audit file", uid); err != nil {
			return nil, err
		}
		if err := lockFile(old); err != nil {
			return nil, fmt.Errorf("audit: lock %s: %w", path, err)
		}
		defer unlockFile(old)
	}

	rot, from, err := describeOld(old, path, uid)
	if err != nil {
		return nil, err
	}
	switch { // what the person said, and what was wrong
	case reason != "" && rot.Reason != "":
		rot.Reason = reason + "; " + rot.Reason
	case reason != "":
		rot.Reason = reason
	case rot.Reason == "":
		rot.Reason = "requested"
	}
	aside, err := asideName(path, now)
	if err != nil {
		return nil, err
	}
	rot.File = filepath.Base(aside)

	// Write the new trail beside the old one, then swap it in: with a hard
	// link the path never stops naming a trail.
	w := &Writer{path: path, pid: os.Getpid(), uid: uid, osUser: currentUser(), session: newSessionID()}
	start := Record{Time: now.UTC(), Seq: from.Seq + 1, Prev: from.Hash, PID: w.pid, Session: w.session, OSUser: w.osUser,
		Tool: RotateTool, Decision: DecisionRotated, Rotated: &rot}
	capRecord(&start)
	line, err := encodeLine(&start)
	if err != nil {
		return nil, fmt.Errorf("audit: encode the rotation record: %w", err)
	}
	tmp := path + ".rotate.tmp"
	_ = os.Remove(tmp) // a leftover from an interrupted rotate
	if err := writeNew(tmp, line); err != nil {
		return nil, err
	}
	if old != nil {
		if err := moveAside(path, aside); err != nil {
			os.Remove(tmp)
			return nil, err
		}
	}
	if rot.Head != nil {
		if err := moveAside(headPath, aside+".head"); err != nil {
			os.Remove(tmp)
			return nil, err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("audit: put the new trail in place (the old one is %s): %w", aside, err)
	}
	if err := writeHeadFile(headPath, Head{Seq: start.Seq, Hash: start.Hash}); err != nil {
		return nil, err
	}
	return &RotateResult{Old: aside, Start: start}, nil
}

// describeOld reads where the old trail ends and what its checkpoint says,
// and picks where the new chain continues from.
func describeOld(old *os.File, path string, uid int) (rot Rotation, from Head, err error) {
	rot.End = Head{Seq: 0, Hash: Genesis}
	var last *chainFields
	var bl *backLines
	if old != nil {
		st, err := old.Stat()
		if err != nil {
			return rot, from, fmt.Errorf("audit: stat %s: %w", path, err)
		}
		line, _, b, err := lastLine(old, st.Size())
		if err != nil {
			return rot, from, fmt.Errorf("audit: read %s: %w", path, err)
		}
		bl = b
		if line != nil {
			if c, err := parseLine(line); err == nil {
				last, rot.End = &c, Head{Seq: c.seq, Hash: c.hash}
			} else {
				rot.Reason = "its last line is not an audit record"
			}
		}
	} else {
		rot.Reason = "the trail was missing"
		bl = newBackLines(nilReader{}, 0)
	}
	from = rot.End
	cp, state, err := readHead(HeadPath(path), uid)
	if err != nil {
		return rot, from, err
	}
	if state == headFound {
		rot.Head = &cp
		if why := continues(last, bl, cp); why != "" {
			from = cp
			if rot.Reason == "" { // a missing or unreadable end says it better
				rot.Reason = why
			}
		}
	}
	return rot, from, nil
}

type nilReader struct{}

func (nilReader) ReadAt([]byte, int64) (int, error) { return 0, io.EOF }

// asideName is path.YYYYMMDDTHHMMSSZ, with -2, -3… when taken.
func asideName(path string, now time.Time) (string, error) {
	base := path + "." + now.UTC().Format("20060102T150405Z")
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		_, err1 := os.Lstat(name)
		_, err2 := os.Lstat(name + ".head")
		if errors.Is(err1, fs.ErrNotExist) && errors.Is(err2, fs.ErrNotExist) {
			return name, nil
		}
	}
	return "", fmt.Errorf("audit: no free name for the old trail beside %s", path)
}

// moveAside gives from the name to: a hard link, which fails rather than
// replace anything, where the file system has them, else a rename.
func moveAside(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	} else if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("audit: keep the old trail: %w", err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("audit: keep the old trail as %s: %w", to, err)
	}
	return nil
}

// writeNew creates path (never through a link) holding data, on disk.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit: create %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("audit: write %s: %w", path, err)
	}
	return nil
}
