package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// LibraryItemUploadArgs name a local file and the new item.
type LibraryItemUploadArgs struct {
	LocalPath   string `json:"local_path" jsonschema:"Local .iso, .ova, or .ovf (with its disks beside it); must be inside an allowed local directory (MCP roots or the profile's local_files.read)"`
	Library     string `json:"library" jsonschema:"The local content library to add the item to: name or ID"`
	Name        string `json:"name" jsonschema:"Name of the new item"`
	Description string `json:"description,omitempty" jsonschema:"Description of the new item"`
}

func (a *LibraryItemUploadArgs) Validate() error {
	switch {
	case strings.TrimSpace(a.LocalPath) == "":
		return errors.New("local_path is required: the .iso, .ova or .ovf to upload")
	case strings.TrimSpace(a.Library) == "":
		return errors.New("library is required: a local content library's name or ID (library_list shows them)")
	case strings.TrimSpace(a.Name) == "" || a.Name != strings.TrimSpace(a.Name):
		return errors.New("name is required, without leading or trailing spaces: the new item's name")
	case len([]rune(a.Name)) > 80 || strings.ContainsAny(a.Name, "/\\\x00"):
		return errors.New("name must be at most 80 characters, without / or \\")
	case len(a.Description) > 2000:
		return errors.New("description is too long (at most 2000 characters)")
	}
	switch strings.ToLower(filepath.Ext(a.LocalPath)) {
	case ".iso", ".ova", ".ovf":
	default:
		return errors.New("local_path must be an .iso (becomes an iso item) or an .ova/.ovf package (an ovf item)")
	}
	return nil
}

// LibraryItemUploadResult is the new item.
type LibraryItemUploadResult struct {
	Action    string   `json:"action"`
	Library   string   `json:"library"`
	Item      string   `json:"item"`
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Files     []string `json:"files"`
	SizeBytes int64    `json:"size_bytes"`
}

// Text renders the item in one line.
func (r LibraryItemUploadResult) Text() string {
	return fmt.Sprintf("%s %s item %s (%s) in library %s: %s GB in %d files (%s)\n", r.Action, r.Type, toolkit.Name(r.Item), r.ID, toolkit.Name(r.Library), toolkit.GiB(r.SizeBytes), len(r.Files), toolkit.Names(r.Files))
}

// upload is one local file going into the item.
type upload struct {
	name string
	size int64
	open func() (io.ReadCloser, error)
	// verify checks what is read against the package's manifest.
	verify func(io.Reader) (io.Reader, *params.Verifier)
}

// plan lists what to upload from the local path.
func plan(path string) (string, []upload, error) {
	if strings.EqualFold(filepath.Ext(path), ".iso") {
		st, err := os.Stat(path)
		if err != nil {
			return "", nil, fmt.Errorf("local_path: %w", params.PathCause(err))
		}
		if !st.Mode().IsRegular() {
			return "", nil, fmt.Errorf("local_path %s is not a regular file", toolkit.Quote(path, 0))
		}
		return library.ItemTypeISO, []upload{{name: filepath.Base(path), size: st.Size(), open: func() (io.ReadCloser, error) { return os.Open(path) }}}, nil
	}
	pkg, err := params.OpenOVFPackage(path)
	if err != nil {
		return "", nil, err
	}
	desc := pkg.Descriptor
	ups := []upload{{name: pkg.DescriptorName(), size: int64(len(desc)), open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(string(desc))), nil
	}}}
	for _, f := range pkg.Env.References {
		name := f.Href
		size := pkg.Sizes[name]
		ups = append(ups, upload{name: name, size: size, open: func() (io.ReadCloser, error) {
			r, _, err := pkg.Open(name)
			return r, err
		}, verify: func(r io.Reader) (io.Reader, *params.Verifier) { return pkg.Verify(name, r) }})
	}
	return library.ItemTypeOVF, ups, nil
}

func libraryItemUpload() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "library_item_upload",
		Title: "Upload a local ISO or OVA into a content library",
		Description: "Upload a local .iso (an iso item) or .ova/.ovf package (an ovf item, deployable with library_deploy) into a local content library as a new item called name. " +
			"Progress by bytes; takes as long as the upload; a failed upload removes the half-made item.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a LibraryItemUploadArgs) (LibraryItemUploadResult, error) {
		local, err := params.LocalPath(ctx, d, "local_path", a.LocalPath, localfiles.Read)
		if err != nil {
			return LibraryItemUploadResult{}, err
		}
		kind, ups, err := plan(local)
		if err != nil {
			return LibraryItemUploadResult{}, err
		}
		out := LibraryItemUploadResult{Action: "Uploaded", Item: a.Name, Type: kind, Files: []string{}}
		started := false
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var lib *library.Library
			if err := c.DoREST(ctx, func(rc *rest.Client) error {
				m := library.NewManager(rc)
				var err error
				if lib, err = params.FindLibrary(ctx, m, a.Library); err != nil {
					return err
				}
				if strings.EqualFold(lib.Type, "SUBSCRIBED") {
					return &toolkit.PlainError{Msg: fmt.Sprintf("library %s is subscribed: its items come from its publisher; upload into a local library", toolkit.Name(lib.Name))}
				}
				if _, err := params.FindLibraryItem(ctx, m, lib, a.Name); err == nil {
					return &toolkit.PlainError{Msg: fmt.Sprintf("library %s already has an item %s; choose another name", toolkit.Name(lib.Name), toolkit.Quote(a.Name, toolkit.NameMax))}
				}
				return nil
			}); err != nil {
				return err
			}
			out.Library = lib.Name
			ds, err := params.LibraryDatastore(ctx, c, lib)
			if err != nil {
				return err
			}
			what := fmt.Sprintf("Upload %s into content library %s as item %s", toolkit.Quote(local, 0), toolkit.Quote(lib.Name, toolkit.NameMax), toolkit.Quote(a.Name, toolkit.NameMax))
			if ds != nil {
				err = guard.Act(ctx, what+", stored on datastore", *ds)
			} else {
				err = guard.Act(ctx, what)
			}
			if err != nil {
				return err
			}
			started = true
			return c.DoREST(ctx, func(rc *rest.Client) error {
				return uploadItem(ctx, rc, lib, a, kind, ups, &out)
			})
		})
		return out, params.SessionSafe(err, started)
	})
}

