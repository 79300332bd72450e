package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
)

// MCP logging: the records that go to the log file also go to the MCP
// clients that asked for them, as notifications/message, at or above the
// level each asked for — whatever --log-level says about the file.
//
// A client asks in one of two ways, by protocol era:
//   - before 2026-07-28, with logging/setLevel for its session; it then
//     gets every record at that level or above;
//   - from 2026-07-28, with a log level in each request's _meta (there is
//     no setLevel any more, and a server must not log to a request that did
//     not ask); it gets the records made while its tool call runs.
//
// Records are the same as the file's and carry no secret by construction
// (URLs are logged without passwords, passwords never); on the way to a
// client they are redacted once more as the audit trail redacts arguments
// (secret-looking keys, name=value pairs, long strings cut), since a
// client's log ends up in places the log file does not.

// mcpLog delivers records to MCP clients. It is the logging side of one
// server: guard.Logging.
type mcpLog struct {
	srv atomic.Pointer[server.MCPServer]

	mu       sync.Mutex
	sessions map[string]mcp.LoggingLevel // legacy sessions that set a level
	calls    map[*loggedCall]struct{}    // modern tool calls that asked for logs
	// min is the lowest slog level anyone asked for (math.MaxInt: nobody),
	// so that, unasked, records cost one atomic load.
	min atomic.Int64
}

// loggedCall is a tool call in flight whose request carries a log level.
type loggedCall struct{ ctx context.Context }

func newMCPLog() *mcpLog {
	l := &mcpLog{sessions: map[string]mcp.LoggingLevel{}, calls: map[*loggedCall]struct{}{}}
	l.min.Store(math.MaxInt64)
	return l
}

// Attach gives it the server to send through, once built.
func (l *mcpLog) Attach(s *server.MCPServer) { l.srv.Store(s) }

// Hooks follow logging/setLevel and sessions going away.
func (l *mcpLog) Hooks(h *server.Hooks) {
	h.AddAfterSetLevel(func(ctx context.Context, _ any, req *mcp.SetLevelRequest, _ *mcp.EmptyResult) {
		s := server.ClientSessionFromContext(ctx)
		if s == nil {
			return
		}
		l.mu.Lock()
		l.sessions[s.SessionID()] = req.Params.Level
		l.recomputeLocked()
		l.mu.Unlock()
	})
	h.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		l.mu.Lock()
		delete(l.sessions, s.SessionID())
		l.recomputeLocked()
		l.mu.Unlock()
	})
}

// ToolMiddleware keeps a modern tool call that asked for logs in the list
// of recipients while it runs.
func (l *mcpLog) ToolMiddleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		info := server.RequestProtocolInfoFromContext(ctx)
		if info == nil || !info.Modern || info.LogLevel == "" {
			return next(ctx, req)
		}
		c := &loggedCall{ctx: ctx}
		l.mu.Lock()
		l.calls[c] = struct{}{}
		l.recomputeLocked()
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			delete(l.calls, c)
			l.recomputeLocked()
			l.mu.Unlock()
		}()
		return next(ctx, req)
	}
}

func (l *mcpLog) recomputeLocked() {
	low := int64(math.MaxInt64)
	for _, lv := range l.sessions {
		low = min(low, int64(slogLevel(lv)))
	}
	for c := range l.calls {
		if info := server.RequestProtocolInfoFromContext(c.ctx); info != nil {
			low = min(low, int64(slogLevel(info.LogLevel)))
		}
	}
	l.min.Store(low)
}

func (l *mcpLog) enabled(level slog.Level) bool { return int64(level) >= l.min.Load() }

// send delivers one record to every recipient; mcp-go drops it for those
// that asked for a higher level.
func (l *mcpLog) send(n mcp.LoggingMessageNotification) {
	srv := l.srv.Load()
	if srv == nil {
		return
	}
	l.mu.Lock()
	sessions := make([]string, 0, len(l.sessions))
	for id := range l.sessions {
		sessions = append(sessions, id)
	}
	calls := make([]context.Context, 0, len(l.calls))
	for c := range l.calls {
		calls = append(calls, c.ctx)
	}
	l.mu.Unlock()
	// A full notification queue drops the record: a log line is never
	// worth blocking a call for.
	for _, id := range sessions {
		_ = srv.SendLogMessageToSpecificClient(id, n)
	}
	for _, ctx := range calls {
		_ = srv.SendLogMessageToClient(ctx, n)
	}
}

