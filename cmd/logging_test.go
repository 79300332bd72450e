package cmd

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// logInbox collects the notifications/message a client receives.
type logInbox struct {
	mu   sync.Mutex
	msgs []mcp.JSONRPCNotification
}

func (b *logInbox) add(n mcp.JSONRPCNotification) {
	if n.Method != string(mcp.MethodNotificationMessage) {
		return
	}
	b.mu.Lock()
	b.msgs = append(b.msgs, n)
	b.mu.Unlock()
}

// received lists "level msg" of each record so far.
func (b *logInbox) received() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, n := range b.msgs {
		data, _ := n.Params.AdditionalFields["data"].(map[string]any)
		out = append(out, stringOf(n.Params.AdditionalFields["level"])+" "+stringOf(data["msg"]))
	}
	return out
}

func stringOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case mcp.LoggingLevel:
		return string(x)
	}
	return ""
}

// waitFor waits until want has arrived, or a little while when it should
// not: notifications travel apart from the answer they belong with.
func (b *logInbox) waitFor(want string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if slices.Contains(b.received(), want) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMCPLogDelivery: a server wired as cmd wires it (the tee of the log,
// the hooks, the tool middleware) sends a client the records at or above
// the level it asked for — by logging/setLevel for its session on the old
// protocol, by the request's _meta on the current one — and nothing below,
// nothing it did not ask for, and no secret.
func TestMCPLogDelivery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		protocol string // "" is the current protocol
		level    mcp.LoggingLevel
		want     []string
	}{
		{"setLevel warning", mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LoggingLevelWarning, []string{"warning careful", "error broken"}},
		{"setLevel debug", mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LoggingLevelDebug, []string{"debug detail", "info step", "warning careful", "error broken"}},
		{"setLevel error", mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LoggingLevelError, []string{"error broken"}},
		{"request level info", "", mcp.LoggingLevelInfo, []string{"info step", "warning careful", "error broken"}},
		{"request level error", "", mcp.LoggingLevelError, []string{"error broken"}},
		{"never asked (old protocol)", mcp.LATEST_LEGACY_PROTOCOL_VERSION, "", nil},
		{"never asked (current protocol)", "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The file log is at error: what a client asks for is its own.
			var file syncBuffer
			ml := newMCPLog()
			log := slog.New(teeHandler{slog.NewTextHandler(&file, &slog.HandlerOptions{Level: slog.LevelError}), &mcpLogHandler{l: ml}})
			hooks := &server.Hooks{}
			ml.Hooks(hooks)
			srv := server.NewMCPServer("t", "1", server.WithLogging(), server.WithToolHandlerMiddleware(ml.ToolMiddleware), server.WithHooks(hooks))
			ml.Attach(srv)
			srv.AddTool(mcp.NewTool("work"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				log.Debug("detail", "n", 1)
				log.Info("step", "url", "https://vc.example/sdk")
				log.With("op", "x").WithGroup("g").Warn("careful", "password", "Hunter2-Secret", "cmd", "login --password Hunter2-Secret")
				log.Error("broken", "error", errors.New("token=Hunter2-Secret refused"))
				return mcp.NewToolResultText("ok"), nil
			})

			var opts []client.ClientOption
			if tc.protocol != "" {
				opts = append(opts, client.WithProtocolVersion(tc.protocol))
			}
			cl, err := client.NewInProcessClientWithOptions(srv, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx := context.Background()
			if err := cl.Start(ctx); err != nil {
				t.Fatal(err)
			}
			inbox := &logInbox{}
			cl.OnNotification(inbox.add)
			init := mcp.InitializeRequest{}
			init.Params.ProtocolVersion = tc.protocol
			if tc.protocol == "" {
				init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
			}
			res, err := cl.Initialize(ctx, init)
			if err != nil {
				t.Fatal(err)
			}
			if res.Capabilities.Logging == nil {
				t.Error("the server does not declare logging")
			}
			if tc.level != "" {
				req := mcp.SetLevelRequest{}
				req.Params.Level = tc.level
				if err := cl.SetLevel(ctx, req); err != nil {
					t.Fatal(err)
				}
			}
			call := mcp.CallToolRequest{}
			call.Params.Name = "work"
			if _, err := cl.CallTool(ctx, call); err != nil {
				t.Fatal(err)
			}
			log.Error("after the call") // a legacy session still gets it; a request that ended does not

			want := tc.want
			if tc.protocol != "" && tc.level != "" {
				want = append(slices.Clone(want), "error after the call")
			}
			if len(want) > 0 && !inbox.waitFor(want[len(want)-1], 5*time.Second) {
				t.Fatalf("never received %q; got %q", want[len(want)-1], inbox.received())
			}
			time.Sleep(100 * time.Millisecond) // anything wrongly sent arrives too
			if got := inbox.received(); !slices.Equal(got, want) {
				t.Errorf("received %q, want %q", got, want)
			}

			inbox.mu.Lock()
			defer inbox.mu.Unlock()
			for _, n := range inbox.msgs {
				data, _ := n.Params.AdditionalFields["data"].(map[string]any)
				if n.Params.AdditionalFields["logger"] != "vsphere-mcp" {
					t.Errorf("logger %v", n.Params.AdditionalFields["logger"])
				}
				switch data["msg"] {
				case "careful":
					g, _ := data["g"].(map[string]any)
					if data["op"] != "x" || g["password"] != "[redacted]" || !strings.Contains(stringOf(g["cmd"]), "--password [redacted]") {
						t.Errorf("careful: %v", data)
					}
				case "step":
					if data["url"] != "https://vc.example/sdk" {
						t.Errorf("step: %v", data)
					}
				}
				for k, v := range data {
					if strings.Contains(stringOf(v), "Hunter2-Secret") {
						t.Errorf("the secret went to the client in %s: %v", k, v)
					}
				}
			}
			if strings.Contains(file.String(), "detail") || !strings.Contains(file.String(), "broken") {
				t.Errorf("the file log is not at its own level:\n%s", file.String())
			}
		})
	}
}

