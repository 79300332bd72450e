package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// newTrail writes n records to a new trail and returns its path.
func newTrail(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Write(sample(fmt.Sprintf("tool_%d", i), DecisionAllowed), false); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	return path
}

func readHeadFile(t testing.TB, path string) Head {
	t.Helper()
	b, err := os.ReadFile(HeadPath(path))
	if err != nil {
		t.Fatal(err)
	}
	h, state, err := parseHead(b)
	if err != nil || state != headFound {
		t.Fatal(state, err)
	}
	return h
}

// forge rewrites the trail from line `from` (0-based) on: edit changes
// each of those records, and every later hash and prev is recomputed, as
// an attacker who knows the format would.
func forge(t testing.TB, lines [][]byte, from int, edit func(map[string]any)) [][]byte {
	t.Helper()
	out := make([][]byte, len(lines))
	copy(out, lines)
	prev := Genesis
	if from > 0 {
		c, err := parseLine(bytes.TrimSpace(lines[from-1]))
		if err != nil {
			t.Fatal(err)
		}
		prev = c.hash
	}
	for i := from; i < len(lines); i++ {
		obj, err := decodeObject(bytes.TrimSpace(lines[i]))
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(obj)
		}
		obj["prev"] = prev
		h, err := canonicalHash(obj)
		if err != nil {
			t.Fatal(err)
		}
		obj["hash"] = h
		b, _ := json.Marshal(obj)
		out[i], prev = append(b, '\n'), h
	}
	return out
}

func TestCheckpointFollowsEveryWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, state, err := readHead(HeadPath(path), filetrust.UID()); state != headEmpty || err != nil {
		t.Errorf("before any record: checkpoint state %v, %v", state, err)
	}
	for i := range 3 {
		if err := w.Write(sample("vm_list", DecisionAllowed), i == 2); err != nil {
			t.Fatal(err)
		}
		lines := readLines(t, path)
		c, _ := parseLine(bytes.TrimSpace(lines[len(lines)-1]))
		if h := readHeadFile(t, path); h != (Head{c.seq, c.hash}) || h != w.Head() {
			t.Errorf("after record %d: checkpoint %v, last line %d:%s, Head() %v", i+1, h, c.seq, c.hash, w.Head())
		}
	}
	if st, _ := os.Stat(HeadPath(path)); filetrust.Supported && st.Mode().Perm() != 0o600 {
		t.Errorf("checkpoint mode %04o", st.Mode().Perm())
	}
	if _, err := os.Stat(HeadPath(path) + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary checkpoint left behind: %v", err)
	}
	rep, err := VerifyFile(path)
	if err != nil || rep.Records != 3 || rep.Checkpoint == nil || rep.Checkpoint.Seq != 3 || len(rep.Warnings) != 0 {
		t.Errorf("VerifyFile = %+v, %v", rep, err)
	}
}

