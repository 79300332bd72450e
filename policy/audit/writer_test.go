package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample(tool string, d Decision) Record {
	r := Record{
		Client:   Client{Name: "claude-code", Version: "2.1.0"},
		Profile:  "lab",
		Role:     "operator",
		VCenter:  VCenter{Host: "vc.lab.example", User: "svc-ai@vsphere.local"},
		Tool:     tool,
		Args:     map[string]any{"vm": "web-01", "guest_password": "hunter2", "count": 3.0},
		Targets:  []Target{{ID: "vm-42", Path: "/DC1/vm/web-01"}},
		Decision: d,
	}
	if d == DecisionAllowed || d == DecisionConfirmed {
		r.Outcome, r.TaskIDs, r.DurationMS = OutcomeOK, []string{"task-7"}, 120
	}
	return r
}

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte("\n"))[:bytes.Count(b, []byte("\n"))]
}

func verifyFile(t testing.TB, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := Verify(f)
	if err != nil {
		t.Fatalf("verify %s: %v", path, err)
	}
	return n
}

func TestOpenWriteVerify(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "vsphere-mcp", "audit.jsonl")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, filepath.Dir(filepath.Dir(path)): 0o700, path: 0o600} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != want {
				t.Errorf("%s mode %04o, want %04o", p, got, want)
			}
		}
	}
	// One line per decision kind.
	decisions := []Decision{DecisionAllowed, DecisionDenied, DecisionRateLimited, DecisionConfirmed, DecisionDeclined, DecisionPreview}
	for i, d := range decisions {
		if err := w.Write(sample("vm_power_off", d), i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sample("vm_list", DecisionAllowed), false); err == nil {
		t.Error("write after Close succeeded")
	}
	if n := verifyFile(t, path); n != len(decisions) {
		t.Errorf("verified %d lines, want %d", n, len(decisions))
	}

	lines := readLines(t, path)
	var first map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "seq", "pid", "session", "os_user", "client", "profile", "role", "vcenter", "tool",
		"args", "targets", "decision", "outcome", "task_ids", "duration_ms", "prev", "hash"} {
		if _, ok := first[k]; !ok {
			t.Errorf("line 1 lacks %q: %s", k, lines[0])
		}
	}
	if first["prev"] != Genesis || first["seq"] != 1.0 {
		t.Errorf("first line prev/seq = %v/%v", first["prev"], first["seq"])
	}
	ts, _ := first["time"].(string)
	if tm, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || time.Since(tm) > time.Minute {
		t.Errorf("time %q is not a recent RFC3339Nano UTC time", ts)
	}
	if first["pid"] != float64(os.Getpid()) || first["session"] != w.Session() || first["os_user"] == "" {
		t.Errorf("process fields: %v %v %v", first["pid"], first["session"], first["os_user"])
	}
	if bytes.Contains(bytes.Join(lines, nil), []byte("hunter2")) {
		t.Error("a secret reached the audit file")
	}
	var denied Record
	if err := json.Unmarshal(lines[1], &denied); err != nil {
		t.Fatal(err)
	}
	if denied.Decision != DecisionDenied || denied.Outcome != "" || denied.Args["guest_password"] != Redacted {
		t.Errorf("denied line: %+v", denied)
	}

	// Reopening continues the chain.
	w2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if w2.Session() == w.Session() {
		t.Error("a new Writer should get a new session id")
	}
	if err := w2.Write(sample("vm_list", DecisionAllowed), true); err != nil {
		t.Fatal(err)
	}
	w2.Close()
	if n := verifyFile(t, path); n != len(decisions)+1 {
		t.Errorf("after reopen verified %d lines", n)
	}
	if len(w2.Warnings()) != 0 {
		t.Errorf("unexpected warnings: %v", w2.Warnings())
	}
}

func TestOpenTightensMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits")
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o after Open", st.Mode().Perm())
	}
	if ws := w.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], "0644") {
		t.Errorf("warnings = %v", ws)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(""); err == nil {
		t.Error("empty path accepted")
	}
	if _, err := Open(dir); err == nil {
		t.Error("a directory accepted as the audit file")
	}
	bad := filepath.Join(dir, "foreign.jsonl")
	os.WriteFile(bad, []byte("{\"seq\":1}\nnot json at all\n"), 0o600)
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "not an audit record") || !strings.Contains(err.Error(), bad) {
		t.Errorf("foreign file: err = %v", err)
	}
	blocked := filepath.Join(dir, "file")
	os.WriteFile(blocked, nil, 0o600)
	if _, err := Open(filepath.Join(blocked, "audit.jsonl")); err == nil || !strings.Contains(err.Error(), "create directory") {
		t.Errorf("parent is a file: err = %v", err)
	}
}

