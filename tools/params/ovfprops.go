package params

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// vApp property values are checked here against the types the package
// declares, before anything is uploaded: vCenter refuses a bad value only
// once the import runs (the simulator never does). Both spellings are
// understood: the OVF's CIM types with ovf:qualifiers (uint8 … sint64,
// real32, real64, boolean, string; MinLen, MaxLen, MinValue, MaxValue,
// ValueMap) and vSphere's (int(1..10), real, string(..64),
// string["a","b"], password, ip, ip:network, expression), which content
// libraries report.

// MaxPropertyValue bounds one property value.
const MaxPropertyValue = 64 << 10

// ResolveOVFProperties matches the values given by key to the package's
// properties and checks each. A key is the full key (class.id.instance) or
// the bare id when only one property has it. It returns the values by
// full key.
func ResolveOVFProperties(props []OVFProperty, values map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(values))
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := values[k]
		p, err := findProperty(props, k)
		if err != nil {
			return nil, err
		}
		if !p.UserConfigurable {
			return nil, fmt.Errorf("property %s is not user-configurable in this package (vCenter refuses a value for it: NotUserConfigurableProperty); leave it out", toolkit.Quote(p.Key, 0))
		}
		if err := CheckPropertyValue(p, v); err != nil {
			return nil, fmt.Errorf("property %s: %w", toolkit.Quote(p.Key, 0), err)
		}
		out[p.Key] = v
	}
	return out, nil
}

func findProperty(props []OVFProperty, key string) (OVFProperty, error) {
	var hits []OVFProperty
	for _, p := range props {
		if p.Key == key {
			return p, nil
		}
		if propertyID(p.Key) == key {
			hits = append(hits, p)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		if len(props) == 0 {
			return OVFProperty{}, fmt.Errorf("the package has no vApp properties; leave properties out (no %s)", toolkit.Quote(key, 0))
		}
		names := make([]string, 0, len(props))
		for _, p := range props {
			if p.UserConfigurable {
				names = append(names, p.Key)
			}
		}
		return OVFProperty{}, fmt.Errorf("the package has no property %s; its user-configurable properties are: %s (ovf_inspect lists them with their types)", toolkit.Quote(key, 0), toolkit.Names(names))
	}
	names := make([]string, len(hits))
	for i, p := range hits {
		names[i] = p.Key
	}
	return OVFProperty{}, fmt.Errorf("property %s is ambiguous: give the full key, one of %s", toolkit.Quote(key, 0), toolkit.Names(names))
}

// propertyID is the id part of a full key: class.id.instance has dots of
// its own only in class and instance, which are rare; the last segment
// that is not empty is taken when the key has no class.
func propertyID(key string) string {
	parts := strings.Split(key, ".")
	switch len(parts) {
	case 1:
		return key
	case 2:
		return parts[1]
	}
	return parts[len(parts)-2]
}

// CheckPropertyValue checks v against p's type and qualifiers.
func CheckPropertyValue(p OVFProperty, v string) error {
	if len(v) > MaxPropertyValue {
		return fmt.Errorf("the value is %d bytes; at most %d", len(v), MaxPropertyValue)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("the value is not valid UTF-8")
	}
	t := strings.TrimSpace(p.Type)
	q := parseQualifiers(p.Qualifiers)
	base, rest := t, ""
	if i := strings.IndexAny(t, "([:"); i >= 0 {
		base, rest = t[:i], t[i:]
	}
	switch base {
	case "", "string", "password":
		if err := checkStringRange(v, rest); err != nil {
			return err
		}
	case "boolean":
		if v != "true" && v != "false" && v != "True" && v != "False" {
			return fmt.Errorf("type boolean wants true or false, not %s", toolkit.Quote(v, 40))
		}
	case "uint8", "sint8", "uint16", "sint16", "uint32", "sint32", "uint64", "sint64", "int":
		if err := checkInt(base, v, rest); err != nil {
			return err
		}
	case "real32", "real64", "real":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("type %s wants a number, not %s", base, toolkit.Quote(v, 40))
		}
		if lo, hi, ok := parseRange(rest); ok && ((lo != nil && f < *lo) || (hi != nil && f > *hi)) {
			return fmt.Errorf("type %s wants a number in %s, not %s", t, rest, v)
		}
	case "ip":
		if v == "" {
			return nil // vCenter allocates from the network's IP pool
		}
		if _, err := netip.ParseAddr(strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("type %s wants an IPv4 or IPv6 address, not %s", t, toolkit.Quote(v, 40))
		}
	case "expression":
		// evaluated by vCenter from the IP pool; any text
	default:
		return fmt.Errorf("type %s is not one vsphere-mcp knows, so the value cannot be checked; vCenter would have to judge it", toolkit.Quote(t, 40))
	}
	return q.check(base, v)
}

