package vcenter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// ErrorText is err's message for the model or a person. The messages of
// vCenter faults in it are vCenter's own words, which may quote any name
// or annotation: they come quoted and labelled as data. The rest is ours,
// and every vCenter string in it was escaped where it was written
// (textsafe), so it passes as it is. Use it wherever an error becomes text:
// err.Error() would let a fault's message through raw.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, t := range faultTexts(err) {
		if i := strings.LastIndex(msg, t); i >= 0 {
			// Quoted always: our words follow it on the line.
			msg = msg[:i] + "vCenter message" + textsafe.DataTag + ": " + textsafe.Quote(t, textsafe.TextMax) + msg[i+len(t):]
		}
	}
	return msg
}

// faulted is an error that carries a vCenter fault (a SOAP fault, a task's
// error); its text is vCenter's.
type faulted interface {
	error
	Fault() types.BaseMethodFault
}

// faultTexts lists the messages of the outermost faulted errors in err's
// tree (their own text includes whatever they wrap), without the ones that
// are only the fault's type name.
func faultTexts(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if _, ok := e.(*ExplainedError); ok {
			return // its text is ours, the fault in it already quoted
		}
		var f faulted
		if errors.As(e, &f) && f == e {
			t := f.Error()
			if t != "" && (f.Fault() == nil || !isTypeName(t, f.Fault())) {
				out = append(out, t)
			}
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// isTypeName: t is only the fault's type name, as the simulator's task
// errors say it ("*types.FileNotFound"), not a message.
func isTypeName(t string, f types.BaseMethodFault) bool {
	return t == typeName(f) || t == fmt.Sprintf("%T", f)
}

// ExplainedError is an error whose message already explains its vCenter
// fault for the model (what failed, what to do), over the fault itself so
// fault.Is still sees it. ErrorText and Explain leave its text as it is:
// its vCenter strings were escaped where it was written, and its advice is
// not appended a second time.
type ExplainedError struct {
	Msg string
	Err error
}

func (e *ExplainedError) Error() string { return e.Msg }
func (e *ExplainedError) Unwrap() error { return e.Err }

func typeName(v any) string {
	name := fmt.Sprintf("%T", v)
	return name[strings.LastIndex(name, ".")+1:]
}
