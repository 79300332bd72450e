package datastore

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// dsTarget is a resolved datastore with what file tools need: its
// datacenter (FileManager and /folder name files per datacenter) and its
// browser.
type dsTarget struct {
	vcenter.Object
	DC      types.ManagedObjectReference
	DCPath  string // inventory path, "/DC0"
	Browser types.ManagedObjectReference
	VMs     []types.ManagedObjectReference
	Free    int64
}

// at is the datastore path p on t, with t's own name.
func (t dsTarget) at(p params.DatastorePath) params.DatastorePath {
	return params.DatastorePath{Datastore: t.Name, Path: p.Path}
}

// file is p as the /folder interface names it.
func (t dsTarget) file(p params.DatastorePath) vcenter.DatastoreFile {
	return vcenter.DatastoreFile{DatacenterPath: t.DCPath, Datastore: t.Name, Path: p.Path}
}

// resolveDatastore resolves a datastore identifier with its datacenter; a
// name that datastores in several datacenters have is the one in the
// default datacenter, when defs sets one.
func resolveDatastore(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, ident string) (dsTarget, error) {
	return resolveDatastoreOf(ctx, c, defs, params.DatastorePath{Datastore: ident})
}

// resolveDatastoreOf resolves the datastore of p (see resolveDatastore).
func resolveDatastoreOf(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, p params.DatastorePath) (dsTarget, error) {
	o, err := params.ResolvePathDatastore(ctx, c, p, func() (*vcenter.Object, error) {
		return params.DefaultDatacenter(ctx, c, defs)
	})
	if err != nil {
		return dsTarget{}, err
	}
	t := dsTarget{Object: o}
	var ds mo.Datastore
	if err := c.ReadOne(ctx, o, []string{"browser", "vm", "summary"}, &ds); err != nil {
		return t, err
	}
	t.Browser, t.VMs, t.Free = ds.Browser, ds.Vm, ds.Summary.FreeSpace
	if !ds.Summary.Accessible {
		return t, fmt.Errorf("datastore %s is not accessible (check its hosts with datastore_get)", toolkit.Path(o.Path))
	}
	anc, err := mo.Ancestors(ctx, c.Client, c.Client.ServiceContent.PropertyCollector, o.Ref)
	if err != nil {
		return t, fmt.Errorf("find the datacenter of %s: %w", toolkit.Path(o.Path), err)
	}
	var names []string
	for _, a := range anc[min(1, len(anc)):] {
		names = append(names, a.Name)
		if a.Self.Type == "Datacenter" {
			t.DC, t.DCPath = a.Self, "/"+strings.Join(names, "/")
			return t, nil
		}
	}
	return t, fmt.Errorf("datastore %s is in no datacenter", toolkit.Path(o.Path))
}

// resolvePath reads a datastore path argument ("[ds] folder/file", or
// datastore + a plain path) and resolves its datastore.
func resolvePath(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, arg, p, datastore string) (dsTarget, params.DatastorePath, error) {
	dp, err := params.ParseDatastorePath(arg, p, datastore)
	if err != nil {
		return dsTarget{}, dp, err
	}
	t, err := resolveDatastoreOf(ctx, c, defs, dp)
	if err != nil {
		return t, dp, err
	}
	return t, t.at(dp), nil
}

// fileEntry is one file or folder a datastore search found.
type fileEntry struct {
	Path        params.DatastorePath
	Type        string // folder, vm-config, disk, iso, log, nvram, snapshot, floppy, other
	Size        int64
	Provisioned int64 // disks: capacity, when the browser tells
	Thin        *bool
	Modified    *time.Time
}

// File types as datastore_browse reports them.
const (
	typeFolder   = "folder"
	typeVMConfig = "vm-config"
	typeDisk     = "disk"
	typeISO      = "iso"
	typeLog      = "log"
	typeNvram    = "nvram"
	typeSnapshot = "snapshot"
	typeFloppy   = "floppy"
	typeOther    = "other"
)

// searchSpec asks for every file with its type, size and time; typed
// queries make the browser merge a disk's descriptor and extents into one
// entry with its capacity (typed=false lists every file as it lies).
func searchSpec(patterns []string, typed bool) *types.HostDatastoreBrowserSearchSpec {
	if len(patterns) == 0 {
		patterns = []string{"*"} // an empty pattern matches nothing
	}
	spec := &types.HostDatastoreBrowserSearchSpec{
		MatchPattern:     patterns,
		Details:          &types.FileQueryFlags{FileType: true, FileSize: true, Modification: true},
		SortFoldersFirst: types.NewBool(true),
	}
	if typed {
		spec.Query = []types.BaseFileQuery{
			&types.FolderFileQuery{},
			&types.VmDiskFileQuery{Details: &types.VmDiskFileQueryFlags{DiskType: true, CapacityKb: true, HardwareVersion: true, Thin: types.NewBool(true)}},
			&types.IsoImageFileQuery{}, &types.VmConfigFileQuery{}, &types.VmLogFileQuery{}, &types.VmNvramFileQuery{},
			&types.VmSnapshotFileQuery{}, &types.FloppyImageFileQuery{},
			// Last: every other file (the simulator stops at the first
			// query that decides).
			&types.FileQuery{},
		}
	} else {
		spec.Query = []types.BaseFileQuery{&types.FolderFileQuery{}, &types.FileQuery{}}
	}
	return spec
}