// checkStringRange checks vSphere's string(min..max) and string["a","b"].
func checkStringRange(v, rest string) error {
	if rest == "" {
		return nil
	}
	if strings.HasPrefix(rest, "[") {
		choices := splitQuoted(strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]"))
		if !slices.Contains(choices, v) {
			return fmt.Errorf("the value must be one of %s, not %s", toolkit.Names(choices), toolkit.Quote(v, 40))
		}
		return nil
	}
	lo, hi, ok := parseRange(rest)
	if !ok {
		return nil
	}
	n := float64(utf8.RuneCountInString(v))
	if lo != nil && n < *lo {
		return fmt.Errorf("the value must be at least %.0f characters long", *lo)
	}
	if hi != nil && n > *hi {
		return fmt.Errorf("the value must be at most %.0f characters long", *hi)
	}
	return nil
}

var intBits = map[string]struct {
	bits   int
	signed bool
}{
	"uint8": {8, false}, "sint8": {8, true}, "uint16": {16, false}, "sint16": {16, true},
	"uint32": {32, false}, "sint32": {32, true}, "uint64": {64, false}, "sint64": {64, true}, "int": {32, true},
}

func checkInt(base, v, rest string) error {
	b := intBits[base]
	s := strings.TrimSpace(v)
	var f float64
	if b.signed {
		n, err := strconv.ParseInt(s, 10, b.bits)
		if err != nil {
			return fmt.Errorf("type %s wants a whole number from %d to %d, not %s", base, int64(-1)<<(b.bits-1), int64(1)<<(b.bits-1)-1, toolkit.Quote(v, 40))
		}
		f = float64(n)
	} else {
		n, err := strconv.ParseUint(s, 10, b.bits)
		if err != nil {
			return fmt.Errorf("type %s wants a whole number from 0 to %d, not %s", base, uint64(1)<<(b.bits-1)*2-1, toolkit.Quote(v, 40))
		}
		f = float64(n)
	}
	if lo, hi, ok := parseRange(rest); ok && ((lo != nil && f < *lo) || (hi != nil && f > *hi)) {
		return fmt.Errorf("type %s%s wants a whole number in that range, not %s", base, rest, v)
	}
	return nil
}

// parseRange reads "(lo..hi)" with either end optional.
func parseRange(rest string) (lo, hi *float64, ok bool) {
	if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
		return nil, nil, false
	}
	a, b, found := strings.Cut(rest[1:len(rest)-1], "..")
	if !found {
		return nil, nil, false
	}
	if a = strings.TrimSpace(a); a != "" {
		if x, err := strconv.ParseFloat(a, 64); err == nil {
			lo = &x
		}
	}
	if b = strings.TrimSpace(b); b != "" {
		if x, err := strconv.ParseFloat(b, 64); err == nil {
			hi = &x
		}
	}
	return lo, hi, true
}

// splitQuoted splits `"a", "b"` into its quoted strings.
func splitQuoted(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			return out
		}
		s = s[i+1:]
		j := strings.IndexByte(s, '"')
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j+1:]
	}
}

// qualifiers are an OVF property's ovf:qualifiers.
type qualifiers struct {
	minLen, maxLen     *int
	minValue, maxValue *float64
	valueMap           []string
}

// parseQualifiers reads `MinLen(1),MaxLen(64),ValueMap{"a","b"}`.
func parseQualifiers(s string) qualifiers {
	var q qualifiers
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(strings.TrimSpace(s), ",") {
		name := s
		if i := strings.IndexAny(s, "({"); i >= 0 {
			name = strings.TrimSpace(s[:i])
			s = s[i:]
		} else {
			return q
		}
		closer := ")"
		if s[0] == '{' {
			closer = "}"
		}
		j := strings.Index(s, closer)
		if j < 0 {
			return q
		}
		arg := s[1:j]
		s = s[j+1:]
		switch name {
		case "MinLen", "MaxLen":
			if n, err := strconv.Atoi(strings.TrimSpace(arg)); err == nil {
				if name == "MinLen" {
					q.minLen = &n
				} else {
					q.maxLen = &n
				}
			}
		case "MinValue", "MaxValue":
			if n, err := strconv.ParseFloat(strings.TrimSpace(arg), 64); err == nil {
				if name == "MinValue" {
					q.minValue = &n
				} else {
					q.maxValue = &n
				}
			}
		case "ValueMap":
			q.valueMap = splitQuoted(arg)
		}
	}
	return q
}

func (q qualifiers) check(base, v string) error {
	n := utf8.RuneCountInString(v)
	if q.minLen != nil && n < *q.minLen {
		return fmt.Errorf("the value must be at least %d characters long (MinLen)", *q.minLen)
	}
	if q.maxLen != nil && n > *q.maxLen {
		return fmt.Errorf("the value must be at most %d characters long (MaxLen)", *q.maxLen)
	}
	if len(q.valueMap) > 0 && !slices.Contains(q.valueMap, v) {
		return fmt.Errorf("the value must be one of %s (ValueMap), not %s", toolkit.Names(q.valueMap), toolkit.Quote(v, 40))
	}
	if q.minValue != nil || q.maxValue != nil {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fmt.Errorf("type %s wants a number, not %s", base, toolkit.Quote(v, 40))
		}
		if q.minValue != nil && f < *q.minValue {
			return fmt.Errorf("the value must be at least %g (MinValue)", *q.minValue)
		}
		if q.maxValue != nil && f > *q.maxValue {
			return fmt.Errorf("the value must be at most %g (MaxValue)", *q.maxValue)
		}
	}
	return nil
}
