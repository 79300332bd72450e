package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

const (
	defaultMaxWidth = 1024
	minMaxWidth     = 64
	maxMaxWidth     = 4096
	// maxScreenshotBytes bounds the download: a console PNG is a few
	// hundred KB to a few MB.
	maxScreenshotBytes = 32 << 20
	// maxScreenPixels bounds what is decoded (a 16K-wide console is far
	// beyond any real one).
	maxScreenPixels = 16384 * 16384
)

// ScreenshotArgs names the VM and the largest width the image may have.
type ScreenshotArgs struct {
	VM       string `json:"vm" jsonschema:"The VM: name, inventory path (/DC0/vm/web-01), ID (vm-42) or instance UUID"`
	MaxWidth int    `json:"max_width,omitempty" jsonschema:"Largest width in pixels of the image returned, 64-4096; a wider console is scaled down (keeping its aspect ratio). Default 1024"`
}

func (a *ScreenshotArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.MaxWidth != 0 && (a.MaxWidth < minMaxWidth || a.MaxWidth > maxMaxWidth) {
		return fmt.Errorf("max_width must be between %d and %d pixels (got %d); leave it out for %d", minMaxWidth, maxMaxWidth, a.MaxWidth, defaultMaxWidth)
	}
	return nil
}

func (a ScreenshotArgs) maxWidth() int {
	if a.MaxWidth == 0 {
		return defaultMaxWidth
	}
	return a.MaxWidth
}

// ScreenshotResult describes the image that follows the text as an MCP
// image content block.
type ScreenshotResult struct {
	VM             string `json:"vm"`
	ID             string `json:"id"`
	Path           string `json:"path"`
	MimeType       string `json:"mime_type" jsonschema:"The image's type: image/png"`
	Width          int    `json:"width" jsonschema:"Width in pixels of the image returned"`
	Height         int    `json:"height" jsonschema:"Height in pixels of the image returned"`
	Bytes          int    `json:"bytes" jsonschema:"Size of the PNG returned"`
	OriginalWidth  int    `json:"original_width" jsonschema:"Width of the console as captured"`
	OriginalHeight int    `json:"original_height" jsonschema:"Height of the console as captured"`
	Downscaled     bool   `json:"downscaled,omitempty"`
	Time           string `json:"time" jsonschema:"When vCenter captured it (RFC 3339, UTC)"`
	Task           string `json:"task,omitempty"`
	File           string `json:"file" jsonschema:"The datastore file vCenter wrote the screenshot to"`
	Removed        bool   `json:"removed" jsonschema:"Whether that file was deleted afterwards"`
	Warning        string `json:"warning,omitempty"`

	png []byte
}

func (r ScreenshotResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Screenshot of VM %s (%s) %s at %s: %dx%d PNG, %d bytes", toolkit.Name(r.VM), r.ID, toolkit.Path(r.Path), r.Time, r.Width, r.Height, r.Bytes)
	if r.Downscaled {
		fmt.Fprintf(&b, " (scaled down from %dx%d)", r.OriginalWidth, r.OriginalHeight)
	}
	b.WriteString("; the image follows.\n")
	if r.Warning != "" {
		b.WriteString("Warning: " + r.Warning + "\n")
	}
	return b.String()
}

// Image is the PNG, for the image content block.
func (r ScreenshotResult) Image() (string, []byte) { return "image/png", r.png }

func vmScreenshot() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_screenshot",
		Title: "Screenshot a VM's console",
		Description: "Capture what a VM's console shows (a login prompt, a BIOS screen, a boot menu, a crash) as a PNG image, " +
			"scaled down to max_width (default 1024) so it stays affordable; pair it with vm_send_keys. The VM must be powered on. " +
			"vCenter writes the capture to the VM's folder; it is downloaded and deleted there.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a ScreenshotArgs) (ScreenshotResult, error) {
		var out ScreenshotResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := readVM(ctx, c, a.VM)
			if err != nil {
				return err
			}
			if err := vm.needsConsole("capture"); err != nil {
				return err
			}
			out = ScreenshotResult{VM: vm.Name, ID: vm.ID(), Path: vm.Path, MimeType: "image/png"}
			return capture(ctx, c, vm, a.maxWidth(), &out)
		})
		return out, explain(err, "CreateScreenshot_Task")
	})
}

