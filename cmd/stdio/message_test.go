package stdio

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseInbound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		kind   inKind
		method string
		id     string // the raw id found
		code   int    // an error answer instead
		echo   string // the id the error answer carries ("" = null)
		msg    string // part of its message
	}{
		{name: "request", in: `{"jsonrpc":"2.0","id":1,"method":"ping"}`, kind: inRequest, method: "ping", id: "1"},
		{name: "string id", in: `{"jsonrpc":"2.0","id":"a\"b","method":"ping"}`, kind: inRequest, method: "ping", id: `"a\"b"`},
		{name: "big integer id", in: `{"id":123456789012345678901234567890,"jsonrpc":"2.0","method":"ping"}`, kind: inRequest, method: "ping", id: "123456789012345678901234567890"},
		{name: "negative id", in: `{"jsonrpc":"2.0","id":-7,"method":"ping"}`, kind: inRequest, method: "ping", id: "-7"},
		{name: "spaces around", in: " \t{ \"jsonrpc\" : \"2.0\" , \"id\" : 5 , \"method\" : \"ping\" } ", kind: inRequest, method: "ping", id: "5"},
		{name: "id spelled ID", in: `{"jsonrpc":"2.0","ID":3,"method":"ping"}`, kind: inRequest, method: "ping", id: "3"},
		{name: "id key escaped", in: `{"jsonrpc":"2.0","\u0069d":4,"method":"ping"}`, kind: inRequest, method: "ping", id: "4"},
		{name: "notification", in: `{"jsonrpc":"2.0","method":"notifications/initialized"}`, kind: inNotification, method: "notifications/initialized"},
		{name: "response to the server", in: `{"jsonrpc":"2.0","id":1,"result":{}}`, kind: inResponse, id: "1"},
		{name: "error response with any id", in: `{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}`, kind: inResponse, id: "null"},

		{name: "not JSON", in: `{"jsonrpc":`, code: codeParseError, msg: "not valid JSON"},
		{name: "two values", in: `{} {}`, code: codeParseError},
		{name: "batch", in: `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, code: codeInvalidRequest, msg: "batches are not supported"},
		{name: "empty batch", in: ` []`, code: codeInvalidRequest, msg: "batches are not supported"},
		{name: "a string", in: `"ping"`, code: codeInvalidRequest, msg: "must be a JSON object"},
		{name: "object id", in: `{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, code: codeInvalidRequest, msg: "not an object"},
		{name: "array id", in: `{"jsonrpc":"2.0","id":[1],"method":"ping"}`, code: codeInvalidRequest, msg: "not an array"},
		{name: "boolean id", in: `{"jsonrpc":"2.0","id":true,"method":"ping"}`, code: codeInvalidRequest, msg: "not a boolean"},
		{name: "null id", in: `{"jsonrpc":"2.0","id":null,"method":"ping"}`, code: codeInvalidRequest, msg: "not null"},
		{name: "fractional id", in: `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, code: codeInvalidRequest, msg: "fraction"},
		{name: "exponent id", in: `{"jsonrpc":"2.0","id":1e3,"method":"ping"}`, code: codeInvalidRequest, msg: "exponent"},
		{name: "duplicate id", in: `{"jsonrpc":"2.0","id":1,"Id":{},"method":"ping"}`, code: codeInvalidRequest, msg: `duplicate member "id"`},
		{name: "duplicate method", in: `{"jsonrpc":"2.0","id":1,"method":"ping","METHOD":"tools/call"}`, code: codeInvalidRequest, echo: "", msg: `duplicate member "method"`},
		{name: "method not a string", in: `{"jsonrpc":"2.0","id":9,"method":5}`, code: codeInvalidRequest, echo: "9", msg: "method must be a string"},
		{name: "nothing to do", in: `{"jsonrpc":"2.0","id":9}`, code: codeInvalidRequest, echo: "9", msg: "no method"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, rerr := parseInbound([]byte(tc.in))
			if tc.code != 0 {
				if rerr == nil {
					t.Fatalf("accepted as kind %d", in.kind)
				}
				var ans struct {
					ID    json.RawMessage
					Error struct {
						Code    int
						Message string
					}
				}
				if err := json.Unmarshal(rerr.reply(), &ans); err != nil {
					t.Fatal(err)
				}
				echo := tc.echo
				if echo == "" {
					echo = "null"
				}
				if ans.Error.Code != tc.code || string(ans.ID) != echo || !strings.Contains(ans.Error.Message, tc.msg) {
					t.Errorf("answer %s", rerr.reply())
				}
				return
			}
			if rerr != nil {
				t.Fatalf("refused: %s", rerr.reply())
			}
			if in.kind != tc.kind || in.method != tc.method {
				t.Errorf("kind %d method %q", in.kind, in.method)
			}
			if got := string(in.env.id.of(in.msg)); in.env.id.ok() && got != tc.id || !in.env.id.ok() && tc.id != "" {
				t.Errorf("id %q, want %q", got, tc.id)
			}
		})
	}
}

func TestIDKeysMatchCancellations(t *testing.T) {
	t.Parallel()
	same := [][2]string{{`"a"`, `"\u0061"`}, {`7`, `7`}, {`-0`, `0`}, {`123456789012345678901234567890`, `123456789012345678901234567890`}}
	for _, p := range same {
		a, errA := idKey([]byte(p[0]))
		b, errB := idKey([]byte(p[1]))
		if errA != nil || errB != nil || a != b {
			t.Errorf("%s and %s: keys %q %q (%v %v)", p[0], p[1], a, b, errA, errB)
		}
	}
	if a, _ := idKey([]byte(`"7"`)); a == "n7" {
		t.Error(`the string "7" and the number 7 are different ids`)
	}
}

// refMembers is encoding/json's view of a top-level object's members
// that the bridge acts on, folded as it folds them.
func refMembers(t *testing.T, msg []byte) map[string]string {
	dec := json.NewDecoder(bytes.NewReader(msg))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	out := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if strings.EqualFold(tok.(string), m) {
				out[m] = string(v)
			}
		}
	}
	return out
}

// FuzzScanObject: on any input scanObject returns without panicking; on a
// valid object its spans are exactly the members encoding/json reads, and
// replacing the id changes the id and nothing else.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":[1,{"b":"}"}]}}}`,
		`{"id":"\"}\\","result":{"content":[]}}`,
		`{"ID" : 123456789012345678901234567890 , "Method":"ping"}`,
		`{"\u0069d":[1,2],"error":null}`,
		`{}`, `[]`, `{"a":}`, `{"id":1,"id":2}`, `{"id":tru}`, "{\"id\":1\n}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		env, err := scanObject(msg, false)
		_, _ = scanObject(msg, true)
		_, _ = parseInbound(msg)
		if !json.Valid(msg) || msg[skipSpace(msg, 0)] != '{' {
			return
		}
		ref := refMembers(t, msg)
		if err != nil {
			var count = map[string]int{}
			dec := json.NewDecoder(bytes.NewReader(msg))
			_, _ = dec.Token()
			for dec.More() {
				tok, _ := dec.Token()
				var v json.RawMessage
				_ = dec.Decode(&v)
				for _, m := range members {
					if strings.EqualFold(tok.(string), m) {
						count[m]++
					}
				}
			}
			for _, n := range count {
				if n > 1 {
					return // a duplicate is refused, rightly
				}
			}
			t.Fatalf("valid object refused: %v", err)
		}
		for name, s := range map[string]span{"id": env.id, "method": env.method, "params": env.params} {
			want, has := ref[name]
			if has != s.ok() || has && string(s.of(msg)) != want {
				t.Fatalf("%s: span %q, encoding/json %q (present %v)", name, s.of(msg), want, has)
			}
		}
		if _, has := ref["result"]; has != env.result {
			t.Fatalf("result present %v, want %v", env.result, has)
		}
		if !env.id.ok() {
			return
		}
		out := withID(msg, env.id, 42)
		got := refMembers(t, out)
		if got == nil || got["id"] != "42" {
			t.Fatalf("after the id swap: %s", out)
		}
		ref["id"] = "42"
		for k, v := range ref {
			if got[k] != v {
				t.Fatalf("member %s changed: %q → %q", k, v, got[k])
			}
		}
		if !bytes.Equal(out[:env.id.start], msg[:env.id.start]) || !bytes.Equal(out[env.id.start+2:len(out)-1], msg[env.id.end:]) {
			t.Fatal("bytes outside the id changed")
		}
	})
}
