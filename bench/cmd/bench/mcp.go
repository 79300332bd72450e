package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// mcpProc is an MCP server process driven over real stdio by mcp-go's
// client, with its PID at hand for /proc readings.
type mcpProc struct {
	c   *client.Client
	cmd *exec.Cmd
	ids atomic.Int64
}

// startMCP launches bin and returns once the process runs (not yet
// initialized). env is added to the benchmark's own environment.
func startMCP(bin string, args, env []string) (*mcpProc, error) {
	p := &mcpProc{}
	c, err := client.NewStdioMCPClientWithOptions(bin, env, args,
		transport.WithCommandFunc(func(ctx context.Context, command string, env []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = append(os.Environ(), env...)
			p.cmd = cmd
			return cmd, nil
		}))
	if err != nil {
		return nil, err
	}
	p.c = c
	return p, nil
}

func (p *mcpProc) initialize(ctx context.Context) error {
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "vsphere-mcp-bench", Version: "1"}
	_, err := p.c.Initialize(ctx, req)
	return err
}

// toolsList returns the raw JSON of the tools/list result, as the client
// (and so the model's context) receives it, and the number of tools.
func (p *mcpProc) toolsList(ctx context.Context) ([]byte, int, error) {
	resp, err := p.c.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION,
		ID:      mcp.NewRequestId("bench-" + strconv.FormatInt(p.ids.Add(1), 10)),
		Method:  string(mcp.MethodToolsList),
	})
	if err != nil {
		return nil, 0, err
	}
	if resp.Error != nil {
		return nil, 0, fmt.Errorf("tools/list: %s", resp.Error.Message)
	}
	var res struct {
		Tools      []json.RawMessage `json:"tools"`
		NextCursor string            `json:"nextCursor"`
	}
	if err := json.Unmarshal(resp.Result, &res); err != nil {
		return nil, 0, err
	}
	if res.NextCursor != "" {
		return nil, 0, fmt.Errorf("tools/list is paginated; the benchmark counts only one page")
	}
	return resp.Result, len(res.Tools), nil
}

// call runs a tool and returns its text content and structured content.
// A tool error is an error here: the benchmark measures working calls only.
func (p *mcpProc) call(ctx context.Context, name string, args map[string]any) (string, json.RawMessage, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := p.c.CallTool(ctx, req)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			text.WriteString(t.Text)
		}
	}
	if res.IsError {
		return "", nil, fmt.Errorf("%s %v: tool error: %s", name, args, text.String())
	}
	sc, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return "", nil, err
	}
	return text.String(), sc, nil
}

// vmPage is the part of vm_list's structured result the benchmark reads.
type vmPage struct {
	Items      []json.RawMessage `json:"items"`
	Total      int               `json:"total"`
	NextCursor string            `json:"next_cursor"`
}

func (p *mcpProc) vmList(ctx context.Context, args map[string]any) (vmPage, string, error) {
	text, sc, err := p.call(ctx, "vm_list", args)
	if err != nil {
		return vmPage{}, "", err
	}
	var pg vmPage
	if err := json.Unmarshal(sc, &pg); err != nil {
		return vmPage{}, "", fmt.Errorf("vm_list structured content: %w", err)
	}
	return pg, text, nil
}

// listAll pages through every VM with the given page size and returns the
// number of items seen, the total the server reported and the pages read.
func (p *mcpProc) listAll(ctx context.Context, limit int) (items, total, pages int, err error) {
	cursor := ""
	for {
		args := map[string]any{"limit": limit}
		if cursor != "" {
			args["cursor"] = cursor
		}
		pg, _, err := p.vmList(ctx, args)
		if err != nil {
			return items, total, pages, err
		}
		pages++
		items += len(pg.Items)
		total = pg.Total
		if pg.NextCursor == "" {
			return items, total, pages, nil
		}
		cursor = pg.NextCursor
	}
}

// memory reads the server's peak and current resident set size in bytes
// from /proc/PID/status (VmHWM, VmRSS).
func (p *mcpProc) memory() (peak, current int64, err error) {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0, 0, fmt.Errorf("no server process")
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmHWM":
			peak = n << 10
		case "VmRSS":
			current = n << 10
		}
	}
	if peak == 0 {
		return 0, 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
	}
	return peak, current, sc.Err()
}

func (p *mcpProc) close() {
	done := make(chan struct{})
	go func() {
		_ = p.c.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		if p.cmd != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Kill()
		}
	}
}
