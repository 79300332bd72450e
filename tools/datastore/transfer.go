package datastore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// TransferResult is what an upload or download did.
type TransferResult struct {
	Action    string  `json:"action"`
	LocalPath string  `json:"local_path"`
	Path      string  `json:"path" jsonschema:"The datastore file, [datastore] folder/file"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"seconds"`
}

func (r TransferResult) Text() string {
	from, to := toolkit.Path(r.LocalPath), toolkit.Path(r.Path)
	if r.Action == "Downloaded" {
		from, to = to, from
	}
	return fmt.Sprintf("%s %s to %s (%s in %.1f s)\n", r.Action, from, to, toolkit.HumanBytes(r.Bytes), r.Seconds)
}

// progressReader counts bytes through it and reports them as progress,
// at most every percent or half second.
type progressReader struct {
	r      io.Reader
	p      *guard.Progress
	label  string
	total  int64
	from   float64
	to     float64
	mu     sync.Mutex
	n      int64
	lastAt time.Time
	lastP  float64
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.mu.Lock()
	pr.n += int64(n)
	done := pr.n
	pct := pr.to
	if pr.total > 0 {
		pct = pr.from + (pr.to-pr.from)*float64(done)/float64(pr.total)
	}
	report := pct-pr.lastP >= 1 || time.Since(pr.lastAt) > 500*time.Millisecond
	if report {
		pr.lastP, pr.lastAt = pct, time.Now()
	}
	pr.mu.Unlock()
	if report {
		pr.p.Report(pct, fmt.Sprintf("%s: %s of %s", pr.label, toolkit.HumanBytes(done), toolkit.HumanBytes(pr.total)))
	}
	return n, err
}

func (pr *progressReader) bytes() int64 {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.n
}

// cleanupCtx outlives a cancelled call long enough to remove what it left,
// keeping its values (the write permit).
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// partialName is the temporary name an upload is written under, in the
// destination folder, before it is moved into place.
func partialName(p params.DatastorePath) params.DatastorePath {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return p.Parent().Join("." + p.Name() + ".partial-" + hex.EncodeToString(b))
}

// ---- datastore_upload ----

type DatastoreUploadArgs struct {
	LocalPath string `json:"local_path" jsonschema:"The local file to upload: an absolute path (or ~/...) inside the client's roots or the profile's local_files.read"`
	Datastore string `json:"datastore,omitempty" jsonschema:"The datastore (name, inventory path or ID); optional when path starts with [datastore]"`
	Path      string `json:"path" jsonschema:"Destination: [datastore] folder/name, a folder (ending in / or existing) to keep the local name, or the root"`
	Overwrite bool   `json:"overwrite,omitempty" jsonschema:"Replace an existing datastore file; default false"`
}

func (a *DatastoreUploadArgs) Validate() error {
	if strings.TrimSpace(a.LocalPath) == "" {
		return fmt.Errorf("local_path is required: the local file to upload")
	}
	_, err := params.ParseDatastorePath("path", a.Path, a.Datastore)
	return err
}

