package bench_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/bench/inventory"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// The paging benchmarks run on an in-process simulator of 2,000 VMs (or
// BENCH_VMS), built once into .cache (bench/.cache) and loaded from there
// afterwards.
var benchVMs = func() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_VMS")); err == nil && n >= 100 {
		return n
	}
	return 2000
}()

// vmListProps mirrors what tools/vm.go's vm_list reads for its default
// columns.
var vmListProps = []string{
	"name", "summary.config.template", "summary.runtime.powerState", "summary.config.numCpu",
	"summary.config.memorySizeMB", "summary.config.guestId", "summary.guest.ipAddress", "summary.runtime.host",
}

var shared struct {
	once sync.Once
	sim  *vcenter.Simulator
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.sim != nil {
		shared.sim.Close()
	}
	os.Exit(code)
}

func simulator(b *testing.B) *vcenter.Simulator {
	b.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		dir, _, err := inventory.Ensure(ctx, filepath.Join(".cache"), inventory.ForVMs(benchVMs), os.Stderr)
		if err != nil {
			shared.err = err
			return
		}
		m, err := inventory.Load(dir)
		if err != nil {
			shared.err = err
			return
		}
		shared.sim, shared.err = vcenter.StartSimulator(ctx, m, false)
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return shared.sim
}

func session(b *testing.B) *vcenter.Session {
	b.Helper()
	s := vcenter.NewSession(simulator(b).Config, nil)
	b.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func vmQuery() vcenter.Query { return vcenter.Query{Type: "VirtualMachine", Key: "bench"} }

// BenchmarkSessionListFirstPage is vm_list's first page: a snapshot of the
// view's references, then the page's 50 objects.
func BenchmarkSessionListFirstPage(b *testing.B) {
	s := session(b)
	ctx := context.Background()
	if _, err := s.List(ctx, vmQuery(), vmListProps, 50, ""); err != nil { // log in, create the view
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		p, err := s.List(ctx, vmQuery(), vmListProps, 50, "")
		if err != nil || len(p.Objects) != 50 {
			b.Fatalf("%d objects, %v", len(p.Objects), err)
		}
	}
}

// BenchmarkSessionListNextPage continues a listing with its cursor.
func BenchmarkSessionListNextPage(b *testing.B) {
	s := session(b)
	ctx := context.Background()
	first, err := s.List(ctx, vmQuery(), vmListProps, 50, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		p, err := s.List(ctx, vmQuery(), vmListProps, 50, first.NextCursor)
		if err != nil || len(p.Objects) != 50 {
			b.Fatalf("%d objects, %v", len(p.Objects), err)
		}
	}
}

// BenchmarkSessionListFiltered is a first page with a client-side filter:
// one property of every VM is read to select the matches.
func BenchmarkSessionListFiltered(b *testing.B) {
	s := session(b)
	ctx := context.Background()
	q := vmQuery()
	q.Key = "bench-poweredOff"
	q.MatchProps = []string{"runtime.powerState"}
	q.Match = func(oc types.ObjectContent) bool {
		for _, p := range oc.PropSet {
			if p.Name == "runtime.powerState" {
				return p.Val.(types.VirtualMachinePowerState) == types.VirtualMachinePowerStatePoweredOff
			}
		}
		return false
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.List(ctx, q, vmListProps, 50, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionListAll pages through every VM, 1000 at a time.
func BenchmarkSessionListAll(b *testing.B) {
	s := session(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		n, cursor := 0, ""
		for {
			p, err := s.List(ctx, vmQuery(), vmListProps, 1000, cursor)
			if err != nil {
				b.Fatal(err)
			}
			n += len(p.Objects)
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if n != benchVMs {
			b.Fatalf("listed %d VMs, want %d", n, benchVMs)
		}
	}
}

// BenchmarkFloorRetrieve is the floor the paging figures compare with: one
// ContainerView.Retrieve of the same properties for every VM.
func BenchmarkFloorRetrieve(b *testing.B) {
	sim := simulator(b)
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, sim.Server.URL, true)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Logout(ctx) }()
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var vms []mo.VirtualMachine
		if err := v.Retrieve(ctx, []string{"VirtualMachine"}, vmListProps, &vms); err != nil || len(vms) != benchVMs {
			b.Fatalf("%d VMs, %v", len(vms), err)
		}
	}
}

func BenchmarkParseCursor(b *testing.B) {
	valid := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef01234567.9950"))
	if _, _, err := vcenter.ParseCursor(valid); err != nil {
		b.Fatal(err)
	}
	b.Run("valid", func(b *testing.B) {
		for b.Loop() {
			if _, off, err := vcenter.ParseCursor(valid); err != nil || off != 9950 {
				b.Fatal(off, err)
			}
		}
	})
	b.Run("garbage", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := vcenter.ParseCursor("not-a-cursor!"); err == nil {
				b.Fatal("accepted garbage")
			}
		}
	})
}

// BenchmarkRoleAuthorize is the policy check every tool call makes.
func BenchmarkRoleAuthorize(b *testing.B) {
	role, err := policy.Resolve(map[string]policy.RoleSpec{
		"lab": {
			Inherits: policy.RoleOperator,
			Deny:     []string{"vm_power_off"},
			Scope:    policy.Scope{Datacenters: []string{"DC0"}, Folders: []string{"/DC0/vm"}},
			Protect:  []string{"*-prod-*"},
		},
	}, "lab")
	if err != nil {
		b.Fatal(err)
	}
	t := policy.ToolInfo{Name: "vm_power_on", Toolset: "vm", Risk: policy.RiskDestructive}
	o := policy.Object{Type: "VirtualMachine", Name: "web-stage-00042", Path: "/DC0/vm/web-stage/web-stage-00042", Datacenter: "DC0", Cluster: "DC0_C0"}
	for b.Loop() {
		if err := role.Authorize(t, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoleAllowedTools filters a tool list the size of the finished
// server's by role, as tools/list does.
func BenchmarkRoleAllowedTools(b *testing.B) {
	var all []policy.ToolInfo
	for i := range 120 {
		all = append(all, policy.ToolInfo{Name: fmt.Sprintf("thing%d_verb", i), Toolset: fmt.Sprintf("set%d", i%12), Risk: policy.Risks()[i%4]})
	}
	role, err := policy.Builtin(policy.RoleVMAdmin)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_ = role.AllowedTools(all)
	}
}

// BenchmarkToolsAll builds every tool definition (schemas from struct tags
// by reflection), which every server start does before it can answer
// tools/list: the main cost of cold start beyond a bare mcp-go server.
func BenchmarkToolsAll(b *testing.B) {
	for b.Loop() {
		_ = tools.All()
	}
	b.ReportMetric(float64(len(tools.All())), "tools")
}

// BenchmarkNewServer is tools.All plus the MCP server around it.
func BenchmarkNewServer(b *testing.B) {
	for b.Loop() {
		_, _ = tools.NewServer(tools.Deps{}, tools.Options{Version: "bench", Toolsets: []string{"all"}})
	}
}