// The ways a trail can stop continuing its checkpoint: each keeps the
// server from starting, and VerifyFile names the line.
func TestBrokenChainDetected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mangle   func(t *testing.T, path string, lines [][]byte)
		open     string // in the Open error
		line     int    // VerifyFile's line
		verify   string // in VerifyFile's reason
		passes   bool   // what the checkpoint cannot see
		warnings int
	}{
		{name: "truncated to zero", mangle: func(t *testing.T, p string, _ [][]byte) { os.Truncate(p, 0) },
			open: "the file is empty but the checkpoint says seq 5", line: 1, verify: "the file is empty"},
		{name: "removed and created again", mangle: func(t *testing.T, p string, _ [][]byte) { os.Remove(p) },
			open: "the file is empty", line: 1, verify: "the file is missing"},
		{name: "last two lines cut", mangle: func(t *testing.T, p string, l [][]byte) { os.WriteFile(p, bytes.Join(l[:3], nil), 0o600) },
			open: "ends at seq 3 but the checkpoint says seq 5", line: 4, verify: "2 records are missing from the end"},
		{name: "last line rewritten, hash recomputed", mangle: func(t *testing.T, p string, l [][]byte) {
			os.WriteFile(p, bytes.Join(forge(t, l, 4, func(o map[string]any) { o["decision"] = "denied" }), nil), 0o600)
		}, open: "record seq 5 has hash", line: 5, verify: "rewritten"},
		{name: "rewritten from line 2, every later hash recomputed", mangle: func(t *testing.T, p string, l [][]byte) {
			f := forge(t, l, 1, nil)
			f[1] = forge(t, l[:2], 1, func(o map[string]any) { o["tool"] = "vm_list" })[1]
			os.WriteFile(p, bytes.Join(forge(t, f, 1, nil), nil), 0o600)
		}, open: "record seq 5 has hash", line: 5, verify: "rewritten"},
		{name: "replaced by another trail", mangle: func(t *testing.T, p string, _ [][]byte) {
			os.WriteFile(p, bytes.Join(writeTrail(t, 7), nil), 0o600)
		}, open: "record seq 6 does not follow the checkpoint's hash", line: 5, verify: "rewritten"},
		{name: "rewritten and the checkpoint too", mangle: func(t *testing.T, p string, l [][]byte) {
			f := forge(t, l[:3], 1, func(o map[string]any) { o["tool"] = "vm_list" })
			os.WriteFile(p, bytes.Join(f, nil), 0o600)
			c, _ := parseLine(bytes.TrimSpace(f[2]))
			os.WriteFile(HeadPath(p), Head{c.seq, c.hash}.file(), 0o600)
		}, passes: true},
		{name: "checkpoint removed", mangle: func(t *testing.T, p string, _ [][]byte) { os.Remove(HeadPath(p)) },
			passes: true, warnings: 1},
		{name: "crash after a record, before its checkpoint", mangle: func(t *testing.T, p string, l [][]byte) {
			c, _ := parseLine(bytes.TrimSpace(l[3]))
			os.WriteFile(HeadPath(p), Head{c.seq, c.hash}.file(), 0o600)
		}, passes: true},
		{name: "an older writer added records without checkpoints", mangle: func(t *testing.T, p string, l [][]byte) {
			c, _ := parseLine(bytes.TrimSpace(l[1]))
			os.WriteFile(HeadPath(p), Head{c.seq, c.hash}.file(), 0o600)
		}, passes: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := newTrail(t, 5)
			tc.mangle(t, path, readLines(t, path))
			rep, verr := VerifyFile(path)
			w, err := Open(path)
			if tc.passes {
				if err != nil || verr != nil {
					t.Fatalf("Open: %v; VerifyFile: %v", err, verr)
				}
				if len(w.Warnings()) != tc.warnings || len(rep.Warnings) != tc.warnings {
					t.Errorf("warnings: Open %v, VerifyFile %v", w.Warnings(), rep.Warnings)
				}
				w.Close()
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.open) || !strings.Contains(err.Error(), "audit rotate") {
				t.Errorf("Open: %v, want a *ChainError with %q", err, tc.open)
			}
			var ve *VerifyError
			if !errors.As(verr, &ve) || ve.Line != tc.line || !strings.Contains(ve.Reason, tc.verify) {
				t.Errorf("VerifyFile: %v, want line %d: …%s…", verr, tc.line, tc.verify)
			}
			t.Logf("Open: %v", err)
		})
	}
}

// A symbolic link at the audit or checkpoint path is refused and nothing
// is changed: not the target's mode, not its content, no file created.
func TestOpenRefusesSymlink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target func(dir string) string // what the link points at
		atHead bool                    // the link is the checkpoint
	}{
		{"to an empty file", func(d string) string { p := filepath.Join(d, "empty"); os.WriteFile(p, nil, 0o644); return p }, false},
		{"to a trail readable by others", func(d string) string {
			p := newTrail(t, 2)
			os.Chmod(p, 0o644)
			return p
		}, false},
		{"to nothing", func(d string) string { return filepath.Join(d, "nothing") }, false},
		{"checkpoint to another file", func(d string) string {
			p := filepath.Join(d, "other.head")
			os.WriteFile(p, []byte("keep\n"), 0o644)
			return p
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			target := tc.target(t.TempDir())
			before, _ := os.ReadFile(target)
			beforeSt, _ := os.Stat(target)
			path := filepath.Join(dir, "audit.jsonl")
			link := path
			if tc.atHead {
				os.WriteFile(path, nil, 0o600)
				link = HeadPath(path)
			}
			if err := os.Symlink(target, link); err != nil {
				t.Skip(err)
			}
			_, err := Open(path)
			if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("err = %v, want ErrSymlink naming %s", err, link)
			}
			after, _ := os.ReadFile(target)
			afterSt, aerr := os.Stat(target)
			if !bytes.Equal(before, after) || (beforeSt == nil) != (aerr != nil) || (beforeSt != nil && beforeSt.Mode() != afterSt.Mode()) {
				t.Errorf("the link's target changed: %q → %q, %v → %v", before, after, beforeSt, afterSt)
			}
			if _, err := VerifyFile(path); tc.atHead && !errors.Is(err, ErrSymlink) {
				t.Errorf("VerifyFile through a linked checkpoint: %v", err)
			}
		})
	}
}

