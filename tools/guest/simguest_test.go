package guest

// A guest OS for the simulator, in test code.
//
// Why this and not the simulator's own guest operations: vcsim runs them
// only for container-backed VMs, by shelling out to docker (absent here and
// in CI), its StartProgramInGuest panics for any other VM, it accepts any
// password, and its guest auth manager is nil. So these tests replace the
// simulator's GuestFileManager and GuestProcessManager (same managed object
// references, in the model's registry, as the simulator's
// example_extend_test.go does for a VM) with ones backed by a temporary
// directory and a few programs written in Go, and serve the file transfer
// URLs from an HTTP handler on the simulator's own server. The real request
// path still runs: our tools → govmomi's guest package → SOAP → these
// managers, and HTTP GET/PUT for file contents. They answer as ESXi does:
// InvalidGuestLogin for a wrong password, FileNotFound, FileAlreadyExists,
// NotAFile, GuestProcessNotFound, "." and ".." in a directory listing,
// matchPattern as a regular expression, processes that ended kept with
// their exit code.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const transferPath = "/test-guestFile"

// fakeGuest is the guest OS of the VMs in vms: one filesystem under root,
// one process table, one account.
type fakeGuest struct {
	root       string
	user, pass string

	mu        sync.Mutex
	vms       map[types.ManagedObjectReference]bool
	windows   map[types.ManagedObjectReference]bool
	procs     map[int64]*fakeProc
	nextPID   int64
	transfers map[string]transfer
	nextXfer  int
	logins    int // refused logins
	started   []string
}

type fakeProc struct {
	pid        int64
	name, cmd  string
	owner      string
	start, end time.Time
	exit       int32
	cancel     context.CancelFunc
	done       chan struct{}
}

type transfer struct {
	path   string
	upload bool
	perm   os.FileMode
}

// installGuest gives vms a guest OS, with Tools running and guest
// operations ready, as a booted Linux VM reports them.
func installGuest(m *simulator.Model, gomRef types.ManagedObjectReference, root, user, pass string, vms ...types.ManagedObjectReference) *fakeGuest {
	g := &fakeGuest{root: root, user: user, pass: pass, vms: map[types.ManagedObjectReference]bool{}, windows: map[types.ManagedObjectReference]bool{}, procs: map[int64]*fakeProc{}, nextPID: 100, transfers: map[string]transfer{}}
	for _, d := range []string{"tmp", "etc", "var/log"} {
		_ = os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	// Long-running system processes.
	for i, p := range []string{"/sbin/init", "/usr/sbin/sshd", "/usr/sbin/nginx"} {
		ctx, cancel := context.WithCancel(context.Background())
		proc := &fakeProc{pid: int64(i + 1), name: path.Base(p), cmd: p, owner: "root", start: time.Now().Add(-time.Hour), cancel: cancel, done: make(chan struct{})}
		go func() { <-ctx.Done(); g.finish(proc, 137) }()
		g.procs[proc.pid] = proc
	}
	reg := m.Map()
	gom := reg.Get(gomRef).(*simulator.GuestOperationsManager)
	fm := &fakeFileManager{g: g}
	fm.Self = *gom.FileManager
	reg.Put(fm)
	pm := &fakeProcessManager{g: g}
	pm.Self = *gom.ProcessManager
	reg.Put(pm)
	for _, ref := range vms {
		g.vms[ref] = true
		vm := reg.Get(ref).(*simulator.VirtualMachine)
		ready := true
		vm.Guest = &types.GuestInfo{
			ToolsStatus:          types.VirtualMachineToolsStatusToolsOld,
			ToolsVersion:         "12352",
			ToolsVersionStatus2:  string(types.VirtualMachineToolsVersionStatusGuestToolsSupportedOld),
			ToolsRunningStatus:   string(types.VirtualMachineToolsRunningStatusGuestToolsRunning),
			GuestFamily:          string(types.VirtualMachineGuestOsFamilyLinuxGuest),
			GuestFullName:        "Ubuntu Linux (64-bit)",
			HostName:             vm.Name + ".lab",
			IpAddress:            "192.0.2.10",
			GuestState:           "running",
			GuestOperationsReady: &ready,
			Net:                  []types.GuestNicInfo{{Network: "VM Network", MacAddress: "00:50:56:aa:bb:cc", IpAddress: []string{"192.0.2.10"}, Connected: true}},
		}
	}
	m.Service.Handle(transferPath, http.HandlerFunc(g.serveTransfer))
	return g
}

// makeWindows turns vm's guest into Windows: cmd.exe runs programs and
// paths are C:\… (they share the one filesystem: C:\x is /C/x).
func (g *fakeGuest) makeWindows(m *simulator.Model, vm types.ManagedObjectReference) {
	g.mu.Lock()
	g.windows[vm] = true
	g.mu.Unlock()
	_ = os.MkdirAll(filepath.Join(g.root, "C", "Windows", "Temp"), 0o755)
	v := m.Map().Get(vm).(*simulator.VirtualMachine)
	v.Guest.GuestFamily = string(types.VirtualMachineGuestOsFamilyWindowsGuest)
	v.Guest.GuestFullName = "Microsoft Windows Server 2022 (64-bit)"
}

// local maps a guest path to the host.
func (g *fakeGuest) local(p string) (string, types.BaseMethodFault) {
	if len(p) >= 3 && p[1] == ':' && p[2] == '\\' {
		p = "/" + strings.ToUpper(p[:1]) + "/" + strings.ReplaceAll(p[3:], "\\", "/")
	}
	if !strings.HasPrefix(p, "/") {
		return "", &types.InvalidArgument{InvalidProperty: "path"}
	}
	return filepath.Join(g.root, filepath.FromSlash(path.Clean(p))), nil
}

// check answers what ESXi checks before any guest operation.
func (g *fakeGuest) check(ctx *simulator.Context, vmRef types.ManagedObjectReference, auth types.BaseGuestAuthentication) types.BaseMethodFault {
	vm, ok := ctx.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: vmRef}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.vms[vmRef] {
		return &types.GuestOperationsUnavailable{}
	}
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: vm.Runtime.PowerState}
	}
	a, ok := auth.(*types.NamePasswordAuthentication)
	if !ok || a.Username != g.user || a.Password != g.pass {
		g.logins++
		return &types.InvalidGuestLogin{}
	}
	return nil
}

