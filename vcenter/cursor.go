package vcenter

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

const (
	cursorTTL = 15 * time.Minute
	// maxSnapshots bounds memory: a 10,000-VM snapshot is ~0.5 MB of
	// references.
	maxSnapshots = 16
)

// ErrCursor is returned for a cursor that is malformed, expired, or belongs
// to another query. The message tells the caller how to recover.
var ErrCursor = errors.New("invalid cursor")

type snapshot struct {
	id   string
	key  string
	refs []types.ManagedObjectReference
	// items holds a listing a tool collected itself (see PageCollected),
	// n its length; refs is then nil.
	items   any
	n       int
	expires time.Time
}

// len is the number of entries the snapshot lists.
func (s *snapshot) len() int {
	if s.items != nil {
		return s.n
	}
	return len(s.refs)
}

// cursorStore keeps listing snapshots server-side. The cursor a client sees
// is only an ID and an offset, so a client cannot forge a page of objects
// it was not shown, and a cursor cannot be replayed against another query.
type cursorStore struct {
	now  func() time.Time
	mu   sync.Mutex
	snap map[string]*snapshot
}

func newCursorStore(now func() time.Time) *cursorStore {
	return &cursorStore{now: now, snap: make(map[string]*snapshot)}
}

// put stores snap (once) and returns a cursor for offset.
func (cs *cursorStore) put(snap *snapshot, offset int) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	now := cs.now()
	if snap.id == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		snap.id = hex.EncodeToString(b)
		cs.evictLocked(now)
		cs.snap[snap.id] = snap
	}
	snap.expires = now.Add(cursorTTL)
	return base64.RawURLEncoding.EncodeToString([]byte(snap.id + "." + strconv.Itoa(offset)))
}

func (cs *cursorStore) evictLocked(now time.Time) {
	var oldest *snapshot
	for id, s := range cs.snap {
		if now.After(s.expires) {
			delete(cs.snap, id)
			continue
		}
		if oldest == nil || s.expires.Before(oldest.expires) {
			oldest = s
		}
	}
	if len(cs.snap) >= maxSnapshots && oldest != nil {
		delete(cs.snap, oldest.id)
	}
}

// get returns the snapshot and offset a cursor points at.
func (cs *cursorStore) get(cursor, key string) (*snapshot, int, error) {
	id, offset, err := ParseCursor(cursor)
	if err != nil {
		return nil, 0, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	s, ok := cs.snap[id]
	if !ok || cs.now().After(s.expires) {
		delete(cs.snap, id)
		return nil, 0, fmt.Errorf("%w: it has expired (cursors last %s after their last use) or the server restarted; list again without a cursor", ErrCursor, cursorTTL)
	}
	if s.key != key {
		return nil, 0, fmt.Errorf("%w: it belongs to a listing with other filters; pass the same filters as the first page, or list again without a cursor", ErrCursor)
	}
	if offset > s.len() {
		return nil, 0, fmt.Errorf("%w: it points past the end of the listing; list again without a cursor", ErrCursor)
	}
	return s, offset, nil
}

// ParseCursor decodes a cursor into its snapshot ID and offset. It is
// exported for fuzzing: cursors come from the client and are untrusted.
func ParseCursor(cursor string) (id string, offset int, err error) {
	const hint = "pass next_cursor exactly as a previous page returned it, or list again without a cursor"
	if len(cursor) > 128 {
		return "", 0, fmt.Errorf("%w: too long; %s", ErrCursor, hint)
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", 0, fmt.Errorf("%w: not a cursor this server issued; %s", ErrCursor, hint)
	}
	id, off, ok := strings.Cut(string(raw), ".")
	if !ok || len(id) != 24 {
		return "", 0, fmt.Errorf("%w: not a cursor this server issued; %s", ErrCursor, hint)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", 0, fmt.Errorf("%w: not a cursor this server issued; %s", ErrCursor, hint)
	}
	offset, err = strconv.Atoi(off)
	if err != nil || offset < 0 || offset > 1<<30 {
		return "", 0, fmt.Errorf("%w: not a cursor this server issued; %s", ErrCursor, hint)
	}
	return id, offset, nil
}
