package toolkit

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

const (
	defaultLimit = 50
	maxLimit     = 1000
	maxGlobLen   = 256
)

// Paging is embedded in every *_list tool's arguments.
type Paging struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"Page size, 1-1000; default 50"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to continue a listing"`
}

func (p Paging) Check() error {
	if p.Limit < 0 || p.Limit > maxLimit {
		return fmt.Errorf("limit must be between 1 and %d (got %d); page through larger inventories with cursor", maxLimit, p.Limit)
	}
	return nil
}

func (p Paging) Size() int {
	if p.Limit == 0 {
		return defaultLimit
	}
	return p.Limit
}

// CheckGlob validates a name filter up front so a malformed pattern is an
// argument error, not an empty listing.
func CheckGlob(arg, pattern string) error {
	if len(pattern) > maxGlobLen {
		return fmt.Errorf("%s is %d characters long; the limit is %d", arg, len(pattern), maxGlobLen)
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Errorf("%s %q is not a valid glob (use * and ?, escape [ with \\): %v", arg, pattern, err)
	}
	if r := reversedRange(pattern); r != "" {
		return fmt.Errorf("%s %q has the range %s written high to low, which matches nothing; write it low to high", arg, pattern, r)
	}
	return nil
}

// reversedRange finds a class range written high to low ("[z-a]"), which
// path.Match accepts and never matches (and a regular expression refuses).
// pattern is one path.Match accepted.
func reversedRange(pattern string) string {
	char := func(s string) (rune, int) {
		if len(s) == 0 {
			return 0, 1
		}
		if s[0] == '\\' && len(s) > 1 {
			r, w := utf8.DecodeRuneInString(s[1:])
			return r, 1 + w
		}
		return utf8.DecodeRuneInString(s)
	}
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			i++
		case '[':
			j := i + 1
			if j < len(pattern) && pattern[j] == '^' {
				j++
			}
			for n := 0; j < len(pattern) && (pattern[j] != ']' || n == 0); n++ {
				lo, w := char(pattern[j:])
				j += w
				hi := lo
				if j < len(pattern) && pattern[j] == '-' {
					h, w := char(pattern[j+1:])
					hi, j = h, j+1+w
				}
				if hi < lo {
					return string(lo) + "-" + string(hi)
				}
			}
			i = j
		}
	}
	return ""
}

// GlobMatch matches name against a glob that checkGlob accepted. An empty
// pattern matches everything.
func GlobMatch(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// Table renders rows as tab-separated lines under a header: the most
// compact layout a model reads reliably. Every cell is escaped, so a value
// from vCenter cannot forge a column or a row.
type Table struct {
	b strings.Builder
}

func NewTable(cols ...string) *Table {
	t := &Table{}
	t.b.WriteString(strings.Join(cols, "\t"))
	t.b.WriteByte('\n')
	return t
}

func (t *Table) Row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			t.b.WriteByte('\t')
		}
		t.b.WriteString(CleanCell(c))
	}
	t.b.WriteByte('\n')
}

func (t *Table) String() string { return t.b.String() }

// CellMax caps a table cell: a path, or a name with what follows it.
const CellMax = textsafe.PathMax

// CleanCell keeps a value on one line and within one column: escaped
// (textsafe), capped at CellMax, "-" when empty.
func CleanCell(s string) string {
	if s == "" {
		return "-"
	}
	return textsafe.Line(s, CellMax)
}

// PageHeader is the first line of a listing: how many, which, and how to
// get more.
func PageHeader(noun string, shown, total int, cursor string, offsetHint string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", total, noun)
	if shown < total {
		fmt.Fprintf(&b, ", %d shown", shown)
	}
	if offsetHint != "" {
		b.WriteString(offsetHint)
	}
	if cursor != "" {
		fmt.Fprintf(&b, "; more with cursor=%s", cursor)
	}
	b.WriteByte('\n')
	return b.String()
}

func Itoa(i int) string { return strconv.Itoa(i) }

func I64toa(i int64) string { return strconv.FormatInt(i, 10) }

// gib renders bytes as GiB with one decimal.
func GiB(bytes int64) string {
	return strconv.FormatFloat(float64(bytes)/(1<<30), 'f', 1, 64)
}

func GiBf(bytes int64) float64 {
	v := float64(bytes) / (1 << 30)
	return float64(int64(v*10+0.5)) / 10
}

// PageText is a listing's text: the page header, then the table when the
// page has rows.
func PageText(noun string, shown, total int, cursor string, t *Table) string {
	h := PageHeader(noun, shown, total, cursor, "")
	if shown == 0 {
		return h
	}
	return h + t.String()
}

// UsedOf renders "used/total unit" with the share used, e.g.
// "12.5/64.0 GB (20%)"; tables leave the unit to the column name.
func UsedOf(used, total float64, decimals int, unit string) string {
	s := strconv.FormatFloat(used, 'f', decimals, 64) + "/" + strconv.FormatFloat(total, 'f', decimals, 64)
	if unit != "" {
		s += " " + unit
	}
	if total > 0 {
		s += " (" + strconv.Itoa(int(used/total*100+0.5)) + "%)"
	}
	return s
}

// YesNo renders a flag as a short word.
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// RequireIdent checks an argument that names one object: empty is an
// argument error saying what identifiers the tool takes.
func RequireIdent(arg, value, noun string) error {
	if strings.TrimSpace(value) != "" {
		return nil
	}
	kinds := "name, inventory path or ID"
	if noun == "VM" || noun == "template" || noun == "host" {
		kinds = "name, inventory path, ID or UUID"
	}
	return fmt.Errorf("%s is required: pass the %s's %s", arg, noun, kinds)
}
