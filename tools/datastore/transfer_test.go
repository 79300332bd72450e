package datastore

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/simulator"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

func writeLocal(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// localNames lists a local directory (temporary files included).
func localNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestDatastoreUploadDownload(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, nil, nil)
	outside, _ := filepath.EvalSymlinks(t.TempDir())
	writeLocal(t, filepath.Join(e.local, "ubuntu.iso"), "ISO-CONTENT")
	writeLocal(t, filepath.Join(outside, "id_rsa"), "SECRET")
	if err := os.Symlink(outside, filepath.Join(e.local, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.ds["LocalDS_1"], "iso"), 0o755); err != nil {
		t.Fatal(err)
	}

	// Upload into a folder: the file keeps its name; nothing else is left.
	var up TransferResult
	e.OK("datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "ubuntu.iso"), "path": "[LocalDS_1] iso/"}, &up)
	if got, _ := e.onDS("LocalDS_1", "iso/ubuntu.iso"); got != "ISO-CONTENT" || up.Path != "[LocalDS_1] iso/ubuntu.iso" || up.Bytes != 11 {
		t.Fatalf("uploaded %q, result %+v", got, up)
	}
	if files := e.dsFiles("LocalDS_1", "iso"); len(files) != 1 {
		t.Fatalf("upload left %v", files)
	}
	// No overwrite without overwrite.
	writeLocal(t, filepath.Join(e.local, "ubuntu.iso"), "NEWER")
	toolstest.MustContain(t, e.Fails("datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "ubuntu.iso"), "datastore": "LocalDS_1", "path": "iso/ubuntu.iso"}), "overwrite: true")
	if got, _ := e.onDS("LocalDS_1", "iso/ubuntu.iso"); got != "ISO-CONTENT" {
		t.Fatalf("refused upload changed the file: %q", got)
	}
	e.OK("datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "ubuntu.iso"), "datastore": "LocalDS_1", "path": "iso/ubuntu.iso", "overwrite": true}, nil)
	if got, _ := e.onDS("LocalDS_1", "iso/ubuntu.iso"); got != "NEWER" {
		t.Fatalf("overwrite upload: %q", got)
	}

	// Download into the directory, then refuse to overwrite, then overwrite.
	e.put("LocalDS_1", "logs/vmware.log", 1000)
	var down TransferResult
	e.OK("datastore_download", map[string]any{"path": "[LocalDS_1] logs/vmware.log", "local_path": e.local}, &down)
	dst := filepath.Join(e.local, "vmware.log")
	if b, err := os.ReadFile(dst); err != nil || len(b) != 1000 || down.LocalPath != dst {
		t.Fatalf("downloaded %d bytes (%v), result %+v", len(b), err, down)
	}
	writeLocal(t, dst, "mine")
	toolstest.MustContain(t, e.Fails("datastore_download", map[string]any{"path": "[LocalDS_1] logs/vmware.log", "local_path": dst}), "exists", "overwrite: true")
	if b, _ := os.ReadFile(dst); string(b) != "mine" {
		t.Fatalf("refused download changed the local file: %q", b)
	}
	e.OK("datastore_download", map[string]any{"path": "[LocalDS_1] logs/vmware.log", "local_path": dst, "overwrite": true}, nil)
	if b, _ := os.ReadFile(dst); len(b) != 1000 {
		t.Fatalf("overwrite download: %d bytes", len(b))
	}
	e.OK("datastore_download", map[string]any{"path": "[LocalDS_1] iso/ubuntu.iso", "local_path": filepath.Join(e.local, "name.iso")}, nil)
	if b, _ := os.ReadFile(filepath.Join(e.local, "name.iso")); string(b) != "NEWER" {
		t.Fatalf("download to a new name: %q", b)
	}
	for _, n := range localNames(t, e.local) {
		if strings.Contains(n, ".partial-") {
			t.Errorf("temporary file left: %s", n)
		}
	}

	for _, tc := range []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		{"upload from outside", "datastore_upload", map[string]any{"local_path": filepath.Join(outside, "id_rsa"), "path": "[LocalDS_1] iso/"}, []string{"outside the directories this server may read", `local_files: {read: ["` + outside + `"]}`, `profile "test"`}},
		{"upload through ..", "datastore_upload", map[string]any{"local_path": e.local + "/../" + filepath.Base(outside) + "/id_rsa", "path": "[LocalDS_1] iso/"}, []string{"outside"}},
		{"upload through a symlink out", "datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "out", "id_rsa"), "path": "[LocalDS_1] iso/"}, []string{"outside", "resolved"}},
		{"upload a relative path", "datastore_upload", map[string]any{"local_path": "ubuntu.iso", "path": "[LocalDS_1] iso/"}, []string{"relative"}},
		{"upload a directory", "datastore_upload", map[string]any{"local_path": e.local, "path": "[LocalDS_1] iso/"}, []string{"not a regular file"}},
		{"upload over a VM's file", "datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "ubuntu.iso"), "path": "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmx", "overwrite": true}, []string{"registered VM DC0_H0_VM0"}},
		{"upload into a missing folder", "datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "ubuntu.iso"), "path": "[LocalDS_1] nowhere/x.iso"}, []string{"datastore_mkdir"}},
		{"download to outside", "datastore_download", map[string]any{"path": "[LocalDS_1] logs/vmware.log", "local_path": outside}, []string{"local_files.write"}},
		{"download through a symlink out", "datastore_download", map[string]any{"path": "[LocalDS_1] logs/vmware.log", "local_path": filepath.Join(e.local, "out", "x.log")}, []string{"outside"}},
		{"download a folder", "datastore_download", map[string]any{"path": "[LocalDS_1] logs", "local_path": e.local}, []string{"folder"}},
		{"download into a missing directory", "datastore_download", map[string]any{"path": "[LocalDS_1] logs/vmware.log", "local_path": filepath.Join(e.local, "new", "x.log")}, []string{"does not exist", "create it first"}},
		{"download a missing file", "datastore_download", map[string]any{"path": "[LocalDS_1] logs/none.log", "local_path": e.local}, []string{"does not exist"}},
	} {
		t.Run("refused "+tc.name, func(t *testing.T) {
			before := len(e.dsFiles("LocalDS_1", ""))
			outBefore := localNames(t, outside)
			toolstest.MustContain(t, e.at(t).Fails(tc.tool, tc.args), tc.want...)
			if after := len(e.dsFiles("LocalDS_1", "")); after != before {
				t.Errorf("datastore files %d → %d", before, after)
			}
			if got := localNames(t, outside); len(got) != len(outBefore) {
				t.Errorf("outside dir changed: %v", got)
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "id_rsa")); string(b) != "SECRET" {
		t.Fatal("outside file changed")
	}
}

// TestDatastoreLocalFilesDefaultAndRoots: with no local_files a local path
// is refused naming the setting; the client's roots allow reading and
// writing inside them only.
func TestDatastoreLocalFilesDefaultAndRoots(t *testing.T) {
	t.Parallel()
	none := newFileEnv(t, nil, func(string) toolstest.LocalFiles { return toolstest.LocalFiles{} })
	writeLocal(t, filepath.Join(none.local, "a.iso"), "A")
	toolstest.MustContain(t, none.Fails("datastore_upload", map[string]any{"local_path": filepath.Join(none.local, "a.iso"), "path": "[LocalDS_1]"}),
		"(none are set)", "to local_files.read", "local_files: {read: [")

	var root string
	e := newFileEnv(t, nil, func(local string) toolstest.LocalFiles {
		root = filepath.Join(local, "root")
		return toolstest.LocalFiles{Roots: []string{"file://" + root}}
	})
	writeLocal(t, filepath.Join(root, "a.iso"), "ROOTED")
	writeLocal(t, filepath.Join(e.local, "b.iso"), "NOT")
	e.OK("datastore_upload", map[string]any{"local_path": filepath.Join(root, "a.iso"), "path": "[LocalDS_1]"}, nil)
	if got, _ := e.onDS("LocalDS_1", "a.iso"); got != "ROOTED" {
		t.Fatalf("upload from a root: %q", got)
	}
	toolstest.MustContain(t, e.Fails("datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "b.iso"), "path": "[LocalDS_1]"}), "client's roots")
	e.OK("datastore_download", map[string]any{"path": "[LocalDS_1] a.iso", "local_path": filepath.Join(root, "copy.iso")}, nil)
	if b, _ := os.ReadFile(filepath.Join(root, "copy.iso")); string(b) != "ROOTED" {
		t.Fatalf("download into a root: %q", b)
	}
	toolstest.MustContain(t, e.Fails("datastore_download", map[string]any{"path": "[LocalDS_1] a.iso", "local_path": filepath.Join(e.local, "copy.iso")}), "outside")
}

// slowReader hands the simulator an upload's body slowly.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(b []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return s.r.Read(b[:min(len(b), 16<<10)])
}

// slowWriter hands a download's bytes to the client slowly.
type slowWriter struct{ http.ResponseWriter }

func (s slowWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		time.Sleep(20 * time.Millisecond)
		k, err := s.ResponseWriter.Write(b[:min(len(b), 16<<10)])
		n += k
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// slowModel is fileModel whose /folder/slow/ transfers run at ~800 KB/s
// through the simulator's own datastore handler: slow enough to cancel one
// midway.
func slowModel(t *testing.T) *simulator.Model {
	t.Helper()
	m := fileModel()
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Remove)
	m.Service.ServeMux = http.NewServeMux()
	m.Service.ServeMux.HandleFunc("/folder/slow/", func(w http.ResponseWriter, r *http.Request) {
		r.Body = io.NopCloser(slowReader{r.Body})
		m.Service.ServeDatastore(slowWriter{w}, r)
	})
	return m
}

// startTask starts a task-augmented tools/call and returns the task's ID.
func startTask(t *testing.T, e *fenv, c *client.Client, tool string, args map[string]any) string {
	t.Helper()
	params := mcp.CallToolParams{Name: tool, Arguments: args, Task: &mcp.TaskParams{}}
	resp, err := c.GetTransport().SendRequest(e.Ctx, transport.JSONRPCRequest{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(time.Now().UnixNano()), Method: string(mcp.MethodToolsCall), Params: params})
	if err != nil || resp.Error != nil {
		t.Fatalf("%s as a task: %v %+v", tool, err, resp)
	}
	var created mcp.CreateTaskResult
	if err := json.Unmarshal(resp.Result, &created); err != nil || created.Task.TaskId == "" {
		t.Fatalf("no task in %s (%v)", resp.Result, err)
	}
	return created.Task.TaskId
}

// waitPartial waits until dir holds a non-empty temporary file.
func waitPartial(t *testing.T, dir string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, n := range localNames(t, dir) {
			if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && strings.Contains(n, ".partial-") && fi.Size() > 0 {
				return
			}
		}
	}
	t.Fatalf("the transfer never started: %v", localNames(t, dir))
}

// cancelAndWaitEmpty cancels an MCP task and waits until dir holds
// nothing but keep.
func cancelAndWaitEmpty(t *testing.T, e *fenv, c *client.Client, task, dir string, keep ...string) {
	t.Helper()
	if _, err := c.CancelTask(e.Ctx, mcp.CancelTaskRequest{Params: mcp.CancelTaskParams{TaskId: task}}); err != nil {
		t.Fatal(err)
	}
	left := func() []string {
		var out []string
		for _, n := range localNames(t, dir) {
			if !slices.Contains(keep, n) {
				out = append(out, n)
			}
		}
		return out
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(left()) > 0; time.Sleep(50 * time.Millisecond) {
	}
	if l := left(); len(l) != 0 {
		t.Fatalf("a cancelled transfer left %v", l)
	}
	got, err := c.GetTask(e.Ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: task}})
	if err != nil || got.Status != mcp.TaskStatusCancelled {
		t.Fatalf("MCP task after cancel: %+v %v", got, err)
	}
	// Still nothing once the call has surely ended.
	time.Sleep(300 * time.Millisecond)
	if l := left(); len(l) != 0 {
		t.Fatalf("a cancelled transfer left %v", l)
	}
}

// TestDatastoreUploadCancelled: an upload running as an MCP task and
// cancelled through tasks/cancel stops, and leaves no file, partial or
// final, on the datastore.
func TestDatastoreUploadCancelled(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, slowModel(t), nil)
	if err := os.MkdirAll(filepath.Join(e.ds["LocalDS_1"], "slow"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeLocal(t, filepath.Join(e.local, "big.iso"), strings.Repeat("z", 8<<20))
	c := e.At(t).Connect(toolstest.Options{Policy: e.p, Protocol: mcp.ProtocolVersion20251125, Tasks: true,
		LocalFiles: toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{e.local}}}})
	task := startTask(t, e, c, "datastore_upload", map[string]any{"local_path": filepath.Join(e.local, "big.iso"), "path": "[LocalDS_1] slow/big.iso"})
	slow := filepath.Join(e.ds["LocalDS_1"], "slow")
	waitPartial(t, slow)
	cancelAndWaitEmpty(t, e, c, task, slow)
}

// TestDatastoreDownloadCancelled: a download cancelled midway leaves no
// local file, partial or final.
func TestDatastoreDownloadCancelled(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, slowModel(t), nil)
	e.put("LocalDS_1", "slow/big.iso", 8<<20)
	c := e.At(t).Connect(toolstest.Options{Policy: e.p, Protocol: mcp.ProtocolVersion20251125, Tasks: true,
		LocalFiles: toolstest.LocalFiles{Dirs: localfiles.Dirs{Write: []string{e.local}}}})
	task := startTask(t, e, c, "datastore_download", map[string]any{"path": "[LocalDS_1] slow/big.iso", "local_path": e.local})
	waitPartial(t, e.local)
	cancelAndWaitEmpty(t, e, c, task, e.local)
}

// TestDatastoreTransferProgress: an upload and a download with a progress
// token report bytes as they go, never backwards, ending at 100.
func TestDatastoreTransferProgress(t *testing.T) {
	t.Parallel()
	e := newFileEnv(t, slowModel(t), nil)
	if err := os.MkdirAll(filepath.Join(e.ds["LocalDS_1"], "slow"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeLocal(t, filepath.Join(e.local, "mid.iso"), strings.Repeat("m", 1<<20))
	var mu sync.Mutex
	seen := map[string][]float64{}
	msgs := map[string][]string{}
	e.Client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		tok, _ := n.Params.AdditionalFields["progressToken"].(string)
		var p float64
		switch v := n.Params.AdditionalFields["progress"].(type) {
		case float64:
			p = v
		case int:
			p = float64(v)
		}
		m, _ := n.Params.AdditionalFields["message"].(string)
		mu.Lock()
		seen[tok] = append(seen[tok], p)
		msgs[tok] = append(msgs[tok], m)
		mu.Unlock()
	})
	call := func(tool, token string, args map[string]any) {
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = tool, args
		req.Params.Meta = &mcp.Meta{ProgressToken: token}
		if res, err := e.Client.CallTool(e.Ctx, req); err != nil || res.IsError {
			t.Fatalf("%s: %v %s", tool, err, toolstest.ResultText(res))
		}
	}
	call("datastore_upload", "up", map[string]any{"local_path": filepath.Join(e.local, "mid.iso"), "path": "[LocalDS_1] slow/"})
	call("datastore_download", "down", map[string]any{"path": "[LocalDS_1] slow/mid.iso", "local_path": filepath.Join(e.local, "back.iso")})
	for _, tok := range []string{"up", "down"} {
		var got []float64
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			got = slices.Clone(seen[tok])
			mu.Unlock()
			if len(got) > 0 && got[len(got)-1] == 100 {
				break
			}
		}
		if len(got) < 3 || got[len(got)-1] != 100 || !slices.IsSorted(got) {
			t.Errorf("%s progress %v", tok, got)
		}
		mu.Lock()
		toolstest.MustContain(t, strings.Join(msgs[tok], "\n"), "of 1.0 MB")
		mu.Unlock()
	}
}
