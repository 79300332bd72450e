package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCap(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{MaxString, MaxField} {
		for _, n := range []int{0, 1, limit - 1, limit, limit + 1, 1000, 100000} {
			for _, unit := range []string{"a", "é", "€", "😀"} {
				s := strings.Repeat(unit, n)
				got := capTo(s, limit)
				if len(got) > limit || !utf8.ValidString(got) {
					t.Errorf("capTo(%d×%q, %d): %d bytes, valid %v", n, unit, limit, len(got), utf8.ValidString(got))
				}
				if len(s) <= limit {
					if got != s {
						t.Errorf("a string that fits was changed")
					}
					continue
				}
				want := fmt.Sprintf("…(%d bytes, sha256:%s)", len(s), sha(s))
				if !strings.HasSuffix(got, want) || !strings.HasPrefix(s, strings.TrimSuffix(got, want)) {
					t.Errorf("capTo(%d×%q) = %q, want a prefix and %q", n, unit, got, want)
				}
				if capTo(got, limit) != got {
					t.Errorf("capTo is not idempotent for %d×%q", n, unit)
				}
			}
		}
	}
	if got := Cap(strings.Repeat("x", 5<<20)); len(got) != MaxField || !strings.Contains(got, "(5242880 bytes, sha256:") {
		t.Errorf("Cap(5 MB) = %d bytes: %s", len(got), got[len(got)-100:])
	}
}

