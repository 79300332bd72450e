package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// vmListProps are the properties vm_list reads for its default columns
// (tools/vm.go: name, template flag, power_state, cpus, memory_mb,
// guest_os, ip, host). The floor retrieves exactly these.
var vmListProps = []string{
	"name",
	"summary.config.template",
	"summary.runtime.powerState",
	"summary.config.numCpu",
	"summary.config.memorySizeMB",
	"summary.config.guestId",
	"summary.guest.ipAddress",
	"summary.runtime.host",
}

// simProc is the simulator, in its own process.
type simProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   *url.URL // with the simulator's user:password
}

func startSim(ctx context.Context, bin, dir string) (*simProc, time.Duration, error) {
	start := time.Now()
	cmd := exec.Command(bin, "-load", dir, "-exit-on-eof")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	s := &simProc{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		l, _ := r.ReadString('\n')
		line <- strings.TrimSpace(l)
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case l := <-line:
		u, err := url.Parse(l)
		if err != nil || u.Host == "" {
			s.stop()
			return nil, 0, fmt.Errorf("vcsim printed %q, not a URL", l)
		}
		if h := u.Hostname(); h != "127.0.0.1" && h != "::1" {
			s.stop()
			return nil, 0, fmt.Errorf("vcsim serves on %s, not on loopback", h)
		}
		s.url = u
		return s, time.Since(start), nil
	case <-time.After(5 * time.Minute):
		s.stop()
		return nil, 0, errors.New("vcsim did not start within 5 minutes")
	case <-ctx.Done():
		s.stop()
		return nil, 0, ctx.Err()
	}
}

// env is how the MCP server and govc find this simulator.
func (s *simProc) env() []string {
	u := *s.url
	pass, _ := u.User.Password()
	user := u.User.Username()
	u.User = nil
	return []string{
		"VSPHERE_URL=" + u.String(),
		"VSPHERE_USERNAME=" + user,
		"VSPHERE_PASSWORD=" + pass,
		"VSPHERE_INSECURE=true",
	}
}

func (s *simProc) stop() {
	_ = s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// floor is the cheapest way to read the same data: straight govmomi, one
// logged-in client, one container view made beforehand.
type floor struct {
	c *govmomi.Client
	v *view.ContainerView
}

func newFloor(ctx context.Context, u *url.URL) (*floor, error) {
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return nil, fmt.Errorf("floor: log in: %w", err)
	}
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("floor: create view: %w", err)
	}
	return &floor{c: c, v: v}, nil
}

func (f *floor) close(ctx context.Context) {
	_ = f.v.Destroy(ctx)
	_ = f.c.Logout(ctx)
}

// full is one ContainerView.Retrieve of vmListProps for every VM.
func (f *floor) full(ctx context.Context) (int, error) {
	var vms []mo.VirtualMachine
	if err := f.v.Retrieve(ctx, []string{"VirtualMachine"}, vmListProps, &vms); err != nil {
		return 0, err
	}
	return len(vms), nil
}

func (f *floor) spec() types.PropertyFilterSpec {
	return types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:       f.v.Reference(),
			Skip:      types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
		}},
		PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: vmListProps}},
	}
}

// page is vCenter's own paging: RetrievePropertiesEx with MaxObjects. It
// returns the continuation token. (The simulator does not implement
// CancelRetrievePropertiesEx; its unfinished results stay in the simulator
// process, which the benchmark does not measure.)
func (f *floor) page(ctx context.Context, n int) (string, error) {
	pc := property.DefaultCollector(f.c.Client)
	res, err := methods.RetrievePropertiesEx(ctx, f.c.Client, &types.RetrievePropertiesEx{
		This:    pc.Reference(),
		SpecSet: []types.PropertyFilterSpec{f.spec()},
		Options: types.RetrieveOptions{MaxObjects: int32(n)},
	})
	if err != nil {
		return "", err
	}
	if res.Returnval == nil || len(res.Returnval.Objects) != n {
		return "", fmt.Errorf("floor page: got fewer than %d objects", n)
	}
	var vms []mo.VirtualMachine
	if err := mo.LoadObjectContent(res.Returnval.Objects, &vms); err != nil {
		return "", err
	}
	return res.Returnval.Token, nil
}

func (f *floor) next(ctx context.Context, token string) (string, error) {
	pc := property.DefaultCollector(f.c.Client)
	res, err := methods.ContinueRetrievePropertiesEx(ctx, f.c.Client, &types.ContinueRetrievePropertiesEx{This: pc.Reference(), Token: token})
	if err != nil {
		return "", err
	}
	var vms []mo.VirtualMachine
	if err := mo.LoadObjectContent(res.Returnval.Objects, &vms); err != nil {
		return "", err
	}
	return res.Returnval.Token, nil
}

// govc runs the govc binary against the simulator: a new process each
// time, which logs in, collects and logs out, as a person running govc
// would. It returns stdout.
func govc(ctx context.Context, bin string, sim *simProc, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GOVC_")
	}), "GOVC_URL="+sim.url.String(), "GOVC_INSECURE=1", "GOVC_PERSIST_SESSION=false")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("govc %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}
