package policy

import (
	"fmt"
	"path"
	"strings"
)

// hasMeta reports whether p uses path.Match syntax; plain names are compared
// with == which is much cheaper on large inventories.
func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// validGlob checks the syntax of a path.Match pattern up front, because
// path.Match only reports ErrBadPattern when it is used, and a broken
// pattern that silently never matches would fail open for deny and protect.
func validGlob(p string) error {
	if p == "" {
		return fmt.Errorf("empty pattern")
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("bad pattern %q: %w", p, err)
	}
	return nil
}

// globMatch matches s against a validated pattern.
func globMatch(p, s string) bool {
	if !hasMeta(p) {
		return p == s
	}
	ok, _ := path.Match(p, s) // syntax was checked by validGlob
	return ok
}

// anyGlob reports whether s matches one of the patterns.
func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// underPath reports whether the inventory path p is pattern f itself or lies
// below it. A plain f matches as a prefix on "/" boundaries, so "/DC1/vm/lab"
// covers "/DC1/vm/lab/web-01" but not "/DC1/vm/lab2". A glob f matches the
// ancestor of p with the same number of segments, since path.Match's "*"
// never crosses a "/" and no other ancestor could match.
func underPath(f, p string) bool {
	if !hasMeta(f) {
		f = strings.TrimRight(f, "/")
		if f == "" { // "/" covers everything
			return strings.HasPrefix(p, "/")
		}
		return p == f || (len(p) > len(f) && p[len(f)] == '/' && p[:len(f)] == f)
	}
	f = strings.TrimRight(f, "/")
	return globMatch(f, ancestor(p, strings.Count(f, "/")))
}

// ancestor returns the prefix of p that has exactly n "/" characters, or p
// when it has no more than n.
func ancestor(p string, n int) string {
	seen := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if seen == n {
				return p[:i]
			}
			seen++
		}
	}
	return p
}
