package console

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// consoleVM is what every console tool reads of its VM first.
type consoleVM struct {
	vcenter.Object
	Power    types.VirtualMachinePowerState
	Question *types.VirtualMachineQuestionInfo
	Template bool
}

// readVM resolves ident (any identifier kind, through the role's scope)
// and reads its power state and pending question.
func readVM(ctx context.Context, c *vcenter.Conn, ident string) (consoleVM, error) {
	o, err := c.Resolve(ctx, "VirtualMachine", ident)
	if err != nil {
		return consoleVM{}, err
	}
	var vm mo.VirtualMachine
	if err := c.ReadOne(ctx, o, []string{"runtime.powerState", "runtime.question", "config.template"}, &vm); err != nil {
		return consoleVM{}, fmt.Errorf("read VM %s: %w", toolkit.Path(o.Path), err)
	}
	out := consoleVM{Object: o, Power: vm.Runtime.PowerState, Question: vm.Runtime.Question}
	if vm.Config != nil {
		out.Template = vm.Config.Template
	}
	return out, nil
}

// needsConsole refuses a VM without a running console: a template, or a
// VM that is off or suspended (its console shows nothing and takes no keys).
func (v consoleVM) needsConsole(doing string) error {
	if v.Template {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is a template: it has no console to %s; deploy a VM from it first", toolkit.Name(v.Name), doing)}
	}
	if v.Power != types.VirtualMachinePowerStatePoweredOn {
		return &toolkit.PlainError{Msg: fmt.Sprintf("%s is %s: its console is not running, so there is nothing to %s; power it on with vm_power_on first", toolkit.Name(v.Name), v.Power, doing)}
	}
	return nil
}

// explain turns a console method's fault into what to do about it.
func explain(err error, method string) error {
	if err == nil {
		return nil
	}
	var re toolkit.ResultError
	var pe *toolkit.PlainError
	var ee *toolkit.ExplainedError
	if errors.As(err, &re) || errors.As(err, &pe) || errors.As(err, &ee) || toolkit.FaultName(err) == "" {
		return err
	}
	msg := toolkit.ExplainNamed(err)
	switch {
	case toolkit.HasFault[*types.MethodNotFound](err):
		msg = fmt.Sprintf("this vCenter does not implement %s (MethodNotFound), so the console cannot be used here. "+
			"The embedded simulator (--simulator) has no VM consoles: its VMs run no guest and show no screen. "+
			"A real vCenter or ESXi host answers this", method)
	case toolkit.HasFault[*types.InvalidPowerState](err):
		msg += ": the VM's console runs only while it is powered on; check it with vm_get"
	case toolkit.HasFault[*types.NoPermission](err):
		msg += ": the vCenter user of this profile lacks the privilege for the console (VirtualMachine.Interact.ConsoleInteract, or .PutUsbScanCodes for keys, .AnswerQuestion for questions, .CreateScreenshot for screenshots)"
	}
	return &toolkit.ExplainedError{Msg: strings.TrimSpace(msg)}
}
