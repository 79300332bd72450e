package stdio

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
)

// output is stdout, the client's end. Once a write fails the client is
// gone: that is said once, tidily, and serving ends as on stdin EOF;
// later writes are dropped instead of each failing in mcp-go's log.
type output struct {
	mu     sync.Mutex
	w      io.Writer
	done   bool // broken, or serving has ended
	log    *slog.Logger
	onGone func()
}

// write writes one message line (ending in a newline).
func (o *output) write(line []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return
	}
	if _, err := o.w.Write(line); err != nil {
		o.done = true
		o.log.Info("the MCP client stopped reading our output (stdout closed); shutting down")
		o.log.Debug("stdout write failed", "error", err)
		o.onGone()
	}
}

// close drops any write after serving has ended.
func (o *output) close() {
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
}

// serverOut is the stdout mcp-go writes to. It hands each complete line to
// the bridge; a write to it never fails, since failures are output's.
type serverOut struct {
	mu      sync.Mutex
	partial []byte
	line    func([]byte)
}

func (s *serverOut) Write(p []byte) (int, error) {
	s.mu.Lock() // mcp-go writes from several goroutines, not all under its lock
	defer s.mu.Unlock()
	n := len(p)
	if len(s.partial) > 0 {
		p = append(s.partial, p...)
		s.partial = nil
	}
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		s.line(p[:i+1])
		p = p[i+1:]
	}
	if len(p) > 0 {
		s.partial = append([]byte(nil), p...)
	}
	return n, nil
}
