package vcenter

import "fmt"

// PageCollected pages a listing that a tool assembles itself rather than
// from a container view (tasks from a history collector, say), with the
// same cursors as List: the first page (no cursor) calls collect, keeps the
// whole result server-side behind the cursor, and returns its first limit
// entries; a cursor returns the next entries of that same result, so the
// order stays stable while a client pages. key identifies the listing's
// filters: a cursor only continues the listing it came from.
//
// Entries on later pages are as they were when collected; a caller whose
// entries change (task states) refreshes the page it returns.
func PageCollected[T any](s *Session, key string, limit int, cursor string, collect func() ([]T, error)) (page []T, total int, next string, err error) {
	if limit <= 0 {
		return nil, 0, "", fmt.Errorf("limit must be at least 1")
	}
	var snap *snapshot
	offset := 0
	if cursor != "" {
		snap, offset, err = s.cursors.get(cursor, key)
		if err != nil {
			return nil, 0, "", err
		}
	} else {
		items, err := collect()
		if err != nil {
			return nil, 0, "", err
		}
		if items == nil {
			items = []T{}
		}
		snap = &snapshot{key: key, items: items, n: len(items)}
	}
	items, ok := snap.items.([]T)
	if !ok {
		// A cursor of a reference listing (List) handed to a collected one
		// with the same key: not something a client can do on purpose.
		return nil, 0, "", fmt.Errorf("%w: it belongs to another listing; list again without a cursor", ErrCursor)
	}
	end := min(offset+limit, len(items))
	if end < len(items) {
		next = s.cursors.put(snap, end)
	}
	return items[offset:end], len(items), next, nil
}