// search lists folder (recursively: everything below it) on t.
func search(ctx context.Context, c *vcenter.Conn, t dsTarget, folder params.DatastorePath, patterns []string, recursive, typed bool) ([]fileEntry, error) {
	b := object.NewHostDatastoreBrowser(c.Client, t.Browser)
	where := folder.String()
	var (
		task *object.Task
		err  error
	)
	if recursive {
		task, err = b.SearchDatastoreSubFolders(ctx, where, searchSpec(patterns, typed))
	} else {
		task, err = b.SearchDatastore(ctx, where, searchSpec(patterns, typed))
	}
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", toolkit.Path(where), err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		if fault.Is(err, &types.FileNotFound{}) {
			return nil, explainFileFault(err, where) // names the path itself
		}
		return nil, fmt.Errorf("search %s: %w", toolkit.Path(where), explainFileFault(err, where))
	}
	var results []types.HostDatastoreBrowserSearchResults
	switch r := info.Result.(type) {
	case types.HostDatastoreBrowserSearchResults:
		results = []types.HostDatastoreBrowserSearchResults{r}
	case types.ArrayOfHostDatastoreBrowserSearchResults:
		results = r.HostDatastoreBrowserSearchResults
	}
	var out []fileEntry
	for _, r := range results {
		dir := folderOf(r.FolderPath, t.Name)
		for _, f := range r.File {
			out = append(out, entryOf(dir, f))
		}
	}
	return out, nil
}

// folderOf reads a result's folder path: "[ds] dir/sub" (vCenter) or
// "[ds]/dir/sub" (the simulator, for subfolders of a recursive search).
func folderOf(folderPath, ds string) params.DatastorePath {
	p, err := params.ParseDatastorePath("folder", folderPath, "")
	if err != nil {
		return params.DatastorePath{Datastore: ds}
	}
	return params.DatastorePath{Datastore: ds, Path: p.Path}
}

func entryOf(dir params.DatastorePath, f types.BaseFileInfo) fileEntry {
	fi := f.GetFileInfo()
	name := strings.Trim(fi.Path, "/")
	e := fileEntry{Path: dir.Join(name), Size: fi.FileSize, Modified: fi.Modification, Type: typeOther}
	switch v := f.(type) {
	case *types.FolderFileInfo:
		e.Type = typeFolder
	case *types.VmDiskFileInfo:
		e.Type = typeDisk
		e.Provisioned = v.CapacityKb * 1024
		e.Thin = v.Thin
	case *types.IsoImageFileInfo:
		e.Type = typeISO
	case *types.VmConfigFileInfo:
		e.Type = typeVMConfig
	case *types.VmLogFileInfo:
		e.Type = typeLog
	case *types.VmNvramFileInfo:
		e.Type = typeNvram
	case *types.VmSnapshotFileInfo:
		e.Type = typeSnapshot
	case *types.FloppyImageFileInfo:
		e.Type = typeFloppy
	default:
		e.Type = typeByName(name)
	}
	return e
}

var deltaDisk = regexp.MustCompile(`-\d{6}(-delta|-sesparse)?\.vmdk$`)

// typeByName types a file the browser did not (a plain file query).
func typeByName(name string) string {
	switch ext := strings.ToLower(path.Ext(name)); {
	case deltaDisk.MatchString(name), ext == ".vmsn", ext == ".vmem", ext == ".vmsd":
		return typeSnapshot
	case ext == ".vmdk":
		return typeDisk
	case ext == ".iso":
		return typeISO
	case ext == ".vmx":
		return typeVMConfig
	case ext == ".log":
		return typeLog
	case ext == ".nvram":
		return typeNvram
	case ext == ".flp", ext == ".img":
		return typeFloppy
	}
	return typeOther
}

// vmFiles are the files of the registered VMs that use a datastore.
type vmFiles struct {
	// owner maps "[ds] path" of each file to its VM.
	owner map[string]types.ManagedObjectReference
	// home maps each VM to its home folder (where its .vmx is).
	home  map[types.ManagedObjectReference]params.DatastorePath
	name  map[types.ManagedObjectReference]string // visible VMs only
	order []types.ManagedObjectReference
}