// capture takes the screenshot, downloads it, removes the file and
// scales the image into out. vCenter implements the capture as writes (a
// task that writes a file, and its deletion); this tool is a read for the
// policy, so it holds no write permit: each of the two writes passes the
// gate on a narrow permit for exactly that call (this VM; this file).
func capture(ctx context.Context, c *vcenter.Conn, vm consoleVM, maxWidth int, out *ScreenshotResult) error {
	shotCtx := vcenter.PermitOnly(ctx, "CreateScreenshot_Task", func(req soap.HasFault) bool {
		b, ok := req.(*methods.CreateScreenshot_TaskBody)
		return ok && b.Req != nil && b.Req.This == vm.Ref
	})
	res, err := methods.CreateScreenshot_Task(shotCtx, c.Client, &types.CreateScreenshot_Task{This: vm.Ref})
	if err != nil {
		return fmt.Errorf("capture the console of %s: %w", toolkit.Name(vm.Name), err)
	}
	task := object.NewTask(c.Client, res.Returnval)
	out.Task = task.Reference().Value
	info, err := guard.WaitTask(ctx, task, "screenshot of "+toolkit.Name(vm.Name), guard.NewProgress(ctx), 0, 80)
	if err != nil {
		return err
	}
	file, ok := info.Result.(string)
	var dsPath object.DatastorePath
	if !ok || !dsPath.FromString(file) || !strings.HasSuffix(strings.ToLower(dsPath.Path), ".png") {
		return fmt.Errorf("capture the console of %s: vCenter's task %s returned %s, not the datastore path of a PNG file", toolkit.Name(vm.Name), out.Task, toolkit.Quote(fmt.Sprint(info.Result), 200))
	}
	out.File = file
	out.Time = time.Now().UTC().Format(time.RFC3339)
	if info.CompleteTime != nil {
		out.Time = info.CompleteTime.UTC().Format(time.RFC3339)
	}
	dc, dcPath, err := datacenterOf(ctx, c, vm.Ref)
	if err != nil {
		return fmt.Errorf("find the datacenter of %s to download its screenshot %s: %w", toolkit.Name(vm.Name), toolkit.Path(file), err)
	}
	// Whatever happens to the download, the file goes.
	defer func() { remove(ctx, c, dc, file, out) }()

	data, err := download(ctx, c, dsPath, dcPath)
	if err != nil {
		return fmt.Errorf("download the screenshot %s of %s: %w", toolkit.Path(file), toolkit.Name(vm.Name), err)
	}
	return fitImage(data, maxWidth, out)
}

// datacenterOf finds the datacenter holding ref and its inventory path
// (what the datastore file access calls dcPath).
func datacenterOf(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference) (types.ManagedObjectReference, string, error) {
	anc, err := mo.Ancestors(ctx, c.Client, c.Client.ServiceContent.PropertyCollector, ref)
	if err != nil {
		return types.ManagedObjectReference{}, "", err
	}
	var names []string
	for i, e := range anc {
		if i == 0 {
			continue // the root folder
		}
		names = append(names, e.Name)
		if e.Self.Type == "Datacenter" {
			return e.Self, strings.Join(names, "/"), nil
		}
	}
	return types.ManagedObjectReference{}, "", errors.New("it is not in a datacenter")
}