// An audit directory others can write, or another user's, is refused
// before anything is created in it.
func TestOpenRefusesUnsafeDirectory(t *testing.T) {
	t.Parallel()
	if !filetrust.Supported {
		t.Skip("no Unix permission bits here")
	}
	tests := []struct {
		name  string
		mode  os.FileMode
		chown bool // to uid 65534 (root only)
		want  string
	}{
		{"world-writable", 0o777, false, "chmod 700"},
		{"group-writable", 0o770, false, "its group can write it"},
		{"sticky and the user's", 0o777 | os.ModeSticky, false, ""},
		{"readable by others", 0o755, false, ""},
		{"another user's", 0o755, true, "sudo chown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "state")
			os.Mkdir(dir, 0o700)
			if err := os.Chmod(dir, tc.mode); err != nil {
				t.Fatal(err)
			}
			if tc.chown {
				if filetrust.UID() != 0 {
					t.Skip("chown needs root")
				}
				if err := os.Chown(dir, 65534, 65534); err != nil {
					t.Skip(err)
				}
			}
			path := filepath.Join(dir, "audit.jsonl")
			w, err := Open(path)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				w.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), "audit directory "+dir) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a refusal with %q", err, tc.want)
			}
			if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the audit file was created: %v", err)
			}
			t.Logf("%v", err)
		})
	}
}

func TestOpenRefusesAnotherUsersFile(t *testing.T) {
	t.Parallel()
	if !filetrust.Supported || filetrust.UID() != 0 {
		t.Skip("chown needs root")
	}
	for _, name := range []string{"audit.jsonl", "audit.jsonl.head"} {
		path := newTrail(t, 1)
		p := filepath.Join(filepath.Dir(path), name)
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Skip(err)
		}
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "is owned by") {
			t.Errorf("%s owned by uid 65534: err = %v", name, err)
		}
	}
}

func TestCheckpointRefusedWhenOthersCanWriteIt(t *testing.T) {
	t.Parallel()
	if !filetrust.Supported {
		t.Skip("no Unix permission bits here")
	}
	path := newTrail(t, 2)
	os.Chmod(HeadPath(path), 0o666)
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "audit checkpoint") || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("err = %v", err)
	}
	os.Chmod(HeadPath(path), 0o600)
	os.WriteFile(HeadPath(path), []byte("hello\n"), 0o600)
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "is not an audit checkpoint") {
		t.Errorf("garbage checkpoint: err = %v", err)
	}
}

