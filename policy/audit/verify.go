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
	"strconv"
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
	selfOK     bool // the line's hash matches its content
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
	want, err := canonicalHash(obj)
	if err != nil {
		return c, err
	}
	c.selfOK = want == c.hash
	return c, nil
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
	Line   int // 1-based
	Reason string
}

func (e *VerifyError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Verify checks a whole trail: every line is a record whose hash matches
// its content, seq counts up from 1 without gaps, and prev is the hash of
// the line before (Genesis for the first). It returns the number of good
// records before the first problem, and a *VerifyError naming that line.
//
// What it cannot see: lines cut off the end of the file, or a trail
// rewritten from some line onwards with every later hash recomputed. Ship
// the latest hash elsewhere (syslog, vCenter events) to anchor it.
func Verify(r io.Reader) (n int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	prevSeq, prevHash := uint64(0), Genesis
	for lineNo := 1; ; lineNo++ {
		line, rerr := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return n, fmt.Errorf("line %d: read: %w", lineNo, rerr)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			return n, &VerifyError{lineNo, "empty line"}
		}
		c, err := parseLine(line)
		switch {
		case err != nil:
			return n, &VerifyError{lineNo, "malformed record: " + err.Error()}
		case !c.selfOK:
			return n, &VerifyError{lineNo, "hash mismatch: the line was edited"}
		case c.seq != prevSeq+1:
			return n, &VerifyError{lineNo, fmt.Sprintf("seq %d where %d was expected: a line was removed, inserted or reordered", c.seq, prevSeq+1)}
		case c.prev != prevHash:
			return n, &VerifyError{lineNo, "prev does not match the hash of the line before: a line was removed, inserted or reordered"}
		}
		prevSeq, prevHash = c.seq, c.hash
		n++
		if rerr != nil { // last line without a newline
			return n, nil
		}
	}
}

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
