package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// A call with 5,000 argument keys must not write 5 MB to the audit trail:
// Redact keeps the first MaxArgs bytes or so of JSON (keys in sorted order,
// so the cut is the same for the same arguments) and replaces the rest of
// each object or array by one marker with a count and the SHA-256 of what
// was left out.

// omitKey is the key of the marker that stands for omitted object members.
const omitKey = "…"

// markerCost bounds the JSON of one marker (key, quotes, a 20-digit count,
// the words, a 64-digit digest, a comma), reserved before an object or
// array is filled so that the marker always fits.
const markerCost = 128

// bounder copies redacted values while left (bytes of JSON) lasts.
type bounder struct{ left int }

func (b *bounder) value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return b.object(x)
	case []any:
		return b.array(x)
	}
	b.left -= jsonLen(v)
	return v
}

func (b *bounder) object(m map[string]any) map[string]any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]any, min(len(keys), 64))
	b.left -= 2 + markerCost // the braces, and room for a marker
	for i, k := range keys {
		cost := quotedLen(k) + 2 // the colon and a comma
		if cost+minLen(m[k]) > b.left {
			rest := make(map[string]any, len(keys)-i)
			for _, k := range keys[i:] {
				rest[k] = m[k]
			}
			mk := omitKey // a real key "…" keeps its value; the marker moves to "…1"
			for n := 1; hasKey(out, mk); n++ {
				mk = omitKey + strconv.Itoa(n)
			}
			out[mk] = omitted(len(rest), "keys", rest)
			return out
		}
		b.left -= cost
		out[k] = b.value(m[k])
	}
	b.left += markerCost // no marker needed
	return out
}

func (b *bounder) array(a []any) []any {
	out := make([]any, 0, min(len(a), 64))
	b.left -= 2 + markerCost
	for i, e := range a {
		if 1+minLen(e) > b.left {
			return append(out, omitted(len(a)-i, "items", a[i:]))
		}
		b.left--
		out = append(out, b.value(e))
	}
	b.left += markerCost
	return out
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// omitted is the marker for n left-out keys or items.
func omitted(n int, what string, rest any) string {
	data, _ := json.Marshal(rest) // redacted values: plain JSON, no cycles
	sum := sha256.Sum256(data)
	return "(" + strconv.Itoa(n) + " more " + what + ", sha256:" + hex.EncodeToString(sum[:]) + ")"
}

// minLen is the least JSON a value can be written as: a scalar whole, an
// object or array as an empty one with a marker.
func minLen(v any) int {
	switch v.(type) {
	case map[string]any, []any:
		return 2 + markerCost
	}
	return jsonLen(v)
}

// jsonLen is an upper bound on the length of v's JSON as encoding/json
// writes it (HTML-safe escaping included), for the plain types Redact
// returns.
func jsonLen(v any) int {
	switch x := v.(type) {
	case nil:
		return 4
	case bool:
		return 5
	case string:
		return quotedLen(x)
	case json.Number:
		return len(x)
	case float64:
		return floatLen(x)
	case float32:
		return floatLen(float64(x))
	case map[string]any:
		n := 2
		for k, e := range x {
			n += quotedLen(k) + 2 + jsonLen(e)
		}
		return n
	case []any:
		n := 2
		for _, e := range x {
			n += 1 + jsonLen(e)
		}
		return n
	}
	return 21 // integers: a sign and 20 digits
}

// floatLen is the length of f as encoding/json writes it (or a little more:
// it shortens exponents such as e-07 to e-7).
func floatLen(f float64) int {
	var buf [32]byte
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	return len(strconv.AppendFloat(buf[:0], f, format, -1, 64))
}

// quotedLen is an upper bound on the length of s as a JSON string.
func quotedLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c < utf8.RuneSelf:
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				n += 6
			} else {
				n++
			}
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				n += 6
			} else {
				n += size
			}
			i += size
		}
	}
	return n
}
