package datastore

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DatastoreBrowseArgs names the folder datastore_browse lists.
type DatastoreBrowseArgs struct {
	Datastore string `json:"datastore,omitempty" jsonschema:"The datastore (name, inventory path or ID); optional when path starts with [datastore]"`
	Path      string `json:"path,omitempty" jsonschema:"Folder to list: [datastore] folder/sub or a plain folder/sub with datastore; default the datastore's root"`
	Pattern   string `json:"pattern,omitempty" jsonschema:"File name glob, or several separated by commas (*.iso,*.img); default all"`
	Recursive bool   `json:"recursive,omitempty" jsonschema:"Also list everything in the subfolders"`
	Sort      string `json:"sort,omitempty" jsonschema:"Order: name (default, by path), size (largest first) or time (newest first)"`
	toolkit.Paging
}

func (a *DatastoreBrowseArgs) Validate() error {
	if err := a.Paging.Check(); err != nil {
		return err
	}
	if strings.TrimSpace(a.Datastore) == "" && !strings.HasPrefix(strings.TrimSpace(a.Path), "[") {
		return fmt.Errorf("datastore is required: give datastore, or a path starting with [datastore]")
	}
	if _, err := params.ParseDatastorePath("path", a.Path, a.Datastore); err != nil {
		return err
	}
	for _, p := range patterns(a.Pattern) {
		if err := toolkit.CheckGlob("pattern", p); err != nil {
			return err
		}
	}
	switch a.Sort {
	case "", "name", "size", "time":
	default:
		return fmt.Errorf("sort must be name, size or time (got %q)", a.Sort)
	}
	return nil
}

// patterns splits the pattern argument; none means all.
func patterns(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DatastoreFile is one row of datastore_browse.
type DatastoreFile struct {
	Name        string     `json:"name" jsonschema:"Path relative to the listed folder"`
	Path        string     `json:"path" jsonschema:"Full datastore path, [datastore] folder/file"`
	Type        string     `json:"type" jsonschema:"folder, vm-config, disk, iso, log, nvram, snapshot, floppy or other"`
	Size        int64      `json:"size_bytes" jsonschema:"Size in bytes; for a disk the space it uses"`
	Provisioned int64      `json:"provisioned_bytes,omitempty" jsonschema:"Disks: the capacity the guest sees"`
	Thin        *bool      `json:"thin,omitempty" jsonschema:"Disks: thin provisioned"`
	Modified    *time.Time `json:"modified,omitempty"`
}

// DatastoreBrowse is datastore_browse's result.
type DatastoreBrowse struct {
	Datastore  string          `json:"datastore"`
	Folder     string          `json:"folder" jsonschema:"The folder listed, or the file when path names a file"`
	File       bool            `json:"file,omitempty" jsonschema:"path names a file: items is that file alone"`
	Items      []DatastoreFile `json:"items"`
	Total      int             `json:"total"`
	NextCursor string          `json:"next_cursor"`
}

func (r DatastoreBrowse) Text() string {
	t := toolkit.NewTable("name", "type", "size", "provisioned", "modified")
	for _, f := range r.Items {
		size, prov, mod := toolkit.HumanBytes(f.Size), "", ""
		if f.Type == typeFolder {
			size = "-"
		}
		if f.Provisioned > 0 {
			prov = toolkit.HumanBytes(f.Provisioned)
			if f.Thin != nil && *f.Thin {
				prov += " thin"
			}
		}
		if f.Modified != nil {
			mod = f.Modified.UTC().Format("2006-01-02 15:04")
		}
		t.Row(f.Name, f.Type, size, prov, mod)
	}
	if r.File {
		return fmt.Sprintf("File %s\n", toolkit.Path(r.Folder)) + t.String()
	}
	noun := "entries"
	if r.Total == 1 {
		noun = "entry"
	}
	h := fmt.Sprintf("Folder %s\n", toolkit.Path(r.Folder))
	return h + toolkit.PageText(noun, len(r.Items), r.Total, r.NextCursor, t)
}

func datastoreBrowse() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_browse",
		Title: "List files on a datastore",
		Description: "List the files and folders in a datastore folder (or, recursive, below it): name, type (folder, vm-config, disk with " +
			"provisioned and used size, iso, log, nvram, snapshot, other), size and modification time; filter by glob (pattern: \"*.iso\"), " +
			"sort by name, size or time. For capacity and free space use datastore_get; for what uses the space, datastore_usage.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreBrowseArgs) (DatastoreBrowse, error) {
		var out DatastoreBrowse
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, folder, err := resolvePath(ctx, c, d.Defaults, "path", a.Path, a.Datastore)
			if err != nil {
				return err
			}
			out.Datastore, out.Folder = t.Name, folder.String()
			key := toolkit.QueryKey("datastore_browse", t.ID(), folder.Path, a.Pattern, fmt.Sprint(a.Recursive), a.Sort)
			page, n, next, err := vcenter.PageCollected(d.Session, key, a.Size(), a.Cursor, func() ([]DatastoreFile, error) {
				entries, err := search(ctx, c, t, folder, patterns(a.Pattern), a.Recursive, true)
				if err != nil {
					// A file rather than a folder: its own row.
					if e, serr := stat(ctx, c, t, folder); serr == nil && e != nil && e.Type != typeFolder {
						e.Path = folder
						return []DatastoreFile{{Name: folder.Name(), Path: folder.String(), Type: e.Type, Size: e.Size, Provisioned: e.Provisioned, Thin: e.Thin, Modified: e.Modified}}, nil
					}
					return nil, err
				}
				rows := make([]DatastoreFile, 0, len(entries))
				for _, e := range entries {
					rel := strings.TrimPrefix(strings.TrimPrefix(e.Path.Path, folder.Path), "/")
					rows = append(rows, DatastoreFile{Name: rel, Path: e.Path.String(), Type: e.Type, Size: e.Size, Provisioned: e.Provisioned, Thin: e.Thin, Modified: e.Modified})
				}
				sortFiles(rows, a.Sort)
				return rows, nil
			})
			if err != nil {
				return err
			}
			out.Items, out.Total, out.NextCursor = page, n, next
			out.File = n == 1 && len(page) == 1 && page[0].Path == folder.String() && page[0].Type != typeFolder
			return nil
		})
		return out, err
	})
}

// sortFiles orders rows by name (path), size (largest first) or time
// (newest first); ties by name.
func sortFiles(rows []DatastoreFile, by string) {
	slices.SortStableFunc(rows, func(x, y DatastoreFile) int {
		switch by {
		case "size":
			if x.Size != y.Size {
				if x.Size > y.Size {
					return -1
				}
				return 1
			}
		case "time":
			tx, ty := timeOf(x), timeOf(y)
			if !tx.Equal(ty) {
				if tx.After(ty) {
					return -1
				}
				return 1
			}
		}
		return strings.Compare(sortKey(x.Name), sortKey(y.Name))
	})
}

// sortKey sorts a folder before its contents and siblings by name.
func sortKey(name string) string { return strings.ReplaceAll(path.Clean(name), "/", "\x00") }

func timeOf(f DatastoreFile) time.Time {
	if f.Modified == nil {
		return time.Time{}
	}
	return *f.Modified
}
