package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// vcsim has no VM consoles: no CreateScreenshot_Task, PutUsbScanCodes,
// AcquireTicket or AnswerVM, and its VMs never ask questions. consoleSim
// gives the VMs of a test's simulator what vCenter answers, so the tools'
// real request path runs: a registry handler hands the console methods to
// a wrapper embedding vcsim's VirtualMachine, put into the caller's
// session registry (which the dispatcher prefers; see DESIGN.md §6).
//
// It stays in test code: the embedded --simulator is a demo whose VMs run
// no guest, and a made-up screen or keyboard there would be fake output;
// the tools answer it honestly that it has no console (MethodNotFound).

// Screen is the size of the screenshots the simulated consoles take.
const screenW, screenH = 1600, 1200

// consoleSim records what the simulated consoles were asked.
type consoleSim struct {
	mu      sync.Mutex
	keys    map[string][]types.UsbScanCodeSpecKeyEvent // by VM ID
	tickets []string
	shots   []string // local files written
	answers map[string]string
}

var consoleMethods = map[string]bool{"CreateScreenshot_Task": true, "PutUsbScanCodes": true, "AcquireTicket": true, "AnswerVM": true}

func installConsoles(m *simulator.Model) *consoleSim {
	s := &consoleSim{keys: map[string][]types.UsbScanCodeSpecKeyEvent{}, answers: map[string]string{}}
	m.Map().Handler = func(ctx *simulator.Context, meth *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if meth.This.Type != "VirtualMachine" || !consoleMethods[meth.Name] || ctx.Session == nil {
			return nil, nil
		}
		return toolstest.Wrap(ctx, meth.This, func(vm *simulator.VirtualMachine) *vmConsole { return &vmConsole{VirtualMachine: vm, sim: s} })
	}
	return s
}

func (s *consoleSim) keysOf(id string) []types.UsbScanCodeSpecKeyEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]types.UsbScanCodeSpecKeyEvent(nil), s.keys[id]...)
}

// vmConsole is a vcsim VM with a console.
type vmConsole struct {
	*simulator.VirtualMachine
	sim *consoleSim
}

func (vm *vmConsole) off() types.BaseMethodFault {
	if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
		return nil
	}
	return &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: vm.Runtime.PowerState}
}

// CreateScreenshotTask writes a PNG of the screen into the VM's folder
// and returns its datastore path, as vCenter does ("[ds] vm/vm-1.png").
func (vm *vmConsole) CreateScreenshotTask(ctx *simulator.Context, req *types.CreateScreenshot_Task) soap.HasFault {
	task := simulator.CreateTask(req.This, "createScreenshot", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		if f := vm.off(); f != nil {
			return nil, f
		}
		var vmx object.DatastorePath
		if vm.Config == nil || !vmx.FromString(vm.Config.Files.VmPathName) {
			return nil, &types.InvalidState{}
		}
		var dir string
		for _, o := range ctx.Map.All("Datastore") {
			if ds, ok := o.(*simulator.Datastore); ok && ds.Name == vmx.Datastore {
				dir = ds.Summary.Url
			}
		}
		if dir == "" {
			return nil, &types.NotFound{}
		}
		vm.sim.mu.Lock()
		n := len(vm.sim.shots) + 1
		vm.sim.mu.Unlock()
		rel := path.Join(path.Dir(vmx.Path), fmt.Sprintf("%s-%d.png", vm.Name, n))
		local := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.WriteFile(local, testScreen(screenW, screenH), 0o600); err != nil {
			return nil, &types.CannotAccessFile{FileFault: types.FileFault{File: rel}}
		}
		vm.sim.mu.Lock()
		vm.sim.shots = append(vm.sim.shots, local)
		vm.sim.mu.Unlock()
		return (&object.DatastorePath{Datastore: vmx.Datastore, Path: rel}).String(), nil
	})
	return &methods.CreateScreenshot_TaskBody{Res: &types.CreateScreenshot_TaskResponse{Returnval: task.Run(ctx)}}
}