// A crash mid-write leaves a torn last line: Open continues after it on a
// new line, and Verify names the torn line.
func TestTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, _ := Open(path)
	for range 3 {
		w.Write(sample("vm_list", DecisionAllowed), false)
	}
	w.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-11-01T`)
	f.Close()

	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if ws := w.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], "incomplete line") {
		t.Errorf("warnings = %v", ws)
	}
	if err := w.Write(sample("vm_get", DecisionAllowed), true); err != nil {
		t.Fatal(err)
	}
	w.Close()
	lines := readLines(t, path)
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5", len(lines))
	}
	var rec Record
	if err := json.Unmarshal(lines[4], &rec); err != nil || rec.Seq != 4 {
		t.Errorf("line after the torn one: seq %d, %v", rec.Seq, err)
	}
	f, _ = os.Open(path)
	defer f.Close()
	n, err := Verify(f)
	var ve *VerifyError
	if n != 3 || !errors.As(err, &ve) || ve.Line != 4 {
		t.Errorf("verify: n=%d err=%v", n, err)
	}
}

// Two writers on one file (two processes, or two Opens) keep one chain.
func TestSharedFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		w := a
		if i%2 == 1 {
			w = b
		}
		wg.Go(func() {
			for j := range 50 {
				if err := w.Write(sample(fmt.Sprintf("tool_%d_%d", i, j), DecisionAllowed), j%10 == 0); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	a.Close()
	b.Close()
	if n := verifyFile(t, path); n != 400 {
		t.Errorf("verified %d lines, want 400", n)
	}
}

func TestTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, _ := Open(path)
	for i := range 10 {
		w.Write(sample(fmt.Sprintf("tool_%d", i), DecisionAllowed), false)
	}
	w.Close()
	for _, tc := range []struct{ n, want, firstSeq int }{{3, 3, 8}, {10, 10, 1}, {50, 10, 1}, {1, 1, 10}, {0, 0, 0}} {
		f, _ := os.Open(path)
		recs, err := Tail(f, tc.n)
		f.Close()
		if err != nil || len(recs) != tc.want {
			t.Fatalf("Tail(%d) = %d records, %v", tc.n, len(recs), err)
		}
		if tc.want > 0 && (recs[0].Seq != uint64(tc.firstSeq) || recs[len(recs)-1].Seq != 10) {
			t.Errorf("Tail(%d) seqs %d..%d", tc.n, recs[0].Seq, recs[len(recs)-1].Seq)
		}
	}
	if _, err := Tail(strings.NewReader("{}\nnope\n{}\n"), 2); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
	f, _ := os.Open(path)
	recs, _ := Tail(f, 1)
	f.Close()
	s := Format(recs[0])
	for _, want := range []string{"#10", "tool_9", "/DC1/vm/web-01", "allowed/ok", "120ms", "role=operator", "tasks=task-7"} {
		if !strings.Contains(s, want) {
			t.Errorf("Format = %q lacks %q", s, want)
		}
	}
}

// writeTrail writes n records and returns the file's lines.
func writeTrail(t testing.TB, n int) [][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Write(sample(fmt.Sprintf("tool_%d", i), DecisionAllowed), false); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	return readLines(t, path)
}

func TestVerifyDetectsTampering(t *testing.T) {
	lines := writeTrail(t, 5)
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	edit := func(l []byte, old, new string) []byte { return bytes.Replace(l, []byte(old), []byte(new), 1) }
	tests := []struct {
		name   string
		data   []byte
		n      int
		line   int
		reason string
	}{
		{"intact", join(lines...), 5, 0, ""},
		{"empty file", nil, 0, 0, ""},
		{"no final newline", bytes.TrimSuffix(join(lines...), []byte("\n")), 5, 0, ""},
		{"edited field", join(lines[0], lines[1], edit(lines[2], "tool_2", "tool_X"), lines[3], lines[4]), 2, 3, "hash mismatch"},
		{"edited decision", join(lines[0], edit(lines[1], `"allowed"`, `"denied"`), lines[2]), 1, 2, "hash mismatch"},
		{"edited seq", join(lines[0], edit(lines[1], `"seq":2`, `"seq":3`)), 1, 2, "hash mismatch"},
		{"removed line", join(lines[0], lines[1], lines[3], lines[4]), 2, 3, "seq 4 where 3 was expected"},
		{"removed first line", join(lines[1:]...), 0, 1, "seq 2 where 1 was expected"},
		{"reordered", join(lines[0], lines[2], lines[1], lines[3]), 1, 2, "seq 3 where 2 was expected"},
		{"duplicated", join(lines[0], lines[1], lines[1], lines[2]), 2, 3, "seq 2 where 3 was expected"},
		{"spliced from another trail", join(lines[0], writeTrail(t, 2)[1]), 1, 2, "prev does not match"},
		{"empty line", join(lines[0], []byte("\n"), lines[1]), 1, 2, "empty line"},
		{"garbage", join(lines[0], []byte("hello\n")), 1, 2, "malformed record"},
		{"torn", join(lines[0], lines[1][:40]), 1, 2, "malformed record"},
		{"two objects", join(lines[0], bytes.TrimSuffix(lines[1], []byte("\n")), []byte("{}\n")), 1, 2, "trailing data"},
		{"no hash", join(edit(lines[0], `"hash":"`, `"hush":"`)), 0, 1, `"hash"`},
		{"array", []byte("[1,2]\n"), 0, 1, "malformed record"},
		{"null", []byte("null\n"), 0, 1, "malformed record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Verify(bytes.NewReader(tc.data))
			if n != tc.n {
				t.Errorf("n = %d, want %d", n, tc.n)
			}
			if tc.line == 0 {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Line != tc.line || !strings.Contains(ve.Reason, tc.reason) {
				t.Errorf("err = %v, want line %d: …%s…", err, tc.line, tc.reason)
			}
		})
	}
}

// Big arguments make bounded lines that still verify.
func TestVerifyLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, _ := Open(path)
	big := map[string]any{}
	for i := range 2000 {
		big[fmt.Sprintf("field_%04d", i)] = strings.Repeat("x", 200)
	}
	for range 3 {
		r := sample("vm_create", DecisionAllowed)
		r.Args = big
		if err := w.Write(r, false); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if n := verifyFile(t, path); n != 3 {
		t.Errorf("n = %d", n)
	}
	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewReader(f)
	l1, _ := sc.ReadBytes('\n')
	if len(l1) > MaxArgs+4<<10 {
		t.Errorf("a line of %d bytes for 400 KB of arguments", len(l1))
	}
}