func notFound(p string) types.BaseMethodFault {
	return &types.FileNotFound{FileFault: types.FileFault{File: p}}
}

func exists(p string) types.BaseMethodFault {
	return &types.FileAlreadyExists{FileFault: types.FileFault{File: p}}
}

func (g *fakeGuest) url(id string) string {
	return "https://*" + transferPath + "?id=" + url.QueryEscape(id)
}

func (g *fakeGuest) addTransfer(t transfer) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.nextXfer++
	id := strconv.Itoa(g.nextXfer)
	g.transfers[id] = t
	return id
}

// serveTransfer serves a transfer URL once: GET downloads, PUT uploads.
func (g *fakeGuest) serveTransfer(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	g.mu.Lock()
	t, ok := g.transfers[id]
	delete(g.transfers, id)
	g.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "unknown transfer", http.StatusNotFound)
	case t.upload && r.Method == http.MethodPut:
		b, err := io.ReadAll(r.Body)
		if err == nil {
			err = os.WriteFile(t.path, b, t.perm)
		}
		if err == nil {
			err = os.Chmod(t.path, t.perm)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	case !t.upload && r.Method == http.MethodGet:
		b, err := os.ReadFile(t.path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
	default:
		http.Error(w, "wrong method", http.StatusMethodNotAllowed)
	}
}

// ---- file manager ----

type fakeFileManager struct {
	mo.GuestFileManager
	g *fakeGuest
}

func (m *fakeFileManager) InitiateFileTransferToGuest(ctx *simulator.Context, req *types.InitiateFileTransferToGuest) soap.HasFault {
	body := &methods.InitiateFileTransferToGuestBody{}
	if f := m.g.check(ctx, req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	p, f := m.g.local(req.GuestFilePath)
	if f == nil {
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			f = &types.NotAFile{FileFault: types.FileFault{File: req.GuestFilePath}}
		case err == nil && !req.Overwrite:
			f = exists(req.GuestFilePath)
		}
		if _, err := os.Stat(filepath.Dir(p)); f == nil && err != nil {
			f = notFound(path.Dir(req.GuestFilePath))
		}
	}
	if f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	perm := os.FileMode(0o644)
	if a, ok := req.FileAttributes.(*types.GuestPosixFileAttributes); ok && a.Permissions != 0 {
		perm = os.FileMode(a.Permissions)
	}
	id := m.g.addTransfer(transfer{path: p, upload: true, perm: perm})
	body.Res = &types.InitiateFileTransferToGuestResponse{Returnval: m.g.url(id)}
	return body
}

