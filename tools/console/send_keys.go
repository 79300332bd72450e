package console

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// SendKeysArgs are what to type: text first, then keys.
type SendKeysArgs struct {
	VM   string   `json:"vm" jsonschema:"The VM: name, inventory path (/DC0/vm/web-01), ID (vm-42) or instance UUID"`
	Text string   `json:"text,omitempty" jsonschema:"Characters to type, as on a US keyboard (printable ASCII; newline is Enter, tab is Tab), up to 4096; typed before keys"`
	Keys []string `json:"keys,omitempty" jsonschema:"Keys to press after text, in order: names (enter, esc, tab, space, backspace, delete, insert, home, end, pgup, pgdn, up, down, left, right, f1-f12), single characters, or chords joined by + (ctrl+alt+delete, ctrl+c, alt+f4, shift+tab); up to 256"`
}

func (a *SendKeysArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if a.Text == "" && len(a.Keys) == 0 {
		return fmt.Errorf("nothing to send: give text (characters to type) and/or keys (e.g. [\"enter\"])")
	}
	_, err := parseKeys(a.Text, a.Keys)
	return err
}

// SendKeysResult says how many keys reached the console.
type SendKeysResult struct {
	VM   string `json:"vm"`
	ID   string `json:"id"`
	Path string `json:"path"`
	Sent int    `json:"sent" jsonschema:"Key events vCenter accepted"`
	Of   int    `json:"of" jsonschema:"Key events asked for"`
}

func (r SendKeysResult) Text() string {
	s := fmt.Sprintf("Sent %d of %d keys to the console of VM %s (%s) %s", r.Sent, r.Of, toolkit.Name(r.VM), r.ID, toolkit.Path(r.Path))
	if r.Sent < r.Of {
		s += "; the rest were not accepted: check the console with vm_screenshot before sending more"
	} else {
		s += "; check the effect with vm_screenshot"
	}
	return s + "\n"
}

func vmSendKeys() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_send_keys",
		Title: "Type into a VM's console",
		Description: "Type text and press keys on a VM's console as a person at its keyboard would, without VMware Tools: " +
			"a boot menu, a BIOS setup, a login prompt, ctrl+alt+delete. text is typed first (US layout), then keys. " +
			"Keystrokes can do anything a person at the console can; see the effect with vm_screenshot. The VM must be powered on.",
		Risk: policy.RiskDestructive,
	}, func(ctx context.Context, d toolkit.Deps, a SendKeysArgs) (SendKeysResult, error) {
		strokes, err := parseKeys(a.Text, a.Keys)
		if err != nil {
			return SendKeysResult{}, &toolkit.ArgError{Msg: err.Error()}
		}
		var out SendKeysResult
		err = d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := readVM(ctx, c, a.VM)
			if err != nil {
				return err
			}
			if err := vm.needsConsole("type into"); err != nil {
				return err
			}
			if err := guard.Act(ctx, fmt.Sprintf("Send %d keystrokes to the console of VM %s", len(strokes), toolkit.Path(vm.Path)), vm.Object); err != nil {
				return err
			}
			spec := types.UsbScanCodeSpec{}
			for _, k := range strokes {
				spec.KeyEvents = append(spec.KeyEvents, k.event())
			}
			out = SendKeysResult{VM: vm.Name, ID: vm.ID(), Path: vm.Path, Of: len(strokes)}
			res, err := methods.PutUsbScanCodes(ctx, c.Client, &types.PutUsbScanCodes{This: vm.Ref, Spec: spec})
			if err != nil {
				return fmt.Errorf("send keys to %s: %w", toolkit.Name(vm.Name), err)
			}
			out.Sent = int(res.Returnval)
			return nil
		})
		return out, explain(err, "PutUsbScanCodes")
	})
}
