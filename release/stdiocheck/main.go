// Command stdiocheck starts an MCP server as a client would and checks that
// it answers over stdio: initialize, then tools/list, then (with -call) one
// tools/call. It speaks plain newline-delimited JSON-RPC, without our MCP
// library, so it checks the wire rather than the library's view of it.
//
//	go run ./release/stdiocheck -- ./vsphere-mcp --simulator
//	go run ./release/stdiocheck -call vm_list -- chroot --userspec=65532:65532 ROOT /usr/local/bin/vsphere-mcp --simulator
//
// It prints the server's name, version and protocol, the number of tools
// and the call's text, and exits non-zero on any error, a missing answer
// within -timeout, or a tool result with isError.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

func main() {
	call := flag.String("call", "", "also call this tool (with -args) and require a result without isError")
	args := flag.String("args", "{}", "the tool's arguments, a JSON object")
	protocol := flag.String("protocol", "2025-06-18", "protocol version to ask for in initialize")
	timeout := flag.Duration("timeout", time.Minute, "give up after this long")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: stdiocheck [-call TOOL [-args JSON]] -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, flag.Args(), *protocol, *call, *args); err != nil {
		fmt.Fprintf(os.Stderr, "stdiocheck: %v\n", err)
		os.Exit(1)
	}
}

type response struct {
	ID     *int            `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func run(ctx context.Context, argv []string, protocol, call, callArgs string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		// Closing stdin is how a client ends a stdio server.
		_ = stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()

	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
		readErr <- errors.Join(sc.Err(), io.ErrUnexpectedEOF)
	}()

	nextID := 0
	// request sends one request and waits for the answer with its id,
	// skipping notifications and server requests in between (a stdio
	// server may answer out of order).
	request := func(method string, params any) (json.RawMessage, error) {
		nextID++
		id := nextID
		msg, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
		if err != nil {
			return nil, err
		}
		if _, err := stdin.Write(append(msg, '\n')); err != nil {
			return nil, fmt.Errorf("%s: write: %w", method, err)
		}
		for {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("%s: no answer: %w", method, ctx.Err())
			case err := <-readErr:
				return nil, fmt.Errorf("%s: server's stdout ended: %w", method, err)
			case line := <-lines:
				var r response
				if err := json.Unmarshal(line, &r); err != nil {
					return nil, fmt.Errorf("%s: not JSON-RPC on stdout: %q", method, truncate(string(line)))
				}
				if r.ID == nil || *r.ID != id || (r.Result == nil && r.Error == nil) {
					continue
				}
				if r.Error != nil {
					return nil, fmt.Errorf("%s: error %d: %s", method, r.Error.Code, r.Error.Message)
				}
				return r.Result, nil
			}
		}
	}

	res, err := request("initialize", map[string]any{
		"protocolVersion": protocol,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "stdiocheck", "version": "1"},
	})
	if err != nil {
		return err
	}
	var init struct {
		ProtocolVersion string `json:"protocolVersion"`
		ServerInfo      struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"serverInfo"`
	}
	if err := json.Unmarshal(res, &init); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	fmt.Printf("initialize: server %s %s, protocol %s\n", init.ServerInfo.Name, init.ServerInfo.Version, init.ProtocolVersion)
	notice, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	if _, err := stdin.Write(append(notice, '\n')); err != nil {
		return err
	}

	res, err = request("tools/list", map[string]any{})
	if err != nil {
		return err
	}
	var list struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(res, &list); err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	if len(list.Tools) == 0 {
		return errors.New("tools/list: no tools")
	}
	names := make([]string, 0, 5)
	for i := 0; i < len(list.Tools) && i < 5; i++ {
		names = append(names, list.Tools[i].Name)
	}
	fmt.Printf("tools/list: %d tools (%s, …)\n", len(list.Tools), strings.Join(names, ", "))

	if call == "" {
		return nil
	}
	var arguments map[string]any
	if err := json.Unmarshal([]byte(callArgs), &arguments); err != nil {
		return fmt.Errorf("-args: %w", err)
	}
	res, err = request("tools/call", map[string]any{"name": call, "arguments": arguments})
	if err != nil {
		return err
	}
	var result struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(res, &result); err != nil {
		return fmt.Errorf("tools/call: %w", err)
	}
	var text strings.Builder
	for _, c := range result.Content {
		if c.Type == "text" {
			text.WriteString(c.Text)
		}
	}
	fmt.Printf("tools/call %s: %s\n", call, truncate(text.String()))
	if result.IsError {
		return fmt.Errorf("tools/call %s: isError", call)
	}
	return nil
}

func truncate(s string) string {
	const max = 400
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
