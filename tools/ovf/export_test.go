package ovf

import (
	"archive/tar"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// exportEnv serves this toolset as vm-admin on the simulator extended
// with ExportVm and CreateDescriptor, with one local directory allowed.
func exportEnv(t *testing.T) *env {
	e, _ := exportEnvX(t)
	return e
}

func exportEnvX(t *testing.T) (*env, *exports) {
	t.Helper()
	m, x := extendExport(t)
	dir := t.TempDir()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	lf := toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{dir}, Write: []string{dir}}}
	e := &env{Env: toolstest.NewOn(t, served(), toolstest.Options{Policy: p, LocalFiles: lf}, m), dir: dir}
	e.Sim.Model.Service.Handle("/ovfexport/", x)
	return e, x
}

// poweredOff returns the path of a powered-off demo VM, powering one off
// when none is.
func (e *env) poweredOff() string {
	e.T.Helper()
	const path = "/DC0/vm/DC0_C0_RP1_VM2"
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	if err != nil {
		e.T.Fatal(err)
	}
	if e.PowerState(path) != "poweredOff" {
		task, err := vm.PowerOff(e.Ctx)
		if err == nil {
			err = task.Wait(e.Ctx)
		}
		if err != nil {
			e.T.Fatal(err)
		}
	}
	return path
}

// manifest reads "SHA256(name)= digest" lines.
func manifest(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var name, sum string
		if _, err := fmt.Sscanf(strings.Replace(strings.Replace(line, "SHA256(", "", 1), ")=", " ", 1), "%s %s", &name, &sum); err != nil {
			t.Fatalf("manifest line %q: %v", line, err)
		}
		out[name] = sum
	}
	return out
}

func digest(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }

func TestOVFExport(t *testing.T) {
	t.Parallel()
	e := exportEnv(t)
	vmPath := e.poweredOff()
	name := filepath.Base(vmPath)

	var out OVFExportResult
	text := e.OK("ovf_export", map[string]any{"vm": vmPath, "local_path": e.dir}, &out)
	toolstest.MustContain(t, text, "Exported VM "+name, "as ovf")
	mfText, err := os.ReadFile(filepath.Join(e.dir, name+".mf"))
	if err != nil {
		t.Fatal(err)
	}
	sums := manifest(t, string(mfText))
	if len(sums) != 2 || len(out.Files) != 3 {
		t.Fatalf("manifest %v, files %+v", sums, out.Files)
	}
	for file, sum := range sums {
		b, err := os.ReadFile(filepath.Join(e.dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if digest(b) != sum {
			t.Errorf("%s: manifest says %s, file is %s", file, sum, digest(b))
		}
		if strings.HasSuffix(file, ".vmdk") && string(b[:4]) != "KDMV" {
			t.Errorf("%s is not a sparse VMDK", file)
		}
	}
	// The descriptor describes the VM.
	var m mo.VirtualMachine
	vm, _ := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, vmPath)
	if err := vm.Properties(e.Ctx, vm.Reference(), []string{"config.hardware"}, &m); err != nil {
		t.Fatal(err)
	}
	var sum OVFInspectResult
	e.OK("ovf_inspect", map[string]any{"source": filepath.Join(e.dir, name+".ovf")}, &sum)
	if sum.CPUs != int64(m.Config.Hardware.NumCPU) || sum.MemoryMB != int64(m.Config.Hardware.MemoryMB) || len(sum.Disks) != 1 {
		t.Errorf("exported descriptor %+v", sum.OVFSummary)
	}

	// Again: the files exist, so nothing is written without overwrite.
	toolstest.MustContain(t, e.Fails("ovf_export", map[string]any{"vm": vmPath, "local_path": e.dir}), "overwrite")
	e.OK("ovf_export", map[string]any{"vm": vmPath, "local_path": e.dir, "overwrite": true}, &out)

	// As an OVA, deployed again.
	var ova OVFExportResult
	e.OK("ovf_export", map[string]any{"vm": vmPath, "local_path": filepath.Join(e.dir, "copy.ova"), "format": "ova"}, &ova)
	f, err := os.Open(ova.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	if len(names) != 3 || names[0] != "copy.ovf" || names[1] != "copy.mf" {
		t.Errorf("OVA entries %v", names)
	}
	var dep OVFDeployResult
	e.OK("ovf_deploy", map[string]any{"source": ova.Path, "name": "copy-01", "cluster": cluster}, &dep)
	if dep.CPUs != m.Config.Hardware.NumCPU || dep.MemoryMB != m.Config.Hardware.MemoryMB || dep.Disks != 1 || !e.Exists("/DC0/vm/copy-01") {
		t.Errorf("re-deployed %+v", dep)
	}

	// Refusals: a powered-on VM; nothing partial is left.
	if err := vmPowerOn(e, "/DC0/vm/copy-01"); err != nil {
		t.Fatal(err)
	}
	toolstest.MustContain(t, e.Fails("ovf_export", map[string]any{"vm": "/DC0/vm/copy-01", "local_path": e.dir, "format": "ova", "overwrite": true}), "powered-off")
	toolstest.MustContain(t, e.Fails("ovf_export", map[string]any{"vm": vmPath, "local_path": "/tmp"}), "local_files")
	entries, _ := os.ReadDir(e.dir)
	var left []string
	for _, de := range entries {
		left = append(left, de.Name())
	}
	sort.Strings(left)
	for _, n := range left {
		if strings.HasPrefix(n, ".") {
			t.Errorf("partial file left: %s (all: %v)", n, left)
		}
	}
}

func vmPowerOn(e *env, path string) error {
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, path)
	if err != nil {
		return err
	}
	task, err := vm.PowerOn(e.Ctx)
	if err != nil {
		return err
	}
	return task.Wait(e.Ctx)
}

// TestOVFExportInterrupted: a download cut off half-way fails the export,
// which aborts its lease and leaves nothing in the directory.
func TestOVFExportInterrupted(t *testing.T) {
	t.Parallel()
	e, x := exportEnvX(t)
	vmPath := e.poweredOff()
	x.mu.Lock()
	x.cut = true
	x.mu.Unlock()
	for _, format := range []string{"ovf", "ova"} {
		text := e.Fails("ovf_export", map[string]any{"vm": vmPath, "local_path": e.dir, "format": format})
		toolstest.MustContain(t, text, "nothing was written")
		if entries, _ := os.ReadDir(e.dir); len(entries) != 0 {
			t.Errorf("%s: an interrupted export left %v", format, entries)
		}
	}
}
