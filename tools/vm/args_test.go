package vm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

func TestDecodeArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  any
		want string
	}{
		{map[string]any{"vm": "x"}, ""},
		{nil, ""},
		{map[string]any{"vm": 1}, `argument "vm" must be a string`},
		{map[string]any{"limit": 1.5, "vm": "x"}, `argument "limit" must be an integer`},
		{map[string]any{"bogus": true}, `unknown argument "bogus"`},
		{[]any{1, 2}, "arguments must be a JSON object"},
		{"text", "arguments must be a JSON object"},
	}
	for _, tc := range tests {
		var dst struct {
			VM string `json:"vm"`
			toolkit.Paging
		}
		err := toolkit.DecodeArgs(tc.raw, &dst)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("decodeArgs(%v): %v", tc.raw, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("decodeArgs(%v) = %v, want %q", tc.raw, err, tc.want)
		}
	}
}

// FuzzDecodeArgs: arguments come from the model; decoding and validation
// must never panic, whatever arrives.
func FuzzDecodeArgs(f *testing.F) {
	f.Add(`{"vm":"web-01"}`)
	f.Add(`{"limit":5000,"cursor":"x","fields":["cpus"]}`)
	f.Add(`{"name":"[","power_state":"on"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, s string) {
		var raw any
		if err := jsonUnmarshal([]byte(s), &raw); err != nil {
			return
		}
		var a VMListArgs
		if err := toolkit.DecodeArgs(raw, &a); err == nil {
			_ = a.Validate()
		}
		var g params.VMArgs
		if err := toolkit.DecodeArgs(raw, &g); err == nil {
			_ = g.Validate()
		}
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