func datastoreUpload() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_upload",
		Title: "Upload a local file to a datastore",
		Description: "Upload a local file (an ISO, a disk, a script) to a datastore folder, with progress by bytes. Local files are readable only " +
			"inside the MCP client's roots or the profile's local_files.read directories. The file is written under a temporary name and " +
			"renamed when complete; a failed or cancelled upload (it can run as an MCP task) leaves nothing behind. An existing datastore " +
			"file is replaced only with overwrite: true.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreUploadArgs) (TransferResult, error) {
		var out TransferResult
		local, err := params.LocalPath(ctx, d, "local_path", a.LocalPath, localfiles.Read)
		if err != nil {
			return out, err
		}
		f, err := os.Open(local)
		if err != nil {
			return out, fmt.Errorf("open local file %q: %w", local, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return out, fmt.Errorf("local file %q: %w", local, err)
		}
		if !fi.Mode().IsRegular() {
			return out, &toolkit.ArgError{Msg: fmt.Sprintf("local_path %q is not a regular file (a directory or device); upload files one by one", local)}
		}
		size := fi.Size()
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, p, err := resolvePath(ctx, c, d.Defaults, "path", a.Path, a.Datastore)
			if err != nil {
				return err
			}
			de, err := stat(ctx, c, t, p)
			if err != nil {
				return err
			}
			if p.Path == "" || strings.HasSuffix(strings.TrimSpace(a.Path), "/") || de != nil && de.Type == typeFolder {
				name, err := localfiles.SafeName(filepath.Base(local))
				if err != nil {
					return err
				}
				p = p.Join(name)
				if de, err = stat(ctx, c, t, p); err != nil {
					return err
				}
			}
			if de != nil {
				if de.Type == typeFolder {
					return fmt.Errorf("%s is a folder; name a file inside it", toolkit.Path(p.String()))
				}
				if !a.Overwrite {
					return fmt.Errorf("%s exists (%s); nothing was uploaded. Pass overwrite: true to replace it, or choose another name", toolkit.Path(p.String()), toolkit.HumanBytes(de.Size))
				}
				if err := refuseVMFiles(ctx, c, t, p, "replaced", "choose another name"); err != nil {
					return err
				}
			}
			if pe, err := stat(ctx, c, t, p.Parent()); err != nil {
				return err
			} else if pe == nil || pe.Type != typeFolder {
				return fmt.Errorf("folder %s does not exist on the datastore: create it with datastore_mkdir", toolkit.Path(p.Parent().String()))
			}
			if size > t.Free {
				return fmt.Errorf("%s needs %s but datastore %s has %s free; nothing was uploaded", toolkit.Path(local), toolkit.HumanBytes(size), toolkit.Name(t.Name), toolkit.HumanBytes(t.Free))
			}
			what := fmt.Sprintf("Upload local file %s (%s) to %s", toolkit.Path(local), toolkit.HumanBytes(size), toolkit.Path(p.String()))
			if de != nil {
				what += " replacing the file there"
			}
			if err := guard.Act(ctx, what, t.Object); err != nil {
				return err
			}
			start := time.Now()
			tmp := partialName(p)
			pr := &progressReader{r: f, p: guard.NewProgress(ctx), label: "upload " + toolkit.Name(p.Name()), total: size, to: 95}
			pr.p.Report(0, "upload "+toolkit.Name(p.Name())+": starting")
			if err := c.UploadFile(ctx, t.file(tmp), pr, size); err != nil {
				removeRemote(ctx, c, t, tmp)
				if ctx.Err() != nil {
					return fmt.Errorf("upload of %s cancelled after %s; the partial file was removed", toolkit.Path(local), toolkit.HumanBytes(pr.bytes()))
				}
				return fmt.Errorf("upload %s: %s; the partial file was removed", toolkit.Path(local), vcenter.Explain(err))
			}
			task, err := startFileTask(ctx, c, opMove, t, tmp, t, p, a.Overwrite)
			if err == nil {
				err = waitFileTask(ctx, task, "rename upload into place", p.String(), pr.p, 95, 100)
			}
			if err != nil {
				removeRemote(ctx, c, t, tmp)
				return fmt.Errorf("upload %s: renaming it into place failed (%w); the uploaded copy was removed", toolkit.Path(local), err)
			}
			pr.p.Report(100, "upload "+toolkit.Name(p.Name())+": done")
			out = TransferResult{Action: "Uploaded", LocalPath: local, Path: p.String(), Bytes: size, Seconds: time.Since(start).Seconds()}
			return nil
		})
		return out, err
	})
}

// removeRemote deletes a partial upload, even when ctx was cancelled.
func removeRemote(ctx context.Context, c *vcenter.Conn, t dsTarget, p params.DatastorePath) {
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	task, err := startFileTask(cctx, c, opDelete, t, p, t, p, false)
	if err == nil {
		_ = task.Wait(cctx)
	}
}

// ---- datastore_download ----