func (m *fakeFileManager) InitiateFileTransferFromGuest(ctx *simulator.Context, req *types.InitiateFileTransferFromGuest) soap.HasFault {
	body := &methods.InitiateFileTransferFromGuestBody{}
	if f := m.g.check(ctx, req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	p, f := m.g.local(req.GuestFilePath)
	var st os.FileInfo
	if f == nil {
		var err error
		switch st, err = os.Stat(p); {
		case err != nil:
			f = notFound(req.GuestFilePath)
		case st.IsDir():
			f = &types.NotAFile{FileFault: types.FileFault{File: req.GuestFilePath}}
		}
	}
	if f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	id := m.g.addTransfer(transfer{path: p})
	body.Res = &types.InitiateFileTransferFromGuestResponse{Returnval: types.FileTransferInformation{
		Attributes: posixAttrs(st), Size: st.Size(), Url: m.g.url(id),
	}}
	return body
}

func posixAttrs(st os.FileInfo) *types.GuestPosixFileAttributes {
	uid, gid := int32(0), int32(0)
	return &types.GuestPosixFileAttributes{
		GuestFileAttributes: types.GuestFileAttributes{ModificationTime: types.NewTime(st.ModTime())},
		OwnerId:             &uid, GroupId: &gid, Permissions: int64(st.Mode().Perm()),
	}
}

func fileInfo(name string, st os.FileInfo) types.GuestFileInfo {
	typ := string(types.GuestFileTypeFile)
	switch {
	case st.IsDir():
		typ = string(types.GuestFileTypeDirectory)
	case st.Mode()&os.ModeSymlink != 0:
		typ = string(types.GuestFileTypeSymlink)
	}
	return types.GuestFileInfo{Path: name, Type: typ, Size: st.Size(), Attributes: posixAttrs(st)}
}

func (m *fakeFileManager) ListFilesInGuest(ctx *simulator.Context, req *types.ListFilesInGuest) soap.HasFault {
	body := &methods.ListFilesInGuestBody{}
	fault := func(f types.BaseMethodFault) soap.HasFault { body.Fault_ = simulator.Fault("", f); return body }
	if f := m.g.check(ctx, req.Vm, req.Auth); f != nil {
		return fault(f)
	}
	p, f := m.g.local(req.FilePath)
	if f != nil {
		return fault(f)
	}
	pattern := req.MatchPattern
	if pattern == "" {
		pattern = ".*"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fault(&types.InvalidArgument{InvalidProperty: "matchPattern"})
	}
	st, err := os.Lstat(p)
	if err != nil {
		return fault(notFound(req.FilePath))
	}
	var all []types.GuestFileInfo
	if !st.IsDir() {
		all = []types.GuestFileInfo{fileInfo(filepath.Base(p), st)}
	} else {
		all = append(all, fileInfo(".", st))
		if pst, err := os.Stat(filepath.Dir(p)); err == nil {
			all = append(all, fileInfo("..", pst))
		}
		ents, _ := os.ReadDir(p)
		for _, e := range ents {
			if info, err := e.Info(); err == nil {
				all = append(all, fileInfo(e.Name(), info))
			}
		}
	}
	all = slices.DeleteFunc(all, func(f types.GuestFileInfo) bool { return !re.MatchString(f.Path) })
	start := min(int(req.Index), len(all))
	n := int(req.MaxResults)
	if n <= 0 {
		n = 50
	}
	end := min(start+n, len(all))
	body.Res = &types.ListFilesInGuestResponse{Returnval: types.GuestListFileInfo{Files: all[start:end], Remaining: int32(len(all) - end)}}
	return body
}

func (m *fakeFileManager) fsOp(ctx *simulator.Context, vm types.ManagedObjectReference, auth types.BaseGuestAuthentication, op func() types.BaseMethodFault) *soap.Fault {
	if f := m.g.check(ctx, vm, auth); f != nil {
		return simulator.Fault("", f)
	}
	if f := op(); f != nil {
		return simulator.Fault("", f)
	}
	return nil
}

func (m *fakeFileManager) MakeDirectoryInGuest(ctx *simulator.Context, req *types.MakeDirectoryInGuest) soap.HasFault {
	body := &methods.MakeDirectoryInGuestBody{}
	body.Fault_ = m.fsOp(ctx, req.Vm, req.Auth, func() types.BaseMethodFault {
		p, f := m.g.local(req.DirectoryPath)
		if f != nil {
			return f
		}
		if req.CreateParentDirectories {
			if os.MkdirAll(p, 0o755) != nil {
				return exists(req.DirectoryPath)
			}
			return nil
		}
		if _, err := os.Stat(p); err == nil {
			return exists(req.DirectoryPath)
		}
		if os.Mkdir(p, 0o755) != nil {
			return notFound(path.Dir(req.DirectoryPath))
		}
		return nil
	})
	if body.Fault_ == nil {
		body.Res = &types.MakeDirectoryInGuestResponse{}
	}
	return body
}

func (m *fakeFileManager) DeleteFileInGuest(ctx *simulator.Context, req *types.DeleteFileInGuest) soap.HasFault {
	body := &methods.DeleteFileInGuestBody{}
	body.Fault_ = m.fsOp(ctx, req.Vm, req.Auth, func() types.BaseMethodFault {
		p, f := m.g.local(req.FilePath)
		if f != nil {
			return f
		}
		st, err := os.Lstat(p)
		switch {
		case err != nil:
			return notFound(req.FilePath)
		case st.IsDir():
			return &types.NotAFile{FileFault: types.FileFault{File: req.FilePath}}
		}
		_ = os.Remove(p)
		return nil
	})
	if body.Fault_ == nil {
		body.Res = &types.DeleteFileInGuestResponse{}
	}
	return body
}

func (m *fakeFileManager) DeleteDirectoryInGuest(ctx *simulator.Context, req *types.DeleteDirectoryInGuest) soap.HasFault {
	body := &methods.DeleteDirectoryInGuestBody{}
	body.Fault_ = m.fsOp(ctx, req.Vm, req.Auth, func() types.BaseMethodFault {
		p, f := m.g.local(req.DirectoryPath)
		if f != nil {
			return f
		}
		st, err := os.Stat(p)
		switch {
		case err != nil:
			return notFound(req.DirectoryPath)
		case !st.IsDir():
			return &types.NotADirectory{FileFault: types.FileFault{File: req.DirectoryPath}}
		case req.Recursive:
			_ = os.RemoveAll(p)
		case os.Remove(p) != nil:
			return &types.DirectoryNotEmpty{FileFault: types.FileFault{File: req.DirectoryPath}}
		}
		return nil
	})
	if body.Fault_ == nil {
		body.Res = &types.DeleteDirectoryInGuestResponse{}
	}
	return body
}

func (m *fakeFileManager) move(src, dst string, dir, overwrite bool) types.BaseMethodFault {
	s, f := m.g.local(src)
	if f != nil {
		return f
	}
	d, f := m.g.local(dst)
	if f != nil {
		return f
	}
	st, err := os.Stat(s)
	switch {
	case err != nil:
		return notFound(src)
	case st.IsDir() != dir && dir:
		return &types.NotADirectory{FileFault: types.FileFault{File: src}}
	case st.IsDir() != dir:
		return &types.NotAFile{FileFault: types.FileFault{File: src}}
	}
	if _, err := os.Stat(d); err == nil && (dir || !overwrite) {
		return exists(dst)
	}
	if os.Rename(s, d) != nil {
		return notFound(path.Dir(dst))
	}
	return nil
}

func (m *fakeFileManager) MoveFileInGuest(ctx *simulator.Context, req *types.MoveFileInGuest) soap.HasFault {
	body := &methods.MoveFileInGuestBody{}
	body.Fault_ = m.fsOp(ctx, req.Vm, req.Auth, func() types.BaseMethodFault {
		return m.move(req.SrcFilePath, req.DstFilePath, false, req.Overwrite)
	})
	if body.Fault_ == nil {
		body.Res = &types.MoveFileInGuestResponse{}
	}
	return body
}

func (m *fakeFileManager) MoveDirectoryInGuest(ctx *simulator.Context, req *types.MoveDirectoryInGuest) soap.HasFault {
	body := &methods.MoveDirectoryInGuestBody{}
	body.Fault_ = m.fsOp(ctx, req.Vm, req.Auth, func() types.BaseMethodFault {
		return m.move(req.SrcDirectoryPath, req.DstDirectoryPath, true, false)
	})
	if body.Fault_ == nil {
		body.Res = &types.MoveDirectoryInGuestResponse{}
	}
	return body
}

func (m *fakeFileManager) CreateTemporaryFileInGuest(ctx *simulator.Context, req *types.CreateTemporaryFileInGuest) soap.HasFault {
	body := &methods.CreateTemporaryFileInGuestBody{}
	var name string
	body.Fault_ = m.fsOp(ctx, req.Vm, req.Auth, func() types.BaseMethodFault {
		dir := req.DirectoryPath
		m.g.mu.Lock()
		win := m.g.windows[req.Vm]
		m.g.mu.Unlock()
		switch {
		case dir == "" && win:
			dir = `C:\Windows\Temp`
		case dir == "":
			dir = "/tmp"
		}
		d, f := m.g.local(dir)
		if f != nil {
			return f
		}
		tf, err := os.CreateTemp(d, req.Prefix+"*"+req.Suffix)
		if err != nil {
			return notFound(dir)
		}
		_ = tf.Close()
		name = path.Join(dir, filepath.Base(tf.Name()))
		if win {
			name = dir + `\` + filepath.Base(tf.Name())
		}
		return nil
	})
	if body.Fault_ == nil {
		body.Res = &types.CreateTemporaryFileInGuestResponse{Returnval: name}
	}
	return body
}

// ---- process manager ----

type fakeProcessManager struct {
	mo.GuestProcessManager
	g *fakeGuest
}

// program is a guest program: it writes to stdout and stderr and returns
// its exit code; ctx ends when the process is terminated.
type program func(ctx context.Context, args []string, env []string, cwd string, stdout, stderr io.Writer) int32

var programs = map[string]program{
	`C:\Windows\System32\whoami.exe`: func(_ context.Context, args, _ []string, _ string, out, _ io.Writer) int32 {
		fmt.Fprintf(out, "lab\\ops %s\r\n", strings.Join(args, "|"))
		return 0
	},
	"/bin/echo": func(_ context.Context, args, _ []string, _ string, out, _ io.Writer) int32 {
		fmt.Fprintln(out, strings.Join(args, " "))
		return 0
	},
	// fail writes its second argument to stderr and exits with the first.
	"/usr/bin/fail": func(_ context.Context, args, _ []string, _ string, out, errw io.Writer) int32 {
		code, _ := strconv.Atoi(args[0])
		fmt.Fprintln(out, "some output")
		fmt.Fprintln(errw, strings.Join(args[1:], " "))
		return int32(code)
	},
	"/bin/sleep": func(ctx context.Context, args, _ []string, _ string, _, _ io.Writer) int32 {
		s, _ := strconv.ParseFloat(args[0], 64)
		select {
		case <-ctx.Done():
			return 137
		case <-time.After(time.Duration(s * float64(time.Second))):
			return 0
		}
	},
	// spew writes N numbered lines.
	"/usr/bin/spew": func(_ context.Context, args, _ []string, _ string, out, _ io.Writer) int32 {
		n, _ := strconv.Atoi(args[0])
		for i := range n {
			fmt.Fprintf(out, "line %05d\n", i)
		}
		return 0
	},
	"/usr/bin/env": func(_ context.Context, _, env []string, cwd string, out, _ io.Writer) int32 {
		fmt.Fprintf(out, "cwd=%s\n", cwd)
		for _, e := range env {
			fmt.Fprintln(out, e)
		}
		return 0
	},
	// printf writes its argument as it is (escapes and all).
	"/usr/bin/printf": func(_ context.Context, args, _ []string, _ string, out, _ io.Writer) int32 {
		fmt.Fprint(out, strings.Join(args, ""))
		return 0
	},
}

func (m *fakeProcessManager) StartProgramInGuest(ctx *simulator.Context, req *types.StartProgramInGuest) soap.HasFault {
	body := &methods.StartProgramInGuestBody{}
	if f := m.g.check(ctx, req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	spec := req.Spec.GetGuestProgramSpec()
	prog, args := spec.ProgramPath, shellWords(spec.Arguments)
	var outFile, errFile string
	if prog == "/bin/sh" && len(args) == 2 && args[0] == "-c" {
		words := shellWords(args[1])
		args = nil
		for _, w := range words {
			switch {
			case strings.HasPrefix(w, "2>"):
				errFile = w[2:]
			case strings.HasPrefix(w, ">"):
				outFile = w[1:]
			default:
				args = append(args, w)
			}
		}
		if len(args) == 0 {
			body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "arguments"})
			return body
		}
		prog, args = args[0], args[1:]
	}
	if prog == `C:\Windows\System32\cmd.exe` {
		line, ok := strings.CutPrefix(spec.Arguments, `/S /C "`)
		if !ok || !strings.HasSuffix(line, `"`) {
			body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "arguments"})
			return body
		}
		words := windowsWords(strings.TrimSuffix(line, `"`))
		args = nil
		for i := 0; i < len(words); i++ {
			switch words[i] {
			case ">":
				i++
				outFile = words[i]
			case "2>":
				i++
				errFile = words[i]
			default:
				args = append(args, words[i])
			}
		}
		prog, args = args[0], args[1:]
	}
	g := m.g
	g.mu.Lock()
	g.nextPID++
	pctx, cancel := context.WithCancel(context.Background())
	proc := &fakeProc{pid: g.nextPID, name: path.Base(prog), cmd: strings.TrimSpace(spec.ProgramPath + " " + spec.Arguments), owner: g.user, start: time.Now(), cancel: cancel, done: make(chan struct{})}
	g.procs[proc.pid] = proc
	g.started = append(g.started, spec.ProgramPath+" "+spec.Arguments)
	g.mu.Unlock()
	var stdout, stderr bytes.Buffer
	write := func(guestPath string, b []byte) {
		if guestPath == "" {
			return
		}
		if p, f := g.local(guestPath); f == nil {
			_ = os.WriteFile(p, b, 0o600)
		}
	}
	go func() {
		code := int32(127)
		if prog == "/bin/cat" && len(args) == 1 {
			code = 1
			if p, f := g.local(args[0]); f == nil {
				if b, err := os.ReadFile(p); err == nil {
					stdout.Write(b)
					code = 0
				}
			}
		} else if run, ok := programs[prog]; ok {
			code = run(pctx, args, spec.EnvVariables, spec.WorkingDirectory, &stdout, &stderr)
		} else {
			fmt.Fprintf(&stderr, "sh: 1: %s: not found\n", prog)
		}
		write(outFile, stdout.Bytes())
		write(errFile, stderr.Bytes())
		g.finish(proc, code)
	}()
	body.Res = &types.StartProgramInGuestResponse{Returnval: proc.pid}
	return body
}

func (g *fakeGuest) finish(p *fakeProc, code int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.end.IsZero() {
		p.end, p.exit = time.Now(), code
		close(p.done)
	}
}

func (m *fakeProcessManager) ListProcessesInGuest(ctx *simulator.Context, req *types.ListProcessesInGuest) soap.HasFault {
	body := &methods.ListProcessesInGuestBody{}
	if f := m.g.check(ctx, req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	m.g.mu.Lock()
	defer m.g.mu.Unlock()
	res := &types.ListProcessesInGuestResponse{}
	for _, p := range m.g.procs {
		if len(req.Pids) > 0 && !slices.Contains(req.Pids, p.pid) {
			continue
		}
		info := types.GuestProcessInfo{Name: p.name, Pid: p.pid, Owner: p.owner, CmdLine: p.cmd, StartTime: p.start}
		if !p.end.IsZero() {
			info.EndTime, info.ExitCode = types.NewTime(p.end), p.exit
		}
		res.Returnval = append(res.Returnval, info)
	}
	body.Res = res
	return body
}

func (m *fakeProcessManager) TerminateProcessInGuest(ctx *simulator.Context, req *types.TerminateProcessInGuest) soap.HasFault {
	body := &methods.TerminateProcessInGuestBody{}
	if f := m.g.check(ctx, req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	m.g.mu.Lock()
	p, ok := m.g.procs[req.Pid]
	m.g.mu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("", &types.GuestProcessNotFound{Pid: req.Pid})
		return body
	}
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
	}
	body.Res = &types.TerminateProcessInGuestResponse{}
	return body
}

// shellWords splits s as /bin/sh does for the quoting our tools write:
// single quotes, double quotes, backslashes, blanks between words.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			in = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// windowsWords splits a command line as CommandLineToArgvW does for the
// quoting our tools write (words in double quotes, backslashes before a
// closing quote doubled), keeping > and 2> as words.
func windowsWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				i-- // the quote is handled next
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
				i--
			}
			in = true
		case c == '"':
			quoted = !quoted
			in = true
		case (c == ' ' || c == '\t') && !quoted:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