// readVMFiles reads the files of every VM registered on t (layoutEx, the
// config file and the disks' backings), whether the caller's scope shows
// the VM or not: a file of a hidden VM is still a VM's file. Only visible
// VMs are named.
func readVMFiles(ctx context.Context, c *vcenter.Conn, t dsTarget) (vmFiles, error) {
	out := vmFiles{owner: map[string]types.ManagedObjectReference{}, home: map[types.ManagedObjectReference]params.DatastorePath{}, name: map[types.ManagedObjectReference]string{}}
	if len(t.VMs) == 0 {
		return out, nil
	}
	objs, _, err := c.RetrieveMany(ctx, vcenter.UniqueRefs(t.VMs), []string{"layoutEx.file", "config.files.vmPathName", "config.hardware.device"})
	if err != nil {
		return out, fmt.Errorf("read the VMs of datastore %s: %w", toolkit.Path(t.Path), err)
	}
	add := func(vm types.ManagedObjectReference, name string) {
		p, err := params.ParseDatastorePath("file", name, "")
		if err != nil {
			return
		}
		out.owner[p.String()] = vm
	}
	for _, oc := range objs {
		vm := oc.Obj
		out.order = append(out.order, vm)
		if f, ok := vcenter.PropVal(oc, "layoutEx.file").(types.ArrayOfVirtualMachineFileLayoutExFileInfo); ok {
			for _, fi := range f.VirtualMachineFileLayoutExFileInfo {
				add(vm, fi.Name)
			}
		}
		if vmx, ok := vcenter.PropVal(oc, "config.files.vmPathName").(string); ok && vmx != "" {
			add(vm, vmx)
			if p, err := params.ParseDatastorePath("file", vmx, ""); err == nil {
				out.home[vm] = p.Parent()
			}
		}
		if devs, ok := vcenter.PropVal(oc, "config.hardware.device").(types.ArrayOfVirtualDevice); ok {
			for _, d := range devs.VirtualDevice {
				if disk, ok := d.(*types.VirtualDisk); ok {
					if b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
						add(vm, b.GetVirtualDeviceFileBackingInfo().FileName)
					}
				}
			}
		}
	}
	names, err := c.VisibleNames(ctx, out.order)
	if err != nil {
		return out, fmt.Errorf("read the VMs of datastore %s: %w", toolkit.Path(t.Path), err)
	}
	out.name = names
	return out, nil
}

// ownerOf is the VM a file belongs to: listed among its files, or lying in
// its home folder.
func (v vmFiles) ownerOf(p params.DatastorePath) (types.ManagedObjectReference, bool) {
	if vm, ok := v.owner[p.String()]; ok {
		return vm, true
	}
	for _, vm := range v.order {
		if h, ok := v.home[vm]; ok && h.Path != "" && p.Within(h) {
			return vm, true
		}
	}
	return types.ManagedObjectReference{}, false
}

// usedBy lists the VMs with a file at p or below it (p a file or folder):
// what deleting or moving p would break.
func (v vmFiles) usedBy(p params.DatastorePath) []types.ManagedObjectReference {
	seen := map[types.ManagedObjectReference]bool{}
	var out []types.ManagedObjectReference
	addVM := func(vm types.ManagedObjectReference) {
		if !seen[vm] {
			seen[vm] = true
			out = append(out, vm)
		}
	}
	for f, vm := range v.owner {
		if fp, err := params.ParseDatastorePath("file", f, ""); err == nil && fp.Within(p) {
			addVM(vm)
		}
	}
	for _, vm := range v.order {
		if h, ok := v.home[vm]; ok && h.Path != "" && (h.Within(p) || p.Within(h) && v.listed(p)) {
			addVM(vm)
		}
	}
	return out
}

func (v vmFiles) listed(p params.DatastorePath) bool {
	_, ok := v.owner[p.String()]
	return ok
}

// describe names VMs for a message: visible ones by name, the others as
// outside the scope.
func (v vmFiles) describe(vms []types.ManagedObjectReference) string {
	var names []string
	hidden := 0
	for _, vm := range vms {
		if n, ok := v.name[vm]; ok {
			names = append(names, toolkit.Name(n))
		} else {
			hidden++
		}
	}
	if hidden > 0 {
		names = append(names, fmt.Sprintf("%d VM(s) outside this profile's scope", hidden))
	}
	return strings.Join(names, ", ")
}

// explainFileFault turns the FileManager's faults into what to do; the
// fault stays in the chain (fault.Is sees it). A missing file is our own
// sentence: vCenter's message only repeats the path.
func explainFileFault(err error, where string) error {
	var msg string
	switch {
	case fault.Is(err, &types.FileNotFound{}):
		msg = notFoundText(where)
	case fault.Is(err, &types.FileAlreadyExists{}):
		msg = fmt.Sprintf("%s already exists: pass overwrite: true to replace it, or choose another name (%s)", toolkit.Path(where), vcenter.Explain(err))
	case fault.Is(err, &types.InvalidDatastore{}), fault.Is(err, &types.InvalidDatastorePath{}):
		msg = fmt.Sprintf("%s is not a path on a datastore of this datacenter: %s", toolkit.Path(where), vcenter.Explain(err))
	default:
		return err
	}
	return &vcenter.ExplainedError{Msg: msg, Err: err}
}

// notFoundText says that where ("[ds] dir/file") does not exist and which
// folder to list instead.
func notFoundText(where string) string {
	p, err := params.ParseDatastorePath("path", where, "")
	if err != nil {
		return fmt.Sprintf("%s does not exist; datastore_browse lists what is there", toolkit.Path(where))
	}
	return fmt.Sprintf("%s does not exist on datastore %s; datastore_browse path=%s lists what is there",
		toolkit.Path(p.String()), toolkit.Name(p.Datastore), toolkit.Quote(p.Parent().String(), toolkit.TextMax))
}
