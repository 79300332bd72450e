package ovf

import (
	"archive/tar"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/vmware/govmomi/vmdk"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// env is this toolset's server on its own simulator (see toolstest.Env).
type env struct {
	*toolstest.Env
	// dir is the local directory the profile lets the tools read and write.
	dir string
}

func served() []toolkit.Tool { return toolstest.Tools(Toolset()) }

// newEnv starts the demo simulator with a server under p (nil: viewer)
// whose profile allows one local directory, read and write.
func newEnv(t *testing.T, p *guard.Policy, elicit client.ElicitationHandler) *env {
	t.Helper()
	dir := t.TempDir()
	o := toolstest.Options{Policy: p, Elicit: elicit, LocalFiles: toolstest.LocalFiles{Dirs: localfiles.Dirs{Read: []string{dir}, Write: []string{dir}}}}
	return &env{Env: toolstest.NewOn(t, served(), o), dir: dir}
}

func (e *env) at(t *testing.T) *env { return &env{Env: e.At(t), dir: e.dir} }

// cluster is where the demo inventory's deploys go (it has several).
const cluster = "/DC0/host/DC0_C0"

// The appliance fixtures are toolstest's (the library toolset uploads the same).
const appliance = toolstest.ApplianceOVF

var (
	writeVMDK = toolstest.WriteVMDK
	writeOVF  = toolstest.WriteOVF
	writeOVA  = toolstest.WriteOVA
)

// writeStreamVMDK writes data as a streamOptimized VMDK.
func writeStreamVMDK(path string, data []byte) error {
	w, err := vmdk.NewStreamOptimizedWriter(path, 1<<20)
	if err != nil {
		return err
	}
	if err := w.Write(strings.NewReader(string(data))); err != nil {
		return err
	}
	return w.Close()
}

// tamperOVA rewrites the OVA at path with the manifest's digest of entry
// changed, as if the file had been altered after packing.
func tamperOVA(t testing.TB, path, entry string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	type ent struct {
		name string
		b    []byte
	}
	var ents []ent
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if strings.HasSuffix(h.Name, ".mf") {
			var out []string
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if strings.Contains(line, "("+entry+")") {
					line = line[:strings.Index(line, "= ")+2] + strings.Repeat("0", 64)
				}
				out = append(out, line)
			}
			b = []byte(strings.Join(out, "\n") + "\n")
		}
		ents = append(ents, ent{h.Name, b})
	}
	_ = f.Close()
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(w)
	for _, e := range ents {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.b))}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write(e.b)
	}
	_ = tw.Close()
	_ = w.Close()
}
