// Command vcsim serves a saved simulator inventory on a random loopback
// port, in its own process so that the benchmark measures the MCP server's
// memory alone. It prints one line, the SDK URL with the simulator's
// credentials, once it is ready, and serves until it is interrupted (or,
// with -exit-on-eof, until stdin closes: the benchmark holds the other end,
// so the simulator never outlives it).
//
//	go run ./bench/cmd/vcsim -load bench/.cache/vcsim-10000vm-9x8-v1
//	go run ./bench/cmd/vcsim -vms 1000          # build (once) and serve
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/bench/inventory"
)

func main() {
	load := flag.String("load", "", "directory of a saved inventory (govc object.save format)")
	vms := flag.Int("vms", 0, "build (or reuse from -cache) an inventory of this many VMs instead of -load")
	cache := flag.String("cache", "bench/.cache", "where -vms keeps saved inventories")
	exitOnEOF := flag.Bool("exit-on-eof", false, "also exit when stdin closes")
	flag.Parse()
	if err := run(*load, *vms, *cache, *exitOnEOF); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim:", err)
		os.Exit(1)
	}
}

func run(dir string, vms int, cache string, exitOnEOF bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if dir == "" {
		if vms <= 0 {
			return fmt.Errorf("pass -load DIR or -vms N")
		}
		var err error
		dir, _, err = inventory.Ensure(ctx, cache, inventory.ForVMs(vms), os.Stderr)
		if err != nil {
			return err
		}
	}
	start := time.Now()
	m, err := inventory.Load(dir)
	if err != nil {
		return err
	}
	defer m.Remove()
	srv, err := inventory.Serve(m)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(os.Stderr, "vcsim: loaded %s in %s\n", dir, time.Since(start).Round(time.Millisecond))
	fmt.Println(srv.URL.String())

	// Serve until a signal arrives or, with exitOnEOF, the parent closes
	// stdin (it is done, or it died).
	eof := make(chan struct{})
	if exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(eof)
		}()
	}
	select {
	case <-ctx.Done():
	case <-eof:
	}
	return nil
}
