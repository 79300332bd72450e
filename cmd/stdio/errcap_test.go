package stdio

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// TestUnknownHugeToolNameNotEchoed: mcp-go quotes an unknown tool's name in
// its error; a 5 MB name comes back as a short message with the same id.
func TestUnknownHugeToolNameNotEchoed(t *testing.T) {
	t.Parallel()
	s := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	name := strings.Repeat("x", 5<<20)
	in := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
		`{"jsonrpc":"2.0","id":12345678901234567,"method":"tools/call","params":{"name":"` + name + `","arguments":{}}}` + "\n"
	// Stdin stays open until the answer is out: at EOF the server stops,
	// and a call still running then is not answered (slow under -race).
	inR, inW := io.Pipe()
	out := &lockedBuffer{}
	served := make(chan error, 1)
	go func() { served <- Serve(context.Background(), s, inR, out, Options{}) }()
	go func() { _, _ = io.WriteString(inW, in) }()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out.String(), "12345678901234567") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	_ = inW.Close()
	if err := <-served; err != nil && err != io.EOF {
		t.Fatal(err)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.Contains(line, "12345678901234567") {
			continue
		}
		found = true
		t.Logf("answer to the 5 MiB tool name: %d bytes", len(line))
		if len(line) > 1024 {
			t.Errorf("answer is %d bytes: the name was echoed", len(line))
		}
		var msg struct {
			ID    json.RawMessage `json:"id"`
			Error struct{ Message string }
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil || string(msg.ID) != "12345678901234567" || msg.Error.Message == "" {
			t.Errorf("answer %q: %v", line, err)
		}
	}
	if !found {
		t.Fatalf("no answer to the call:\n%.500s", out.String())
	}
}

func TestCapErrorMessage(t *testing.T) {
	t.Parallel()
	long := `{"jsonrpc":"2.0","id":"a","error":{"code":-32602,"message":"tool '` + strings.Repeat("é", 1000) + `' not found"}}` + "\n"
	got := capErrorMessage([]byte(long))
	if len(got) > 512 || !bytes.HasSuffix(got, []byte("\n")) || !json.Valid(bytes.TrimSpace(got)) || !bytes.Contains(got, []byte(`"id":"a"`)) {
		t.Errorf("capped: %s", got)
	}
	for _, keep := range []string{
		`{"jsonrpc":"2.0","id":1,"result":{"text":"` + strings.Repeat("y", 2000) + `"}}` + "\n",
		`{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"short"}}` + "\n",
	} {
		if got := capErrorMessage([]byte(keep)); string(got) != keep {
			t.Errorf("changed %.80s", keep)
		}
	}
}

// lockedBuffer is a bytes.Buffer the server writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
