package audit

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Writer appends records to an audit file. It is safe for concurrent use,
// and several processes may share one file: each write takes an exclusive
// file lock (where the OS offers one) and continues the chain from whatever
// line is last in the file at that moment.
type Writer struct {
	path    string
	session string
	pid     int
	osUser  string
	now     func() time.Time

	mu       sync.Mutex
	f        *os.File
	size     int64 // file size after our last write; another size means someone else wrote
	lastSeq  uint64
	lastHash string
	needNL   bool // the file ends in a torn line: start the next one on a new line
	warnings []string
}

// Open opens (creating if needed) the audit file at path for appending.
// Missing parent directories are created with mode 0700 and the file with
// 0600; an existing file readable by others is tightened to 0600 and a
// warning recorded (see Warnings). The last line is read to continue the
// sequence and hash chain. A last line that is complete but unreadable is
// an error, so the server does not start on someone else's file; a torn
// last line (a crash mid-write) is a warning, and Verify will name it.
func Open(path string) (*Writer, error) {
	if path == "" {
		return nil, errors.New("audit: no file given")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: create directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	w := &Writer{path: path, f: f, pid: os.Getpid(), osUser: currentUser(), now: time.Now, size: -1}
	w.session = newSessionID()
	if err := w.checkMode(); err != nil {
		f.Close()
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: lock %s: %w", path, err)
	}
	err = w.resync()
	unlockFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func (w *Writer) checkMode() error {
	st, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("audit: stat %s: %w", w.path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("audit: %s is not a regular file", w.path)
	}
	if runtime.GOOS == "windows" { // permission bits mean little there; ACLs decide
		return nil
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		if err := w.f.Chmod(0o600); err != nil {
			return fmt.Errorf("audit: %s has mode %04o and cannot be tightened to 0600: %w", w.path, perm, err)
		}
		w.warnings = append(w.warnings, fmt.Sprintf("audit file %s had mode %04o, readable by others; changed to 0600", w.path, perm))
	}
	return nil
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

// Write appends r as one line: it fills in time, seq, pid, session,
// os_user, prev and hash, redacts the arguments (again: it is cheap and
// secrets must never reach the file) and writes the line with a single
// write call. With sync it also fsyncs before returning, which callers
// should do for every write or destructive call.
func (w *Writer) Write(r Record, sync bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("audit: write to a closed trail")
	}
	if err := lockFile(w.f); err != nil {
		return fmt.Errorf("audit: lock %s: %w", w.path, err)
	}
	defer unlockFile(w.f)

	st, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("audit: stat %s: %w", w.path, err)
	}
	if st.Size() != w.size {
		if err := w.resync(); err != nil {
			return err
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
		return fmt.Errorf("audit: encode record for %s: %w", r.Tool, err)
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
		return fmt.Errorf("audit: write %s: %w", w.path, err)
	}
	if sync {
		if err := w.f.Sync(); err != nil {
			w.size = -1
			return fmt.Errorf("audit: sync %s: %w", w.path, err)
		}
	}
	w.size = st.Size() + int64(n)
	w.lastSeq, w.lastHash, w.needNL = r.Seq, r.Hash, false
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

// resync reads the chain state from the end of the file. Call it with the
// file lock held.
func (w *Writer) resync() error {
	st, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("audit: stat %s: %w", w.path, err)
	}
	last, torn, err := lastLine(w.f, st.Size())
	if err != nil {
		return fmt.Errorf("audit: read %s: %w", w.path, err)
	}
	w.lastSeq, w.lastHash, w.needNL = 0, Genesis, torn
	if torn {
		w.warnings = append(w.warnings, fmt.Sprintf("audit file %s ends in an incomplete line (interrupted write?); continuing after it, and `audit verify` will report it", w.path))
	}
	if last != nil {
		c, err := parseLine(last)
		if err != nil {
			return fmt.Errorf("audit: %s: the last line is not an audit record (%v); refusing to continue this chain: move the file aside", w.path, err)
		}
		if !c.selfOK {
			w.warnings = append(w.warnings, fmt.Sprintf("audit file %s: the last line's hash does not match its content (edited?); `audit verify` will report it", w.path))
		}
		w.lastSeq, w.lastHash = c.seq, c.hash
	}
	w.size = st.Size()
	return nil
}

// lastLine returns the last complete line of a file of the given size
// (without its newline) and whether an incomplete line follows it. It reads
// backwards in growing chunks so that opening a large trail stays cheap.
func lastLine(f io.ReaderAt, size int64) (line []byte, torn bool, err error) {
	for chunk := int64(64 << 10); size > 0; chunk *= 4 {
		start := max(0, size-chunk)
		buf := make([]byte, size-start)
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		torn = buf[len(buf)-1] != '\n'
		body := buf
		if torn { // drop the fragment after the last newline
			i := bytes.LastIndexByte(body, '\n')
			if i < 0 {
				if start == 0 {
					return nil, true, nil // the whole file is one torn line
				}
				continue
			}
			body = body[:i+1]
		}
		body = body[:len(body)-1] // the newline ending the last complete line
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			return body[i+1:], torn, nil
		}
		if start == 0 {
			return body, torn, nil
		}
	}
	return nil, false, nil
}

// Close closes the file. Writes after Close fail.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
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
