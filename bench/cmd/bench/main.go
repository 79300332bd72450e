// Command bench measures vsphere-mcp on simulated vCenters of ~10,000 and
// ~1,000 VMs against the floor (straight govmomi), against govc and against
// a bare mcp-go server, and prints a table of figures, ratios and targets.
//
//	go run ./bench/cmd/bench            # from the repository root
//
// See bench/README.md for what each figure means. Timings are medians of
// several runs; nothing here is a pass/fail test.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/bench/inventory"
)

type options struct {
	sizes    []int
	cache    string
	runs     int
	fullRuns int
	coldRuns int
	out      string
	jsonOut  string
	readme   string
}

func main() {
	var o options
	sizes := flag.String("vms", "10000,1000", "inventory sizes, comma-separated; targets are judged on the first")
	flag.StringVar(&o.cache, "cache", "", "directory for saved inventories (default bench/.cache in the repository)")
	flag.IntVar(&o.runs, "runs", 7, "runs per timing (median reported)")
	flag.IntVar(&o.fullRuns, "full-runs", 3, "runs of the full listings (floor, govc, vm_list paged through)")
	flag.IntVar(&o.coldRuns, "cold-runs", 7, "launches per server for the cold start")
	flag.StringVar(&o.out, "o", "", "also write the table (markdown) to this file")
	flag.StringVar(&o.jsonOut, "json", "", "also write the raw figures as JSON to this file")
	flag.StringVar(&o.readme, "readme", "", "also put the table between the <!-- PERF-START --> and <!-- PERF-END --> markers of this file (e.g. README.md)")
	toolsOnly := flag.Bool("tools", false, "only print the catalog per role (default and all toolsets, against their budgets) and where its bytes go, tool by tool, and exit")
	flag.Parse()
	if *toolsOnly {
		if err := printCatalog(os.Stdout); err != nil {
			fatalf("%v", err)
		}
		if err := printToolBreakdown(os.Stdout); err != nil {
			fatalf("%v", err)
		}
		return
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 10 {
			fatalf("-vms: %q is not a VM count of at least 10", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.runs < 1 || o.fullRuns < 1 || o.coldRuns < 1 {
		fatalf("runs must be at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	started := time.Now()
	root, err := repoRoot(ctx)
	if err != nil {
		return err
	}
	if o.cache == "" {
		o.cache = filepath.Join(root, "bench", ".cache")
	}
	tmp, err := os.MkdirTemp("", "vsphere-mcp-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	logf("building vsphere-mcp, bareserver, vcsim and govc")
	bins, err := buildAll(ctx, root, tmp)
	if err != nil {
		return err
	}

	// Inventories first: building one takes minutes, once.
	dirs := make([]string, len(o.sizes))
	manifests := make([]inventory.Expected, len(o.sizes))
	for i, n := range o.sizes {
		spec := inventory.ForVMs(n)
		logf("inventory of %d VMs (%d clusters × %d hosts) in %s", n, spec.Clusters, spec.HostsPerCluster, o.cache)
		dir, built, err := inventory.Ensure(ctx, o.cache, spec, os.Stderr)
		if err != nil {
			return fmt.Errorf("inventory of %d VMs: %w", n, err)
		}
		if built {
			logf("  built and saved %s", dir)
		}
		dirs[i] = dir
		if manifests[i], err = inventory.ReadManifest(dir); err != nil {
			return err
		}
	}

	rep := &report{
		when:    started.UTC(),
		runs:    o.runs,
		full:    o.fullRuns,
		cold:    o.coldRuns,
		rev:     bins.serverRev,
		goVer:   runtime.Version(),
		cpus:    runtime.NumCPU(),
		sizes:   o.sizes,
		results: make([]*sizeResult, len(o.sizes)),
	}
	for i, n := range o.sizes {
		logf("measuring on %d VMs", n)
		r, err := measureSize(ctx, o, bins, dirs[i], manifests[i])
		if err != nil {
			return fmt.Errorf("%d VMs: %w", n, err)
		}
		rep.results[i] = r
		if i == 0 {
			// Process-level figures need a simulator only for the
			// server's settings; measure them once, on the first.
			if err := measureProcess(ctx, o, bins, dirs[0], rep); err != nil {
				return err
			}
		}
	}
	rep.elapsed = time.Since(started)

	table := rep.markdown()
	fmt.Print(table)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	if o.readme != "" {
		if err := spliceReadme(o.readme, table); err != nil {
			return err
		}
	}
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep.jsonView(), "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sizeResult holds the figures measured on one inventory.
type sizeResult struct {
	VMs      int           `json:"vms"`
	SimStart time.Duration `json:"sim_start_ns"`

	FloorFull time.Duration `json:"floor_full_ns"`
	FloorPage time.Duration `json:"floor_page50_ns"`
	FloorNext time.Duration `json:"floor_next50_ns"`

	GovcNamePower     time.Duration `json:"govc_name_power_ns"`
	GovcJSONNamePower time.Duration `json:"govc_json_name_power_ns"`
	GovcJSONVMList    time.Duration `json:"govc_json_vmlist_props_ns"`

	FirstCall   time.Duration `json:"first_call_ns"` // first vm_list after start: login + views
	First       time.Duration `json:"first_page_ns"`
	Next        time.Duration `json:"next_page_ns"`
	FilterPower time.Duration `json:"filter_power_ns"`
	FilterName  time.Duration `json:"filter_name_ns"`
	Full        time.Duration `json:"full_paged_ns"`
	FullPages   int           `json:"full_pages"`
	GetByName   time.Duration `json:"vm_get_name_ns"`
	GetByID     time.Duration `json:"vm_get_id_ns"`

	PageText   int      `json:"page_text_bytes"`
	PageJSON   int      `json:"page_structured_bytes"`
	PageRows   int      `json:"page_rows"`
	PeakRSS    int64    `json:"peak_rss_bytes"`
	RSSIdle    int64    `json:"rss_after_init_bytes"`
	RSSAfter   int64    `json:"rss_after_listing_bytes"`
	Mismatches []string `json:"mismatches,omitempty"`
}

func (r *sizeResult) check(ok bool, format string, args ...any) {
	if !ok {
		r.Mismatches = append(r.Mismatches, fmt.Sprintf(format, args...))
	}
}

// measure times f n times and returns the median.
func measure(n int, f func() error) (time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	return median(ds), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func measureSize(ctx context.Context, o options, bins *binaries, dir string, want inventory.Expected) (*sizeResult, error) {
	r := &sizeResult{VMs: want.VMs}
	sim, took, err := startSim(ctx, bins.vcsim, dir)
	if err != nil {
		return nil, err
	}
	defer sim.stop()
	r.SimStart = took
	logf("  simulator loaded in %s at %s", took.Round(time.Millisecond), sim.url.Host)

	// Floor: straight govmomi.
	f, err := newFloor(ctx, sim.url)
	if err != nil {
		return nil, err
	}
	defer f.close(context.Background())
	n := 0
	if _, err := f.full(ctx); err != nil { // warm the simulator as the others are warmed
		return nil, err
	}
	if r.FloorFull, err = measure(o.fullRuns, func() (err error) { n, err = f.full(ctx); return err }); err != nil {
		return nil, err
	}
	r.check(n == want.VMs, "floor retrieved %d VMs, want %d", n, want.VMs)
	if r.FloorPage, err = measure(o.runs, func() error {
		_, err := f.page(ctx, 50)
		return err
	}); err != nil {
		return nil, err
	}
	var next []time.Duration
	for range o.runs {
		tok, err := f.page(ctx, 50)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		_, err = f.next(ctx, tok)
		next = append(next, time.Since(start))
		if err != nil {
			return nil, err
		}
	}
	r.FloorNext = median(next)
	logf("  floor: full %s, page %s, next %s", r.FloorFull, r.FloorPage, r.FloorNext)

	// govc, a process per run. object.collect -s prints through a
	// text/tabwriter that it flushes per object, which is quadratic in the
	// output (98% of govc's CPU time on 10,000 VMs); -json streams, so the
	// -json runs are the like-for-like comparison.
	var out []byte
	if r.GovcNamePower, err = measure(o.fullRuns, func() (err error) {
		out, err = govc(ctx, bins.govc, sim, "object.collect", "-s", "-type", "m", "/", "name", "runtime.powerState")
		return err
	}); err != nil {
		return nil, err
	}
	lines := bytes.Count(out, []byte{'\n'})
	r.check(lines == 2*want.VMs, "govc -s printed %d lines for name+powerState, want %d", lines, 2*want.VMs)
	if r.GovcJSONNamePower, err = measure(o.fullRuns, func() (err error) {
		out, err = govc(ctx, bins.govc, sim, "object.collect", "-json", "-type", "m", "/", "name", "runtime.powerState")
		return err
	}); err != nil {
		return nil, err
	}
	objs := bytes.Count(out, []byte(`"kind": "enter"`))
	r.check(objs == want.VMs, "govc -json printed %d objects, want %d", objs, want.VMs)
	if r.GovcJSONVMList, err = measure(o.fullRuns, func() (err error) {
		out, err = govc(ctx, bins.govc, sim, append([]string{"object.collect", "-json", "-type", "m", "/"}, vmListProps...)...)
		return err
	}); err != nil {
		return nil, err
	}
	objs = bytes.Count(out, []byte(`"kind": "enter"`))
	r.check(objs == want.VMs, "govc -json (8 properties) printed %d objects, want %d", objs, want.VMs)
	logf("  govc: -s name+powerState %s, -json name+powerState %s, -json vm_list's properties %s", r.GovcNamePower, r.GovcJSONNamePower, r.GovcJSONVMList)

	// vsphere-mcp over stdio.
	srv, err := startMCP(bins.server, nil, bins.serverEnv(sim))
	if err != nil {
		return nil, err
	}
	defer srv.close()
	if err := srv.initialize(ctx); err != nil {
		return nil, fmt.Errorf("initialize vsphere-mcp: %w", err)
	}
	start := time.Now()
	if _, _, err := srv.vmList(ctx, map[string]any{"limit": 1}); err != nil {
		return nil, err
	}
	r.FirstCall = time.Since(start)

	var first vmPage
	if r.First, err = measure(o.runs, func() (err error) {
		first, _, err = srv.vmList(ctx, map[string]any{"limit": 50})
		return err
	}); err != nil {
		return nil, err
	}
	r.check(len(first.Items) == 50 && first.Total == want.VMs && first.NextCursor != "",
		"first page: %d items of %d, cursor %q; want 50 of %d and a cursor", len(first.Items), first.Total, first.NextCursor, want.VMs)

	next = next[:0]
	for range o.runs {
		pg, _, err := srv.vmList(ctx, map[string]any{"limit": 50})
		if err != nil {
			return nil, err
		}
		start := time.Now()
		pg2, _, err := srv.vmList(ctx, map[string]any{"limit": 50, "cursor": pg.NextCursor})
		next = append(next, time.Since(start))
		if err != nil {
			return nil, err
		}
		r.check(len(pg2.Items) == 50, "next page has %d items, want 50", len(pg2.Items))
	}
	r.Next = median(next)

	var fp vmPage
	if r.FilterPower, err = measure(o.runs, func() (err error) {
		fp, _, err = srv.vmList(ctx, map[string]any{"limit": 50, "power_state": "poweredOff"})
		return err
	}); err != nil {
		return nil, err
	}
	r.check(fp.Total == want.Power["poweredOff"], "power_state=poweredOff: total %d, want %d", fp.Total, want.Power["poweredOff"])
	if r.FilterName, err = measure(o.runs, func() (err error) {
		fp, _, err = srv.vmList(ctx, map[string]any{"limit": 50, "name": inventory.Families[0] + "-*"})
		return err
	}); err != nil {
		return nil, err
	}
	r.check(fp.Total == want.PerFamily[inventory.Families[0]], "name=%s-*: total %d, want %d", inventory.Families[0], fp.Total, want.PerFamily[inventory.Families[0]])

	var items, total int
	if r.Full, err = measure(o.fullRuns, func() (err error) {
		items, total, r.FullPages, err = srv.listAll(ctx, 1000)
		return err
	}); err != nil {
		return nil, err
	}
	r.check(items == want.VMs && total == want.VMs, "paged through %d items (total %d), want %d", items, total, want.VMs)

	// vm_get of a VM in the middle of the inventory, by name and by ID.
	name := inventory.Name(want.VMs / 2)
	if r.GetByName, err = measure(o.runs, func() error {
		_, _, err := srv.call(ctx, "vm_get", map[string]any{"vm": name})
		return err
	}); err != nil {
		return nil, err
	}
	one, _, err := srv.vmList(ctx, map[string]any{"name": name})
	if err != nil {
		return nil, err
	}
	var item struct {
		ID string `json:"id"`
	}
	if len(one.Items) != 1 || json.Unmarshal(one.Items[0], &item) != nil || item.ID == "" {
		return nil, fmt.Errorf("vm_list name=%s: want exactly one VM with an id", name)
	}
	if r.GetByID, err = measure(o.runs, func() error {
		_, _, err := srv.call(ctx, "vm_get", map[string]any{"vm": item.ID})
		return err
	}); err != nil {
		return nil, err
	}

	// Size of a page at the default limit, as the model reads it.
	txt, sc, err := srv.call(ctx, "vm_list", nil)
	if err != nil {
		return nil, err
	}
	r.PageText, r.PageJSON = len(txt), len(sc)
	var dp vmPage
	_ = json.Unmarshal(sc, &dp)
	r.PageRows = len(dp.Items)
	srv.close()
	logf("  vsphere-mcp: first %s, next %s, full %s", r.First, r.Next, r.Full)

	// Peak memory: a fresh server, one full listing.
	mem, err := startMCP(bins.server, nil, bins.serverEnv(sim))
	if err != nil {
		return nil, err
	}
	defer mem.close()
	if err := mem.initialize(ctx); err != nil {
		return nil, err
	}
	if _, r.RSSIdle, err = mem.memory(); err != nil {
		return nil, err
	}
	if _, _, _, err := mem.listAll(ctx, 1000); err != nil {
		return nil, err
	}
	if r.PeakRSS, r.RSSAfter, err = mem.memory(); err != nil {
		return nil, err
	}
	return r, nil
}

// processResult holds the figures that do not depend on the inventory.
type processResult struct {
	ColdServer time.Duration
	ColdBare   time.Duration
	ToolsBytes int
	ToolsCount int
	BareBytes  int
	// Roles: tools/list per built-in role, measured over stdio when the
	// server takes --role, else computed from policy and tools.All.
	Roles         []roleSize
	RolesMeasured bool
}

type roleSize struct {
	Role  string `json:"role"`
	Bytes int    `json:"bytes"`
	Tools int    `json:"tools"`
	// Toolsets is "default" (what a server serves unless told otherwise)
	// or "all".
	Toolsets string `json:"toolsets"`
}

func measureProcess(ctx context.Context, o options, bins *binaries, dir string, rep *report) error {
	sim, _, err := startSim(ctx, bins.vcsim, dir)
	if err != nil {
		return err
	}
	defer sim.stop()
	p := &processResult{}

	launch := func(bin string, args []string, extraEnv ...string) (time.Duration, []byte, int, error) {
		start := time.Now()
		s, err := startMCP(bin, args, append(bins.serverEnv(sim), extraEnv...))
		if err != nil {
			return 0, nil, 0, err
		}
		defer s.close()
		if err := s.initialize(ctx); err != nil {
			return 0, nil, 0, fmt.Errorf("initialize %s: %w", filepath.Base(bin), err)
		}
		raw, n, err := s.toolsList(ctx)
		if err != nil {
			return 0, nil, 0, err
		}
		return time.Since(start), raw, n, nil
	}
	// One untimed launch each puts the binaries in the page cache.
	if _, _, _, err := launch(bins.server, nil); err != nil {
		return err
	}
	if _, _, _, err := launch(bins.bare, nil); err != nil {
		return err
	}
	var srvT, bareT []time.Duration
	for range o.coldRuns {
		d, raw, n, err := launch(bins.server, nil)
		if err != nil {
			return err
		}
		srvT = append(srvT, d)
		p.ToolsBytes, p.ToolsCount = len(raw), n
		d, raw, _, err = launch(bins.bare, nil)
		if err != nil {
			return err
		}
		bareT = append(bareT, d)
		p.BareBytes = len(raw)
	}
	p.ColdServer, p.ColdBare = median(srvT), median(bareT)
	logf("cold start: vsphere-mcp %s, bare %s", p.ColdServer, p.ColdBare)

	// Per role: the server takes its role from a config profile. Measure
	// each built-in role through a profile when the server has --profile;
	// otherwise, or when that fails (the config format is young), compute
	// the lists from policy and tools.All.
	if hasFlag(ctx, bins.server, "--profile") {
		cfg, err := writeRoleConfig(bins.tmp, sim)
		if err == nil {
			var sizes []roleSize
			for _, role := range builtinRoles() {
				var raw []byte
				var n int
				_, raw, n, err = launch(bins.server, []string{"--profile", role}, "VSPHERE_MCP_CONFIG="+cfg)
				if err != nil {
					err = fmt.Errorf("profile with role %s: %w", role, err)
					break
				}
				sizes = append(sizes, roleSize{Role: role, Bytes: len(raw), Tools: n, Toolsets: "default"})
			}
			if err == nil {
				p.Roles, p.RolesMeasured = sizes, true
			}
		}
		if err != nil {
			logf("measuring tools/list per role through config profiles failed, computing it instead: %v", err)
		}
	}
	if !p.RolesMeasured {
		p.Roles, err = computedRoleSizes("default")
		if err != nil {
			return err
		}
	}
	// With every toolset served (a config or flag choice): computed, since
	// the catalog does not depend on the inventory.
	all, err := computedRoleSizes("all")
	if err != nil {
		return err
	}
	p.Roles = append(p.Roles, all...)
	rep.proc = p
	return nil
}

// report renders the figures.
type report struct {
	when             time.Time
	elapsed          time.Duration
	runs, full, cold int
	rev, goVer       string
	cpus             int
	sizes            []int
	results          []*sizeResult
	proc             *processResult
}

func (rep *report) jsonView() any {
	return map[string]any{
		"when": rep.when, "revision": rep.rev, "go": rep.goVer, "cpus": rep.cpus,
		"runs": rep.runs, "full_runs": rep.full, "cold_runs": rep.cold,
		"sizes": rep.results, "process": rep.proc,
	}
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
}

func kb(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1024) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (rep *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vsphere-mcp benchmark, %s, %s (%s, %d CPUs), commit %s, took %s\n",
		rep.when.Format("2006-01-02 15:04 UTC"), rep.goVer, runtime.GOOS+"/"+runtime.GOARCH, rep.cpus, rep.rev, rep.elapsed.Round(time.Second))
	fmt.Fprintf(&b, "Timings are medians: %d runs per page/call, %d per full listing, %d launches per cold start.\n\n", rep.runs, rep.full, rep.cold)

	// Figures per inventory size.
	b.WriteString("| figure |")
	for _, n := range rep.sizes {
		fmt.Fprintf(&b, " %s VMs |", thousands(n))
	}
	b.WriteString("\n|---|")
	for range rep.sizes {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	row := func(label string, f func(r *sizeResult) string) {
		fmt.Fprintf(&b, "| %s |", label)
		for _, r := range rep.results {
			fmt.Fprintf(&b, " %s |", f(r))
		}
		b.WriteString("\n")
	}
	row("floor: ContainerView.Retrieve of vm_list's 8 properties, all VMs", func(r *sizeResult) string { return ms(r.FloorFull) })
	row("floor: RetrievePropertiesEx MaxObjects=50 (vCenter's first page)", func(r *sizeResult) string { return ms(r.FloorPage) })
	row("floor: ContinueRetrievePropertiesEx (vCenter's next page)", func(r *sizeResult) string { return ms(r.FloorNext) })
	row("govc object.collect -s -type m / name runtime.powerState", func(r *sizeResult) string { return ms(r.GovcNamePower) })
	row("govc object.collect -json -type m / name runtime.powerState", func(r *sizeResult) string { return ms(r.GovcJSONNamePower) })
	row("govc object.collect -json -type m / (vm_list's 8 properties)", func(r *sizeResult) string { return ms(r.GovcJSONVMList) })
	row("vm_list first call after start (login, view)", func(r *sizeResult) string { return ms(r.FirstCall) })
	row("vm_list first page, limit 50", func(r *sizeResult) string {
		return fmt.Sprintf("%s (%.2f× floor)", ms(r.First), ratio(r.First, r.FloorFull))
	})
	row("vm_list next page with cursor, limit 50", func(r *sizeResult) string {
		return fmt.Sprintf("%s (%.3f× floor)", ms(r.Next), ratio(r.Next, r.FloorFull))
	})
	row("vm_list power_state=poweredOff, limit 50", func(r *sizeResult) string {
		return fmt.Sprintf("%s (%.2f× floor)", ms(r.FilterPower), ratio(r.FilterPower, r.FloorFull))
	})
	row("vm_list name="+inventory.Families[0]+"-*, limit 50", func(r *sizeResult) string {
		return fmt.Sprintf("%s (%.2f× floor)", ms(r.FilterName), ratio(r.FilterName, r.FloorFull))
	})
	row("vm_list all VMs, limit 1000, paged through", func(r *sizeResult) string {
		return fmt.Sprintf("%s (%.2f× floor, %.2f× govc -json)", ms(r.Full), ratio(r.Full, r.FloorFull), ratio(r.Full, r.GovcJSONVMList))
	})
	row("vm_get by name", func(r *sizeResult) string { return ms(r.GetByName) })
	row("vm_get by ID", func(r *sizeResult) string { return ms(r.GetByID) })
	row("vm_list default page: text / structuredContent", func(r *sizeResult) string {
		return fmt.Sprintf("%s / %s (%d rows)", kb(r.PageText), kb(r.PageJSON), r.PageRows)
	})
	row("server RSS: after initialize / peak (VmHWM) over a full listing", func(r *sizeResult) string {
		return fmt.Sprintf("%s / %s", mb(r.RSSIdle), mb(r.PeakRSS))
	})
	row("simulator process: load saved inventory", func(r *sizeResult) string { return ms(r.SimStart) })

	p := rep.proc
	if p != nil {
		b.WriteString("\n| figure | vsphere-mcp | bare mcp-go server |\n|---|---:|---:|\n")
		fmt.Fprintf(&b, "| cold start: launch → initialize + tools/list | %s (%.2f×) | %s |\n", ms(p.ColdServer), ratio(p.ColdServer, p.ColdBare), ms(p.ColdBare))
		fmt.Fprintf(&b, "| tools/list as served without a profile (role viewer) | %s, %d tools | %s, 1 tool |\n", kb(p.ToolsBytes), p.ToolsCount, kb(p.BareBytes))
		how := "computed*"
		if p.RolesMeasured {
			how = "profile with that role"
		}
		for _, rs := range p.Roles {
			how := how
			if rs.Toolsets == "all" {
				how = "computed*"
			}
			fmt.Fprintf(&b, "| tools/list, role %s, %s toolsets (%s) | %s, %d tools | |\n", rs.Role, rs.Toolsets, how, kb(rs.Bytes), rs.Tools)
		}
		b.WriteString("\n\\* computed, not measured over stdio: the tools of those toolsets the role allows, marshalled as a tools/list result.\n")
	}

	// Targets, judged on the first (largest) inventory.
	r := rep.results[0]
	fmt.Fprintf(&b, "\n| target (on %s VMs) | measured | limit | |\n|---|---:|---:|---|\n", thousands(r.VMs))
	target := func(name, measured string, ok bool, limit string) {
		res := "PASS"
		if !ok {
			res = "MISS"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, measured, limit, res)
	}
	x := func(v float64) string { return fmt.Sprintf("%.3f×", v) }
	target("first page ÷ floor full retrieval", x(ratio(r.First, r.FloorFull)), ratio(r.First, r.FloorFull) <= 0.5, "≤ 0.5×")
	target("following page ÷ floor full retrieval", x(ratio(r.Next, r.FloorFull)), ratio(r.Next, r.FloorFull) <= 0.1, "≤ 0.1×")
	target("full listing paged ÷ floor full retrieval", x(ratio(r.Full, r.FloorFull)), ratio(r.Full, r.FloorFull) <= 2, "≤ 2×")
	target("full listing paged ÷ govc -s name+powerState (the issue's command)", x(ratio(r.Full, r.GovcNamePower)), ratio(r.Full, r.GovcNamePower) <= 1, "≤ 1×")
	target("full listing paged ÷ govc -json, same 8 properties (like for like)", x(ratio(r.Full, r.GovcJSONVMList)), ratio(r.Full, r.GovcJSONVMList) <= 1, "≤ 1×")
	target("server peak RSS during the full listing", mb(r.PeakRSS), r.PeakRSS <= 60<<20, "≤ 60 MB")
	target("vm_get by name (name index)", ms(r.GetByName), r.GetByName <= 5*time.Millisecond, "≤ 5 ms")
	if p != nil {
		target("cold start ÷ bare mcp-go server", x(ratio(p.ColdServer, p.ColdBare)), ratio(p.ColdServer, p.ColdBare) <= 1.5, "≤ 1.5×")
		for _, rs := range p.Roles {
			switch limit := map[string]int{"viewer": 20 << 10, "admin": 40 << 10}[rs.Role]; {
			case rs.Toolsets == "all" && rs.Role == "admin":
				perTool := float64(rs.Bytes) / float64(max(rs.Tools, 1))
				target(fmt.Sprintf("tools/list for admin, all toolsets, per tool (%d tools)", rs.Tools), fmt.Sprintf("%.2f KB", perTool/1024), perTool <= 1024, "≤ 1.0 KB")
			case rs.Toolsets == "default" && limit > 0:
				target("tools/list for "+rs.Role+", default toolsets", kb(rs.Bytes), rs.Bytes <= limit, fmt.Sprintf("≤ %d KB", limit>>10))
				if rs.Role == "admin" {
					target("tools for admin, default toolsets", fmt.Sprint(rs.Tools), rs.Tools < 64, "< 64")
				}
			}
		}
	}
	target("vm_list text at the default limit", kb(r.PageText), r.PageText <= 8<<10, "≤ 8 KB")

	var mism []string
	for _, r := range rep.results {
		for _, m := range r.Mismatches {
			mism = append(mism, fmt.Sprintf("%d VMs: %s", r.VMs, m))
		}
	}
	sort.Strings(mism)
	if len(mism) > 0 {
		b.WriteString("\nCORRECTNESS PROBLEMS (the figures above may not compare like with like):\n")
		for _, m := range mism {
			b.WriteString("- " + m + "\n")
		}
	}
	return b.String()
}

const (
	perfStart = "<!-- PERF-START -->"
	perfEnd   = "<!-- PERF-END -->"
)

// spliceReadme replaces what lies between the performance markers of the
// file at path with the table and how to reproduce it.
func spliceReadme(path, table string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, perfStart), strings.Index(s, perfEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s section", path, perfStart, perfEnd)
	}
	body := "\nMeasured with `go run ./bench/cmd/bench` (how, and what each figure means: [bench/README.md](bench/README.md)):\n\n" + table + "\n"
	return os.WriteFile(path, []byte(s[:i+len(perfStart)]+body+s[j:]), 0o644)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
