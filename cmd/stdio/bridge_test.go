package stdio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/stdio/stdiotest"
)

// slowServer is an MCP server whose "wait" tool runs until released or
// cancelled, counting starts and cancellations.
type slowServer struct {
	release           chan struct{}
	started, canceled atomic.Int32
}

func newSlowServer() (*server.MCPServer, *slowServer) {
	st := &slowServer{release: make(chan struct{})}
	s := server.NewMCPServer("slow", "1")
	s.AddTool(mcp.NewTool("wait"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		st.started.Add(1)
		select {
		case <-st.release:
			return mcp.NewToolResultText("released"), nil
		case <-ctx.Done():
			st.canceled.Add(1)
			return nil, ctx.Err()
		}
	})
	return s, st
}

// logBuffer collects a test's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type session struct {
	*stdiotest.Client
	in   *io.PipeWriter
	done chan error
	log  *logBuffer
}

// start serves s through the bridge on pipes. The StdioServer's session is
// a package global of mcp-go's: tests that serve must not run in parallel.
func start(t *testing.T, s *server.MCPServer, o Options) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	logs := &logBuffer{}
	o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	done := make(chan error, 1)
	go func() {
		done <- Serve(context.Background(), s, inR, outW, o)
		_ = outW.Close()
	}()
	ss := &session{Client: stdiotest.New(t, inW, outR), in: inW, done: done, log: logs}
	t.Cleanup(func() {
		_ = inW.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after stdin closed")
		}
	})
	ss.Initialize()
	return ss
}

func callWait(c *stdiotest.Client, id string) {
	c.Request(id, "tools/call", map[string]any{"name": "wait", "arguments": map[string]any{}})
}

// TestControlMessagesPassQueuedCalls: with every worker busy and many
// calls waiting, ping, tools/list and a cancellation are answered at once
// and mcp-go never runs a call on its reader.
func TestControlMessagesPassQueuedCalls(t *testing.T) {
	s, st := newSlowServer()
	c := start(t, s, Options{Workers: 2})
	const calls = 40 // mcp-go's queue is 2 long: today the reader would block at the 5th
	for i := range calls {
		callWait(c.Client, fmt.Sprint(i))
	}
	waitFor(t, func() bool { return st.started.Load() == 2 })
	sent := time.Now()
	c.Request(`"p"`, "ping", nil)
	m := c.Await(`"p"`, 2*time.Second)
	t.Logf("ping answered in %s with 2 calls running and %d waiting", m.At.Sub(sent), calls-2)
	c.Request(`"l"`, "tools/list", nil)
	if m := c.Await(`"l"`, 2*time.Second); !strings.Contains(m.Raw, `"wait"`) {
		t.Errorf("tools/list: %s", m.Raw)
	}
	close(st.release)
	for i := range calls {
		if m := c.Await(fmt.Sprint(i), 10*time.Second); !strings.Contains(m.Raw, "released") {
			t.Errorf("call %d: %s", i, m.Raw)
		}
	}
	if st.started.Load() != calls {
		t.Errorf("%d calls started, want %d", st.started.Load(), calls)
	}
	if strings.Contains(c.log.String(), "queue full") {
		t.Errorf("mcp-go ran a call on its reader:\n%s", c.log)
	}
}

// TestCancelledRequestsGetNoAnswer: a cancelled running call has its
// handler cancelled and its answer dropped; a cancelled waiting call never
// runs; other calls are unaffected.
func TestCancelledRequestsGetNoAnswer(t *testing.T) {
	s, st := newSlowServer()
	c := start(t, s, Options{Workers: 1})
	callWait(c.Client, `"run"`)
	waitFor(t, func() bool { return st.started.Load() == 1 })
	callWait(c.Client, `"queued"`)
	callWait(c.Client, `"kept"`)
	c.Cancel(`"queued"`)
	c.Cancel(`"run"`)
	waitFor(t, func() bool { return st.canceled.Load() == 1 && st.started.Load() == 2 })
	close(st.release)
	c.Await(`"kept"`, 5*time.Second)
	c.Request(`"after"`, "ping", nil) // answered after anything that was coming
	c.Await(`"after"`, 5*time.Second)
	for _, id := range []string{`"run"`, `"queued"`} {
		if _, ok := c.Answered(id); ok {
			t.Errorf("request %s answered after its cancellation", id)
		}
	}
	if n := st.started.Load(); n != 2 {
		t.Errorf("%d calls ran, want 2 (the queued one was cancelled before it started)", n)
	}
	if strings.Contains(c.log.String(), "level=WARN") {
		t.Errorf("warnings:\n%s", c.log)
	}
}

