package vm

import (
	"encoding/json"
	"fmt"
	"testing"
)

// benchVMListPage is a vm_list page of n rows with the default columns,
// filled as a 10,000-VM inventory fills them.
func benchVMListPage(b *testing.B, n int) VMList {
	b.Helper()
	cols, err := vmColumns(nil)
	if err != nil {
		b.Fatal(err)
	}
	l := VMList{Total: 10000, NextCursor: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3LjUw", columns: cols}
	for i := range n {
		l.Items = append(l.Items, VMItem{
			Name:       fmt.Sprintf("web-prod-%05d", i),
			ID:         fmt.Sprintf("vm-%d", 1000+i),
			PowerState: "poweredOn",
			CPUs:       4,
			MemoryMB:   8192,
			GuestOS:    "ubuntu64Guest",
			IP:         fmt.Sprintf("10.20.%d.%d", i/254, i%254+1),
			Host:       fmt.Sprintf("DC0_C%d_H%d", i%9, i%8),
		})
	}
	return l
}

// BenchmarkVMListText renders the text the model reads.
func BenchmarkVMListText(b *testing.B) {
	for _, n := range []int{50, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := benchVMListPage(b, n)
			for b.Loop() {
				_ = l.Text()
			}
			// After the loop: the timer reset at its start clears metrics.
			b.ReportMetric(float64(len(l.Text())), "text-bytes")
		})
	}
}

// BenchmarkVMListJSON marshals the structuredContent the same page carries.
func BenchmarkVMListJSON(b *testing.B) {
	for _, n := range []int{50, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := benchVMListPage(b, n)
			for b.Loop() {
				if _, err := json.Marshal(l); err != nil {
					b.Fatal(err)
				}
			}
			out, _ := json.Marshal(l)
			b.ReportMetric(float64(len(out)), "json-bytes")
		})
	}
}
