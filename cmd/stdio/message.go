package stdio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// span is a byte range [start, end) of a message; end 0 means absent.
type span struct{ start, end int }

func (s span) ok() bool { return s.end > 0 }

func (s span) of(b []byte) []byte { return b[s.start:s.end] }

// envelope is what the bridge reads of a JSON-RPC message: where the
// top-level members that mcp-go acts on sit. The message itself is passed
// on byte for byte, with at most its id replaced.
type envelope struct {
	id, method, params span
	result, error      bool
}

// members are matched the way encoding/json (and so mcp-go) matches struct
// fields: case-insensitively, so "ID" is the id for mcp-go and for us.
var members = []string{"jsonrpc", "id", "method", "params", "result", "error"}

// scanObject finds the top-level members of a JSON object. msg must be
// valid JSON (json.Valid); anything else returns an error, never panics.
// With stopAtBody it stops at the first "method", "result" or "error" once
// an id has been seen: enough for what mcp-go writes, whose id comes first.
func scanObject(msg []byte, stopAtBody bool) (envelope, error) {
	var e envelope
	seen := make([]bool, len(members))
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return e, errNotObject
	}
	i = skipSpace(msg, i+1)
	if i < len(msg) && msg[i] == '}' {
		return e, nil
	}
	for i < len(msg) {
		kEnd, err := skipValue(msg, i)
		if err != nil || msg[i] != '"' {
			return e, errMalformed
		}
		var key string
		if err := json.Unmarshal(msg[i:kEnd], &key); err != nil { // keys may use \u escapes
			return e, errMalformed
		}
		i = skipSpace(msg, kEnd)
		if i >= len(msg) || msg[i] != ':' {
			return e, errMalformed
		}
		vStart := skipSpace(msg, i+1)
		vEnd, err := skipValue(msg, vStart)
		if err != nil {
			return e, errMalformed
		}
		for k, name := range members {
			if !strings.EqualFold(key, name) {
				continue
			}
			if seen[k] {
				return e, fmt.Errorf("%w %q", errDuplicate, name)
			}
			seen[k] = true
			v := span{vStart, vEnd}
			switch name {
			case "id":
				e.id = v
			case "method":
				e.method = v
			case "params":
				e.params = v
			case "result":
				e.result = true
			case "error":
				e.error = true
			}
			if stopAtBody && e.id.ok() && (e.method.ok() || e.result || e.error) {
				return e, nil
			}
		}
		i = skipSpace(msg, vEnd)
		if i < len(msg) && msg[i] == ',' {
			i = skipSpace(msg, i+1)
			continue
		}
		if i < len(msg) && msg[i] == '}' {
			return e, nil
		}
		return e, errMalformed
	}
	return e, errMalformed
}

var (
	errNotObject = errors.New("not a JSON object")
	errMalformed = errors.New("malformed JSON object")
	errDuplicate = errors.New("duplicate member")
)

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errMalformed
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errMalformed
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipValue(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errMalformed
	default: // number, true, false, null
		j := i
		for j < len(b) && !isDelim(b[j]) {
			j++
		}
		if j == i {
			return 0, errMalformed
		}
		return j, nil
	}
}

func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// idKey checks a request id as JSON-RPC 2.0 and MCP want it — a string or
// an integer, never null — and returns a key under which a cancellation
// naming the same id finds it. The error says what the id was instead.
func idKey(raw []byte) (string, error) {
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errors.New("the id is not a valid JSON string")
		}
		return "s" + s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if bytes.ContainsAny(raw, ".eE") {
			return "", errors.New("the id must be a string or an integer, not a number with a fraction or exponent")
		}
		if string(raw) == "-0" {
			return "n0", nil
		}
		return "n" + string(raw), nil
	case c == '{':
		return "", errors.New("the id must be a string or an integer, not an object")
	case c == '[':
		return "", errors.New("the id must be a string or an integer, not an array")
	case c == 't' || c == 'f':
		return "", errors.New("the id must be a string or an integer, not a boolean")
	default:
		return "", errors.New("the id must be a string or an integer, not null")
	}
}

// splice returns b with s replaced by repl, in a new slice with room for
// the newline that ends a message on the wire.
func splice(b []byte, s span, repl []byte) []byte {
	out := make([]byte, 0, len(b)-(s.end-s.start)+len(repl)+1)
	out = append(out, b[:s.start]...)
	out = append(out, repl...)
	return append(out, b[s.end:]...)
}
