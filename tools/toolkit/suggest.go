package toolkit

import (
	"slices"
	"sort"
	"strings"
)

// Nearest returns up to n of candidates closest to s, for a "did you
// mean": those within a few edits (more for longer names), then those
// containing s, closest first. Case is ignored; candidates are returned
// as given.
func Nearest(s string, candidates []string, n int) []string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil
	}
	limit := max(2, len(s)/3)
	type scored struct {
		name string
		d    int
	}
	var hits []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := EditDistance(s, lc)
		switch {
		case sameWords(s, lc):
			d = 1 // power_off_vm for vm_power_off
		case d <= limit:
		case len(s) >= 4 && strings.Contains(lc, s):
			d = limit + 1 + len(c) - len(s)
		default:
			continue
		}
		hits = append(hits, scored{c, d})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].d < hits[j].d })
	var out []string
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.name)
	}
	return out
}

// sameWords reports whether a and b are the same _-separated words in
// another order.
func sameWords(a, b string) bool {
	wa, wb := strings.Split(a, "_"), strings.Split(b, "_")
	slices.Sort(wa)
	slices.Sort(wb)
	return slices.Equal(wa, wb)
}

// EditDistance is the Damerau–Levenshtein distance (optimal string
// alignment) between a and b, by bytes: for ASCII names.
func EditDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
