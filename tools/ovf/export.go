package ovf

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// OVFExportArgs name the VM and where its package goes.
type OVFExportArgs struct {
	VM        string `json:"vm" jsonschema:"The powered-off VM: name, inventory path, ID or UUID"`
	LocalPath string `json:"local_path" jsonschema:"Local directory to write into (or, with format ova, a .ova file name); must be inside an allowed local directory (MCP roots or the profile's local_files.write)"`
	Format    string `json:"format,omitempty" jsonschema_description:"ovf (default): NAME.ovf, its disks and NAME.mf in local_path; ova: one NAME.ova" jsonschema:"enum=ovf,enum=ova"`
	Overwrite bool   `json:"overwrite,omitempty" jsonschema:"Replace local files of the same names; by default an existing file is refused"`
}

func (a *OVFExportArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.LocalPath) == "" {
		return errors.New("local_path is required: the local directory to export into")
	}
	if a.Format != "" && a.Format != "ovf" && a.Format != "ova" {
		return errors.New("format must be ovf or ova")
	}
	return nil
}

// ExportedFile is one file written.
type ExportedFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// OVFExportResult says what was written.
type OVFExportResult struct {
	VM     string         `json:"vm"`
	ID     string         `json:"id"`
	Format string         `json:"format"`
	Path   string         `json:"path" jsonschema:"The .ova, or the .ovf descriptor"`
	Files  []ExportedFile `json:"files" jsonschema:"The package's files (inside the .ova for format ova), with the SHA-256 digests of the manifest"`
	Bytes  int64          `json:"bytes"`
}

// Text renders the export.
func (r OVFExportResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Exported VM %s (%s) as %s to %s, %s GB\n", toolkit.Name(r.VM), r.ID, r.Format, toolkit.Quote(r.Path, 0), toolkit.GiB(r.Bytes))
	t := toolkit.NewTable("file", "bytes", "sha256")
	for _, f := range r.Files {
		t.Row(f.Name, toolkit.I64toa(f.Bytes), f.SHA256)
	}
	b.WriteString(t.String())
	return b.String()
}

func ovfExport() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "ovf_export",
		Title: "Export a VM as OVF or OVA to local files",
		Description: "Export a powered-off VM to a local directory as an OVF package (NAME.ovf, its disks and a SHA-256 manifest NAME.mf), or with format ova as one NAME.ova, " +
			"which ovf_deploy can deploy again. Writes local files only inside allowed directories; existing files are kept unless overwrite. " +
			"Takes as long as the disks' download; progress by bytes; a failed or cancelled export leaves no partial files.",
		Risk:       policy.RiskWrite,
		Background: true,
	}, func(ctx context.Context, d toolkit.Deps, a OVFExportArgs) (OVFExportResult, error) {
		format := a.Format
		if format == "" {
			format = "ovf"
		}
		target, err := params.LocalPath(ctx, d, "local_path", a.LocalPath, localfiles.Write)
		if err != nil {
			return OVFExportResult{}, err
		}
		out := OVFExportResult{Format: format, Files: []ExportedFile{}}
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "VirtualMachine", a.VM)
			if err != nil {
				return err
			}
			out.VM, out.ID = o.Name, o.ID()
			var m mo.VirtualMachine
			if err := c.ReadRef(ctx, o.Ref, []string{"runtime.powerState", "config.template"}, &m); err != nil {
				return fmt.Errorf("read VM %s: %w", toolkit.Path(o.Path), err)
			}
			if m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s is %s; vCenter exports only powered-off VMs (InvalidPowerState): shut it down first (vm_shutdown_guest or vm_power_off)", toolkit.Path(o.Path), m.Runtime.PowerState)}
			}
			plan, err := planExport(target, o.Name, format, a.Overwrite)
			if err != nil {
				return err
			}
			if err := guard.ActOn(ctx, fmt.Sprintf("Export VM %s to local %s", toolkit.Path(o.Path), toolkit.Quote(plan.final(), 0)), o); err != nil {
				return err
			}
			return runExport(ctx, c, o, plan, &out)
		})
		return out, err
	})
}

// exportPlan is where an export writes.
type exportPlan struct {
	dir, name, format string
	ova               string // the .ova's path for format ova
	overwrite         bool
}

func (p exportPlan) final() string {
	if p.format == "ova" {
		return p.ova
	}
	return filepath.Join(p.dir, p.name+".ovf")
}

