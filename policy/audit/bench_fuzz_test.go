package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkWrite(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "nosync"
		if sync {
			name = "sync"
		}
		b.Run(name, func(b *testing.B) {
			w, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"))
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			r := sample("vm_power_off", DecisionConfirmed)
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Write(r, sync); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckpoint is what writing the checkpoint adds to each record
// (it is part of BenchmarkWrite): one slot written in place. "rename" is
// the textbook alternative, a new file renamed over the old one, measured
// to show why it is not used on the write path.
func BenchmarkCheckpoint(b *testing.B) {
	b.Run("in-place", func(b *testing.B) {
		w, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		h := Head{Seq: 1, Hash: Genesis}
		for b.Loop() {
			h.Seq++
			if err := w.updateHead(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rename", func(b *testing.B) {
		path := HeadPath(filepath.Join(b.TempDir(), "audit.jsonl"))
		h := Head{Seq: 1, Hash: Genesis}
		for b.Loop() {
			h.Seq++
			f, err := os.OpenFile(path+".tmp", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			f.Write(h.file())
			f.Close()
			if err := os.Rename(path+".tmp", path); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	lines := writeTrail(b, 1000)
	data := bytes.Join(lines, nil)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if n, err := Verify(bytes.NewReader(data)); err != nil || n != 1000 {
			b.Fatal(n, err)
		}
	}
}

// FuzzVerify: Verify never panics on arbitrary input and its count never
// exceeds the number of lines.
func FuzzVerify(f *testing.F) {
	lines := writeTrail(f, 3)
	f.Add(bytes.Join(lines, nil))
	f.Add(lines[0])
	f.Add(bytes.Join([][]byte{lines[0], lines[2]}, nil))
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":1,"prev":"` + Genesis + `","hash":"` + Genesis + `"}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Add([]byte(`{"seq":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Verify(bytes.NewReader(data))
		if n < 0 || n > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("n = %d for %d bytes", n, len(data))
		}
		if err == nil && n > 0 {
			// A trail that verifies must also tail cleanly.
			if _, terr := Tail(bytes.NewReader(data), n); terr != nil {
				t.Fatalf("verified trail does not tail: %v", terr)
			}
		}
	})
}
