package stdio

import (
	"fmt"
	"sync"
)

// pending is a client request that has not been answered.
type pending struct {
	raw       []byte // the client's id, byte for byte, restored on the answer
	key       string // idKey of raw, for cancellations
	call      bool   // tools/call: admitted only while a worker is free
	msg       []byte // a call's message (under our id) until it is handed on
	cancelled bool   // the client cancelled it: its answer is dropped
}

// router maps every client request to an id of ours, so that mcp-go only
// ever sees small integers (a big integer id came back from it as a float)
// and an answer after a cancellation can be dropped. It also admits tool
// calls to mcp-go no faster than its workers take them: past its queue,
// mcp-go's stdin reader runs a call itself and stops reading, and a ping
// waits for that call.
type router struct {
	mu           sync.Mutex
	next         int64
	byID         map[int64]*pending
	waiting      []int64 // calls not yet handed on, oldest first
	waitingBytes int
	running      int // calls handed on and not answered

	workers, maxPending, maxWaitingBytes int
	wake                                 chan struct{} // a call may be admitted
}

func newRouter(o Options) *router {
	return &router{
		byID:    make(map[int64]*pending),
		workers: o.Workers, maxPending: o.MaxPending, maxWaitingBytes: o.MaxWaitingBytes,
		wake: make(chan struct{}, 1),
	}
}

// add registers a request. A call joins the waiting line (admit hands it
// on); anything else comes back, under our id, to be sent at once.
func (r *router) add(in *inbound) ([]byte, *rpcError) {
	call := in.method == "tools/call"
	r.mu.Lock()
	defer r.mu.Unlock()
	raw := append([]byte(nil), in.env.id.of(in.msg)...)
	if len(r.byID) >= r.maxPending {
		return nil, &rpcError{id: raw, code: codeServerBusy,
			msg: fmt.Sprintf("server busy: %d requests are waiting for an answer; send more when some are answered", len(r.byID))}
	}
	if call && r.waitingBytes+len(in.msg) > r.maxWaitingBytes && len(r.waiting) > 0 {
		return nil, &rpcError{id: raw, code: codeServerBusy,
			msg: fmt.Sprintf("server busy: %d tool calls are waiting for a worker; send more when some are answered", len(r.waiting))}
	}
	r.next++
	id := r.next
	msg := withID(in.msg, in.env.id, id)
	p := &pending{raw: raw, key: in.key, call: call}
	r.byID[id] = p
	if !call {
		return msg, nil
	}
	p.msg = msg
	r.waiting = append(r.waiting, id)
	r.waitingBytes += len(msg)
	r.signal()
	return nil, nil
}

// admit hands out the oldest waiting call if a worker is free.
func (r *router) admit() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running >= r.workers || len(r.waiting) == 0 {
		return nil
	}
	id := r.waiting[0]
	r.waiting = r.waiting[1:]
	p := r.byID[id]
	msg := p.msg
	p.msg = nil
	r.waitingBytes -= len(msg)
	r.running++
	return msg
}

// cancel marks the requests the client cancelled. A call still waiting is
// forgotten, never run; for the others it returns our ids, so mcp-go can be
// told to cancel their handlers.
func (r *router) cancel(key string) (running []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, p := range r.byID {
		if p.key != key || p.cancelled {
			continue
		}
		if p.msg != nil {
			r.drop(id)
			continue
		}
		p.cancelled = true
		running = append(running, id)
	}
	return running
}

// drop removes a waiting call; r.mu is held.
func (r *router) drop(id int64) {
	for i, w := range r.waiting {
		if w == id {
			r.waiting = append(r.waiting[:i], r.waiting[i+1:]...)
			break
		}
	}
	r.waitingBytes -= len(r.byID[id].msg)
	delete(r.byID, id)
}

// answered is called for mcp-go's answer to our id. It returns the client's
// id to restore, or ok false when the answer must not be written: the
// request was cancelled, or is not ours.
func (r *router) answered(id int64) (raw []byte, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.byID[id]
	if p == nil || p.msg != nil {
		return nil, false
	}
	delete(r.byID, id)
	if p.call {
		r.running--
	}
	// A worker may be free, or (stdin ended) everything answered.
	r.signal()
	return p.raw, !p.cancelled
}

func (r *router) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// idle reports whether every request has been answered (or dropped).
func (r *router) idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID) == 0
}

// counts is for tests and logs: requests unanswered, calls waiting,
// calls running.
func (r *router) counts() (pendingN, waitingN, runningN int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID), len(r.waiting), r.running
}
