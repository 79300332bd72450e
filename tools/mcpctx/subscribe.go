package mcpctx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Subscriptions. A client subscribes with resources/subscribe (protocol
// 2025-11-25 and before) or by naming URIs in a subscriptions/listen
// stream (2026-07-28, which removed resources/subscribe). Either way the
// URI is checked first — parsed, and its tool run through the guard
// (role, scope, one audit line), so a client learns of changes only to
// what it may read — and then watched by the server's one vcenter.Watcher
// (one WaitForUpdatesEx loop on a property collector of its own). When
// vCenter changes a watched object the subscribers get
// notifications/resources/updated, tagged with the listen stream's ID on
// 2026-07-28. Unsubscribing, the listen stream ending and the client's
// session ending remove the subscription; the last one of an object
// removes its filter.

// subKey is one subscription of one client session: legacy (listen "")
// or within one listen stream.
type subKey struct {
	session string
	uri     string
	listen  string
}

type sub struct {
	session  server.ClientSession
	listenID any // nil: legacy
	target   vcenter.WatchTarget
}

type subscriptions struct {
	e  *ext
	mu sync.Mutex
	m  map[subKey]*sub
}

func newSubscriptions(e *ext) *subscriptions {
	return &subscriptions{e: e, m: map[subKey]*sub{}}
}

func (s *subscriptions) hooks(h *server.Hooks) {
	h.AddOnRequestInitialization(s.check)
	h.AddAfterSubscribe(func(ctx context.Context, _ any, req *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		sess := server.ClientSessionFromContext(ctx)
		if sess == nil {
			return
		}
		if err := s.add(ctx, sess, req.Params.URI, nil); err != nil {
			s.e.log.Warn("resource subscription not watched", "uri", req.Params.URI, "error", err)
		}
	})
	h.AddAfterUnsubscribe(func(ctx context.Context, _ any, req *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		if sess := server.ClientSessionFromContext(ctx); sess != nil {
			s.remove(ctx, subKey{session: sess.SessionID(), uri: req.Params.URI})
		}
	})
	h.AddBeforeSubscriptionsListen(func(ctx context.Context, id any, req *mcp.SubscriptionsListenRequest) {
		sess := server.ClientSessionFromContext(ctx)
		uris := req.Params.Notifications.ResourceSubscriptions
		if sess == nil || len(uris) == 0 || id == nil {
			return
		}
		var keys []subKey
		for _, uri := range uris {
			if err := s.add(ctx, sess, uri, id); err != nil {
				s.e.log.Warn("resource subscription not watched", "uri", uri, "error", err)
				continue
			}
			keys = append(keys, subKey{session: sess.SessionID(), uri: uri, listen: listenKey(id)})
		}
		// The stream lasts as long as the request: its end (the client
		// cancelled it, or went away) ends these subscriptions.
		go func() {
			<-ctx.Done()
			for _, k := range keys {
				s.remove(context.WithoutCancel(ctx), k)
			}
		}()
	})
	h.AddOnError(s.e.refusedRead)
	h.AddOnUnregisterSession(func(ctx context.Context, sess server.ClientSession) {
		s.removeSession(ctx, sess.SessionID())
	})
}

func listenKey(id any) string { return fmt.Sprintf("%T:%v", id, id) }

// check refuses a subscription to a URI the client may not read, before
// mcp-go acknowledges it: a resources/subscribe, or the URIs of a
// subscriptions/listen.
func (s *subscriptions) check(ctx context.Context, _ any, message any) error {
	raw, ok := message.(json.RawMessage)
	if !ok {
		if b, isBytes := message.([]byte); isBytes {
			raw = b
		} else {
			return nil
		}
	}
	if !bytes.Contains(raw, []byte(`subscri`)) {
		return nil // the common case, at the cost of a scan
	}
	var msg struct {
		Method string `json:"method"`
		Params struct {
			URI           string                 `json:"uri"`
			Notifications mcp.SubscriptionFilter `json:"notifications"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &msg) != nil {
		return nil // mcp-go answers what it cannot parse
	}
	var uris []string
	switch mcp.MCPMethod(msg.Method) {
	case mcp.MethodResourcesSubscribe:
		uris = []string{msg.Params.URI}
	case mcp.MethodSubscriptionsListen:
		uris = msg.Params.Notifications.ResourceSubscriptions
	default:
		return nil
	}
	if len(uris) > maxSubscriptions {
		return fmt.Errorf("%d resources in one subscription; at most %d", len(uris), maxSubscriptions)
	}
	for _, uri := range uris {
		if err := s.allowed(ctx, uri); err != nil {
			return err
		}
	}
	return nil
}

// maxSubscriptions bounds the URIs of one request and of one session.
const maxSubscriptions = 100

func (s *subscriptions) allowed(ctx context.Context, uri string) error {
	ref, err := ParseURI(uri)
	if err != nil {
		return err
	}
	if _, ok := ref.Res.target(ref.ID); !ok {
		return fmt.Errorf("%s cannot be subscribed to: it changes with every change of the inventory; subscribe to vsphere://alarms, vsphere://tasks/recent or one object (vsphere://vm/{id}, host, cluster, datastore) and read it when you need it", ref.URI())
	}
	if s.e.watch == nil {
		return errors.New("resource subscriptions need a vCenter session")
	}
	if sess := server.ClientSessionFromContext(ctx); sess != nil {
		s.mu.Lock()
		n := 0
		for k := range s.m {
			if k.session == sess.SessionID() {
				n++
			}
		}
		s.mu.Unlock()
		if n >= maxSubscriptions {
			return fmt.Errorf("this session has %d subscriptions, the most it may have; unsubscribe from some first", n)
		}
	}
	// The same check as a read, so a subscription tells nobody more than
	// a read would.
	if _, err := s.e.run(ctx, "resources/subscribe", ref); err != nil {
		return err
	}
	return nil
}

// add watches uri for sess (and the listen stream id, when not nil).
func (s *subscriptions) add(ctx context.Context, sess server.ClientSession, uri string, listenID any) error {
	ref, err := ParseURI(uri)
	if err != nil {
		return err
	}
	t, ok := ref.Res.target(ref.ID)
	if !ok || s.e.watch == nil {
		return errors.New("not watchable")
	}
	k := subKey{session: sess.SessionID(), uri: uri}
	if listenID != nil {
		k.listen = listenKey(listenID)
	}
	s.mu.Lock()
	_, dup := s.m[k]
	s.mu.Unlock()
	if dup {
		return nil
	}
	if err := s.e.watch.Add(ctx, t); err != nil {
		return err
	}
	s.mu.Lock()
	if _, dup := s.m[k]; dup {
		s.mu.Unlock()
		s.e.watch.Remove(ctx, t) // a concurrent twin won
		return nil
	}
	s.m[k] = &sub{session: sess, listenID: listenID, target: t}
	s.mu.Unlock()
	return nil
}

// removeWait bounds how long removing a subscription waits for the
// watcher to drop its filter (the filter goes anyway; only the wait ends).
const removeWait = 2 * time.Second

func (s *subscriptions) remove(ctx context.Context, k subKey) {
	ctx, cancel := context.WithTimeout(ctx, removeWait)
	defer cancel()
	s.mu.Lock()
	sb, ok := s.m[k]
	delete(s.m, k)
	s.mu.Unlock()
	if ok {
		s.e.watch.Remove(ctx, sb.target)
	}
}

func (s *subscriptions) removeSession(ctx context.Context, session string) {
	ctx, cancel := context.WithTimeout(ctx, removeWait)
	defer cancel()
	s.mu.Lock()
	var gone []*sub
	for k, sb := range s.m {
		if k.session == session {
			gone = append(gone, sb)
			delete(s.m, k)
		}
	}
	s.mu.Unlock()
	for _, sb := range gone {
		s.e.watch.Remove(ctx, sb.target)
	}
}

// count is how many subscriptions there are, for tests.
func (s *subscriptions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// changed is the watcher's callback: tell every subscriber of t — unless
// the change is only about objects outside the role's scope (an alarm or
// a task elsewhere), which a read of the resource would not show either.
func (s *subscriptions) changed(t vcenter.WatchTarget, about []types.ManagedObjectReference) {
	if about != nil && !s.visible(about) {
		return
	}
	type out struct {
		uri string
		sb  *sub
	}
	var send []out
	s.mu.Lock()
	for k, sb := range s.m {
		if sb.target == t {
			send = append(send, out{k.uri, sb})
		}
	}
	s.mu.Unlock()
	for _, o := range send {
		s.notify(o.sb, o.uri)
	}
}

func (s *subscriptions) notify(sb *sub, uri string) {
	n := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
		Method: mcp.MethodNotificationResourceUpdated,
		Params: mcp.NotificationParams{AdditionalFields: map[string]any{"uri": uri}},
	}}
	if sb.listenID != nil {
		// Every message on a 2026-07-28 subscription stream names it.
		n.Params.Meta = map[string]any{mcp.MetaKeySubscriptionID: sb.listenID}
	}
	defer func() {
		// A session that ended a moment ago may have closed its channel.
		_ = recover()
	}()
	select {
	case sb.session.NotificationChannel() <- n:
	default:
		s.e.log.Warn("resource update not delivered: the client is not reading its notifications", "uri", uri)
	}
}

// visible reports whether the scope shows any of refs (at no cost for an
// unscoped role). A failure to tell counts as no: the update is dropped,
// not leaked.
func (s *subscriptions) visible(refs []types.ManagedObjectReference) bool {
	if len(refs) == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shown := false
	err := s.e.d.Session.Do(ctx, func(c *vcenter.Conn) error {
		vis, err := c.VisibleSet(ctx, refs)
		if err != nil {
			return err
		}
		shown = len(vis) > 0
		return nil
	})
	if err != nil {
		s.e.log.Warn("resource update dropped: cannot tell whether it is within the scope", "error", err)
		return false
	}
	return shown
}