type DatastoreDownloadArgs struct {
	Datastore string `json:"datastore,omitempty" jsonschema:"The datastore (name, inventory path or ID); optional when path starts with [datastore]"`
	Path      string `json:"path" jsonschema:"The datastore file: [datastore] folder/file"`
	LocalPath string `json:"local_path" jsonschema:"Local directory (the file keeps its name) or file name to write, inside the client's roots or the profile's local_files.write"`
	Overwrite bool   `json:"overwrite,omitempty" jsonschema:"Replace an existing local file; default false"`
}

func (a *DatastoreDownloadArgs) Validate() error {
	if strings.TrimSpace(a.LocalPath) == "" {
		return fmt.Errorf("local_path is required: the local directory or file to write")
	}
	p, err := params.ParseDatastorePath("path", a.Path, a.Datastore)
	if err != nil {
		return err
	}
	if p.Path == "" {
		return fmt.Errorf("path names a datastore's root; name a file")
	}
	return nil
}

func datastoreDownload() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_download",
		Title: "Download a datastore file",
		Description: "Download a file from a datastore to a local directory or file name, with progress by bytes. Local files are writable " +
			"only inside the MCP client's roots or the profile's local_files.write directories; an existing local file is replaced only with " +
			"overwrite: true. The file is written under a temporary name and renamed when complete; a failed or cancelled download leaves nothing.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreDownloadArgs) (TransferResult, error) {
		var out TransferResult
		rule := params.LocalFiles(ctx, d)
		target, err := rule.Allowed(a.LocalPath, localfiles.Write)
		if err != nil {
			return out, &toolkit.ArgError{Msg: "local_path: " + err.Error()}
		}
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, p, err := resolvePath(ctx, c, d.Defaults, "path", a.Path, a.Datastore)
			if err != nil {
				return err
			}
			e, err := stat(ctx, c, t, p)
			if err != nil {
				return err
			}
			if e == nil {
				return fmt.Errorf("%s does not exist (list its folder with datastore_browse)", toolkit.Path(p.String()))
			}
			if e.Type == typeFolder {
				return fmt.Errorf("%s is a folder; download its files one by one", toolkit.Path(p.String()))
			}
			final, err := localfiles.Into(target, p.Name())
			if err != nil {
				return err
			}
			if final, err = rule.Allowed(final, localfiles.Write); err != nil {
				return &toolkit.ArgError{Msg: "local_path: " + err.Error()}
			}
			if err := localfiles.Exists(final, a.Overwrite); err != nil {
				return err
			}
			if err := guard.Act(ctx, fmt.Sprintf("Download %s (%s) to local file %s", toolkit.Path(p.String()), toolkit.HumanBytes(e.Size), toolkit.Path(final)), t.Object); err != nil {
				return err
			}
			start := time.Now()
			body, n, err := c.DownloadFile(ctx, t.file(p))
			if err != nil {
				return err
			}
			defer body.Close()
			if n < 0 {
				n = e.Size
			}
			w, err := localfiles.Create(final, a.Overwrite)
			if err != nil {
				return err
			}
			defer w.Abort()
			pr := &progressReader{r: body, p: guard.NewProgress(ctx), label: "download " + toolkit.Name(p.Name()), total: n, to: 100}
			pr.p.Report(0, "download "+toolkit.Name(p.Name())+": starting")
			got, err := io.Copy(w, pr)
			if err == nil && n >= 0 && got != n {
				err = fmt.Errorf("got %d of %d bytes", got, n)
			}
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, context.Canceled) {
					return fmt.Errorf("download of %s cancelled after %s; nothing was written", toolkit.Path(p.String()), toolkit.HumanBytes(got))
				}
				return fmt.Errorf("download %s: %s; nothing was written", toolkit.Path(p.String()), vcenter.Explain(err))
			}
			if err := w.Commit(); err != nil {
				return err
			}
			pr.p.Report(100, "download "+toolkit.Name(p.Name())+": done")
			out = TransferResult{Action: "Downloaded", LocalPath: final, Path: p.String(), Bytes: got, Seconds: time.Since(start).Seconds()}
			return nil
		})
		return out, err
	})
}
