package cmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/stdio"
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

// serve answers MCP on stdin/stdout until the client closes stdin or goes
// away or a signal arrives, then logs out of vCenter.
func (o *globalOptions) serve(cmd *cobra.Command) error {
	// SIGHUP is what a closing terminal or a client's process group gets;
	// by default it killed us with the vCenter session left open.
	ctx, stop := withSignals(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// A client that goes away breaks our stdout. Left to the runtime, the
	// first write to it (or to stderr) kills the process with SIGPIPE before
	// it can log out; caught, the write fails and the transport shuts down.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)

	a, err := o.newApp(ctx, cmd, versionString())
	if err != nil {
		return err
	}
	defer a.close()
	a.log.Info("serving MCP on stdio", "version", versionString(), "tools", len(a.tools), "vcenter", a.session.Config().String())
	if err := stdio.Serve(ctx, a.server, o.stdin, o.stdout, stdio.Options{Log: a.log}); err != nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && cmd.Context().Err() == nil {
		a.log.Info(cause.Error() + "; shutting down")
	}
	return nil
}

// withSignals is signal.NotifyContext whose cause names the signal, so the
// log says why serving ended.
func withSignals(parent context.Context, sigs ...os.Signal) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			cancel(fmt.Errorf("received %s", signalName(s)))
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGTERM:
		return "SIGTERM"
	case os.Interrupt:
		return "SIGINT"
	}
	return s.String()
}