// Rotate is the way past a broken trail: the old file is kept with its
// checkpoint, the new one continues the chain and names the old one.
func TestRotate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 11, 12, 0, time.UTC)
	tests := []struct {
		name     string
		mangle   func(path string)
		fromSeq  uint64 // the new trail's first record is fromSeq+1
		reason   string
		oldFails bool // the old file still fails VerifyFile
	}{
		{"healthy trail", func(string) {}, 5, "monthly", false},
		{"tail cut off", func(p string) { l := readLines(t, p); os.WriteFile(p, bytes.Join(l[:2], nil), 0o600) }, 5, "monthly; the file ends at seq 2", true},
		{"truncated to zero", func(p string) { os.Truncate(p, 0) }, 5, "monthly; the file is empty", true},
		{"last line garbage", func(p string) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("garbage\n")
			f.Close()
		}, 5, "its last line is not an audit record", true},
		{"trail removed", func(p string) { os.Remove(p) }, 5, "the trail was missing", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := newTrail(t, 5)
			oldHead := readHeadFile(t, path)
			tc.mangle(path)
			res, err := Rotate(path, "monthly", now)
			if err != nil {
				t.Fatal(err)
			}
			if want := path + ".20261201T101112Z"; res.Old != want {
				t.Errorf("old trail at %s, want %s", res.Old, want)
			}
			rot := res.Start.Rotated
			if res.Start.Seq != tc.fromSeq+1 || res.Start.Prev != oldHead.Hash || rot == nil || rot.File != filepath.Base(res.Old) ||
				rot.Head == nil || *rot.Head != oldHead || !strings.Contains(rot.Reason, tc.reason) || res.Start.Decision != DecisionRotated {
				t.Errorf("first record: %+v, rotation %+v", res.Start, rot)
			}
			rep, err := VerifyFile(path, oldHead)
			if err != nil || rep.Records != 1 || rep.Rotated == nil || rep.Checkpoint == nil || rep.Checkpoint.Seq != tc.fromSeq+1 {
				t.Errorf("VerifyFile(new) = %+v, %v", rep, err)
			}
			w, err := Open(path)
			if err != nil {
				t.Fatalf("Open after rotate: %v", err)
			}
			if err := w.Write(sample("vm_list", DecisionAllowed), true); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if rep, err := VerifyFile(path); err != nil || rep.Records != 2 || rep.Last.Seq != tc.fromSeq+2 {
				t.Errorf("after a write: %+v, %v", rep, err)
			}
			if tc.name == "trail removed" {
				return
			}
			if _, err := os.Stat(res.Old + ".head"); err != nil {
				t.Errorf("the old checkpoint did not move along: %v", err)
			}
			if _, err := VerifyFile(res.Old); (err != nil) != tc.oldFails {
				t.Errorf("VerifyFile(old) = %v, want failure %v", err, tc.oldFails)
			}
			// The same second again gets its own name.
			if res2, err := Rotate(path, "", now); err != nil || res2.Old != res.Old+"-2" || res2.Start.Rotated.Reason != "requested" {
				t.Errorf("second rotation: %+v, %v", res2, err)
			}
		})
	}
	if _, err := Rotate(filepath.Join(t.TempDir(), "none.jsonl"), "", now); err == nil || !strings.Contains(err.Error(), "nothing to rotate") {
		t.Errorf("rotate nothing: %v", err)
	}
}

// A rotated start is a valid first line; a rotation record anywhere else,
// or one that does not follow what it names, is not.
func TestVerifyRotatedStart(t *testing.T) {
	t.Parallel()
	path := newTrail(t, 3)
	if _, err := Rotate(path, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	w, _ := Open(path)
	w.Write(sample("vm_list", DecisionAllowed), false)
	w.Close()
	lines := readLines(t, path)
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	tests := []struct {
		name   string
		data   []byte
		n      int
		reason string
	}{
		{"rotated start", join(lines...), 2, ""},
		{"rotation record inside", join(writeTrail(t, 1)[0], forge(t, lines, 0, func(o map[string]any) { o["seq"] = json.Number("2") })[0]), 1, "a rotation record inside a trail"},
		{"rotation that does not follow", join(forge(t, lines[:1], 0, func(o map[string]any) { o["seq"] = json.Number("9") })...), 0, "do not follow"},
		{"malformed rotated_from", join(forge(t, lines[:1], 0, func(o map[string]any) { o["rotated_from"] = "x" })...), 0, "malformed"},
	}
	for _, tc := range tests {
		n, err := Verify(bytes.NewReader(tc.data))
		if n != tc.n || (tc.reason == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.reason)) {
			t.Errorf("%s: n=%d err=%v, want %d …%s…", tc.name, n, err, tc.n, tc.reason)
		}
	}
}

// A running writer follows an `audit rotate` done by another process.
func TestWriterFollowsRotation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var warned []string
	w.OnWarning(func(m string) { warned = append(warned, m) })
	for range 3 {
		w.Write(sample("vm_list", DecisionAllowed), false)
	}
	res, err := Rotate(path, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sample("vm_get", DecisionAllowed), true); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyFile(path)
	if err != nil || rep.Records != 2 || rep.Last.Seq != 5 || len(warned) != 0 {
		t.Errorf("after rotation: %+v, %v, warnings %v", rep, err, warned)
	}
	if n := verifyFile(t, res.Old); n != 3 {
		t.Errorf("old trail has %d records", n)
	}
}