// planExport decides the file names and refuses existing ones up front.
func planExport(target, vmName, format string, overwrite bool) (exportPlan, error) {
	name, err := localfiles.SafeName(vmName)
	if err != nil {
		name = "vm"
	}
	name = strings.Map(func(r rune) rune {
		if r == ' ' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|' {
			return '_'
		}
		return r
	}, name)
	p := exportPlan{dir: target, name: name, format: format, overwrite: overwrite}
	if st, err := os.Stat(target); err != nil || !st.IsDir() {
		if format != "ova" || !strings.EqualFold(filepath.Ext(target), ".ova") {
			return p, &toolkit.ArgError{Msg: fmt.Sprintf("local_path %s is not an existing directory (with format ova it may also name a new .ova file)", toolkit.Quote(target, 0))}
		}
		p.dir, p.ova = filepath.Dir(target), target
		p.name = strings.TrimSuffix(filepath.Base(target), filepath.Ext(target))
	} else if format == "ova" {
		p.ova = filepath.Join(target, name+".ova")
	}
	if format == "ova" {
		return p, localfiles.Exists(p.ova, overwrite)
	}
	for _, f := range []string{p.name + ".ovf", p.name + ".mf"} {
		if err := localfiles.Exists(filepath.Join(p.dir, f), overwrite); err != nil {
			return p, err
		}
	}
	return p, nil
}

// runExport takes the VM's disks through an export lease into a temporary
// directory beside the target, has vCenter describe the VM with them, and
// writes the package; whatever goes wrong, the temporary directory goes
// and no final file is left half-written.
func runExport(ctx context.Context, c *vcenter.Conn, o vcenter.Object, p exportPlan, out *OVFExportResult) error {
	tmp, err := os.MkdirTemp(p.dir, ".ovf-export-*")
	if err != nil {
		return fmt.Errorf("create a temporary directory in %s: %w", toolkit.Quote(p.dir, 0), err)
	}
	defer os.RemoveAll(tmp)
	lease, err := object.NewVirtualMachine(c.Client, o.Ref).Export(ctx)
	if err != nil {
		return fmt.Errorf("start the export of %s (ExportVm): %w", toolkit.Path(o.Path), err)
	}
	prog := guard.NewProgress(ctx)
	info, err := lease.Wait(ctx, nil)
	if err != nil {
		abortLease(ctx, lease)
		return fmt.Errorf("the export lease of %s did not become ready: %w", toolkit.Path(o.Path), err)
	}
	var total int64
	for _, it := range info.Items {
		total += it.Size
	}
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(leaseTick)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				pct := percentOf(sent.Load(), total)
				_ = lease.Progress(ctx, pct)
				prog.Report(float64(pct)*0.95, fmt.Sprintf("downloaded %s of %s", byteSize(sent.Load()), byteSize(total)))
			}
		}
	}()
	var files []types.OvfFile
	var disks []ExportedFile
	derr := func() error {
		for i, it := range info.Items {
			name := fmt.Sprintf("%s-disk-%d.vmdk", p.name, i)
			f, err := download(ctx, c, it, filepath.Join(tmp, name), &sent)
			if err != nil {
				return err
			}
			f.Name = name
			disks = append(disks, f)
			files = append(files, types.OvfFile{DeviceId: it.DeviceId, Path: name, Size: f.Bytes})
		}
		return nil
	}()
	close(stop)
	wg.Wait()
	if derr == nil && ctx.Err() != nil {
		derr = ctx.Err()
	}
	if derr != nil {
		abortLease(ctx, lease)
		if errors.Is(derr, context.Canceled) {
			derr = errors.New("the export was cancelled")
		}
		return fmt.Errorf("%w; nothing was written", derr)
	}
	desc, err := ovf.NewManager(c.Client).CreateDescriptor(ctx, o.Ref, types.OvfCreateDescriptorParams{Name: p.name, OvfFiles: files})
	if err == nil && len(desc.Error) > 0 {
		err = errors.New(strings.Join(faultTexts(desc.Error), "; "))
	}
	if err != nil {
		abortLease(ctx, lease)
		return fmt.Errorf("vCenter did not describe %s (CreateDescriptor): %w; nothing was written", toolkit.Path(o.Path), err)
	}
	if err := lease.Complete(ctx); err != nil {
		return fmt.Errorf("complete the export lease: %w; nothing was written", err)
	}
	descName := p.name + ".ovf"
	sum := sha256.Sum256([]byte(desc.OvfDescriptor))
	ovfFile := ExportedFile{Name: descName, Bytes: int64(len(desc.OvfDescriptor)), SHA256: hex.EncodeToString(sum[:])}
	var mf strings.Builder
	for _, f := range append([]ExportedFile{ovfFile}, disks...) {
		fmt.Fprintf(&mf, "SHA256(%s)= %s\n", f.Name, f.SHA256)
	}
	mfSum := sha256.Sum256([]byte(mf.String()))
	mfFile := ExportedFile{Name: p.name + ".mf", Bytes: int64(mf.Len()), SHA256: hex.EncodeToString(mfSum[:])}
	out.Files = append(append([]ExportedFile{ovfFile}, disks...), mfFile)
	for _, f := range out.Files {
		out.Bytes += f.Bytes
	}
	if p.format == "ova" {
		out.Path = p.ova
		return writeOVAFile(p, tmp, desc.OvfDescriptor, mf.String(), disks)
	}
	out.Path = filepath.Join(p.dir, descName)
	return writeOVFFiles(p, tmp, desc.OvfDescriptor, mf.String(), disks)
}

