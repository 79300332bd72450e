package ovf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/progress"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// leaseTick is how often a transfer tells vCenter (HttpNfcLeaseProgress,
// which also keeps the lease alive) and the client how far it got.
const leaseTick = 2 * time.Second

// importPackage imports pkg through an NFC lease: ImportVApp, wait for the
// lease, upload each file item it asks for with progress by bytes, and
// complete the lease. On any failure or cancellation it aborts the lease
// and removes the VM the import created, as vCenter does on abort (the
// simulator leaves it), and says so.
func importPackage(ctx context.Context, c *vcenter.Conn, pkg *params.OVFPackage, t *params.DeployTarget, spec *types.OvfCreateImportSpecResult, prog *guard.Progress) (types.ManagedObjectReference, int64, error) {
	leaseRef, err := importVApp(ctx, c, t, spec)
	if err != nil {
		return leaseRef, 0, err
	}
	lease := nfc.NewLease(c.Client, leaseRef)
	var total int64
	for _, it := range spec.FileItem {
		total += it.Size
	}
	prog.Report(1, "import lease requested")
	info, err := lease.Wait(ctx, spec.FileItem)
	if err != nil {
		return types.ManagedObjectReference{}, 0, abortImport(ctx, c, lease, nil, t, spec, fmt.Errorf("the import lease did not become ready: %w", err))
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
			case <-ctx.Done():
				return
			case <-tick.C:
				pct := percentOf(sent.Load(), total)
				_ = lease.Progress(ctx, pct)
				prog.Report(1+0.97*float64(pct), fmt.Sprintf("uploaded %s of %s", byteSize(sent.Load()), byteSize(total)))
			}
		}
	}()
	uerr := func() error {
		// vCenter learns the transfer started before the first byte.
		if err := lease.Progress(ctx, 0); err != nil {
			return fmt.Errorf("report progress to the import lease: %w", err)
		}
		for _, item := range info.Items {
			if err := uploadItem(ctx, lease, pkg, item, &sent); err != nil {
				return err
			}
			prog.Report(1+0.97*float64(percentOf(sent.Load(), total)), fmt.Sprintf("uploaded %s (%s of %s)", toolkit.Quote(item.Path, 0), byteSize(sent.Load()), byteSize(total)))
		}
		return nil
	}()
	close(stop)
	wg.Wait()
	if uerr == nil && ctx.Err() != nil {
		uerr = ctx.Err()
	}
	if uerr != nil {
		return types.ManagedObjectReference{}, sent.Load(), abortImport(ctx, c, lease, info, t, spec, uerr)
	}
	_ = lease.Progress(ctx, 100)
	if err := lease.Complete(ctx); err != nil {
		return types.ManagedObjectReference{}, sent.Load(), abortImport(ctx, c, lease, info, t, spec, fmt.Errorf("complete the import lease: %w", err))
	}
	prog.Report(98, "import complete")
	return info.Entity, sent.Load(), nil
}

func percentOf(n, total int64) int32 {
	if total <= 0 {
		return 0
	}
	return int32(min(100, n*100/total))
}

// uploadItem sends one file of the package to its device URL.
func uploadItem(ctx context.Context, lease *nfc.Lease, pkg *params.OVFPackage, item nfc.FileItem, sent *atomic.Int64) error {
	f, size, err := pkg.Open(item.Path)
	if err != nil {
		return fmt.Errorf("open %s of the package: %w", toolkit.Quote(item.Path, 0), err)
	}
	defer f.Close()
	vr, v := pkg.Verify(item.Path, f)
	r := &countingReader{r: vr, n: sent}
	opts := soap.Upload{ContentLength: size, Progress: drain{}}
	if err := lease.Upload(ctx, item, r, opts); err != nil {
		return fmt.Errorf("upload %s: %w", toolkit.Quote(item.Path, 0), err)
	}
	return v.Check()
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// drain is a progress sink that reads and drops govmomi's reports (the
// counting reader measures the transfer).
type drain struct{}

func (drain) Sink() chan<- progress.Report {
	ch := make(chan progress.Report)
	go func() {
		for range ch {
		}
	}()
	return ch
}

// abortImport aborts the lease and removes what the import created; the
// error says what happened and what is left.
func abortImport(ctx context.Context, c *vcenter.Conn, lease *nfc.Lease, info *nfc.LeaseInfo, t *params.DeployTarget, spec *types.OvfCreateImportSpecResult, cause error) error {
	// The call may be cancelled: clean up on a context that is not, with
	// the call's write permit.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	why := cause
	if errors.Is(cause, context.Canceled) || ctx.Err() != nil {
		why = errors.New("the deploy was cancelled")
	}
	var fault *types.LocalizedMethodFault
	if msg := why.Error(); msg != "" {
		fault = &types.LocalizedMethodFault{Fault: &types.RequestCanceled{}, LocalizedMessage: msg}
	}
	_ = lease.Abort(cctx, fault)
	ref, found := types.ManagedObjectReference{}, false
	if info != nil && info.Entity.Value != "" {
		ref, found = info.Entity, true
	} else if is, ok := spec.ImportSpec.(*types.VirtualMachineImportSpec); ok {
		if r, err := object.NewSearchIndex(c.Client).FindChild(cctx, t.Folder.Ref, is.ConfigSpec.Name); err == nil && r != nil {
			ref, found = r.Reference(), true
		}
	}
	if !found {
		return fmt.Errorf("%w; the import was aborted and no VM was left", why)
	}
	vm := object.NewVirtualMachine(c.Client, ref)
	task, err := vm.Destroy(cctx)
	if err == nil {
		err = task.Wait(cctx)
	}
	if err != nil && !vcenter.IsNotFound(err) && !toolkit.HasFault[*types.ManagedObjectNotFound](err) {
		return fmt.Errorf("%w; the import was aborted, but removing the half-imported VM %s failed (%v): delete it with vm_delete", why, ref.Value, err)
	}
	return fmt.Errorf("%w; the import was aborted and the half-imported VM removed", why)
}

// byteSize renders a transfer's size for progress messages.
func byteSize(n int64) string {
	if n >= 1<<30 {
		return toolkit.GiB(n) + " GB"
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
