package stdio

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// lineResult is what next returned, for comparing.
type lineResult struct {
	line    string
	tooLong int64
}

func readAll(t testing.TB, r io.Reader, max int) ([]lineResult, error) {
	lr := newLineReader(r, max)
	var out []lineResult
	for {
		line, tooLong, err := lr.next()
		if line != nil || tooLong > 0 {
			out = append(out, lineResult{string(line), tooLong})
		}
		if err != nil {
			return out, err
		}
		if len(out) > 1<<20 {
			t.Fatal("no end")
		}
	}
}

func TestLineReader(t *testing.T) {
	t.Parallel()
	const max = 100 << 10 // above one chunk, so long lines span chunks
	long := strings.Repeat("x", max)
	tests := []struct {
		name string
		in   string
		want []lineResult
	}{
		{"lines", "a\nbc\n", []lineResult{{"a", 0}, {"bc", 0}}},
		{"empty lines are lines", "\n\na\n", []lineResult{{"", 0}, {"", 0}, {"a", 0}}},
		{"last line without newline", "a\nb", []lineResult{{"a", 0}, {"b", 0}}},
		{"exactly the limit", long + "\nz\n", []lineResult{{long, 0}, {"z", 0}}},
		{"one byte over", long + "y\nz\n", []lineResult{{"", max + 1}, {"z", 0}}},
		{"far over, then more", strings.Repeat("q", 5*max) + "\n{}\n", []lineResult{{"", 5 * max}, {"{}", 0}}},
		{"over at the end of input", "a\n" + long + "yy", []lineResult{{"a", 0}, {"", max + 2}}},
		{"carriage return is content", "a\r\n", []lineResult{{"a\r", 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in)), iotest.HalfReader(strings.NewReader(tc.in))} {
				got, err := readAll(t, r, max)
				if !errors.Is(err, io.EOF) {
					t.Fatalf("err %v, want EOF", err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("%d lines, want %d", len(got), len(tc.want))
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Errorf("line %d: %d bytes, tooLong %d; want %d bytes, tooLong %d", i, len(got[i].line), got[i].tooLong, len(tc.want[i].line), tc.want[i].tooLong)
					}
				}
			}
		})
	}
}

func TestLineReaderReadErrorIsSticky(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom))
	got, err := readAll(t, r, 10)
	if !errors.Is(err, boom) || len(got) != 2 || got[1].line != "b" {
		t.Fatalf("got %v, %v", got, err)
	}
	lr := newLineReader(iotest.ErrReader(boom), 10)
	for range 2 {
		if _, _, err := lr.next(); !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
	}
}

// repeatReader yields n bytes of c, then tail, without holding them.
type repeatReader struct {
	n    int64
	c    byte
	tail io.Reader
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return r.tail.Read(p)
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.c
	}
	r.n -= k
	return int(k), nil
}

// TestLineReaderMemoryBounded: a 100 MB line costs about the limit in
// allocations, not 100 MB.
func TestLineReaderMemoryBounded(t *testing.T) {
	const max, line = 1 << 20, 100 << 20
	r := &repeatReader{n: line, c: 'a', tail: strings.NewReader("\n{}\n")}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := readAll(t, r, max)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.EOF) || len(got) != 2 || got[0].tooLong != line || got[1].line != "{}" {
		t.Fatalf("got %d results, %v", len(got), err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MiB line with a %d MiB limit allocated %.1f MiB", line>>20, max>>20, float64(alloc)/(1<<20))
	if alloc > 4*max {
		t.Errorf("allocated %d bytes for a line over the limit", alloc)
	}
}

// FuzzLineReader: whatever the input and the limit, next yields exactly
// the input's lines, long ones as their length only.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), 2)
	f.Add([]byte("\n\n"), 0)
	f.Add(bytes.Repeat([]byte("z"), 70000), 65536)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 0 || max > 1<<20 {
			return
		}
		got, err := readAll(t, bytes.NewReader(in), max)
		if !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		parts := bytes.Split(in, []byte("\n"))
		if len(parts[len(parts)-1]) == 0 {
			parts = parts[:len(parts)-1] // a final newline ends the last line
		}
		if len(got) != len(parts) {
			t.Fatalf("%d lines, want %d", len(got), len(parts))
		}
		for i, p := range parts {
			want := lineResult{string(p), 0}
			if len(p) > max {
				want = lineResult{"", int64(len(p))}
			}
			if got[i] != want {
				t.Fatalf("line %d: %+v, want %+v", i, got[i], want)
			}
		}
	})
}
