package audit

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"slices"
	"sync"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// DefaultCheckpointEvery is how many records OnCheckpoint waits between
// calls when not told.
const DefaultCheckpointEvery = 100

// Writer appends records to an audit file. It is safe for concurrent use,
// and several processes may share one file: each write takes an exclusive
// file lock (where the OS offers one) and continues the chain from whatever
// line is last in the file at that moment. After each record it writes the
// new chain head into the checkpoint file beside the trail (HeadPath).
type Writer struct {
	path     string
	session  string
	pid, uid int
	osUser   string
	now      func() time.Time

	mu        sync.Mutex
	f         *os.File
	hf        *os.File    // the checkpoint, kept open: it is written after every record
	hfInfo    fs.FileInfo // what hf was when opened, to notice it being replaced
	size      int64       // file size after our last write; another size means someone else wrote
	lastSeq   uint64
	lastHash  string
	needNL    bool // the file ends in a torn line: start the next one on a new line
	warnings  []string
	headErr   bool // the last checkpoint write failed (warn once per failure streak)
	onWarning func(string)

	every    int
	hook     func(Head)
	unposted int // records written since the hook last ran
}

// Open opens (creating if needed) the audit file at path for appending.
// Missing parent directories are created with mode 0700 and the file with
// 0600; an existing file readable by others is tightened to 0600 and a
// warning recorded (see Warnings).
//
// It refuses a symbolic link at path or at its checkpoint (ErrSymlink;
// nothing is opened, changed or created through it); a directory its group
// or others can write (unless sticky and the user's) or that belongs to
// another user than root; a file that is not the user's; a last line that
// is complete but not a record (the server must not continue someone
// else's file); and a trail that does not continue its checkpoint
// (*ChainError: cut short, truncated, replaced or rewritten), which only
// `audit rotate` (Rotate) gets past. A torn last line (a crash mid-write)
// and a missing checkpoint are warnings.
func Open(path string) (*Writer, error) {
	if path == "" {
		return nil, errors.New("audit: no file given")
	}
	w := &Writer{path: path, pid: os.Getpid(), uid: filetrust.UID(), osUser: currentUser(), now: time.Now,
		size: -1, lastHash: Genesis, every: DefaultCheckpointEvery}
	w.session = newSessionID()
	f, hf, err := w.open(true)
	if err != nil {
		return nil, err
	}
	w.f, w.hf = f, hf
	return w, nil
}

// open opens the file at w.path and its checkpoint with every check and
// reads where the chain ends (see resync). At start a chain that does not
// continue its checkpoint is an error; later (the file was replaced or
// removed while we ran) it is a warning. It sets w.hfInfo. Callers hold
// w.mu, or own w alone.
func (w *Writer) open(start bool) (*os.File, *os.File, error) {
	if err := checkDir(w.path, w.uid); err != nil {
		return nil, nil, err
	}
	// The trail first: a link at its path is refused before anything,
	// the checkpoint included, is created.
	f, err := openNoFollow(w.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, ErrSymlink) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("audit: open %s: %w", w.path, err)
	}
	hf, err := w.openLocked(f, start)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, hf, nil
}

// openLocked checks the open trail f, locks it, opens its checkpoint and
// reads where the chain ends.
func (w *Writer) openLocked(f *os.File, start bool) (*os.File, error) {
	st, err := checkOpened(f, w.path, "audit file", w.uid)
	if err != nil {
		return nil, err
	}
	warn, err := tighten(f, w.path, st)
	if err != nil {
		return nil, err
	}
	if warn != "" {
		w.warn(warn)
	}
	if err := lockFile(f); err != nil {
		return nil, fmt.Errorf("audit: lock %s: %w", w.path, err)
	}
	defer unlockFile(f)
	hf, hst, err := openHead(HeadPath(w.path), w.uid, true)
	if err != nil {
		return nil, err
	}
	if err := w.resync(f, hf, start); err != nil {
		hf.Close()
		return nil, err
	}
	w.hfInfo = hst
	return hf, nil
}

// OnWarning sends what the writer notices after Open (a trail cut or
// replaced while the server runs, a checkpoint it cannot write) to fn, for
// the caller to log, instead of keeping it for Warnings. fn is called with
// the writer's lock held: log and return, do not call the writer.
func (w *Writer) OnWarning(fn func(string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onWarning = fn
}

// OnCheckpoint calls fn with the chain head after every `every` records
// this writer writes (every < 1: DefaultCheckpointEvery). It is meant for
// posting the head where the trail's owner cannot rewrite it (with
// audit.vcenter_events, a vCenter event), so that a trail cut short or
// rewritten later can be checked against it: `vsphere-mcp audit verify
// --head SEQ:HASH` (Head.String is that form). Post Head() yourself at exit.
//
// fn runs on the writing goroutine, after the record is written and
// outside the writer's locks, so it delays that one call: hand the head to
// a goroutine of your own. Concurrent writes can deliver heads out of
// order; keep the highest Seq. Set it before the first Write.
func (w *Writer) OnCheckpoint(every int, fn func(Head)) {
	if every < 1 {
		every = DefaultCheckpointEvery
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.every, w.hook, w.unposted = every, fn, 0
}

// Head is the chain head as this writer last wrote or read it: the last
// record's seq and hash (seq 0 and Genesis for an empty trail). Another
// process sharing the trail may have written after it.
func (w *Writer) Head() Head {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Head{Seq: w.lastSeq, Hash: w.lastHash}
}

// Path is the audit file's path.
func (w *Writer) Path() string { return w.path }

// Session is the random id that marks this process's lines.
func (w *Writer) Session() string { return w.session }

// Warnings returns what Open or a later Write noticed and repaired, for
// the caller to log.
func (w *Writer) Warnings() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.warnings)
}

