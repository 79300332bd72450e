package datastore

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DatastoreUsageArgs names the datastore datastore_usage looks at.
type DatastoreUsageArgs struct {
	DatastoreArgs
	toolkit.Paging
}

func (a *DatastoreUsageArgs) Validate() error {
	if err := a.Paging.Check(); err != nil {
		return err
	}
	return a.DatastoreArgs.Validate()
}

// UsageRow is one space user: a registered VM's files, or one file no
// registered VM owns.
type UsageRow struct {
	Kind      string `json:"kind" jsonschema:"vm (a registered VM's files) or unowned (a file of no registered VM: orphaned disk, ISO, leftover)"`
	VM        string `json:"vm,omitempty"`
	VMID      string `json:"vm_id,omitempty"`
	Path      string `json:"path" jsonschema:"The VM's home folder, or the unowned file"`
	Type      string `json:"type,omitempty" jsonschema:"Unowned files: disk, iso, snapshot, log, other, ..."`
	Bytes     int64  `json:"bytes"`
	Disks     int64  `json:"disks_bytes,omitempty"`
	Snapshots int64  `json:"snapshots_bytes,omitempty" jsonschema:"Snapshot delta disks and memory/state files"`
	Swap      int64  `json:"swap_bytes,omitempty"`
	Logs      int64  `json:"logs_bytes,omitempty"`
	Other     int64  `json:"other_bytes,omitempty"`
	Files     int    `json:"files"`
}

// UsageTotals sum every file on the datastore.
type UsageTotals struct {
	Files        int   `json:"files"`
	Bytes        int64 `json:"bytes" jsonschema:"Sum of all files' sizes"`
	VMBytes      int64 `json:"vm_bytes" jsonschema:"Files of registered VMs"`
	UnownedBytes int64 `json:"unowned_bytes" jsonschema:"Files of no registered VM"`
	FreeBytes    int64 `json:"free_bytes"`
}

// DatastoreUsage is datastore_usage's result.
type DatastoreUsage struct {
	Datastore  string       `json:"datastore"`
	Totals     *UsageTotals `json:"totals,omitempty" jsonschema:"On the first page only"`
	Items      []UsageRow   `json:"items"`
	Total      int          `json:"total"`
	NextCursor string       `json:"next_cursor"`
}

func (r DatastoreUsage) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Datastore %s\n", toolkit.Name(r.Datastore))
	if t := r.Totals; t != nil {
		fmt.Fprintf(&b, "files: %d, %s (registered VMs %s, unowned %s); free %s\n", t.Files, toolkit.HumanBytes(t.Bytes),
			toolkit.HumanBytes(t.VMBytes), toolkit.HumanBytes(t.UnownedBytes), toolkit.HumanBytes(t.FreeBytes))
	}
	tab := toolkit.NewTable("kind", "vm", "path", "type", "size", "disks", "snapshots", "swap", "logs", "other", "files")
	hb := func(n int64) string {
		if n == 0 {
			return ""
		}
		return toolkit.HumanBytes(n)
	}
	for _, u := range r.Items {
		tab.Row(u.Kind, u.VM, u.Path, u.Type, toolkit.HumanBytes(u.Bytes), hb(u.Disks), hb(u.Snapshots), hb(u.Swap), hb(u.Logs), hb(u.Other), toolkit.Itoa(u.Files))
	}
	b.WriteString(toolkit.PageText("space users, largest first", len(r.Items), r.Total, r.NextCursor, tab))
	return b.String()
}

// usageCategory is where a VM's file counts.
func usageCategory(name string) string {
	switch ext := strings.ToLower(path.Ext(name)); {
	case ext == ".vswp":
		return "swap"
	case ext == ".log":
		return "logs"
	}
	switch typeByName(name) {
	case typeDisk:
		return "disks"
	case typeSnapshot:
		return "snapshots"
	}
	return "other"
}

func (u *UsageRow) add(e fileEntry) {
	u.Files++
	u.Bytes += e.Size
	switch usageCategory(e.Path.Name()) {
	case "swap":
		u.Swap += e.Size
	case "logs":
		u.Logs += e.Size
	case "disks":
		u.Disks += e.Size
	case "snapshots":
		u.Snapshots += e.Size
	default:
		u.Other += e.Size
	}
}

func datastoreUsage() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "datastore_usage",
		Title: "Show what uses a datastore's space",
		Description: "Where the space on one datastore goes, largest first: each registered VM's files (disks, snapshot delta disks, swap, " +
			"logs, other) and every file no registered VM owns (orphaned disks, ISOs, leftovers), with totals that add up to the sum of " +
			"all files. Reads every file on the datastore: can take a while on a large one.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a DatastoreUsageArgs) (DatastoreUsage, error) {
		var out DatastoreUsage
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			t, err := resolveDatastore(ctx, c, d.Defaults, a.Datastore)
			if err != nil {
				return err
			}
			out.Datastore = t.Name
			var totals *UsageTotals
			key := toolkit.QueryKey("datastore_usage", t.ID())
			page, n, next, err := vcenter.PageCollected(d.Session, key, a.Size(), a.Cursor, func() ([]UsageRow, error) {
				rows, tot, err := usage(ctx, c, t)
				totals = &tot
				return rows, err
			})
			if err != nil {
				return err
			}
			out.Totals, out.Items, out.Total, out.NextCursor = totals, page, n, next
			return nil
		})
		return out, err
	})
}

// usage groups every file of t by owner.
func usage(ctx context.Context, c *vcenter.Conn, t dsTarget) ([]UsageRow, UsageTotals, error) {
	tot := UsageTotals{FreeBytes: t.Free}
	vf, err := readVMFiles(ctx, c, t)
	if err != nil {
		return nil, tot, err
	}
	entries, err := search(ctx, c, t, params.DatastorePath{Datastore: t.Name}, nil, true, false)
	if err != nil {
		return nil, tot, err
	}
	byVM := map[types.ManagedObjectReference]*UsageRow{}
	var rows []UsageRow
	var vmRows []*UsageRow
	for _, e := range entries {
		if e.Type == typeFolder {
			continue
		}
		tot.Files++
		tot.Bytes += e.Size
		vm, owned := vf.ownerOf(e.Path)
		if !owned {
			tot.UnownedBytes += e.Size
			u := UsageRow{Kind: "unowned", Path: e.Path.String(), Type: typeByName(e.Path.Name())}
			u.add(e)
			rows = append(rows, u)
			continue
		}
		tot.VMBytes += e.Size
		u := byVM[vm]
		if u == nil {
			u = &UsageRow{Kind: "vm", VM: vf.name[vm], VMID: vm.Value}
			if h, ok := vf.home[vm]; ok {
				u.Path = h.String()
			}
			if u.VM == "" {
				// Not in the caller's scope: counted, not named.
				u.VM, u.VMID = "(outside this profile's scope)", ""
			}
			byVM[vm] = u
			vmRows = append(vmRows, u)
		}
		u.add(e)
	}
	for _, u := range vmRows {
		rows = append(rows, *u)
	}
	slices.SortStableFunc(rows, func(x, y UsageRow) int {
		if x.Bytes != y.Bytes {
			if x.Bytes > y.Bytes {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Path, y.Path)
	})
	if rows == nil {
		rows = []UsageRow{}
	}
	return rows, tot, nil
}
