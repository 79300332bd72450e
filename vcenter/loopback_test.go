package vcenter

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// blackHole is a 127.0.0.1 listener that accepts connections, counts them
// and never says a word: a vCenter that hangs during the TLS handshake.
type blackHole struct {
	ln      net.Listener
	accepts atomic.Int64

	mu    sync.Mutex
	conns []net.Conn
}

func newBlackHole(t *testing.T) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.accepts.Add(1)
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.conns {
			_ = c.Close()
		}
	})
	return b
}

func (b *blackHole) addr() string { return b.ln.Addr().String() }

// stallProxy forwards 127.0.0.1 TCP to target until stall is called; from
// then on it passes requests to vCenter but holds back every byte of the
// answers: a vCenter (or network path) that stops replying mid-session.
type stallProxy struct {
	ln      net.Listener
	stalled atomic.Bool
	release chan struct{}
	once    sync.Once

	mu    sync.Mutex
	conns []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, release: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c) }()
			go p.answers(c, s)
		}
	}()
	t.Cleanup(func() {
		p.unstall()
		_ = ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			_ = c.Close()
		}
	})
	return p
}

// answers copies server → client, holding each chunk while stalled.
func (p *stallProxy) answers(c, s net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 && p.stalled.Load() {
			<-p.release
		}
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			_ = c.Close()
			return
		}
	}
}

func (p *stallProxy) stall()       { p.stalled.Store(true) }
func (p *stallProxy) unstall()     { p.once.Do(func() { close(p.release) }) }
func (p *stallProxy) addr() string { return p.ln.Addr().String() }
