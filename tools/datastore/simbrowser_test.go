package datastore

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vmdk"
)

// capBrowser is the simulator's datastore browser answering disk queries
// as vCenter does: a disk entry carries its capacity (from the
// descriptor's extents) and, as its size, the descriptor's and extents'
// bytes together. The simulator leaves both out.
type capBrowser struct {
	*simulator.HostDatastoreBrowser
	dsDir map[string]string // datastore name → its directory
}

func (b *capBrowser) SearchDatastoreTask(ctx *simulator.Context, req *types.SearchDatastore_Task) soap.HasFault {
	body := b.HostDatastoreBrowser.SearchDatastoreTask(ctx, req).(*methods.SearchDatastore_TaskBody)
	if body.Res != nil {
		b.fill(ctx, body.Res.Returnval)
	}
	return body
}

func (b *capBrowser) SearchDatastoreSubFoldersTask(ctx *simulator.Context, req *types.SearchDatastoreSubFolders_Task) soap.HasFault {
	body := b.HostDatastoreBrowser.SearchDatastoreSubFoldersTask(ctx, req).(*methods.SearchDatastoreSubFolders_TaskBody)
	if body.Res != nil {
		b.fill(ctx, body.Res.Returnval)
	}
	return body
}

// fill waits for the search task and completes its disk entries.
func (b *capBrowser) fill(ctx *simulator.Context, ref types.ManagedObjectReference) {
	task, ok := ctx.Map.Get(ref).(*simulator.Task)
	if !ok {
		return
	}
	task.Wait()
	ctx.WithLock(task, func() {
		var results []types.HostDatastoreBrowserSearchResults
		switch r := task.Info.Result.(type) {
		case types.HostDatastoreBrowserSearchResults:
			results = []types.HostDatastoreBrowserSearchResults{r}
		case types.ArrayOfHostDatastoreBrowserSearchResults:
			results = r.HostDatastoreBrowserSearchResults
		}
		for _, r := range results {
			ds, rel, _ := strings.Cut(strings.TrimPrefix(r.FolderPath, "["), "]")
			dir := filepath.Join(b.dsDir[ds], filepath.FromSlash(strings.Trim(rel, " /")))
			for _, f := range r.File {
				disk, ok := f.(*types.VmDiskFileInfo)
				if !ok {
					continue
				}
				fh, err := os.Open(filepath.Join(dir, disk.Path))
				if err != nil {
					continue
				}
				d, err := vmdk.ParseDescriptor(fh)
				_ = fh.Close()
				if err != nil {
					continue
				}
				disk.CapacityKb = d.Capacity() / 1024
				for _, x := range d.Extent {
					name := strings.Trim(strings.Fields(x.Info + " ")[0], `"`)
					if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && name != disk.Path {
						disk.FileSize += fi.Size()
					}
				}
				thin := true
				disk.Thin = &thin
			}
		}
	})
}

// installCapBrowser puts capBrowser in front of every datastore browser of
// m, in each session that calls one.
func installCapBrowser(m *simulator.Model) {
	reg := m.Map()
	dirs := map[string]string{}
	browsers := map[types.ManagedObjectReference]*simulator.HostDatastoreBrowser{}
	for _, ref := range reg.All("Datastore") {
		ds := reg.Get(ref.Reference()).(*simulator.Datastore)
		dirs[ds.Name] = ds.Summary.Url
		if b, ok := reg.Get(ds.Browser).(*simulator.HostDatastoreBrowser); ok {
			browsers[ds.Browser] = b
		}
	}
	reg.Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		base, ok := browsers[method.This]
		if !ok || ctx.Session == nil {
			return nil, nil
		}
		if _, ok := ctx.Session.Registry.Get(method.This).(*capBrowser); !ok {
			ctx.Session.Put(&capBrowser{base, dirs})
		}
		return nil, nil
	}
}
