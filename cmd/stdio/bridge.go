// Package stdio is vsphere-mcp's MCP stdio transport: a thin reader and
// writer between the client's stdin/stdout and mcp-go's StdioServer that
// closes what mcp-go leaves open at the protocol's edges, in one place
// rather than in every tool:
//
//   - an input line is never buffered past MaxMessage: a longer one is
//     skipped while it is read and answered with an error;
//   - parse errors, batches and invalid ids are answered as JSON-RPC 2.0
//     says (id null), before mcp-go sees them;
//   - every request id is exchanged for a small integer of ours and the
//     client's bytes are restored on the answer, so a big integer id comes
//     back exactly and an answer after notifications/cancelled is dropped;
//   - tool calls are handed to mcp-go no faster than its workers take them,
//     so its reader never runs a call itself and ping, cancellations,
//     tools/list and initialize are answered while tools run;
//   - a client that goes away (stdin closed or failing, stdout broken) ends
//     serving with a tidy log line, the same way each time.
package stdio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/server"
)

// MiB is the unit the message limit is stated in.
const MiB = 1 << 20

// Options size the transport. Zero values take the defaults.
type Options struct {
	// MaxMessage is the longest input line accepted, in bytes (8 MiB).
	MaxMessage int
	// Workers is how many tool calls run at once: mcp-go's worker pool
	// (DefaultWorkers).
	Workers int
	// MaxPending is how many requests may wait for an answer before new
	// ones are refused as busy (1,000).
	MaxPending int
	// MaxWaitingBytes bounds the tool calls held for a worker (64 MiB).
	MaxWaitingBytes int
	Log             *slog.Logger
}

// DefaultWorkers sizes mcp-go's worker pool for the machine (its default
// is 5). A tool call mostly waits on vCenter rather than using a CPU, so
// four per CPU, at least 8 and at most 32: they all share one vCenter
// session, and calls beyond the pool wait in the bridge, where a
// cancellation still reaches them.
func DefaultWorkers() int {
	return min(max(4*runtime.GOMAXPROCS(0), 8), 32)
}

func (o Options) withDefaults() Options {
	if o.MaxMessage <= 0 {
		o.MaxMessage = 8 * MiB
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers()
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 1000
	}
	if o.MaxWaitingBytes <= 0 {
		o.MaxWaitingBytes = 64 * MiB
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Serve answers MCP for s on in/out until the client closes stdin or goes
// away, or ctx ends. Those all end serving normally (nil).
func Serve(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, o Options) error {
	o = o.withDefaults()
	return run(ctx, in, out, o, func(ctx context.Context, r io.Reader, w io.Writer) error {
		st := server.NewStdioServer(s)
		st.SetErrorLogger(slog.NewLogLogger(o.Log.Handler(), slog.LevelWarn))
		// The bridge never hands on more calls than there are workers, so a
		// queue as long as the pool is never full.
		server.WithWorkerPoolSize(o.Workers)(st)
		server.WithQueueSize(o.Workers)(st)
		return st.Listen(ctx, r, w)
	})
}

// serveFunc is mcp-go's side: it reads the bridge's messages from r and
// writes its own to w until r ends or ctx does.
type serveFunc func(ctx context.Context, r io.Reader, w io.Writer) error

var (
	// errGone is the cause of ending when the client stopped reading.
	errGone = errors.New("the MCP client went away")
	// errStopped ends the reader when mcp-go's side has stopped first.
	errStopped = errors.New("the MCP server stopped")
)

func run(ctx context.Context, in io.Reader, out io.Writer, o Options, serve serveFunc) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	b := &bridge{
		opt:     o,
		log:     o.Log,
		r:       newRouter(o),
		control: make(chan []byte, 16),
		fwdDone: make(chan struct{}),
	}
	b.out = &output{w: out, log: o.Log, onGone: func() { cancel(errGone) }}
	defer b.out.close()

	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() {
		err := serve(ctx, pr, &serverOut{line: b.fromServer})
		_ = pr.CloseWithError(io.ErrClosedPipe) // the forwarder's writes fail now
		served <- err
	}()
	go b.forward(ctx, pw)
	readDone := make(chan error, 1)
	go func() {
		// The reader's end is recorded before control closes: mcp-go can
		// only stop because of it after that, so the select below never
		// misses why stdin ended.
		rerr := b.read(ctx, in)
		// Only a client that closed stdin is still there to read answers.
		b.drain.Store(errors.Is(rerr, io.EOF))
		readDone <- rerr
		close(b.control)
	}()

	var err error
	select {
	case rerr := <-readDone:
		b.logReadEnd(rerr)
		err = <-served // the forwarder closes mcp-go's input once it has sent everything
	case err = <-served:
		select {
		case rerr := <-readDone:
			b.logReadEnd(rerr)
		default: // stdin is still open; mcp-go stopped for its own reason
		}
	}
	if err != nil && (errors.Is(err, context.Canceled) || ctx.Err() != nil) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("mcp stdio server: %w", err)
	}
	return nil
}

// logReadEnd says why the client's input ended.
func (b *bridge) logReadEnd(err error) {
	switch {
	case errors.Is(err, io.EOF):
		b.log.Info("the MCP client closed stdin; shutting down")
	case errors.Is(err, errStopped):
	default:
		b.log.Info("reading from the MCP client failed; shutting down")
		b.log.Debug("stdin read failed", "error", err)
	}
}

// bridge is one connection's state.
type bridge struct {
	opt     Options
	log     *slog.Logger
	r       *router
	out     *output
	control chan []byte   // messages for mcp-go that never wait for a worker
	fwdDone chan struct{} // the forwarder has stopped
	// drain: stdin ended cleanly, so the requests read before its end are
	// answered before serving ends (set before control closes).
	drain atomic.Bool
}