// FuzzCap: the result fits, is valid UTF-8 when the input is, keeps a
// prefix of the input, and is a fixed point.
func FuzzCap(f *testing.F) {
	f.Add("web-01", 16)
	f.Add(strings.Repeat("é", 700), 256)
	f.Add(strings.Repeat("😀", 300), 1024)
	f.Add("\xff\xfe"+strings.Repeat("a", 300), 100)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit = 100 + abs(limit)%2000 // room for the marker
		got := capTo(s, limit)
		if len(got) > limit {
			t.Fatalf("%d bytes over a limit of %d", len(got), limit)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatal("valid UTF-8 in, invalid out")
		}
		if len(s) <= limit && got != s {
			t.Fatal("a string that fits was changed")
		}
		if i := strings.LastIndex(got, "…("); len(s) > limit && (i < 0 || !strings.HasPrefix(s, got[:i])) {
			t.Fatalf("%q is not a prefix of the input and a marker", got)
		}
		if capTo(got, limit) != got {
			t.Fatal("not idempotent")
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Arguments are bounded however many keys, items or levels they have.
func TestRedactBounded(t *testing.T) {
	t.Parallel()
	manyKeys := map[string]any{}
	for i := range 5000 {
		manyKeys[fmt.Sprintf("k%05d", i)] = strings.Repeat("v", 1000)
	}
	manyItems := make([]any, 100000)
	for i := range manyItems {
		manyItems[i] = float64(i)
	}
	deep := map[string]any{"leaf": "x"}
	for range 200 {
		deep = map[string]any{"d": deep, "pad": strings.Repeat("p", 200)}
	}
	wide := map[string]any{}
	for i := range 100 {
		inner := map[string]any{}
		for j := range 100 {
			inner[fmt.Sprintf("i%03d", j)] = strings.Repeat("w", 100)
		}
		wide[fmt.Sprintf("o%03d", i)] = inner
	}
	tests := []struct {
		name string
		args map[string]any
		want []string // what the output must hold: a kept prefix, the marker
	}{
		{"5,000 keys of 1 KB", manyKeys, []string{`"k00000":"vvv`, `"…":"(`, " more keys, sha256:"}},
		{"100,000 items", map[string]any{"vms": manyItems}, []string{`"vms":[0,1,2`, " more items, sha256:"}},
		{"200 levels", deep, []string{`"d":{"d":{`, `"[too deep]"`}},
		{"100 objects of 100 keys", wide, []string{`"o000":{"i000":"www`, " more keys, sha256:"}},
		{"secret past the cut", map[string]any{"a": strings.Repeat("a", 250), "b": manyKeys, "zz_password": "hunter2"}, []string{`"a":"aaa`, " more keys"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, _ := json.Marshal(tc.args)
			out := Redact(tc.args)
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes of arguments → %d bytes audited", len(in), len(b))
			if len(b) > MaxArgs {
				t.Errorf("%d bytes of JSON, want at most %d", len(b), MaxArgs)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("output lacks %q: %.300s", w, b)
				}
			}
			if strings.Contains(string(b), "hunter2") {
				t.Error("a secret reached the output")
			}
			again, _ := json.Marshal(Redact(out))
			if string(again) != string(b) {
				t.Error("Redact is not idempotent on bounded arguments")
			}
			if b2, _ := json.Marshal(Redact(tc.args)); string(b2) != string(b) {
				t.Error("the same arguments were cut differently")
			}
		})
	}
}

// The digest in a marker covers what was left out, as redacted, so two
// calls that differ only past the cut are told apart.
func TestRedactOmittedDigest(t *testing.T) {
	t.Parallel()
	a := map[string]any{}
	for i := range 2000 {
		a[fmt.Sprintf("k%04d", i)] = "value"
	}
	b := map[string]any{}
	for k, v := range a {
		b[k] = v
	}
	b["k1999"] = "other"
	ra, rb := Redact(a), Redact(b)
	if ra[omitKey] == nil || ra[omitKey] == rb[omitKey] {
		t.Errorf("markers %v and %v", ra[omitKey], rb[omitKey])
	}
	// A real key named like the marker, kept because it sorts first among
	// keys that all sort after it, keeps its value.
	c := map[string]any{"…": "real"}
	for i := range 2000 {
		c[fmt.Sprintf("…%04d", i)] = "value"
	}
	if got := Redact(c); got["…"] != "real" || got["…1"] == nil {
		t.Errorf("a real %q key was overwritten: %v / %v", omitKey, got["…"], got["…1"])
	}
}

// The cost of bad input in the audit trail: a 5 MB tool name, a 5 MB error
// and 5,000 argument keys of 1 KB each make one short line.
func TestWriteBoundedLine(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("A", 5<<20)
	manyKeys := map[string]any{}
	for i := range 5000 {
		manyKeys[fmt.Sprintf("k%05d", i)] = strings.Repeat("v", 1000)
	}
	tests := []struct {
		name string
		mod  func(r *Record)
		max  int
	}{
		{"5 MB unknown tool name", func(r *Record) { r.Tool, r.Args = huge, nil }, 2 << 10},
		{"5 MB error", func(r *Record) { r.Error, r.Args = huge, nil }, 2 << 10},
		{"5,000 argument keys", func(r *Record) { r.Args = manyKeys }, MaxArgs + 1<<10},
		{"everything at once", func(r *Record) {
			r.Tool, r.Error, r.Profile, r.Client.Name, r.Args = huge, huge, huge, huge, manyKeys
			r.Targets = []Target{{ID: huge, Path: huge}}
		}, MaxArgs + 7*MaxField},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			w, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			r := sample("vm_list", DecisionDenied)
			tc.mod(&r)
			if err := w.Write(r, true); err != nil {
				t.Fatal(err)
			}
			w.Close()
			b, _ := os.ReadFile(path)
			t.Logf("%s: %d audit bytes", tc.name, len(b))
			if len(b) > tc.max {
				t.Errorf("%d bytes, want at most %d", len(b), tc.max)
			}
			if !strings.Contains(string(b), "(5242880 bytes, sha256:"+sha(huge)+")") && tc.name != "5,000 argument keys" {
				t.Errorf("no digest of the whole: %.200s", b)
			}
			if n := verifyFile(t, path); n != 1 {
				t.Errorf("verified %d records", n)
			}
		})
	}
}