// PutUsbScanCodes records the key events and answers how many it took.
func (vm *vmConsole) PutUsbScanCodes(req *types.PutUsbScanCodes) soap.HasFault {
	body := &methods.PutUsbScanCodesBody{}
	if f := vm.off(); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	vm.sim.mu.Lock()
	vm.sim.keys[vm.Self.Value] = append(vm.sim.keys[vm.Self.Value], req.Spec.KeyEvents...)
	vm.sim.mu.Unlock()
	body.Res = &types.PutUsbScanCodesResponse{Returnval: int32(len(req.Spec.KeyEvents))}
	return body
}

// AcquireTicket issues a fresh WebMKS or MKS ticket for a running VM.
func (vm *vmConsole) AcquireTicket(req *types.AcquireTicket) soap.HasFault {
	body := &methods.AcquireTicketBody{}
	if req.TicketType != string(types.VirtualMachineTicketTypeWebmks) && req.TicketType != string(types.VirtualMachineTicketTypeMks) {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "ticketType"})
		return body
	}
	if vm.off() != nil {
		body.Fault_ = simulator.Fault("", &types.InvalidState{})
		return body
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	ticket := "webmks-" + hex.EncodeToString(b)
	vm.sim.mu.Lock()
	vm.sim.tickets = append(vm.sim.tickets, ticket)
	vm.sim.mu.Unlock()
	body.Res = &types.AcquireTicketResponse{Returnval: types.VirtualMachineTicket{
		Ticket: ticket, Host: "esx-01.example.com", Port: 443, SslThumbprint: "AA:BB:CC:DD",
	}}
	return body
}

// AnswerVM answers the pending question: InvalidArgument for another
// question's ID or a choice it does not offer (as vCenter answers),
// otherwise the question is cleared from runtime.question.
func (vm *vmConsole) AnswerVM(ctx *simulator.Context, req *types.AnswerVM) soap.HasFault {
	body := &methods.AnswerVMBody{}
	q := vm.Runtime.Question
	if q == nil || q.Id != req.QuestionId {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "questionId"})
		return body
	}
	ok := false
	for _, c := range q.Choice.ChoiceInfo {
		ok = ok || c.GetElementDescription().Key == req.AnswerChoice
	}
	if !ok {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "answerChoice"})
		return body
	}
	vm.sim.mu.Lock()
	vm.sim.answers[vm.Self.Value] = req.AnswerChoice
	vm.sim.mu.Unlock()
	vm.Runtime.Question = nil
	vm.Summary.Runtime.Question = nil
	body.Res = &types.AnswerVMResponse{}
	return body
}

// ask makes the VM called name block on q, as vCenter does when a VM's
// files were copied ("moved or copied?").
func (e *env) ask(name string, q *types.VirtualMachineQuestionInfo) types.ManagedObjectReference {
	e.T.Helper()
	for _, o := range e.model.Map().All("VirtualMachine") {
		vm, ok := o.(*simulator.VirtualMachine)
		if !ok || vm.Name != name {
			continue
		}
		sctx := &simulator.Context{Context: context.Background(), Map: e.model.Map()}
		e.model.Map().WithLock(sctx, vm.Self, func() {
			vm.Runtime.Question = q
			vm.Summary.Runtime.Question = q
		})
		return vm.Self
	}
	e.T.Fatalf("no VM %s in the model", name)
	return types.ManagedObjectReference{}
}

// movedOrCopied is the question vCenter asks of a VM whose files were
// copied.
func movedOrCopied(id string) *types.VirtualMachineQuestionInfo {
	return &types.VirtualMachineQuestionInfo{
		Id:   id,
		Text: "This virtual machine might have been moved or copied.",
		Choice: types.ChoiceOption{
			ChoiceInfo: []types.BaseElementDescription{
				&types.ElementDescription{Key: "0", Description: types.Description{Label: "Cancel"}},
				&types.ElementDescription{Key: "1", Description: types.Description{Label: "I Moved It"}},
				&types.ElementDescription{Key: "2", Description: types.Description{Label: "I Copied It"}},
			},
			DefaultIndex: 2,
		},
	}
}

// testScreen is a w×h PNG: a left half white, a right half blue, so a
// scaled-down image can be checked pixel by pixel.
func testScreen(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{0xff, 0xff, 0xff, 0xff}
			if x >= w/2 {
				c = color.NRGBA{0, 0, 0xff, 0xff}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
