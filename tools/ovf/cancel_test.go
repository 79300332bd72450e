package ovf

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// heldLease is an import lease whose HttpNfcLeaseProgress waits until the
// test lets it go: the transfer is "in flight" for as long as the test
// needs, as a large upload would be.
type heldLease struct {
	*simulator.HttpNfcLease
	gate *leaseGate
}

type leaseGate struct {
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (l *heldLease) HttpNfcLeaseProgress(ctx *simulator.Context, req *types.HttpNfcLeaseProgress) soap.HasFault {
	l.gate.once.Do(func() { close(l.gate.entered) })
	select {
	case <-l.gate.release:
	case <-time.After(20 * time.Second):
	}
	return l.HttpNfcLease.HttpNfcLeaseProgress(ctx, req)
}

// holdLeases makes every import lease's progress call wait on g.
func holdLeases(t *testing.T, g *leaseGate) *simulator.Model {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	m.Map().Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if method.Name != "HttpNfcLeaseProgress" || ctx.Session == nil {
			return nil, nil
		}
		switch l := ctx.Session.Get(method.This).(type) {
		case *heldLease:
			return l, nil
		case *simulator.HttpNfcLease:
			w := &heldLease{HttpNfcLease: l, gate: g}
			ctx.Session.Put(w)
			return w, nil
		}
		return nil, nil
	}
	return m
}

func TestOVFDeployCancelledLeavesNoVM(t *testing.T) {
	t.Parallel()
	g := &leaseGate{entered: make(chan struct{}), release: make(chan struct{})}
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	dir := t.TempDir()
	lf := toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{dir}}}
	e := toolstest.NewOn(t, served(), toolstest.Options{Policy: p, LocalFiles: lf}, holdLeases(t, g))
	ova := writeOVA(t, dir, "appliance.ova")
	c := e.Connect(toolstest.Options{Policy: p, Protocol: mcp.ProtocolVersion20251125, Tasks: true, LocalFiles: lf})

	params := mcp.CallToolParams{Name: "ovf_deploy", Arguments: map[string]any{"source": ova, "name": "never", "cluster": cluster, "accept_eula": true}, Task: &mcp.TaskParams{}}
	resp, err := c.GetTransport().SendRequest(e.Ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(time.Now().UnixNano()), Method: string(mcp.MethodToolsCall), Params: params,
	})
	if err != nil || resp.Error != nil {
		t.Fatalf("task call: %v %+v", err, resp)
	}
	var created mcp.CreateTaskResult
	if err := json.Unmarshal(resp.Result, &created); err != nil || created.Task.TaskId == "" {
		t.Fatalf("no task in %s", resp.Result)
	}
	select {
	case <-g.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the deploy never reached the upload")
	}
	if !e.Exists("/DC0/vm/never") {
		t.Fatal("the import did not create its VM before the upload")
	}
	if _, err := c.CancelTask(e.Ctx, mcp.CancelTaskRequest{Params: mcp.CancelTaskParams{TaskId: created.Task.TaskId}}); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	gone := false
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !gone; time.Sleep(50 * time.Millisecond) {
		gone = !e.Exists("/DC0/vm/never")
	}
	if !gone {
		t.Fatal("a cancelled deploy left its half-imported VM")
	}
	ctx, cancel := context.WithTimeout(e.Ctx, 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if lines := toolstest.AuditLines(t, p); len(lines) > 0 && lines[len(lines)-1].Tool == "ovf_deploy" {
			rec := lines[len(lines)-1]
			if rec.Outcome == "ok" {
				t.Errorf("audit says ok: %+v", rec)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}
