package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"golang.org/x/term"
)

// terminal is the person at the shell, for `tools call`: it answers the
// server's confirmations by asking on the terminal and draws progress as
// one line on stderr. It asks only when stdin and stderr are both
// terminals, so a script, a pipe or a redirected stderr is never left
// waiting for an answer nobody sees; it draws progress only when stderr is
// a terminal.
type terminal struct {
	// tool is the tool being called, named in the question.
	tool string
	in   io.Reader
	out  io.Writer
	// outFd is stderr's descriptor, for its width.
	outFd int
	// canAsk: stdin and stderr are terminals; drawsProgress: stderr is.
	canAsk, drawsProgress bool

	askMu  sync.Mutex // one question at a time
	lines  *bufio.Reader
	mu     sync.Mutex // guards the fields below and writes to out
	shown  bool       // a progress line is on the screen
	asking bool       // a question is on the screen: progress waits
	done   bool       // the call has ended: late notifications are dropped
}

// fdOf is the descriptor of a stream that is a file, or -1.
func fdOf(x any) int {
	if f, ok := x.(interface{ Fd() uintptr }); ok {
		return int(f.Fd())
	}
	return -1
}

func isTerminal(x any) bool {
	fd := fdOf(x)
	return fd >= 0 && term.IsTerminal(fd)
}

func newTerminal(tool string, in io.Reader, out io.Writer) *terminal {
	t := &terminal{tool: tool, in: in, out: out, outFd: fdOf(out)}
	t.drawsProgress = isTerminal(out)
	t.canAsk = t.drawsProgress && isTerminal(in)
	return t
}

// noTTYReason says why the CLI could not ask, for a refusal's message.
func (t *terminal) noTTYReason() string {
	switch {
	case !isTerminal(t.in) && !isTerminal(t.out):
		return "standard input and standard error are not terminals"
	case !isTerminal(t.in):
		return "standard input is not a terminal"
	default:
		return "standard error is not a terminal"
	}
}

// Elicit asks the person on the terminal. The only question this server
// puts is a yes/no confirmation (one boolean field); anything else is
// declined with a message rather than answered blindly.
func (t *terminal) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	t.askMu.Lock()
	defer t.askMu.Unlock()
	field, ok := booleanField(req.Params.RequestedSchema)
	res := &mcp.ElicitationResult{}
	if req.Params.Mode == mcp.ElicitationModeURL || !ok {
		t.say("vsphere-mcp: the server asks a question the terminal cannot answer (%s); declined.\n", printable(req.Params.Message))
		res.Action = mcp.ElicitationResponseActionDecline
		return res, nil
	}

	t.mu.Lock()
	t.clearLocked()
	t.asking = true
	fmt.Fprintf(t.out, "\n%s: %s\nConfirm? [y/N] ", t.tool, printable(req.Params.Message))
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.asking = false
		t.mu.Unlock()
	}()

	answer, err := t.readLine(ctx)
	switch {
	case errors.Is(err, io.EOF):
		t.say("\n")
		res.Action = mcp.ElicitationResponseActionCancel
		return res, nil
	case err != nil:
		t.say("\n")
		return nil, err
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		res.Action = mcp.ElicitationResponseActionAccept
		res.Content = map[string]any{field: true}
	default:
		res.Action = mcp.ElicitationResponseActionDecline
	}
	return res, nil
}

// readLine reads one line of the person's answer, giving up when ctx
// ends (the read itself then finishes in the background).
func (t *terminal) readLine(ctx context.Context) (string, error) {
	if t.lines == nil {
		t.lines = bufio.NewReaderSize(io.LimitReader(t.in, 1<<20), 256)
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := t.lines.ReadString('\n')
		if err != nil && s != "" && errors.Is(err, io.EOF) {
			err = nil // an answer without a newline before EOF still counts
		}
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("no answer: %w", context.Cause(ctx))
	}
}

// booleanField is the name of the one boolean property a confirmation's
// schema asks for.
func booleanField(schema any) (string, bool) {
	m, _ := schema.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	if len(props) != 1 {
		return "", false
	}
	for name, p := range props {
		pm, _ := p.(map[string]any)
		if pm["type"] == "boolean" {
			return name, true
		}
	}
	return "", false
}

// progress draws one progress notification as the terminal's progress
// line, replacing the previous one.
func (t *terminal) progress(n mcp.JSONRPCNotification) {
	if !t.drawsProgress || n.Method != string(mcp.MethodNotificationProgress) {
		return
	}
	f := n.Params.AdditionalFields
	pct, ok := number(f["progress"])
	if !ok {
		return
	}
	if total, ok := number(f["total"]); ok && total > 0 {
		pct = 100 * pct / total
	}
	msg, _ := f["message"].(string)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done || t.asking {
		return
	}
	line := fmt.Sprintf("[%3.0f%%] %s", min(max(pct, 0), 100), printable(msg))
	if w, _, err := term.GetSize(t.outFd); err == nil && w > 1 {
		line = truncateRunes(line, w-1) // a wrapped line cannot be redrawn in place
	}
	fmt.Fprintf(t.out, "\r\x1b[K%s", line)
	t.shown = true
}

// number is a JSON number as decoded from the wire or, in process, as the
// server built it.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// finish clears the progress line; notifications after it are dropped.
func (t *terminal) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clearLocked()
	t.done = true
}

func (t *terminal) clearLocked() {
	if t.shown {
		fmt.Fprint(t.out, "\r\x1b[K")
		t.shown = false
	}
}

func (t *terminal) say(format string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clearLocked()
	fmt.Fprintf(t.out, format, a...)
}

// printable makes server text safe to show on a terminal: a name from
// vCenter must not be able to move the cursor, recolour or rewrite the
// question it appears in. Control characters are shown escaped; line
// breaks stay.
func printable(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r == '\n':
			b.WriteRune(r)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		s = s[size:]
	}
	return b.String()
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}
