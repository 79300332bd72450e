package pool

import (
	"encoding/json"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

func TestParseShares(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    any
		level types.SharesLevel
		n     int32
		ok    bool
	}{
		{"high", types.SharesLevelHigh, 0, true},
		{" Normal ", types.SharesLevelNormal, 0, true},
		{"2000", types.SharesLevelCustom, 2000, true},
		{float64(4000), types.SharesLevelCustom, 4000, true},
		{json.Number("8"), types.SharesLevelCustom, 8, true},
		{"custom", "", 0, false},
		{float64(0), "", 0, false},
		{float64(-5), "", 0, false},
		{1.5, "", 0, false},
		{float64(1 << 40), "", 0, false},
		{true, "", 0, false},
	} {
		got, err := parseShares("cpu_shares", tc.in)
		if (err == nil) != tc.ok || (err == nil && (got.Level != tc.level || got.Shares != tc.n)) {
			t.Errorf("parseShares(%v) = %+v, %v", tc.in, got, err)
		}
	}
}

// FuzzParseShares: any string is a level, a positive number or an error,
// never a panic or a non-positive custom share count.
func FuzzParseShares(f *testing.F) {
	for _, s := range []string{"low", "2000", "-1", "1e3", "NaN", "Inf", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := parseShares("cpu_shares", s)
		if err != nil {
			return
		}
		if sh.Level == types.SharesLevelCustom && sh.Shares <= 0 {
			t.Errorf("%q gave %d shares", s, sh.Shares)
		}
	})
}
