package cmd

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/spf13/cobra"
)

type mcpServer = *server.MCPServer

const defaultLogoutTimeout = 10 * time.Second

func newServeCmd(o *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve MCP over stdio (the default when no subcommand is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.serve(cmd)
		},
	}
}

// serve answers MCP on stdin/stdout until stdin closes or a signal
// arrives, then logs out of vCenter.
func (o *globalOptions) serve(cmd *cobra.Command) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := o.newApp(ctx, cmd, versionString())
	if err != nil {
		return err
	}
	defer a.close()
	a.log.Info("serving MCP on stdio", "version", versionString(), "tools", len(a.tools), "vcenter", a.session.Config().String())
	stdio := server.NewStdioServer(a.server)
	stdio.SetErrorLogger(log.New(slogWriter{a.log}, "", 0))
	err = stdio.Listen(ctx, o.stdin, o.stdout)
	if err != nil && ctx.Err() == nil && err != context.Canceled {
		return fmt.Errorf("stdio server: %w", err)
	}
	a.log.Info("stdin closed or signal received; shutting down")
	return nil
}

// slogWriter routes mcp-go's log.Logger output into our structured log.
type slogWriter struct {
	log interface{ Warn(string, ...any) }
}

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