// A trail cut while the server runs: the writer carries on from what it
// last wrote, so the gap is in the file for Verify to name, and warns.
func TestWriterNoticesTruncationWhileRunning(t *testing.T) {
	t.Parallel()
	for _, cut := range []string{"truncate", "remove", "rewrite checkpoint too"} {
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		w, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var warned []string
		w.OnWarning(func(m string) { warned = append(warned, m) })
		for range 4 {
			w.Write(sample("vm_list", DecisionAllowed), false)
		}
		switch cut {
		case "truncate":
			os.Truncate(path, 0)
		case "remove":
			os.Remove(path)
		case "rewrite checkpoint too":
			l := readLines(t, path)
			os.WriteFile(path, bytes.Join(l[:1], nil), 0o600)
			c, _ := parseLine(bytes.TrimSpace(l[0]))
			os.WriteFile(HeadPath(path), Head{c.seq, c.hash}.file(), 0o600)
		}
		if err := w.Write(sample("vm_get", DecisionAllowed), true); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if len(warned) != 1 || !strings.Contains(warned[0], "changed while the server ran") {
			t.Errorf("%s: warnings %v", cut, warned)
		}
		if w.Head().Seq != 5 {
			t.Errorf("%s: head %v, want seq 5", cut, w.Head())
		}
		if _, err := VerifyFile(path); err == nil || !strings.Contains(err.Error(), "seq 5 where") {
			t.Errorf("%s: VerifyFile = %v, want the gap named", cut, err)
		}
	}
}

// OnCheckpoint hands out the head every N records; VerifyFile checks a
// trail against heads kept elsewhere, which catches a trail rewritten
// together with its checkpoint.
func TestOnCheckpointAndHeadsKeptElsewhere(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var posted []Head
	w.OnCheckpoint(3, func(h Head) {
		mu.Lock()
		posted = append(posted, h)
		mu.Unlock()
		_ = w.Head() // the hook runs outside the writer's locks
	})
	for range 7 {
		w.Write(sample("vm_list", DecisionAllowed), false)
	}
	exit := w.Head()
	w.Close()
	if len(posted) != 2 || posted[0].Seq != 3 || posted[1].Seq != 6 || exit.Seq != 7 {
		t.Fatalf("posted %v, exit head %v", posted, exit)
	}
	heads := append(posted, exit)
	if rep, err := VerifyFile(path, heads...); err != nil || len(rep.Heads) != 3 {
		t.Fatalf("VerifyFile with the posted heads: %+v, %v", rep, err)
	}
	parsed, err := ParseHeadString(exit.String())
	if err != nil || parsed != exit {
		t.Errorf("ParseHeadString(%q) = %v, %v", exit.String(), parsed, err)
	}

	// Cut to 4 records and rewrite the checkpoint to match: the file and
	// its checkpoint agree, the heads posted elsewhere do not.
	l := readLines(t, path)
	os.WriteFile(path, bytes.Join(l[:4], nil), 0o600)
	c, _ := parseLine(bytes.TrimSpace(l[3]))
	os.WriteFile(HeadPath(path), Head{c.seq, c.hash}.file(), 0o600)
	if _, err := VerifyFile(path); err != nil {
		t.Errorf("the checkpoint alone cannot see this: %v", err)
	}
	_, err = VerifyFile(path, heads...)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Line != 5 || !strings.Contains(ve.Reason, "head 6:") || !strings.Contains(ve.Reason, "missing from the end") {
		t.Errorf("VerifyFile with posted heads = %v", err)
	}
	forged := forge(t, l, 1, func(o map[string]any) { o["decision"] = "denied" })
	os.WriteFile(path, bytes.Join(forged, nil), 0o600)
	c, _ = parseLine(bytes.TrimSpace(forged[len(forged)-1]))
	os.WriteFile(HeadPath(path), Head{c.seq, c.hash}.file(), 0o600)
	if _, err = VerifyFile(path, posted[0]); !errors.As(err, &ve) || ve.Line != 3 || !strings.Contains(ve.Reason, "rewritten") {
		t.Errorf("rewritten trail against an early head: %v", err)
	}
}

func TestParseHeadString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "12", "0:" + Genesis, "x:" + Genesis, "12:abc", "-1:" + Genesis, "12:" + strings.ToUpper(Genesis[:63]) + "A"} {
		if _, err := ParseHeadString(s); err == nil {
			t.Errorf("ParseHeadString(%q) accepted", s)
		}
	}
	if h, err := ParseHeadString(" 12:" + Genesis + " "); err != nil || h.Seq != 12 {
		t.Errorf("%v %v", h, err)
	}
}

