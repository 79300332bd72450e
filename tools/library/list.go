package library

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- library_list ----

// Library is one content library.
type Library struct {
	Name        string   `json:"name"`
	ID          string   `json:"id"`
	Type        string   `json:"type" jsonschema:"local or subscribed"`
	Items       int      `json:"items"`
	Storage     []string `json:"storage" jsonschema:"Datastores holding the library's files"`
	Description string   `json:"description,omitempty"`
	Subscribed  string   `json:"subscription_url,omitempty"`
}

// LibraryListResult lists content libraries.
type LibraryListResult struct {
	Libraries []Library `json:"libraries"`
	Total     int       `json:"total"`
}

// Text renders the libraries as a table.
func (r LibraryListResult) Text() string {
	t := toolkit.NewTable("name", "type", "items", "storage", "id")
	for _, l := range r.Libraries {
		t.Row(l.Name, l.Type, strconv.Itoa(l.Items), strings.Join(l.Storage, ","), l.ID)
	}
	return toolkit.PageText("content libraries", len(r.Libraries), r.Total, "", t)
}

func libraryList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "library_list",
		Title:       "List content libraries",
		Description: "List vCenter's content libraries: name, local or subscribed, item count and the datastores they are stored on. library_item_list shows a library's items.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, _ toolkit.NoArgs) (LibraryListResult, error) {
		out := LibraryListResult{Libraries: []Library{}}
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			var libs []library.Library
			counts := map[string]int{}
			err := c.DoREST(ctx, func(rc *rest.Client) error {
				m := library.NewManager(rc)
				var err error
				if libs, err = m.GetLibraries(ctx); err != nil {
					return fmt.Errorf("list content libraries: %w", vcenter.RESTCause(err))
				}
				for _, l := range libs {
					ids, err := m.ListLibraryItems(ctx, l.ID)
					if err != nil {
						return fmt.Errorf("list the items of library %s: %w", toolkit.Name(l.Name), vcenter.RESTCause(err))
					}
					counts[l.ID] = len(ids)
				}
				return nil
			})
			if err != nil {
				return err
			}
			slices.SortFunc(libs, func(a, b library.Library) int { return strings.Compare(a.Name, b.Name) })
			for _, l := range libs {
				lib := Library{Name: l.Name, ID: l.ID, Type: strings.ToLower(l.Type), Items: counts[l.ID], Storage: []string{}}
				if l.Description != nil {
					lib.Description = *l.Description
				}
				if l.Subscription != nil {
					lib.Subscribed = l.Subscription.SubscriptionURL
				}
				for _, s := range l.Storage {
					if s.DatastoreID == "" {
						continue
					}
					if ds, err := c.Resolve(ctx, "Datastore", s.DatastoreID); err == nil {
						lib.Storage = append(lib.Storage, ds.Name)
					} else {
						lib.Storage = append(lib.Storage, s.DatastoreID)
					}
				}
				out.Libraries = append(out.Libraries, lib)
			}
			out.Total = len(out.Libraries)
			return nil
		})
		return out, err
	})
}

// ---- library_item_list ----

// LibraryItemListArgs name a library and a page.
type LibraryItemListArgs struct {
	Library string `json:"library" jsonschema:"The content library: name or ID (library_list shows them)"`
	toolkit.Paging
}

func (a *LibraryItemListArgs) Validate() error {
	if strings.TrimSpace(a.Library) == "" {
		return errors.New("library is required: a content library's name or ID (library_list shows them)")
	}
	if _, err := offsetOf(a.Cursor); err != nil {
		return err
	}
	return a.Check()
}

// LibraryItem is one item of a library.
type LibraryItem struct {
	Name      string `json:"name"`
	ID        string `json:"id"`
	Type      string `json:"type" jsonschema:"ovf, vm-template, iso or file"`
	SizeBytes int64  `json:"size_bytes"`
	Created   string `json:"created,omitempty"`
}

// LibraryItemListResult is one page of items.
type LibraryItemListResult struct {
	Library    string        `json:"library"`
	Items      []LibraryItem `json:"items"`
	Total      int           `json:"total"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// Text renders the page as a table.
func (r LibraryItemListResult) Text() string {
	t := toolkit.NewTable("name", "type", "size_gb", "created", "id")
	for _, it := range r.Items {
		t.Row(it.Name, it.Type, toolkit.GiB(it.SizeBytes), it.Created, it.ID)
	}
	return "Library " + toolkit.Name(r.Library) + ": " + toolkit.PageText("items", len(r.Items), r.Total, r.NextCursor, t)
}

// offsetOf reads an item listing's cursor: "items:<offset>".
func offsetOf(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(cursor, "items:"))
	if err != nil || !strings.HasPrefix(cursor, "items:") || n < 0 {
		return 0, errors.New("cursor is not one library_item_list gave; list again without a cursor")
	}
	return n, nil
}

func libraryItemList() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "library_item_list",
		Title:       "List a content library's items",
		Description: "List the items of one content library, by name: type (ovf, vm-template, iso, file), size and creation time. Paged.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a LibraryItemListArgs) (LibraryItemListResult, error) {
		var out LibraryItemListResult
		off, _ := offsetOf(a.Cursor)
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			return c.DoREST(ctx, func(rc *rest.Client) error {
				m := library.NewManager(rc)
				lib, err := params.FindLibrary(ctx, m, a.Library)
				if err != nil {
					return err
				}
				items, err := m.GetLibraryItems(ctx, lib.ID)
				if err != nil {
					return fmt.Errorf("list the items of library %s: %w", toolkit.Name(lib.Name), vcenter.RESTCause(err))
				}
				slices.SortFunc(items, func(a, b library.Item) int { return strings.Compare(a.Name, b.Name) })
				out = LibraryItemListResult{Library: lib.Name, Items: []LibraryItem{}, Total: len(items)}
				if off > len(items) {
					return errors.New("cursor points past the end of the listing; list again without a cursor")
				}
				end := min(len(items), off+a.Size())
				for _, it := range items[off:end] {
					li := LibraryItem{Name: it.Name, ID: it.ID, Type: params.ItemKind(it.Type), SizeBytes: params.LibraryItemSize(ctx, m, &it)}
					if it.CreationTime != nil {
						li.Created = it.CreationTime.UTC().Format(time.RFC3339)
					}
					out.Items = append(out.Items, li)
				}
				if end < len(items) {
					out.NextCursor = "items:" + strconv.Itoa(end)
				}
				return nil
			})
		})
		return out, err
	})
}