// read reads the client's lines until stdin ends, answering what it can
// itself and queueing the rest for mcp-go. Its caller closes control at
// the end, so the forwarder closes mcp-go's input after the last message.
func (b *bridge) read(ctx context.Context, in io.Reader) error {
	lr := newLineReader(in, b.opt.MaxMessage)
	for {
		line, tooLong, err := lr.next()
		switch {
		case tooLong > 0:
			b.log.Warn("discarded an oversized message from the MCP client", "bytes", tooLong, "limit", b.opt.MaxMessage)
			b.out.write((&rpcError{code: codeInvalidRequest,
				msg: fmt.Sprintf("message too large: %d bytes, the limit is %s", tooLong, size(b.opt.MaxMessage))}).reply())
		case line != nil:
			if !b.handle(ctx, line) {
				return errStopped
			}
		}
		if err != nil {
			return err
		}
	}
}

// handle routes one line; false when mcp-go's side has stopped.
func (b *bridge) handle(ctx context.Context, line []byte) bool {
	if len(line) == 0 || skipSpace(line, 0) == len(line) {
		return true // blank lines carry nothing
	}
	in, rerr := parseInbound(line)
	if rerr != nil {
		b.out.write(rerr.reply())
		return true
	}
	switch {
	case in.kind == inRequest:
		msg, rerr := b.r.add(in)
		if rerr != nil {
			b.out.write(rerr.reply())
			return true
		}
		if msg == nil { // a call: the forwarder admits it
			return true
		}
		return b.send(ctx, msg)
	case in.kind == inNotification && in.method == "notifications/cancelled":
		key, reason, ok := cancelTarget(in)
		if !ok {
			b.log.Debug("ignored a cancellation without a valid requestId")
			return true
		}
		for _, id := range b.r.cancel(key) {
			if !b.send(ctx, cancelFor(id, reason)) {
				return false
			}
		}
		return true
	default:
		return b.send(ctx, append(line, '\n'))
	}
}

func (b *bridge) send(ctx context.Context, msg []byte) bool {
	select {
	case b.control <- msg:
		return true
	case <-b.fwdDone:
	case <-ctx.Done():
	}
	return false
}

// forward is the one writer of mcp-go's input. Control messages go first;
// calls are admitted as workers free up, so neither ever blocks mcp-go's
// reader for long. When stdin has ended (control closed), the calls still
// waiting are handed on and every request is answered before mcp-go's
// input closes: a client may send its requests and close stdin at once.
func (b *bridge) forward(ctx context.Context, w *io.PipeWriter) {
	defer close(b.fwdDone)
	defer func() { _ = w.Close() }()
	write := func(m []byte) bool {
		_, err := w.Write(m)
		return err == nil
	}
	control := b.control
	for {
		select {
		case m, ok := <-control:
			if !ok {
				control = nil // stdin ended: drain what is left
				if !b.drain.Load() || b.r.idle() {
					return
				}
				b.r.signal()
				continue
			}
			if !write(m) {
				return
			}
		case <-b.r.wake:
			for {
				if control != nil {
					select {
					case m, ok := <-control:
						if !ok {
							control = nil
							if !b.drain.Load() {
								return
							}
						} else if !write(m) {
							return
						}
						continue
					default:
					}
				}
				m := b.r.admit()
				if m == nil {
					break
				}
				if !write(m) {
					return
				}
			}
			if control == nil && b.r.idle() {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// fromServer takes one line mcp-go wrote: an answer goes back under the
// client's own id, or nowhere if the request was cancelled; requests and
// notifications of the server's pass unchanged.
func (b *bridge) fromServer(line []byte) {
	env, err := scanObject(line, true)
	if err != nil || env.method.ok() || !env.id.ok() {
		b.out.write(line)
		return
	}
	id, err := strconv.ParseInt(string(env.id.of(line)), 10, 64)
	if err != nil { // null: an error mcp-go could not tie to a request
		b.out.write(line)
		return
	}
	raw, ok := b.r.answered(id)
	if !ok {
		b.log.Debug("dropped the answer to a cancelled request")
		return
	}
	b.out.write(capErrorMessage(splice(line, env.id, raw)))
}

// maxErrorMessage bounds the message of a JSON-RPC error sent to the
// client: mcp-go quotes the request in some (an unknown tool's name), and a
// 5 MB name must not come back whole.
const maxErrorMessage = 256

// capErrorMessage shortens an error answer's message to maxErrorMessage
// bytes (at a rune boundary, marked with an ellipsis). Answers that are
// not errors, or short ones, pass unchanged.
func capErrorMessage(line []byte) []byte {
	if len(line) <= maxErrorMessage+128 || !bytes.Contains(line, []byte(`"error"`)) {
		return line
	}
	var msg struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   *struct {
			Code    int             `json:"code"`
			Message string          `json:"message"`
			Data    json.RawMessage `json:"data,omitempty"`
		} `json:"error"`
	}
	if json.Unmarshal(line, &msg) != nil || msg.Error == nil || len(msg.Error.Message) <= maxErrorMessage {
		return line
	}
	m := msg.Error.Message
	cut := maxErrorMessage
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	msg.Error.Message = fmt.Sprintf("%s… (%d bytes)", m[:cut], len(m))
	if len(msg.Error.Data) > maxErrorMessage {
		msg.Error.Data = nil
	}
	out, err := json.Marshal(msg)
	if err != nil {
		return line
	}
	if bytes.HasSuffix(line, []byte("\n")) {
		out = append(out, '\n')
	}
	return out
}

// size says n bytes the way the limit is documented.
func size(n int) string {
	if n%MiB == 0 {
		return strconv.Itoa(n/MiB) + " MiB"
	}
	return strconv.Itoa(n) + " bytes"
}
