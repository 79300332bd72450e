package toolkit

import (
	"strings"
	"testing"
)

type nestedArgs struct {
	Take bool `json:"snapshot_first,omitempty"`
}

type sampleArgs struct {
	nestedArgs
	VM       string `json:"vm"`
	Serial   string `json:"serial,omitempty"`
	TimeoutS int    `json:"timeout_s,omitempty"`
	hidden   int
	Skipped  string `json:"-"`
}

func TestUnknownArgumentSuggests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"vm": "x", "seriel": "a"}, []string{`unknown argument "seriel"`, `did you mean "serial"?`, "This tool takes: serial, snapshot_first, timeout_s, vm"}},
		{map[string]any{"timeout": 5}, []string{`unknown argument "timeout"`, `did you mean "timeout_s"?`}},
		{map[string]any{"zzzzzzzz": 1}, []string{`unknown argument "zzzzzzzz"`, "This tool takes:"}},
	} {
		var a sampleArgs
		err := DecodeArgs(tc.args, &a)
		if err == nil {
			t.Fatalf("%v decoded", tc.args)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", tc.args, err, w)
			}
		}
		if strings.Contains(err.Error(), "hidden") || strings.Contains(err.Error(), "Skipped") {
			t.Errorf("listed an unexported or skipped field: %s", err)
		}
	}
}

func TestCheckGlobReversedRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		glob string
		ok   bool
	}{
		{"web-*", true}, {"[a-c]*", true}, {"[^x]", true}, {`a\[b`, true}, {"[é-ö]", true},
		{"[X-0]", false}, {"ab[c-a]", false}, {"[a-cz-y]", false}, {`[\z-\a]`, false},
	} {
		err := CheckGlob("name", tc.glob)
		if (err == nil) != tc.ok {
			t.Errorf("CheckGlob(%q) = %v, want ok=%v", tc.glob, err, tc.ok)
		}
	}
}