// uploadItem creates the item and pushes its files through an update
// session; on failure the session is failed and the item deleted.
func uploadItem(ctx context.Context, rc *rest.Client, lib *library.Library, a LibraryItemUploadArgs, kind string, ups []upload, out *LibraryItemUploadResult) error {
	m := library.NewManager(rc)
	item := library.Item{Name: a.Name, LibraryID: lib.ID, Type: kind}
	if a.Description != "" {
		item.Description = &a.Description
	}
	id, err := m.CreateLibraryItem(ctx, item)
	if err != nil {
		return fmt.Errorf("create item %s in library %s: %w", toolkit.Quote(a.Name, toolkit.NameMax), toolkit.Name(lib.Name), vcenter.RESTCause(err))
	}
	out.ID = id
	sid, err := m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: id})
	if err != nil {
		return cleanup(ctx, m, id, "", fmt.Errorf("open an update session: %w", vcenter.RESTCause(err)))
	}
	var total int64
	for _, u := range ups {
		total += u.size
	}
	prog := guard.NewProgress(ctx)
	var sent atomic.Int64
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				prog.Report(99*float64(sent.Load())/float64(max(total, 1)), fmt.Sprintf("uploaded %s of %s GB", toolkit.GiB(sent.Load()), toolkit.GiB(total)))
			}
		}
	}()
	err = func() error {
		for _, u := range ups {
			f, err := m.AddLibraryItemFile(ctx, sid, library.UpdateFile{Name: u.name, SourceType: "PUSH", Size: u.size})
			if err != nil {
				return fmt.Errorf("add %s to the item: %w", toolkit.Quote(u.name, 0), vcenter.RESTCause(err))
			}
			if f.UploadEndpoint == nil {
				return fmt.Errorf("vCenter gave no upload address for %s", toolkit.Quote(u.name, 0))
			}
			dst, err := url.Parse(f.UploadEndpoint.URI)
			if err != nil {
				return fmt.Errorf("vCenter's upload address for %s does not parse: %w", toolkit.Quote(u.name, 0), err)
			}
			r, err := u.open()
			if err != nil {
				return fmt.Errorf("open %s: %w", toolkit.Quote(u.name, 0), err)
			}
			var src io.Reader = r
			var v *params.Verifier
			if u.verify != nil {
				src, v = u.verify(r)
			}
			err = rc.Upload(ctx, &counting{r: src, n: &sent}, dst, &soap.Upload{Method: "PUT", ContentLength: u.size, Type: "application/octet-stream"})
			_ = r.Close()
			if err != nil {
				return fmt.Errorf("upload %s: %w", toolkit.Quote(u.name, 0), vcenter.RESTCause(err))
			}
			if err := v.Check(); err != nil {
				return err
			}
			out.Files = append(out.Files, u.name)
			prog.Report(99*float64(sent.Load())/float64(max(total, 1)), fmt.Sprintf("uploaded %s (%s of %s GB)", toolkit.Quote(u.name, 0), toolkit.GiB(sent.Load()), toolkit.GiB(total)))
		}
		if err := m.CompleteLibraryItemUpdateSession(ctx, sid); err != nil {
			return fmt.Errorf("complete the update session: %w", vcenter.RESTCause(err))
		}
		return waitFiles(ctx, m, id, out.Files)
	}()
	close(done)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		out.Files = []string{}
		return cleanup(ctx, m, id, sid, err)
	}
	prog.Report(100, "uploaded")
	if it, err := m.GetLibraryItem(ctx, id); err == nil {
		out.SizeBytes = params.LibraryItemSize(ctx, m, it)
	}
	return nil
}

// cleanup fails the session and deletes the half-made item.
func cleanup(ctx context.Context, m *library.Manager, id, sid string, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if errors.Is(cause, context.Canceled) {
		cause = errors.New("the upload was cancelled")
	}
	if sid != "" {
		_ = m.FailLibraryItemUpdateSession(cctx, sid)
	}
	if err := m.DeleteLibraryItem(cctx, &library.Item{ID: id}); err != nil {
		return fmt.Errorf("%w; removing the half-made item %s failed (%v): delete it in vCenter", cause, id, vcenter.RESTCause(err))
	}
	return fmt.Errorf("%w; the half-made item was removed", cause)
}

type counting struct {
	r io.Reader
	n *atomic.Int64
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// waitFiles waits until the item lists every uploaded file. (The update
// session's own state is not polled: the simulator sets it from a
// goroutine without its lock, which the race detector reports.)
func waitFiles(ctx context.Context, m *library.Manager, id string, names []string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		files, err := m.ListLibraryItemFiles(ctx, id)
		if err != nil {
			return fmt.Errorf("read the item's files: %w", vcenter.RESTCause(err))
		}
		have := map[string]bool{}
		for _, f := range files {
			if f.Size != nil {
				have[f.Name] = true
			}
		}
		missing := 0
		for _, n := range names {
			if !have[n] {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vCenter has not taken %d of the uploaded files after 5 minutes; check the item in vCenter", missing)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
