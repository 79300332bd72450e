package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{3 * ms}, 3 * ms},
		{[]time.Duration{9 * ms, 1 * ms, 5 * ms}, 5 * ms},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 8 * ms}, 3 * ms},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[int]string{7: "7", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestReportTargets renders a report and checks that each target is judged
// on the first inventory, against its limit.
func TestReportTargets(t *testing.T) {
	ms := time.Millisecond
	r := &sizeResult{VMs: 10000, FloorFull: 1000 * ms, First: 100 * ms, Next: 200 * ms, Full: 1500 * ms,
		GovcNamePower: 10000 * ms, GovcJSONVMList: 1400 * ms, PeakRSS: 40 << 20, PageText: 4000,
		Mismatches: []string{"something off"}}
	small := &sizeResult{VMs: 1000, FloorFull: 100 * ms, First: 90 * ms}
	rep := &report{sizes: []int{10000, 1000}, results: []*sizeResult{r, small}, runs: 7, full: 3, cold: 7,
		proc: &processResult{ColdServer: 14 * ms, ColdBare: 5 * ms, Roles: []roleSize{{"viewer", 20 << 10, 15, "default"}, {"admin", 70 << 10, 80, "default"}, {"admin", 100 << 10, 120, "all"}}}}
	out := rep.markdown()
	for _, want := range []string{
		"| first page ÷ floor full retrieval | 0.100× | ≤ 0.5× | PASS |",
		"| following page ÷ floor full retrieval | 0.200× | ≤ 0.1× | MISS |",
		"| full listing paged ÷ govc -json, same 8 properties (like for like) | 1.071× | ≤ 1× | MISS |",
		"| cold start ÷ bare mcp-go server | 2.800× | ≤ 1.5× | MISS |",
		"| tools/list for viewer, default toolsets | 20.0 KB | ≤ 20 KB | PASS |",
		"| tools/list for admin, default toolsets | 70.0 KB | ≤ 40 KB | MISS |",
		"| tools for admin, default toolsets | 80 | < 64 | MISS |",
		"| tools/list for admin, all toolsets, per tool (120 tools) | 0.83 KB | ≤ 1.0 KB | PASS |",
		"| 10,000 VMs | 1,000 VMs |",
		"- 10000 VMs: something off",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestSpliceReadme(t *testing.T) {
	path := t.TempDir() + "/README.md"
	if err := os.WriteFile(path, []byte("# X\n\n## Performance\n\n<!-- PERF-START -->\nold\n<!-- PERF-END -->\n\n## Next\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := spliceReadme(path, "| table |\n"); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	got := string(b)
	if strings.Contains(got, "old") || strings.Count(got, "| table |") != 1 || !strings.HasSuffix(got, "<!-- PERF-END -->\n\n## Next\n") {
		t.Errorf("spliced README:\n%s", got)
	}
	if err := spliceReadme(t.TempDir()+"/missing.md", "x"); err == nil {
		t.Error("no error for a missing file")
	}
}