// TestMCPLogOverStdio: the real server over stdio declares logging and,
// once a client asks, sends it the log's records — here the login to
// vCenter — at or above the level asked for only.
//
// Not parallel, cases one after another: mcp-go's stdio session is a
// package global, so two stdio servers in one test process share its
// log level and its notification queue.
func TestMCPLogOverStdio(t *testing.T) {
	sim := startSecretSim(t, "svc-log", "Log-Secret-Pw-8080")
	tests := []struct {
		name     string
		protocol string
		level    mcp.LoggingLevel
		sent     bool
	}{
		{"setLevel info", mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LoggingLevelInfo, true},
		{"setLevel warning", mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LoggingLevelWarning, false},
		{"request level debug", "", mcp.LoggingLevelDebug, true},
		{"request level error", "", mcp.LoggingLevelError, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var opts []client.ClientOption
			if tc.protocol != "" {
				opts = append(opts, client.WithProtocolVersion(tc.protocol))
			}
			// The file log says only errors: the client's level is its own.
			s := startStdioWith(t, simEnv(f, sim), opts, "--log-level", "error")
			inbox := &logInbox{}
			s.client.OnNotification(inbox.add)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			req := mcp.SetLevelRequest{}
			req.Params.Level = tc.level
			if err := s.client.SetLevel(ctx, req); err != nil {
				t.Fatal(err)
			}
			if res := s.call(t, "vm_list", map[string]any{"limit": 1}); res.IsError {
				t.Fatalf("vm_list: %v", res.Content)
			}
			const want = "info connected to vCenter"
			if got := inbox.waitFor(want, map[bool]time.Duration{true: 5 * time.Second, false: 300 * time.Millisecond}[tc.sent]); got != tc.sent {
				t.Errorf("%q sent: %v, want %v (received %q)", want, got, tc.sent, inbox.received())
			}
			s.stop(t)
			if strings.Contains(s.stderr.String(), "connected to vCenter") {
				t.Errorf("the file log, at error, has an info record:\n%s", s.stderr.String())
			}
			inbox.mu.Lock()
			defer inbox.mu.Unlock()
			for _, n := range inbox.msgs {
				data, _ := n.Params.AdditionalFields["data"].(map[string]any)
				if data["msg"] == "connected to vCenter" && (!strings.Contains(stringOf(data["url"]), sim.Server.URL.Host) || data["user"] == nil) {
					t.Errorf("record: %v", data)
				}
				for _, v := range data {
					if strings.Contains(stringOf(v), sim.Config.Password) {
						t.Errorf("the password went to the client: %v", data)
					}
				}
			}
		})
	}
}
