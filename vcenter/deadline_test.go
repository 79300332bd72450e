package vcenter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// behindProxy returns the simulator's config pointed at a stall proxy.
func behindProxy(t *testing.T, sim *Simulator, callTimeout time.Duration) (Config, *stallProxy) {
	t.Helper()
	p := newStallProxy(t, sim.Server.URL.Host)
	cfg := sim.Config
	cfg.URL = "https://" + p.addr() + "/sdk"
	cfg.CallTimeout = callTimeout
	return cfg, p
}

// TestHungReadEndsAtCallDeadline: vCenter stops answering in the middle of
// a session; the next property read ends at the call deadline with an
// error that says so, not never.
func TestHungReadEndsAtCallDeadline(t *testing.T) {
	t.Parallel()
	sim := startSim(t, simulator.ESX())
	cfg, proxy := behindProxy(t, sim, time.Second)
	s := NewSession(cfg, nil)
	ctx := context.Background()
	if _, err := countVMs(ctx, s); err != nil {
		t.Fatal(err)
	}

	proxy.stall()
	t0 := time.Now()
	_, err := countVMs(ctx, s)
	elapsed := time.Since(t0)
	t.Logf("hung read returned after %v (call_timeout 1s): %v", elapsed, err)
	var cte *CallTimeoutError
	if !errors.As(err, &cte) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a CallTimeoutError", err)
	}
	if !strings.Contains(err.Error(), "vCenter did not answer "+cte.Method+" within 1s (call_timeout); ") || cte.Method != "RetrievePropertiesEx" {
		t.Errorf("message: %v", err)
	}
	if elapsed > time.Minute {
		t.Errorf("the read was not bounded (%v)", elapsed)
	}
	proxy.unstall()
	_ = s.Close(ctx)
}

// TestTaskWaitOutlastsCallTimeout: waiting for a vCenter task is a series
// of long polls, each bounded on its own, so a task that runs longer than
// the call timeout is still waited for, while a vCenter that goes silent
// during the wait still ends it.
func TestTaskWaitOutlastsCallTimeout(t *testing.T) {
	t.Parallel()
	sim := startSim(t, simulator.VPX())
	admin, _ := adminClient(t, sim)
	const callTimeout = time.Second // long polls ask vCenter for 1 s, bounded at 2 s
	cfg, proxy := behindProxy(t, sim, callTimeout)
	s := NewSession(cfg, nil)
	ctx := context.Background()
	defer s.Close(ctx)

	task := newSimTask(t, admin)
	const runFor = 3 * time.Second
	go func() {
		time.Sleep(runFor)
		_ = task.SetState(ctx, types.TaskInfoStateSuccess, nil, nil)
	}()
	t0 := time.Now()
	err := s.Do(ctx, func(c *Conn) error {
		_, err := object.NewTask(c.Client, task.Reference()).WaitForResult(ctx, nil)
		return err
	})
	t.Logf("task of %v waited for under call_timeout %v in %v: %v", runFor, callTimeout, time.Since(t0), err)
	if err != nil {
		t.Fatalf("task wait under the call deadline: %v", err)
	}

	// Now vCenter goes silent while a second task is waited for.
	quiet := newSimTask(t, admin)
	go func() {
		time.Sleep(500 * time.Millisecond)
		proxy.stall()
	}()
	t0 = time.Now()
	err = s.Do(ctx, func(c *Conn) error {
		_, err := object.NewTask(c.Client, quiet.Reference()).WaitForResult(ctx, nil)
		return err
	})
	t.Logf("task wait on a silent vCenter ended after %v: %v", time.Since(t0), err)
	var cte *CallTimeoutError
	if !errors.As(err, &cte) || cte.Method != "WaitForUpdatesEx" || !strings.Contains(cte.Error(), "within 1s after its 1s wait (call_timeout)") {
		t.Errorf("got %v, want WaitForUpdatesEx to time out", err)
	}
	proxy.unstall()
}

// newSimTask creates a queued vCenter task (of a test extension) that
// stays queued until its state is set.
func newSimTask(t *testing.T, c *vim25.Client) *object.Task {
	t.Helper()
	ctx := context.Background()
	const ext, id = "com.example.vsphere-mcp-test", "com.example.vsphere-mcp-test.wait"
	em := object.NewExtensionManager(c)
	if x, err := em.Find(ctx, ext); err != nil {
		t.Fatal(err)
	} else if x == nil {
		err := em.Register(ctx, types.Extension{Key: ext, Version: "1", LastHeartbeatTime: time.Now(),
			TaskList: []types.ExtensionTaskTypeInfo{{TaskID: id}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := methods.CreateTask(ctx, c, &types.CreateTask{
		This: *c.ServiceContent.TaskManager, Obj: c.ServiceContent.RootFolder, TaskTypeId: id, InitiatedBy: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	task := object.NewTask(c, res.Returnval.Task)
	// The simulator registers the task a moment after answering.
	for deadline := time.Now().Add(5 * time.Second); ; {
		var mt mo.Task
		err := property.DefaultCollector(c).RetrieveOne(ctx, task.Reference(), []string{"info.state"}, &mt)
		if err == nil {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task never appeared: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBoundLongPoll(t *testing.T) {
	t.Parallel()
	secs := func(n int32) *types.WaitOptions { return &types.WaitOptions{MaxWaitSeconds: &n} }
	tests := []struct {
		name  string
		opts  *types.WaitOptions
		limit time.Duration
		want  time.Duration // the wait vCenter may take
		same  bool          // sent as the caller wrote it
	}{
		{"no options: half the call timeout", nil, 2 * time.Minute, time.Minute, false},
		{"short call timeout: at least 1s", nil, time.Second, time.Second, false},
		{"long call timeout: at most 60s", nil, time.Hour, time.Minute, false},
		{"options without a wait", &types.WaitOptions{MaxObjectUpdates: 5}, 30 * time.Second, 15 * time.Second, false},
		{"the caller's own wait", secs(600), 30 * time.Second, 10 * time.Minute, true},
		{"a poll", secs(0), 30 * time.Second, 0, true},
	}
	for _, tc := range tests {
		req := &methods.WaitForUpdatesExBody{Req: &types.WaitForUpdatesEx{Version: "7", Options: tc.opts}}
		got, wait := boundLongPoll(req, tc.limit)
		if wait != tc.want || (got == req) != tc.same {
			t.Errorf("%s: wait %v (same request %t), want %v (%t)", tc.name, wait, got == req, tc.want, tc.same)
		}
		if !tc.same {
			if req.Req.Options != tc.opts || got.Req.Version != "7" || *got.Req.Options.MaxWaitSeconds != int32(tc.want/time.Second) {
				t.Errorf("%s: the caller's request changed, or the copy is wrong", tc.name)
			}
			if tc.opts != nil && got.Req.Options.MaxObjectUpdates != tc.opts.MaxObjectUpdates {
				t.Errorf("%s: other options lost", tc.name)
			}
		}
	}
	if m := methodName(&methods.RetrievePropertiesExBody{}); m != "RetrievePropertiesEx" {
		t.Errorf("methodName = %q", m)
	}
}