// download reads a datastore file over vCenter's HTTP file access
// (/folder), with the session's cookie.
func download(ctx context.Context, c *vcenter.Conn, p object.DatastorePath, dcPath string) ([]byte, error) {
	u := c.Client.URL()
	u.Path = "/folder/" + p.Path
	u.RawQuery = url.Values{"dsName": {p.Datastore}, "dcPath": {dcPath}}.Encode()
	param := soap.DefaultDownload
	r, n, err := c.Client.Download(ctx, u, &param)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	if n > maxScreenshotBytes {
		return nil, fmt.Errorf("the file is %d bytes; the limit is %d", n, maxScreenshotBytes)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxScreenshotBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxScreenshotBytes {
		return nil, fmt.Errorf("the file is over %d bytes", maxScreenshotBytes)
	}
	return data, nil
}

// remove deletes the screenshot file, on a narrow permit for exactly that
// file; a failure is a warning in the result, not the call's failure.
func remove(ctx context.Context, c *vcenter.Conn, dc types.ManagedObjectReference, file string, out *ScreenshotResult) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	fm := *c.Client.ServiceContent.FileManager
	ctx = vcenter.PermitOnly(ctx, "DeleteDatastoreFile_Task", func(req soap.HasFault) bool {
		b, ok := req.(*methods.DeleteDatastoreFile_TaskBody)
		return ok && b.Req != nil && b.Req.This == fm && b.Req.Name == file && b.Req.Datacenter != nil && *b.Req.Datacenter == dc
	})
	task, err := object.NewFileManager(c.Client).DeleteDatastoreFile(ctx, file, object.NewDatacenter(c.Client, dc))
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		out.Warning = fmt.Sprintf("the screenshot file %s could not be deleted (%s); remove it with datastore_file_delete", toolkit.Path(file), vcenter.Explain(err))
		return
	}
	out.Removed = true
}

// fitImage decodes the PNG, scales it down to maxWidth when wider, and
// sets the image and its figures on out.
func fitImage(data []byte, maxWidth int, out *ScreenshotResult) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the screenshot is not a PNG image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxScreenPixels {
		return fmt.Errorf("the screenshot is %dx%d pixels, beyond what is decoded", cfg.Width, cfg.Height)
	}
	out.OriginalWidth, out.OriginalHeight = cfg.Width, cfg.Height
	if cfg.Width <= maxWidth {
		out.Width, out.Height, out.Bytes, out.png = cfg.Width, cfg.Height, len(data), data
		return nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("decode the screenshot: %w", err)
	}
	small := downscale(img, maxWidth)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, small); err != nil {
		return fmt.Errorf("encode the scaled screenshot: %w", err)
	}
	b := small.Bounds()
	out.Width, out.Height, out.Bytes, out.png, out.Downscaled = b.Dx(), b.Dy(), buf.Len(), buf.Bytes(), true
	return nil
}

// downscale scales src to width w (the height in proportion, at least
// one pixel) by averaging the source pixels each target pixel covers: the
// standard library has no resampler, and text on a console stays legible
// with an area average.
func downscale(src image.Image, w int) *image.NRGBA {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	h := max(1, (sh*w+sw/2)/sw)
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		y0, y1 := y*sh/h, (y+1)*sh/h
		y1 = max(y1, y0+1)
		for x := range w {
			x0, x1 := x*sw/w, (x+1)*sw/w
			x1 = max(x1, x0+1)
			var r, g, bl, al, n uint64
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					cr, cg, cb, ca := src.At(sb.Min.X+xx, sb.Min.Y+yy).RGBA()
					r, g, bl, al, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), al+uint64(ca), n+1
				}
			}
			i := dst.PixOffset(x, y)
			a := al / n
			if a == 0 {
				continue
			}
			// RGBA() is alpha-premultiplied; NRGBA stores straight alpha.
			dst.Pix[i+0] = uint8((r / n) * 0xff / a)
			dst.Pix[i+1] = uint8((g / n) * 0xff / a)
			dst.Pix[i+2] = uint8((bl / n) * 0xff / a)
			dst.Pix[i+3] = uint8(a >> 8)
		}
	}
	return dst
}
