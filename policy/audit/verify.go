package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/vsphere-mcp/vsphere-mcp/policy/filetrust"
)

// Genesis is the prev of the first line of a trail.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// canonicalHash returns the SHA-256 (hex) of the canonical JSON of a record
// given as a generic object: keys sorted, no whitespace, no "hash" key.
// Writer and Verify both hash the decoded form, so the hash does not depend
// on field order or on how a line happens to be spelt.
func canonicalHash(obj map[string]any) (string, error) {
	h, had := obj["hash"]
	delete(obj, "hash")
	b, err := json.Marshal(obj)
	if had {
		obj["hash"] = h
	}
	if err != nil {
		return "", fmt.Errorf("canonical JSON: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// decodeObject parses one line as a single JSON object, keeping numbers as
// written (json.Number) so that re-encoding them is exact.
func decodeObject(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if obj == nil {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON object")
	}
	return obj, nil
}

// chainFields are the chain fields of a parsed line.
type chainFields struct {
	seq        uint64
	prev, hash string
	selfOK     bool      // the line's hash matches its content
	rotated    bool      // the line has a rotated_from
	rotation   *Rotation // and this is it, when well formed
}

// parseLine decodes a line and checks that its chain fields are well formed.
func parseLine(line []byte) (chainFields, error) {
	obj, err := decodeObject(line)
	if err != nil {
		return chainFields{}, err
	}
	var c chainFields
	var ok bool
	if c.hash, ok = obj["hash"].(string); !ok || !isHex64(c.hash) {
		return c, errors.New(`missing or malformed "hash"`)
	}
	if c.prev, ok = obj["prev"].(string); !ok || !isHex64(c.prev) {
		return c, errors.New(`missing or malformed "prev"`)
	}
	n, ok := obj["seq"].(json.Number)
	if !ok {
		return c, errors.New(`missing or malformed "seq"`)
	}
	if c.seq, err = strconv.ParseUint(n.String(), 10, 64); err != nil || c.seq == 0 {
		return c, fmt.Errorf(`malformed "seq" %s`, n)
	}
	if rot, has := obj["rotated_from"]; has {
		c.rotated = true
		c.rotation = decodeRotation(rot)
	}
	want, err := canonicalHash(obj)
	if err != nil {
		return c, err
	}
	c.selfOK = want == c.hash
	return c, nil
}

// decodeRotation reads a rotated_from value; nil when it is malformed.
func decodeRotation(v any) *Rotation {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var r Rotation
	if err := json.Unmarshal(b, &r); err != nil || !isHex64(r.End.Hash) || (r.Head != nil && !isHex64(r.Head.Hash)) {
		return nil
	}
	return &r
}

// follows reports whether a rotation record with this seq and prev
// continues the previous trail as its rotated_from says: from its end or
// from its checkpoint.
func (r *Rotation) follows(seq uint64, prev string) bool {
	if seq == r.End.Seq+1 && prev == r.End.Hash {
		return true
	}
	return r.Head != nil && seq == r.Head.Seq+1 && prev == r.Head.Hash
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// VerifyError names the first bad line of a trail and why it is bad.
type VerifyError struct {
	Line   int // 1-based; one past the last line for a missing tail
	Reason string
}

func (e *VerifyError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Verify checks a whole trail: every line is a record whose hash matches
// its content, seq counts up without gaps, and prev is the hash of the
// line before. The first line has seq 1 and prev Genesis, or is the
// rotation record a trail started by Rotate begins with, which continues
// the previous trail's chain. It returns the number of good records before
// the first problem, and a *VerifyError naming that line.
//
// Verify sees the file alone: lines cut off its end, or a trail rewritten
// from some line on with every later hash recomputed, look whole. VerifyFile
// also compares the trail with its checkpoint and with heads kept elsewhere.
func Verify(r io.Reader) (n int, err error) {
	s, err := verifyStream(r, nil)
	return s.n, err
}

// streamed is what verifyStream saw.
type streamed struct {
	n           int
	first, last Head
	rotation    *Rotation
	found       map[uint64]foundAt // the records of the seqs asked for
}

type foundAt struct {
	line int
	hash string
}

// verifyStream checks the chain (see Verify) and notes the line and hash
// of each seq in want.
func verifyStream(r io.Reader, want map[uint64]bool) (s streamed, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	s.found = map[uint64]foundAt{}
	prevSeq, prevHash := uint64(0), Genesis
	for lineNo := 1; ; lineNo++ {
		line, rerr := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(rerr, io.EOF) {
			return s, nil
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return s, fmt.Errorf("line %d: read: %w", lineNo, rerr)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			return s, &VerifyError{lineNo, "empty line"}
		}
		c, err := parseLine(line)
		switch {
		case err != nil:
			return s, &VerifyError{lineNo, "malformed record: " + err.Error()}
		case !c.selfOK:
			return s, &VerifyError{lineNo, "hash mismatch: the line was edited"}
		case c.rotated && lineNo > 1:
			return s, &VerifyError{lineNo, "a rotation record inside a trail: only the first line of a rotated trail may be one"}
		case c.rotated && c.rotation == nil:
			return s, &VerifyError{lineNo, `malformed "rotated_from"`}
		case c.rotated && !c.rotation.follows(c.seq, c.prev):
			return s, &VerifyError{lineNo, "the rotation record's seq and prev do not follow the end or the checkpoint it names"}
		case c.rotated:
			s.rotation = c.rotation
		case c.seq != prevSeq+1:
			return s, &VerifyError{lineNo, fmt.Sprintf("seq %d where %d was expected: a line was removed, inserted or reordered", c.seq, prevSeq+1)}
		case c.prev != prevHash:
			return s, &VerifyError{lineNo, "prev does not match the hash of the line before: a line was removed, inserted or reordered"}
		}
		if s.n == 0 {
			s.first = Head{c.seq, c.hash}
		}
		if want[c.seq] {
			s.found[c.seq] = foundAt{lineNo, c.hash}
		}
		prevSeq, prevHash = c.seq, c.hash
		s.last = Head{c.seq, c.hash}
		s.n++
		if rerr != nil { // last line without a newline
			return s, nil
		}
	}
}

// Report is what VerifyFile found.
type Report struct {
	Records     int
	First, Last Head      // the first and last records (zero for an empty trail)
	Rotated     *Rotation // set when the trail starts with a rotation record
	Checkpoint  *Head     // the checkpoint file's head, when there is one
	Heads       []Head    // the heads given to VerifyFile that this trail holds
	Warnings    []string  // what could not be checked
}

// VerifyFile checks the trail at path with Verify, then against its
// checkpoint (HeadPath) and against heads kept elsewhere (a vCenter event,
// a note): the trail must hold the record each names, with its hash, and
// end at or after it. So it also detects a trail truncated to nothing, a
// missing tail, and a rewrite that does not reach the checkpoint. A head
// before the trail's first record (a rotated trail) is left to the file it
// was rotated from, with a warning. A missing checkpoint is a warning.
//
// The checkpoint must belong to the trail's owner, so that an auditor (or
// root) can verify another user's trail.
func VerifyFile(path string, heads ...Head) (Report, error) {
	var rep Report
	owner := filetrust.UID()
	if st, err := os.Stat(path); err == nil {
		if uid, ok := filetrust.Owner(st); ok {
			owner = uid
		}
	}
	cp, state, err := readHead(HeadPath(path), owner)
	if err != nil {
		return rep, err
	}
	if state == headFound {
		rep.Checkpoint = &cp
	}
	want := map[uint64]bool{}
	for _, h := range heads {
		want[h.Seq] = true
	}
	if rep.Checkpoint != nil {
		want[cp.Seq] = true
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && rep.Checkpoint != nil {
		return rep, &VerifyError{1, fmt.Sprintf("the file is missing but its checkpoint says %s: the trail was removed", cp.describe())}
	}
	if err != nil {
		return rep, err
	}
	defer f.Close()
	s, err := verifyStream(f, want)
	rep.Records, rep.First, rep.Last, rep.Rotated = s.n, s.first, s.last, s.rotation
	if err != nil {
		return rep, err
	}
	switch { // a new, empty trail has nothing to check yet
	case s.n > 0 && state == headMissing:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("no checkpoint (%s): a cut-off tail cannot be detected", HeadPath(path)))
	case s.n > 0 && state == headEmpty:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the checkpoint %s holds no chain head yet (nothing written since it was created, or a crash while it was first written): a cut-off tail cannot be detected", HeadPath(path)))
	}
	check := func(h Head, what string) error {
		switch at, ok := s.found[h.Seq]; {
		case s.n == 0:
			return &VerifyError{1, fmt.Sprintf("the file is empty but %s says %s: the trail was truncated, or removed and created again", what, h.describe())}
		case ok && at.hash == h.Hash:
			return nil
		case ok:
			return &VerifyError{at.line, fmt.Sprintf("record seq %d has hash %.12s…, not the %.12s… %s says: the trail was rewritten (from this line or before)", h.Seq, at.hash, h.Hash, what)}
		case h.Seq > s.last.Seq:
			return &VerifyError{s.n + 1, fmt.Sprintf("the file ends at seq %d but %s says %s: %d records are missing from the end", s.last.Seq, what, h.describe(), h.Seq-s.last.Seq)}
		case s.rotation != nil && h.Seq == s.first.Seq-1 && s.rotation.follows(s.first.Seq, h.Hash):
			return nil // the rotation record continues exactly this head
		case s.rotation != nil && h.Seq == s.first.Seq-1:
			return &VerifyError{1, fmt.Sprintf("the trail was rotated from seq %d, but not from the hash %.12s… %s says", h.Seq, h.Hash, what)}
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s (%s) is before this trail's first record (seq %d): verify the file it was rotated from", what, h.describe(), s.first.Seq))
		return errBefore
	}
	if rep.Checkpoint != nil {
		if err := check(cp, "the checkpoint"); err != nil && err != errBefore {
			return rep, err
		}
	}
	for _, h := range heads {
		err := check(h, "head "+h.String())
		if err == nil {
			rep.Heads = append(rep.Heads, h)
		} else if err != errBefore {
			return rep, err
		}
	}
	return rep, nil
}

// errBefore marks a head that lies before the trail.
var errBefore = errors.New("before the trail")

// Tail returns the last n records of a trail, oldest first. It does not
// verify the chain (use Verify); a line that is not a record is an error
// naming its line number.
func Tail(r io.Reader, n int) ([]Record, error) {
	if n <= 0 {
		return nil, nil
	}
	type numbered struct {
		no   int
		line []byte
	}
	ring := make([]numbered, n) // circular: ring[next] is the oldest once full
	next, count := 0, 0
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if t := bytes.TrimSpace(line); len(t) > 0 {
			ring[next] = numbered{lineNo, t}
			next = (next + 1) % n
			count = min(count+1, n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: read: %w", lineNo, err)
		}
	}
	ring = append(ring[next:], ring[:next]...)[n-count:]
	out := make([]Record, 0, len(ring))
	for _, l := range ring {
		var rec Record
		if err := json.Unmarshal(l.line, &rec); err != nil {
			return nil, fmt.Errorf("line %d: not an audit record: %w", l.no, err)
		}
		out = append(out, rec)
	}
	return out, nil
}