// A slot torn at any byte by a crash mid-write never yields a head that
// was not written: the reader falls back to the other slot.
func TestTornCheckpointSlot(t *testing.T) {
	t.Parallel()
	older, old, next := Head{4, sha("4")}, Head{5, sha("5")}, Head{7, sha("7")}
	file := Head{}.fileBlank()
	copy(file[older.Seq%2*slotSize:], older.slot())
	copy(file[old.Seq%2*slotSize:], old.slot())
	if h, _, err := parseHead(file); err != nil || h != old {
		t.Fatalf("whole file: %v, %v", h, err)
	}
	newSlot := next.slot() // seq 7 goes where seq 5 is
	for cut := 0; cut <= slotSize; cut++ {
		torn := slices.Clone(file)
		copy(torn[next.Seq%2*slotSize:], newSlot[:cut])
		h, state, err := parseHead(torn)
		if err != nil || state != headFound || (h != old && h != next && h != older) {
			t.Fatalf("torn at %d: %v %v %v", cut, h, state, err)
		}
	}
}

// FuzzParseHead: the checkpoint reader never panics, what it accepts it
// writes back the same way, and it accepts only heads with a valid check.
func FuzzParseHead(f *testing.F) {
	f.Add(Head{12, Genesis}.file())
	f.Add(Head{13, Genesis}.slot())
	f.Add([]byte(`{"seq":1,"hash":"` + Genesis + `","check":"00000000"}`))
	f.Add([]byte(`{"seq":0,"hash":"` + Genesis + `"}`))
	f.Add([]byte(`{"seq":1e3,"hash":"x"}`))
	f.Add([]byte(`{"seq":18446744073709551616,"hash":"` + Genesis + `"}`))
	f.Add(append(Head{12, Genesis}.slot(), "{}\n\x00\x00"...))
	f.Add(Head{}.fileBlank())
	f.Fuzz(func(t *testing.T, b []byte) {
		h, state, err := parseHead(b)
		if err != nil || state != headFound {
			return
		}
		if h.Seq == 0 || !isHex64(h.Hash) || !bytes.Contains(b, []byte(h.check())) {
			t.Fatalf("accepted %v", h)
		}
		again, _, err := parseHead(h.file())
		if err != nil || again != h {
			t.Fatalf("round trip: %v → %v, %v", h, again, err)
		}
	})
}

// FuzzCheckpoint: checking a trail against a checkpoint never panics, on
// any file and any head, and a trail that passes holds the head's record.
func FuzzCheckpoint(f *testing.F) {
	lines := writeTrail(f, 3)
	c, _ := parseLine(bytes.TrimSpace(lines[2]))
	good := Head{c.seq, c.hash}
	f.Add(bytes.Join(lines, nil), good.file())
	f.Add(bytes.Join(lines[:2], nil), good.file())
	f.Add([]byte{}, good.file())
	f.Add(append(bytes.Join(lines, nil), "torn"...), good.file())
	f.Add([]byte("\n\n\n"), Head{1, Genesis}.file())
	f.Fuzz(func(t *testing.T, trail, head []byte) {
		h, state, err := parseHead(head)
		if err != nil || state != headFound {
			return
		}
		r := bytes.NewReader(trail)
		line, _, bl, err := lastLine(r, int64(len(trail)))
		if err != nil {
			t.Fatal(err)
		}
		var last *chainFields
		if line != nil {
			p, err := parseLine(line)
			if err != nil {
				return
			}
			last = &p
		}
		if why := continues(last, bl, h); why == "" && last.seq < h.Seq {
			t.Fatalf("a trail ending at seq %d continues a checkpoint at seq %d", last.seq, h.Seq)
		}
	})
}

// A trail from before checkpoints opens with one warning, and the next
// record gives it a checkpoint.
func TestTrailWithoutCheckpoint(t *testing.T) {
	t.Parallel()
	path := newTrail(t, 3)
	os.Remove(HeadPath(path))
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if ws := w.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], "no chain head") {
		t.Errorf("warnings %v", ws)
	}
	if rep, err := VerifyFile(path); err != nil || len(rep.Warnings) != 1 || rep.Checkpoint != nil {
		t.Errorf("before a write: %+v, %v", rep, err)
	}
	if err := w.Write(sample("vm_list", DecisionAllowed), false); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if rep, err := VerifyFile(path); err != nil || len(rep.Warnings) != 0 || rep.Checkpoint == nil || rep.Checkpoint.Seq != 4 {
		t.Errorf("after a write: %+v, %v", rep, err)
	}
}