// TestIDsComeBackExactly: every valid id form is echoed byte for byte,
// through mcp-go's answers and its errors alike.
func TestIDsComeBackExactly(t *testing.T) {
	s, _ := newSlowServer()
	c := start(t, s, Options{})
	ids := []string{
		`1`, `0`, `-0`, `-42`, `9007199254740993`, `123456789012345678901234567890`,
		`"x"`, `""`, `"\u00e9t\u00e9"`, `"été"`, `"\""`, `"9007199254740993"`,
	}
	for _, id := range ids {
		c.Request(id, "ping", nil)
		c.Await(id, 5*time.Second)
		c.Request(id, "no/such/method", nil)
		if m := c.Await(id, 5*time.Second); m.Error == nil {
			t.Errorf("%s: unknown method answered %s", id, m.Raw)
		}
	}
	// The same id twice in flight: both answered, each once.
	c.Request(`5`, "ping", nil)
	c.Request(`5`, "ping", nil)
	c.Await(`5`, 5*time.Second)
	c.Await(`5`, 5*time.Second)
}

// TestBadInputIsAnsweredAndServingGoesOn: one table of what the bridge
// refuses itself, each followed by a ping that must still be answered.
func TestBadInputIsAnsweredAndServingGoesOn(t *testing.T) {
	s, _ := newSlowServer()
	c := start(t, s, Options{MaxMessage: 1 << 10, MaxPending: 3})
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", 2000) + `"}}`
	tests := []struct{ name, line, want string }{
		{"too large", big, fmt.Sprintf("message too large: %d bytes, the limit is 1024 bytes", len(big))},
		{"not JSON", `{"id":`, "parse error"},
		{"batch", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, "batches are not supported"},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"ping"}`, "not an object"},
		{"boolean id", `{"jsonrpc":"2.0","id":false,"method":"ping"}`, "not a boolean"},
		{"fractional id", `{"jsonrpc":"2.0","id":0.5,"method":"ping"}`, "fraction"},
		{"array id", `{"jsonrpc":"2.0","id":[],"method":"ping"}`, "not an array"},
	}
	for _, tc := range tests {
		c.Send(tc.line)
		m := c.Await("null", 5*time.Second)
		if m.Error == nil || !strings.Contains(m.Error.Message, tc.want) {
			t.Errorf("%s: %s", tc.name, m.Raw)
		}
		c.Request(`"alive"`, "ping", nil)
		c.Await(`"alive"`, 5*time.Second)
	}
	c.Send("")
	c.Send("   ")
	c.Request(`"blank"`, "ping", nil)
	c.Await(`"blank"`, 5*time.Second)
	if n := strings.Count(c.Dump(), "\n"); n != 0 {
		t.Errorf("blank lines were answered:\n%s", c.Dump())
	}
}

func TestBusyWhenTooManyPending(t *testing.T) {
	s, st := newSlowServer()
	c := start(t, s, Options{Workers: 1, MaxPending: 3})
	for _, id := range []string{"1", "2", "3"} {
		callWait(c.Client, id)
	}
	callWait(c.Client, "4")
	if m := c.Await("4", 5*time.Second); m.Error == nil || m.Error.Code != codeServerBusy || !strings.Contains(m.Error.Message, "3 requests are waiting") {
		t.Errorf("fourth call: %s", m.Raw)
	}
	close(st.release)
	for _, id := range []string{"1", "2", "3"} {
		c.Await(id, 5*time.Second)
	}
	callWait(c.Client, "5")
	c.Await("5", 5*time.Second)
}

// failWriter is a stdout whose reader has gone.
type failWriter struct{ n atomic.Int32 }

func (w *failWriter) Write([]byte) (int, error) {
	w.n.Add(1)
	return 0, errors.New("write |1: broken pipe")
}