func abortLease(ctx context.Context, lease *nfc.Lease) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = lease.Abort(cctx, nil)
}

// download fetches one disk of the export into path, hashing it.
func download(ctx context.Context, c *vcenter.Conn, it nfc.FileItem, path string, sent *atomic.Int64) (ExportedFile, error) {
	body, _, err := c.Client.Download(ctx, it.URL, &soap.DefaultDownload)
	if err != nil {
		return ExportedFile{}, fmt.Errorf("download disk %s: %w", toolkit.Quote(it.Path, 0), err)
	}
	defer body.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return ExportedFile{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), &countingReader{r: body, n: sent})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ExportedFile{}, fmt.Errorf("download disk %s: %w", toolkit.Quote(it.Path, 0), err)
	}
	return ExportedFile{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeOVFFiles moves the disks into place and writes the descriptor and
// manifest; on failure the files already placed are removed again.
func writeOVFFiles(p exportPlan, tmp, desc, mf string, disks []ExportedFile) error {
	var placed []string
	fail := func(err error) error {
		for _, f := range placed {
			_ = os.Remove(f)
		}
		return fmt.Errorf("%w; the files written so far were removed", err)
	}
	for _, d := range disks {
		final := filepath.Join(p.dir, d.Name)
		if err := localfiles.Exists(final, p.overwrite); err != nil {
			return fail(err)
		}
		if err := os.Rename(filepath.Join(tmp, d.Name), final); err != nil {
			return fail(fmt.Errorf("move %s into place: %w", toolkit.Quote(d.Name, 0), err))
		}
		placed = append(placed, final)
	}
	for _, f := range []struct{ name, text string }{{p.name + ".ovf", desc}, {p.name + ".mf", mf}} {
		w, err := localfiles.Create(filepath.Join(p.dir, f.name), p.overwrite)
		if err != nil {
			return fail(err)
		}
		if _, err := io.WriteString(w, f.text); err != nil {
			w.Abort()
			return fail(err)
		}
		if err := w.Commit(); err != nil {
			return fail(err)
		}
		placed = append(placed, w.Final())
	}
	return nil
}

// writeOVAFile writes the .ova: descriptor first, then the manifest and the
// disks, as OVF 1.x requires.
func writeOVAFile(p exportPlan, tmp, desc, mf string, disks []ExportedFile) error {
	w, err := localfiles.Create(p.ova, p.overwrite)
	if err != nil {
		return err
	}
	defer w.Abort()
	tw := tar.NewWriter(w)
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Format: tar.FormatUSTAR, ModTime: time.Now()}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := add(p.name+".ovf", int64(len(desc)), strings.NewReader(desc)); err != nil {
		return fmt.Errorf("write %s: %w", toolkit.Quote(p.ova, 0), err)
	}
	if err := add(p.name+".mf", int64(len(mf)), strings.NewReader(mf)); err != nil {
		return fmt.Errorf("write %s: %w", toolkit.Quote(p.ova, 0), err)
	}
	for _, d := range disks {
		f, err := os.Open(filepath.Join(tmp, d.Name))
		if err != nil {
			return err
		}
		err = add(d.Name, d.Bytes, f)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("write %s: %w", toolkit.Quote(p.ova, 0), err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", toolkit.Quote(p.ova, 0), err)
	}
	return w.Commit()
}