// slogLevel maps an MCP (syslog) level onto slog's scale.
func slogLevel(l mcp.LoggingLevel) slog.Level {
	switch l {
	case mcp.LoggingLevelDebug:
		return slog.LevelDebug
	case mcp.LoggingLevelInfo:
		return slog.LevelInfo
	case mcp.LoggingLevelNotice:
		return slog.LevelInfo + 2
	case mcp.LoggingLevelWarning:
		return slog.LevelWarn
	case mcp.LoggingLevelError:
		return slog.LevelError
	case mcp.LoggingLevelCritical:
		return slog.LevelError + 4
	case mcp.LoggingLevelAlert:
		return slog.LevelError + 8
	case mcp.LoggingLevelEmergency:
		return slog.LevelError + 12
	}
	return math.MaxInt32 // unknown: nothing
}

// mcpLevel maps a record's level onto MCP's.
func mcpLevel(l slog.Level) mcp.LoggingLevel {
	switch {
	case l < slog.LevelInfo:
		return mcp.LoggingLevelDebug
	case l < slog.LevelInfo+2:
		return mcp.LoggingLevelInfo
	case l < slog.LevelWarn:
		return mcp.LoggingLevelNotice
	case l < slog.LevelError:
		return mcp.LoggingLevelWarning
	case l < slog.LevelError+4:
		return mcp.LoggingLevelError
	case l < slog.LevelError+8:
		return mcp.LoggingLevelCritical
	case l < slog.LevelError+12:
		return mcp.LoggingLevelAlert
	}
	return mcp.LoggingLevelEmergency
}

// mcpLogHandler is the slog side of mcpLog: a handler whose records
// become notifications.
type mcpLogHandler struct {
	l      *mcpLog
	groups []string
	attrs  []groupedAttr // from WithAttrs, under the groups of their time
}

type groupedAttr struct {
	groups []string
	attr   slog.Attr
}

func (h *mcpLogHandler) Enabled(_ context.Context, level slog.Level) bool { return h.l.enabled(level) }

func (h *mcpLogHandler) Handle(_ context.Context, r slog.Record) error {
	data := map[string]any{}
	for _, ga := range h.attrs {
		putAttr(data, ga.groups, ga.attr)
	}
	r.Attrs(func(a slog.Attr) bool {
		putAttr(data, h.groups, a)
		return true
	})
	data["msg"] = r.Message
	h.l.send(mcp.NewLoggingMessageNotification(mcpLevel(r.Level), "vsphere-mcp", audit.Redact(data)))
	return nil
}

func (h *mcpLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]groupedAttr(nil), h.attrs...)
	for _, a := range as {
		c.attrs = append(c.attrs, groupedAttr{groups: h.groups, attr: a})
	}
	return &c
}

func (h *mcpLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(append([]string(nil), h.groups...), name)
	return &c
}

// putAttr sets a into m under groups, as plain JSON values.
func putAttr(m map[string]any, groups []string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	for _, g := range groups {
		sub, ok := m[g].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[g] = sub
		}
		m = sub
	}
	switch a.Value.Kind() {
	case slog.KindGroup:
		if a.Key == "" { // inlined, as slog does
			for _, ga := range a.Value.Group() {
				putAttr(m, nil, ga)
			}
			return
		}
		for _, ga := range a.Value.Group() {
			putAttr(m, []string{a.Key}, ga)
		}
	case slog.KindString:
		m[a.Key] = a.Value.String()
	case slog.KindInt64:
		m[a.Key] = a.Value.Int64()
	case slog.KindUint64:
		m[a.Key] = a.Value.Uint64()
	case slog.KindFloat64:
		m[a.Key] = a.Value.Float64()
	case slog.KindBool:
		m[a.Key] = a.Value.Bool()
	default: // durations, times and any: as the text handler writes them
		v := a.Value.Any()
		if err, ok := v.(error); ok {
			m[a.Key] = err.Error()
		} else {
			m[a.Key] = fmt.Sprint(a.Value)
		}
	}
}

// teeHandler sends each record to two handlers, each at its own level.
type teeHandler struct{ a, b slog.Handler }

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.a.Enabled(ctx, l) || t.b.Enabled(ctx, l)
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var errA, errB error
	if t.a.Enabled(ctx, r.Level) {
		errA = t.a.Handle(ctx, r.Clone())
	}
	if t.b.Enabled(ctx, r.Level) {
		errB = t.b.Handle(ctx, r)
	}
	return errors.Join(errA, errB)
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t.a.WithAttrs(as), t.b.WithAttrs(as)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.a.WithGroup(name), t.b.WithGroup(name)}
}

// dropHandler leaves out records with the given messages.
type dropHandler struct {
	slog.Handler
	msgs []string
}

func (d dropHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, m := range d.msgs {
		if r.Message == m {
			return nil
		}
	}
	return d.Handler.Handle(ctx, r)
}

func (d dropHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return dropHandler{d.Handler.WithAttrs(as), d.msgs}
}

func (d dropHandler) WithGroup(name string) slog.Handler {
	return dropHandler{d.Handler.WithGroup(name), d.msgs}
}