// TestClientGoneEndsServing: a broken stdout or a failing stdin ends
// Serve normally, saying so once without the raw Go error, and the call
// still running is cancelled.
func TestClientGoneEndsServing(t *testing.T) {
	const req = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"wait"}}` + "\n"
	tests := []struct {
		name  string
		stdin func(t *testing.T, st *slowServer) io.Reader
		out   io.Writer
		say   string
	}{
		{"stdout broken", func(t *testing.T, st *slowServer) io.Reader {
			// The call runs, then a ping's answer meets the broken stdout;
			// stdin stays open.
			pr, pw := io.Pipe()
			go func() {
				_, _ = io.WriteString(pw, req)
				waitFor(t, func() bool { return st.started.Load() == 1 })
				_, _ = io.WriteString(pw, `{"jsonrpc":"2.0","id":2,"method":"ping"}`+"\n")
			}()
			t.Cleanup(func() { _ = pw.Close() })
			return pr
		}, &failWriter{}, "stopped reading our output"},
		{"stdin fails", func(t *testing.T, st *slowServer) io.Reader {
			started := &gate{wait: func() { waitFor(t, func() bool { return st.started.Load() == 1 }) }}
			return io.MultiReader(strings.NewReader(req), started, iotest.ErrReader(errors.New("read |0: input/output error")))
		}, io.Discard, "reading from the MCP client failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, st := newSlowServer()
			logs := &logBuffer{}
			done := make(chan error, 1)
			go func() {
				done <- Serve(context.Background(), s, tc.stdin(t, st), tc.out, Options{Log: slog.New(slog.NewTextHandler(logs, nil))})
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Serve did not end")
			}
			if st.canceled.Load() != 1 {
				t.Error("the running call was not cancelled")
			}
			out := logs.String()
			if strings.Count(out, tc.say) != 1 || strings.Contains(out, "|0") || strings.Contains(out, "|1") {
				t.Errorf("log:\n%s", out)
			}
			if fw, ok := tc.out.(*failWriter); ok && fw.n.Load() != 1 {
				t.Errorf("%d writes to a broken stdout, want 1", fw.n.Load())
			}
		})
	}
}

// gate is a reader that blocks in wait, then ends.
type gate struct{ wait func() }

func (g *gate) Read([]byte) (int, error) {
	g.wait()
	return 0, io.EOF
}

// TestLastLineWithoutNewline: a request at EOF without its newline is
// still served (mcp-go alone drops it).
func TestLastLineWithoutNewline(t *testing.T) {
	s, _ := newSlowServer()
	var out logBuffer
	in := strings.NewReader(`{"jsonrpc":"2.0","id":"last","method":"ping"}`)
	if err := Serve(context.Background(), s, in, &out, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"id":"last"`) {
		t.Errorf("output %q", out.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
	}
}

// TestRequestsBeforeEOFAreAnswered: a client that writes its requests and
// closes stdin at once still gets every answer, tool calls included, and
// serving ends after the last one.
func TestRequestsBeforeEOFAreAnswered(t *testing.T) {
	s, st := newSlowServer()
	close(st.release) // "wait" answers at once
	var in strings.Builder
	in.WriteString(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n")
	in.WriteString(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	for i := range 12 { // more calls than workers: some wait in the bridge at EOF
		fmt.Fprintf(&in, `{"jsonrpc":"2.0","id":"call-%d","method":"tools/call","params":{"name":"wait","arguments":{}}}`+"\n", i)
	}
	in.WriteString(`{"jsonrpc":"2.0","id":"list","method":"tools/list"}` + "\n")
	var out logBuffer
	if err := Serve(context.Background(), s, strings.NewReader(in.String()), &out, Options{Workers: 4}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for i := range 12 {
		if !strings.Contains(got, fmt.Sprintf(`"id":"call-%d"`, i)) {
			t.Errorf("no answer to call-%d:\n%s", i, got)
		}
	}
	if !strings.Contains(got, `"id":"list"`) || !strings.Contains(got, `"id":1`) {
		t.Errorf("initialize or tools/list unanswered:\n%s", got)
	}
}
