package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

const (
	// Redacted replaces a secret value.
	Redacted = "[redacted]"
	// MaxString is the longest argument string kept whole; longer ones are
	// cut so that the result, marker and digest included (see Cap), fits in
	// MaxString bytes.
	MaxString = 256
	// maxDepth bounds recursion; JSON arguments are never this deep, and a
	// cyclic map built in Go must not hang the audit writer.
	maxDepth = 32
)

// Redact returns a deep copy of args that is safe and cheap to write down:
// values of keys that look secret are replaced by Redacted, `name=value`
// and `--name value` pairs with a secret-looking name inside strings are
// masked, long strings are cut (see Cap), and the whole is bounded to about
// MaxArgs bytes of JSON (see bound). args is not modified. Values that are
// not plain JSON types are converted through encoding/json first, so a
// struct cannot smuggle a secret field past the key check. Redact is
// idempotent: Redact(Redact(a)) equals Redact(a).
func Redact(args map[string]any) map[string]any {
	if args == nil {
		return nil
	}
	out, _ := redactValue(args, 0).(map[string]any)
	if jsonLen(out) <= MaxArgs {
		return out
	}
	b := &bounder{left: MaxArgs}
	return b.object(out)
}

func redactValue(v any, depth int) any {
	if depth > maxDepth {
		return "[too deep]"
	}
	switch x := v.(type) {
	case nil, bool, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, json.Number:
		return x
	case string:
		return RedactString(x)
	case map[string]any:
		return redactMap(x, depth)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(e, depth+1)
		}
		return out
	}
	// Anything else (structs, typed maps and slices): normalise via JSON.
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("[unserializable %T]", v)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return fmt.Sprintf("[unserializable %T]", v)
	}
	return redactValue(generic, depth+1)
}

func redactMap(m map[string]any, depth int) map[string]any {
	out := make(map[string]any, len(m))
	// A {key|name: "...password...", value: ...} pair (extraConfig, vApp
	// properties, guest environment) hides its value, and its "key" is a
	// name, not a secret.
	pairName, isPair := "", false
	if _, hasValue := m["value"]; hasValue {
		for _, k := range []string{"key", "name", "Key", "Name"} {
			if s, ok := m[k].(string); ok {
				pairName, isPair = s, true
				break
			}
		}
	}
	for k, v := range m {
		switch {
		case isPair && strings.EqualFold(k, "value") && SecretKey(pairName):
			out[k] = Redacted
		case isPair && (strings.EqualFold(k, "key") || strings.EqualFold(k, "name")):
			out[k] = redactValue(v, depth+1)
		case SecretKey(k):
			out[k] = Redacted
		default:
			out[k] = redactValue(v, depth+1)
		}
	}
	return out
}

// secretAnywhere are fragments that make any key secret wherever they occur.
var secretFragments = [...]string{
	"password", "passwd", "passphrase", "secret", "token", "credential",
	"cookie", "apikey", "privatekey", "authorization", "sessionid",
}

// SecretKey reports whether a key (or a name=value name) looks like it
// holds a secret. Whole-word rules keep common vSphere names such as
// "datastore", "datacenter" or "keyring" readable while catching
// "ssh_key", "guestPassword", "X-Auth-Token" or "file_content".
func SecretKey(k string) bool {
	lk := strings.ToLower(k)
	for _, f := range secretFragments {
		if strings.Contains(lk, f) {
			return true
		}
	}
	words := splitWords(k)
	for i, w := range words {
		switch w {
		case "pwd", "pass", "auth", "authn", "session", "sid":
			return true
		}
		if i == len(words)-1 {
			// Last word only: "private_key" but not "key_id", "guest_data"
			// but not "data_center", "file_content" but not "content_library".
			switch w {
			case "key", "keys", "data", "content", "contents", "body", "payload", "userdata", "base64":
				return true
			}
		}
	}
	return false
}

// splitWords splits a key into lower-case words at punctuation and at
// camelCase boundaries ("guestPassword" → guest, password; "APIKey" → api, key).
func splitWords(k string) []string {
	var words []string
	var cur []rune
	rs := []rune(k)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && len(cur) > 0:
			prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// RedactString masks secrets inside free text (a guest command line, an
// environment entry) and cuts it to MaxString bytes (see Cap).
func RedactString(s string) string {
	return capTo(maskInline(s), MaxString)
}

// maskInline masks "name=value" and "--name value" where name looks secret.
// It only rebuilds the string when something was masked.
func maskInline(s string) string {
	if !strings.ContainsAny(s, "=-") {
		return s
	}
	fields := strings.Fields(s)
	changed := false
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		name, value, hasEq := strings.Cut(f, "=")
		bare := strings.TrimLeft(name, "-")
		if bare == "" || !SecretKey(bare) {
			continue
		}
		switch {
		case hasEq && value != Redacted:
			fields[i] = name + "=" + Redacted
			changed = true
		case !hasEq && bare != name && i+1 < len(fields) && fields[i+1] != Redacted:
			fields[i+1] = Redacted // "--password hunter2"
			changed = true
			i++
		}
	}
	if !changed {
		return s
	}
	return strings.Join(fields, " ")
}