// warn records or passes on a warning. Callers hold w.mu, or own w alone.
func (w *Writer) warn(msg string) {
	if w.onWarning != nil {
		w.onWarning(msg)
		return
	}
	if len(w.warnings) < 100 { // a long run must not grow this without end
		w.warnings = append(w.warnings, msg)
	}
}

// Write appends r as one line: it fills in time, seq, pid, session,
// os_user, prev and hash, redacts the arguments (again: it is cheap and
// secrets must never reach the file), caps every text field (see Cap),
// writes the line with a single write call and replaces the checkpoint.
// With sync it also fsyncs both before returning, which callers should do
// for every write or destructive call.
func (w *Writer) Write(r Record, sync bool) error {
	head, hook, err := w.write(r, sync)
	if hook != nil {
		hook(head)
	}
	return err
}

func (w *Writer) write(r Record, sync bool) (Head, func(Head), error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return Head{}, nil, errors.New("audit: write to a closed trail")
	}
	st, err := w.lockCurrent()
	if err != nil {
		return Head{}, nil, err
	}
	defer unlockFile(w.f)
	if st.Size() != w.size {
		if err := w.resync(w.f, w.hf, false); err != nil {
			return Head{}, nil, err
		}
	}

	if r.Time.IsZero() {
		r.Time = w.now()
	}
	r.Time = r.Time.UTC()
	r.Seq, r.Prev, r.Hash = w.lastSeq+1, w.lastHash, ""
	if r.PID == 0 {
		r.PID = w.pid
	}
	if r.Session == "" {
		r.Session = w.session
	}
	if r.OSUser == "" {
		r.OSUser = w.osUser
	}
	r.Args = Redact(r.Args)
	r.Error = maskInline(r.Error)
	capRecord(&r)

	line, err := encodeLine(&r)
	if err != nil {
		return Head{}, nil, fmt.Errorf("audit: encode record for %s: %w", Cap(r.Tool), err)
	}
	if w.needNL {
		line = append([]byte{'\n'}, line...)
	}
	n, err := w.f.Write(line)
	if err != nil || n != len(line) {
		w.size = -1 // a partial line may be on disk: look again next time
		if err == nil {
			err = io.ErrShortWrite
		}
		return Head{}, nil, fmt.Errorf("audit: write %s: %w", w.path, err)
	}
	if sync {
		if err := w.f.Sync(); err != nil {
			w.size = -1
			return Head{}, nil, fmt.Errorf("audit: sync %s: %w", w.path, err)
		}
	}
	w.size = st.Size() + int64(n)
	w.lastSeq, w.lastHash, w.needNL = r.Seq, r.Hash, false
	head := Head{Seq: r.Seq, Hash: r.Hash}

	// The record is written; a checkpoint that fails to follow it only
	// lags behind, which Open and Verify accept. Say so, once per streak.
	if err := w.updateHead(head); err != nil {
		if !w.headErr {
			w.warn(fmt.Sprintf("%v; the checkpoint lags behind the trail until a write succeeds", err))
		}
		w.headErr = true
	} else {
		w.headErr = false
	}

	w.unposted++
	if w.hook == nil || w.unposted < w.every {
		return head, nil, nil
	}
	w.unposted = 0
	return head, w.hook, nil
}

// updateHead writes h into its slot of the open checkpoint, in place (see
// head.go). lockCurrent has made sure the checkpoint path still names it.
// Call it with the file lock held.
func (w *Writer) updateHead(h Head) error {
	if w.hfInfo.Size() < headSize { // new: both slots first, so no slot follows a hole
		if _, err := w.hf.WriteAt(Head{}.fileBlank(), 0); err != nil {
			return fmt.Errorf("audit: write checkpoint %s: %w", HeadPath(w.path), err)
		}
		if st, err := w.hf.Stat(); err == nil {
			w.hfInfo = st
		}
	}
	if _, err := w.hf.WriteAt(h.slot(), int64(h.Seq%2)*slotSize); err != nil {
		return fmt.Errorf("audit: write checkpoint %s: %w", HeadPath(w.path), err)
	}
	return nil
}

