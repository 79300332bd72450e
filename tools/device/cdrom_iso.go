package device

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// bracketPath is a "[datastore] folder/file" argument, parsed: the one
// datastore path of the tools (params.DatastorePath).
type bracketPath = params.DatastorePath

// parseBracketPath parses a "[datastore] path" argument with the shared
// parser; file requires a file (not the datastore's root or a folder).
func parseBracketPath(arg, s string, file bool) (bracketPath, error) {
	in := strings.TrimSpace(s)
	bad := func(why string) (bracketPath, error) {
		return bracketPath{}, fmt.Errorf("%s %s %s: give it as [datastore] folder/file, e.g. [LocalDS_0] iso/ubuntu-24.04.iso", arg, toolkit.Quote(in, 0), why)
	}
	if !strings.HasPrefix(in, "[") {
		return bad("does not start with [datastore]")
	}
	p, err := params.ParseDatastorePath(arg, in, "")
	if err != nil {
		if strings.Contains(err.Error(), `".." component`) {
			return bad("climbs out of its folder (..)")
		}
		return bracketPath{}, err
	}
	if file && p.Path == "" {
		return bad("names no file")
	}
	return p, nil
}

// datastoreInVMDC resolves a datastore name in the VM's own datacenter and
// checks that the VM's host mounts it.
func datastoreInVMDC(ctx context.Context, c *vcenter.Conn, vm vcenter.Object, host *types.ManagedObjectReference, name string) (vcenter.Object, error) {
	dc, err := params.DatacenterOf(ctx, c, vm.Ref)
	if err != nil {
		return vcenter.Object{}, err
	}
	var mdc mo.Datacenter
	if err := c.ReadRef(ctx, dc.Ref, []string{"datastore"}, &mdc); err != nil {
		return vcenter.Object{}, fmt.Errorf("read the datastores of datacenter %s: %w", toolkit.Name(dc.Name), err)
	}
	names, err := c.Names(ctx, mdc.Datastore)
	if err != nil {
		return vcenter.Object{}, fmt.Errorf("read the datastores of datacenter %s: %w", toolkit.Name(dc.Name), err)
	}
	var all []string
	for ref, n := range names {
		if n != name {
			all = append(all, n)
			continue
		}
		ds, err := c.Resolve(ctx, "Datastore", ref.Value) // applies the scope
		if err != nil {
			return ds, err
		}
		if host != nil {
			var mh mo.HostSystem
			if err := c.ReadRef(ctx, *host, []string{"datastore"}, &mh); err != nil {
				return ds, fmt.Errorf("read the datastores of the VM's host: %w", err)
			}
			if !slices.Contains(mh.Datastore, ds.Ref) {
				return ds, &toolkit.PlainError{Msg: fmt.Sprintf("datastore %s is not mounted on the VM's host, so the VM cannot read files on it; copy the file to a datastore the host mounts (%s)", toolkit.Name(name), params.RefNames(ctx, c, mh.Datastore))}
			}
		}
		return ds, nil
	}
	slices.Sort(all)
	return vcenter.Object{}, &toolkit.ArgError{Msg: fmt.Sprintf("datastore %s is not in datacenter %s, the VM's own; its datastores: %s", toolkit.Quote(name, toolkit.NameMax), toolkit.Name(dc.Name), toolkit.Names(all))}
}

// checkISO checks with the datastore browser that the file exists; a
// missing one is an error listing the ISOs in its folder.
func checkISO(ctx context.Context, c *vcenter.Conn, ds vcenter.Object, p bracketPath) error {
	dir, file := path.Split(p.Path)
	folder := bracketPath{Datastore: p.Datastore, Path: strings.TrimSuffix(dir, "/")}
	found, err := searchFolder(ctx, c, ds, folder, file)
	if err != nil {
		if fault.Is(err, &types.FileNotFound{}) {
			return &toolkit.PlainError{Msg: fmt.Sprintf("iso %s: folder %s does not exist (FileNotFound); datastore_browse shows what is there", toolkit.Path(p.String()), toolkit.Path(folder.String()))}
		}
		return fmt.Errorf("look for %s: %w", toolkit.Path(p.String()), err)
	}
	if slices.Contains(found, file) {
		return nil
	}
	isos, err := searchFolder(ctx, c, ds, folder, "*.iso")
	if err != nil {
		return fmt.Errorf("list the ISOs in %s: %w", toolkit.Path(folder.String()), err)
	}
	// The browser matches case-insensitively on some datastores only.
	upper, _ := searchFolder(ctx, c, ds, folder, "*.ISO")
	for _, u := range upper {
		if !slices.Contains(isos, u) {
			isos = append(isos, u)
		}
	}
	slices.Sort(isos)
	if len(isos) == 0 {
		return &toolkit.PlainError{Msg: fmt.Sprintf("iso %s does not exist (FileNotFound), and folder %s holds no ISO files; datastore_browse shows what is there", toolkit.Path(p.String()), toolkit.Path(folder.String()))}
	}
	const shown = 20
	list := toolkit.Names(isos[:min(len(isos), shown)])
	if len(isos) > shown {
		list += fmt.Sprintf(" and %d more", len(isos)-shown)
	}
	return &toolkit.PlainError{Msg: fmt.Sprintf("iso %s does not exist (FileNotFound); the ISOs in %s: %s", toolkit.Path(p.String()), toolkit.Path(folder.String()), list)}
}

// searchFolder lists the files in folder matching pattern (not below it).
func searchFolder(ctx context.Context, c *vcenter.Conn, ds vcenter.Object, folder bracketPath, pattern string) ([]string, error) {
	b, err := object.NewDatastore(c.Client, ds.Ref).Browser(ctx)
	if err != nil {
		return nil, err
	}
	spec := &types.HostDatastoreBrowserSearchSpec{MatchPattern: []string{pattern}, Details: &types.FileQueryFlags{FileType: true}}
	task, err := b.SearchDatastore(ctx, folder.String(), spec)
	if err != nil {
		return nil, err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return nil, err
	}
	res, ok := info.Result.(types.HostDatastoreBrowserSearchResults)
	if !ok {
		return nil, errors.New("the datastore browser returned no result")
	}
	var out []string
	for _, f := range res.File {
		fi := f.GetFileInfo()
		if _, dir := f.(*types.FolderFileInfo); dir {
			continue
		}
		out = append(out, fi.Path)
	}
	return out, nil
}
