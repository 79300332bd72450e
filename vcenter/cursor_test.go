package vcenter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

func TestCursorStore(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cs := newCursorStore(func() time.Time { return now })
	snap := &snapshot{key: "q1", refs: make([]types.ManagedObjectReference, 120)}
	c := cs.put(snap, 50)

	got, off, err := cs.get(c, "q1")
	if err != nil || got != snap || off != 50 {
		t.Fatalf("get = %v %d %v", got, off, err)
	}
	tests := []struct {
		name, cursor, key, want string
		advance                 time.Duration
	}{
		{"other query", c, "q2", "other filters", 0},
		{"garbage", "!!!", "q1", "not a cursor this server issued", 0},
		{"truncated", c[:8], "q1", "not a cursor", 0},
		{"too long", strings.Repeat("A", 200), "q1", "too long", 0},
		{"expired", c, "q1", "expired", cursorTTL + time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now = now.Add(tc.advance)
			_, _, err := cs.get(tc.cursor, tc.key)
			if !errors.Is(err, ErrCursor) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCursorStoreBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cs := newCursorStore(func() time.Time { return now })
	for i := range maxSnapshots * 3 {
		now = now.Add(time.Second)
		cs.put(&snapshot{key: string(rune('a' + i%26))}, 1)
	}
	if len(cs.snap) > maxSnapshots {
		t.Errorf("%d snapshots kept, bound is %d", len(cs.snap), maxSnapshots)
	}
}

func FuzzParseCursor(f *testing.F) {
	cs := newCursorStore(time.Now)
	f.Add(cs.put(&snapshot{key: "k", refs: make([]types.ManagedObjectReference, 3)}, 2))
	f.Add("")
	f.Add("AAAA")
	f.Add("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3Li0x")
	f.Fuzz(func(t *testing.T, s string) {
		id, off, err := ParseCursor(s)
		if err == nil && (off < 0 || len(id) != 24) {
			t.Fatalf("accepted %q as id %q offset %d", s, id, off)
		}
		// get must never panic on any input.
		_, _, _ = cs.get(s, "k")
	})
}
