// Package stdiotest is a raw JSON-RPC client for tests of the stdio
// transport: it writes lines as given (however malformed) and keeps every
// line the server writes, so a test can say what was answered and what
// was not.
package stdiotest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// Message is one line the server wrote.
type Message struct {
	Raw    string
	ID     json.RawMessage // exactly as written
	Method string
	Result json.RawMessage
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	At time.Time
}

// Client talks to a server over its stdin (w) and stdout (r).
type Client struct {
	t     testing.TB
	wmu   sync.Mutex
	w     io.Writer
	mu    sync.Mutex
	got   []Message
	taken []bool
	more  chan struct{} // closed and replaced when a line arrives
	eof   bool
}

// New starts reading r until it ends.
func New(t testing.TB, w io.Writer, r io.Reader) *Client {
	c := &Client{t: t, w: w, more: make(chan struct{})}
	go c.read(r)
	return c
}

func (c *Client) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		m := Message{Raw: sc.Text(), At: time.Now()}
		var env struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			m.Method = "(not JSON: " + err.Error() + ")"
		}
		m.ID, m.Method, m.Result = env.ID, m.Method+env.Method, env.Result
		if len(env.Error) > 0 {
			_ = json.Unmarshal(env.Error, &m.Error)
		}
		c.mu.Lock()
		c.got = append(c.got, m)
		c.taken = append(c.taken, false)
		close(c.more)
		c.more = make(chan struct{})
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.eof = true
	close(c.more)
	c.mu.Unlock()
}

// Send writes one line (a newline is added).
func (c *Client) Send(line string) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := io.WriteString(c.w, line+"\n"); err != nil {
		c.t.Fatalf("write to the server: %v", err)
	}
}

// Request sends a request with id given as raw JSON and params marshalled.
func (c *Client) Request(id, method string, params any) {
	c.t.Helper()
	p, err := json.Marshal(params)
	if err != nil {
		c.t.Fatal(err)
	}
	c.Send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q,"params":%s}`, id, method, p))
}

// Cancel sends notifications/cancelled for the raw id.
func (c *Client) Cancel(id string) {
	c.t.Helper()
	c.Send(fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%s,"reason":"test"}}`, id))
}

// Initialize does the MCP handshake.
func (c *Client) Initialize() {
	c.t.Helper()
	c.Request(`"init"`, "initialize", map[string]any{
		"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "stdiotest", "version": "1"},
	})
	if m := c.Await(`"init"`, 30*time.Second); m.Error != nil {
		c.t.Fatalf("initialize: %s", m.Raw)
	}
	c.Send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// Await waits for the message whose id is exactly the raw id (null for
// errors without one: the first not awaited before).
func (c *Client) Await(id string, timeout time.Duration) Message {
	c.t.Helper()
	m, ok := c.Wait(func(m Message) bool { return string(m.ID) == id && m.Method == "" }, timeout)
	if !ok {
		c.t.Fatalf("no answer with id %s within %s; got:\n%s", id, timeout, c.Dump())
	}
	return m
}

// Wait returns the first message, not taken by an earlier Wait, that
// matches, or false after timeout.
func (c *Client) Wait(match func(Message) bool, timeout time.Duration) (Message, bool) {
	deadline := time.After(timeout)
	for i := 0; ; {
		c.mu.Lock()
		for ; i < len(c.got); i++ {
			if m := c.got[i]; !c.taken[i] && match(m) {
				c.taken[i] = true
				c.mu.Unlock()
				return m, true
			}
		}
		more, eof := c.more, c.eof
		c.mu.Unlock()
		if eof {
			return Message{}, false
		}
		select {
		case <-more:
		case <-deadline:
			return Message{}, false
		}
	}
}

// Answered returns the first answer with the raw id, taken or not.
func (c *Client) Answered(id string) (Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.got {
		if string(m.ID) == id && m.Method == "" {
			return m, true
		}
	}
	return Message{}, false
}

// Dump is every line not yet taken, for failure messages.
func (c *Client) Dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := ""
	for i, m := range c.got {
		if !c.taken[i] {
			if len(m.Raw) > 300 {
				m.Raw = m.Raw[:300] + "…"
			}
			s += m.Raw + "\n"
		}
	}
	return s
}
