package toolkit

import (
	"strings"
	"testing"
)

func TestNearest(t *testing.T) {
	t.Parallel()
	ids := []string{"ubuntuGuest", "ubuntu64Guest", "windows2019srv_64Guest", "rhel9_64Guest", "otherGuest64"}
	for _, tc := range []struct{ in, want string }{
		{"ubuntu64", "ubuntu64Guest"},
		{"Ubuntu64Guest", "ubuntu64Guest"},
		{"ubuntu64Gust", "ubuntu64Guest"},
		{"Windows2019srv_64Guest", "windows2019srv_64Guest"},
		{"rhel9", "rhel9_64Guest"},
		{"zzzz", ""},
	} {
		if got := strings.Join(Nearest(tc.in, ids, 1), ","); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
