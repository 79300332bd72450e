package vm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// What the VM lifecycle tools share (vm_create, vm_clone, vm_reconfigure,
// vm_rename, vm_migrate, vm_move, vm_mark_template, vm_mark_vm, vm_delete:
// a file each, or a pair). Each resolves its targets, checks what vCenter would refuse and says so
// in plain words, authorizes with act/actOn, then runs and waits for the
// vCenter task through waitTask (progress, task ID, cancellation).

const (
	maxCPUs     = 768
	maxMemoryMB = 24 << 20 // 24 TB
	maxDiskGB   = 62 << 10 // 62 TB, VMFS 6
	minMemoryMB = 4

	defaultCPUs      = 1
	defaultMemoryMB  = 1024
	defaultDiskGB    = 16
	defaultGuestOS   = "otherGuest64"
	defaultDiskCtlr  = "pvscsi"
	cloneProgressEnd = 90 // of 100, when a power-on follows
)

func checkCPUs(arg string, n int32) error {
	if n < 1 || n > maxCPUs {
		return fmt.Errorf("%s must be between 1 and %d (got %d)", arg, maxCPUs, n)
	}
	return nil
}

func checkMemory(arg string, mb int64) error {
	if mb < minMemoryMB || mb > maxMemoryMB {
		return fmt.Errorf("%s must be between %d and %d MB (got %d)", arg, minMemoryMB, maxMemoryMB, mb)
	}
	if mb%4 != 0 {
		return fmt.Errorf("%s must be a multiple of 4 MB (got %d); vSphere sizes memory in 4 MB steps, e.g. %d", arg, mb, mb-mb%4)
	}
	return nil
}

// vmStateProps are what the lifecycle tools read of a VM before acting.
var vmStateProps = []string{
	"name", "parent", "config.template", "runtime.powerState", "runtime.host", "resourcePool", "datastore",
}

func readVMProps(ctx context.Context, c *vcenter.Conn, o vcenter.Object, props []string) (*mo.VirtualMachine, error) {
	var mvm mo.VirtualMachine
	if err := c.ReadOne(ctx, o, props, &mvm); err != nil {
		return nil, err
	}
	return &mvm, nil
}

func isTemplate(m *mo.VirtualMachine) bool { return m.Config != nil && m.Config.Template }

// describeRef names an object for a result, or gives its ID when it
// cannot be read.
func describeRef(ctx context.Context, c *vcenter.Conn, ref *types.ManagedObjectReference) string {
	if ref == nil {
		return ""
	}
	o, err := c.Describe(ctx, *ref)
	if err != nil {
		return ref.Value
	}
	return o.Path
}

// ---------------------------------------------------------------- vm_create

// explainText is the explanation of a lifecycle fault as text.
func explainText(err error, vm string) string {
	var pe *toolkit.PlainError
	if errors.As(params.ExplainVMFault(err, vm, ""), &pe) {
		return pe.Msg
	}
	return vcenter.Explain(err)
}

// writeDefaults writes the defaults chosen, one line each; their vCenter
// paths were escaped when they were written, Line keeps each on its line.
func writeDefaults(b *strings.Builder, defaults []string) {
	for _, d := range defaults {
		b.WriteString("default: " + toolkit.Line(d, 0) + "\n")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ----------------------------------------------------------------- vm_clone

// ----------------------------------------------------------- vm_reconfigure

// ---------------------------------------------------------------- vm_rename

// ------------------------------------------------------------------ vm_move

// --------------------------------------------------------- vm_mark_template

// --------------------------------------------------------------- vm_mark_vm

// --------------------------------------------------------------- vm_migrate
