package device

import (
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// The simulator has no VM questions and no AnswerVM. doorLocks adds what
// vCenter does when the guest has locked a CD-ROM's door: a reconfigure
// that disconnects the drive or changes its media does not fail, its task
// stays running and the VM asks the locked-door question in
// runtime.question; AnswerVM with Yes applies the change and finishes the
// task, No finishes it with a fault and leaves the drive as it was. The
// wrapper embeds the simulator's VirtualMachine and is put into the
// caller's session registry (which the dispatcher prefers) by the
// registry's Handler hook, so the real request path runs.

const doorText = "The guest operating system has locked the CD-ROM door and is probably using the CD-ROM, which can prevent the guest from recognizing media changes. If possible, eject the CD-ROM from inside the guest before disconnecting.\nDisconnect anyway and override the lock?"

type doorLocks struct {
	mu      sync.Mutex
	locked  map[types.ManagedObjectReference]bool
	pending map[types.ManagedObjectReference]*doorPending
	n       int
}

type doorPending struct {
	task *simulator.Task
	req  types.ReconfigVM_Task
	qid  string
}

// installDoorLocks sets m's Handler hook; m must be created, not started.
func installDoorLocks(m *simulator.Model) *doorLocks {
	l := &doorLocks{locked: map[types.ManagedObjectReference]bool{}, pending: map[types.ManagedObjectReference]*doorPending{}}
	m.Map().Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if method.This.Type != "VirtualMachine" || (method.Name != "ReconfigVM_Task" && method.Name != "AnswerVM") || !l.isLocked(method.This) {
			return nil, nil
		}
		return toolstest.Wrap(ctx, method.This, func(vm *simulator.VirtualMachine) *doorVM { return &doorVM{VirtualMachine: vm, locks: l} })
	}
	return l
}

// lock makes the guest of vm lock its CD-ROM doors.
func (l *doorLocks) lock(vm types.ManagedObjectReference) {
	l.mu.Lock()
	l.locked[vm] = true
	l.mu.Unlock()
}

func (l *doorLocks) isLocked(vm types.ManagedObjectReference) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.locked[vm]
}

type doorVM struct {
	*simulator.VirtualMachine
	locks *doorLocks
}

// touchesLockedDrive reports whether spec disconnects a connected drive or
// changes its media.
func (vm *doorVM) touchesLockedDrive(spec types.VirtualMachineConfigSpec) bool {
	for _, ch := range spec.DeviceChange {
		s := ch.GetVirtualDeviceConfigSpec()
		cd, ok := s.Device.(*types.VirtualCdrom)
		if !ok || s.Operation != types.VirtualDeviceConfigSpecOperationEdit {
			continue
		}
		for _, d := range vm.Config.Hardware.Device {
			old, ok := d.(*types.VirtualCdrom)
			if !ok || old.Key != cd.Key || old.Connectable == nil || !old.Connectable.Connected {
				continue
			}
			if cd.Connectable == nil || !cd.Connectable.Connected || !reflect.DeepEqual(old.Backing, cd.Backing) {
				return true
			}
		}
	}
	return false
}

func (vm *doorVM) ReconfigVMTask(ctx *simulator.Context, req *types.ReconfigVM_Task) soap.HasFault {
	if !vm.locks.isLocked(vm.Self) || !vm.touchesLockedDrive(req.Spec) {
		return vm.VirtualMachine.ReconfigVMTask(ctx, req)
	}
	vm.locks.mu.Lock()
	vm.locks.n++
	n := vm.locks.n
	vm.locks.mu.Unlock()
	// The task runs until the question is answered.
	task := simulator.CreateTask(vm.VirtualMachine, "reconfigVm", nil)
	task.Self = types.ManagedObjectReference{Type: "Task", Value: fmt.Sprintf("task-door-%d", n)}
	task.Info.Key, task.Info.Task = task.Self.Value, task.Self
	task.Info.State, task.Info.StartTime = types.TaskInfoStateRunning, types.NewTime(time.Now())
	ctx.Map.Put(task)
	q := &types.VirtualMachineQuestionInfo{
		Id:   fmt.Sprintf("door-%d", n),
		Text: doorText,
		Choice: types.ChoiceOption{
			OptionType: types.OptionType{ValueIsReadonly: types.NewBool(false)},
			ChoiceInfo: []types.BaseElementDescription{
				&types.ElementDescription{Description: types.Description{Label: "button.yes", Summary: "Yes"}, Key: "0"},
				&types.ElementDescription{Description: types.Description{Label: "button.no", Summary: "No"}, Key: "1"},
			},
			DefaultIndex: 1,
		},
		Message: []types.VirtualMachineMessage{{Id: "msg.cdromdisconnect.locked", Text: doorText}},
	}
	ctx.Update(vm.VirtualMachine, []types.PropertyChange{{Name: "runtime.question", Val: q}})
	vm.locks.mu.Lock()
	vm.locks.pending[vm.Self] = &doorPending{task: task, req: *req, qid: q.Id}
	vm.locks.mu.Unlock()
	return &methods.ReconfigVM_TaskBody{Res: &types.ReconfigVM_TaskResponse{Returnval: task.Self}}
}

func (vm *doorVM) AnswerVM(ctx *simulator.Context, req *types.AnswerVM) soap.HasFault {
	body := &methods.AnswerVMBody{}
	vm.locks.mu.Lock()
	p := vm.locks.pending[vm.Self]
	if p != nil && p.qid == req.QuestionId && (req.AnswerChoice == "0" || req.AnswerChoice == "1") {
		delete(vm.locks.pending, vm.Self)
	} else {
		p = nil
	}
	vm.locks.mu.Unlock()
	if p == nil {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "questionId"})
		return body
	}
	// The whole runtime: the simulator cannot assign a nil below it.
	rt := vm.Runtime
	rt.Question = nil
	ctx.Update(vm.VirtualMachine, []types.PropertyChange{{Name: "runtime", Val: rt}})
	finish := func(fault types.BaseMethodFault) {
		changes := []types.PropertyChange{
			{Name: "info.completeTime", Val: time.Now()},
			{Name: "info.state", Val: types.TaskInfoStateSuccess},
		}
		if fault != nil {
			changes[1].Val = types.TaskInfoStateError
			changes = append(changes, types.PropertyChange{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: "Connection control operation failed for disk 'cdrom'."}})
		}
		ctx.Map.AtomicUpdate(ctx, p.task, changes)
	}
	if req.AnswerChoice == "1" {
		finish(&types.GenericVmConfigFault{Reason: "Connection control operation failed for disk 'cdrom'."})
	} else {
		res := vm.VirtualMachine.ReconfigVMTask(ctx, &p.req).(*methods.ReconfigVM_TaskBody)
		inner := ctx.Map.Get(res.Res.Returnval).(*simulator.Task)
		go func() {
			inner.Wait()
			var fault types.BaseMethodFault
			if inner.Info.Error != nil {
				fault = inner.Info.Error.Fault
			}
			finish(fault)
		}()
	}
	body.Res = &types.AnswerVMResponse{}
	return body
}
