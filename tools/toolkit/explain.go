package toolkit

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ExplainNamed is vcenter.Explain, plus the fault's type name when the
// message does not carry it, so every vCenter fault comes back named.
func ExplainNamed(err error) string {
	msg := vcenter.Explain(err)
	if name := FaultName(err); name != "" && !strings.Contains(msg, name) {
		msg += " (" + name + ")"
	}
	return msg
}

// FaultName is the type name of the vCenter fault in err, or "".
func FaultName(err error) string {
	if err == nil {
		return ""
	}
	var f types.BaseMethodFault
	if _, ok := fault.As(err, &f); ok && f != nil {
		return FaultTypeName(f)
	}
	return ""
}

func FaultTypeName(f any) string {
	name := fmt.Sprintf("%T", f)
	return name[strings.LastIndex(name, ".")+1:]
}

// ExplainedError carries a message already explained for the model (and,
// optionally, the fault it explains): vcenter's one type for it.
type ExplainedError = vcenter.ExplainedError

// PlainError is an error already explained for the model: Explain leaves
// it as it is (it wraps no fault, so no generic advice is appended).
type PlainError struct{ Msg string }

func (e *PlainError) Error() string { return e.Msg }

// HasFault reports whether err carries a fault of type T (a fault type,
// or a Base* interface to match its subtypes too).
func HasFault[T any](err error) bool {
	found := false
	fault.In(err, func(f types.BaseMethodFault, _ string, _ []types.LocalizableMessage) bool {
		_, found = f.(T)
		return found
	})
	return found
}