// lockCurrent locks the audit file and returns its Stat. When the path no
// longer names the file we hold (`audit rotate` started a new trail, or
// the file was replaced or removed), it opens what is there now first;
// when only the checkpoint was replaced, it looks at the chain again.
func (w *Writer) lockCurrent() (fs.FileInfo, error) {
	for tries := 0; ; tries++ {
		if err := lockFile(w.f); err != nil {
			return nil, fmt.Errorf("audit: lock %s: %w", w.path, err)
		}
		st, err := w.f.Stat()
		if err != nil {
			unlockFile(w.f)
			return nil, fmt.Errorf("audit: stat %s: %w", w.path, err)
		}
		if pst, err := os.Lstat(w.path); err == nil && os.SameFile(st, pst) {
			if hst, err := os.Lstat(HeadPath(w.path)); err != nil || !os.SameFile(hst, w.hfInfo) {
				w.size = -1 // resync reads the new checkpoint and checks the chain against it
				hf, hinfo, err := openHead(HeadPath(w.path), w.uid, true)
				if err != nil {
					unlockFile(w.f)
					return nil, err
				}
				w.hf.Close()
				w.hf, w.hfInfo = hf, hinfo
			}
			return st, nil
		}
		unlockFile(w.f)
		if tries == 3 {
			return nil, fmt.Errorf("audit: %s keeps being replaced", w.path)
		}
		f, hf, err := w.open(false)
		if err != nil {
			return nil, err
		}
		w.f.Close()
		w.hf.Close()
		w.f, w.hf = f, hf
	}
}

// resync reads where the chain in f ends and checks that it continues the
// checkpoint. At start a chain that does not is an error. Later, when the
// file was cut or replaced while we ran, the anchor is the checkpoint or
// what we last wrote ourselves, whichever is later; the writer then carries
// on from that anchor, so the gap stays in the file for Verify to name,
// and warns. Call it with the file lock held.
func (w *Writer) resync(f, hf *os.File, start bool) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit: stat %s: %w", w.path, err)
	}
	line, torn, bl, err := lastLine(f, st.Size())
	if err != nil {
		return fmt.Errorf("audit: read %s: %w", w.path, err)
	}
	if torn {
		w.warn(fmt.Sprintf("audit file %s ends in an incomplete line (interrupted write?); continuing after it, and `audit verify` will report it", w.path))
	}
	var last *chainFields
	end := Head{Seq: 0, Hash: Genesis}
	if line != nil {
		c, err := parseLine(line)
		if err != nil {
			return fmt.Errorf("audit: %s: the last line is not an audit record (%v); refusing to continue this chain: move the file aside", w.path, err)
		}
		if !c.selfOK {
			w.warn(fmt.Sprintf("audit file %s: the last line's hash does not match its content (edited?); `audit verify` will report it", w.path))
		}
		last, end = &c, Head{Seq: c.seq, Hash: c.hash}
	}

	cp, state, err := readHeadFrom(hf, HeadPath(w.path))
	if err != nil {
		return err
	}
	anchor, check := cp, state == headFound
	if !start && w.lastSeq > 0 && (!check || w.lastSeq > cp.Seq) {
		anchor, check = Head{Seq: w.lastSeq, Hash: w.lastHash}, true
	}
	if start && state != headFound && end.Seq > 0 { // a trail from before checkpoints, or one deleted
		w.warn(fmt.Sprintf("audit file %s has no chain head in its checkpoint %s yet: a tail cut off before now cannot be detected; the next record writes it", w.path, HeadPath(w.path)))
	}
	if check {
		if reason := continues(last, bl, anchor); reason != "" {
			cerr := &ChainError{Path: w.path, Checkpoint: anchor, Reason: reason}
			if start {
				return cerr
			}
			w.warn(fmt.Sprintf("%s changed while the server ran: %s. Continuing the chain from %s, so `audit verify` shows the gap; start a new trail with `vsphere-mcp audit rotate`", w.path, reason, anchor.describe()))
			end = anchor
		}
	}
	w.lastSeq, w.lastHash, w.needNL = end.Seq, end.Hash, torn
	w.size = st.Size()
	return nil
}

// encodeLine sets r.Hash and returns the line, newline included.
func encodeLine(r *Record) ([]byte, error) {
	b, err := json.Marshal(r) // Hash is empty and so omitted
	if err != nil {
		return nil, err
	}
	obj, err := decodeObject(b)
	if err != nil {
		return nil, err
	}
	if r.Hash, err = canonicalHash(obj); err != nil {
		return nil, err
	}
	// Splice the hash in rather than encoding the record a third time.
	line := make([]byte, 0, len(b)+len(`,"hash":""`)+64+1)
	line = append(line, b[:len(b)-1]...)
	line = append(line, `,"hash":"`...)
	line = append(line, r.Hash...)
	line = append(line, "\"}\n"...)
	return line, nil
}

// Close closes the file. Writes after Close fail. It does not call the
// OnCheckpoint hook: post Head() before closing what the hook posts to.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	if herr := w.hf.Close(); err == nil {
		err = herr
	}
	w.f, w.hf = nil, nil
	if err != nil {
		return fmt.Errorf("audit: close %s: %w", w.path, err)
	}
	return nil
}

func newSessionID() string {
	return rand.Text()[:16]
}

// currentUser names the OS account running the server.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return fmt.Sprintf("uid:%d", os.Getuid())
}
