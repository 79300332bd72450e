package device

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// When the guest has locked a CD-ROM's door, vCenter does not refuse a
// change that disconnects it: the reconfigure task stays running and the
// VM asks a question ("The guest operating system has locked the CD-ROM
// door and is probably using the CD-ROM…", Yes/No). The CD/DVD tools
// answer that question themselves: Yes when force was given (the disc
// goes), else No (the disc stays and nothing is left pending).

// doorQuestion says whether q is the locked-door question.
func doorQuestion(q *types.VirtualMachineQuestionInfo) bool {
	if q == nil {
		return false
	}
	if strings.Contains(strings.ToLower(q.Text), "locked the cd-rom door") {
		return true
	}
	for _, m := range q.Message {
		if strings.Contains(m.Id, "cdromdisconnect") || strings.Contains(strings.ToLower(m.Text), "locked the cd-rom door") {
			return true
		}
	}
	return false
}

// choiceKey is the key of the Yes (or No) answer of q.
func choiceKey(q *types.VirtualMachineQuestionInfo, yes bool) (string, bool) {
	want, label := "no", "button.no"
	if yes {
		want, label = "yes", "button.yes"
	}
	for _, ch := range q.Choice.ChoiceInfo {
		d := ch.GetElementDescription()
		if strings.EqualFold(d.Summary, want) || strings.EqualFold(d.Label, label) || strings.EqualFold(d.Label, want) {
			return d.Key, true
		}
	}
	return "", false
}

// doorOutcome is what became of a locked-door question during a change.
type doorOutcome struct {
	asked    bool // the guest had locked the door
	answered string
	// other is a question that is not ours, left for the person.
	other *types.VirtualMachineQuestionInfo
}

// reconfigureCdrom sends a CD/DVD change and waits for it, answering the
// locked-door question (force: Yes, else No) if vCenter asks it.
func reconfigureCdrom(ctx context.Context, c *vcenter.Conn, vm vcenter.Object, label string, force bool, changes ...types.BaseVirtualDeviceConfigSpec) (string, doorOutcome, error) {
	var out doorOutcome
	vmo := object.NewVirtualMachine(c.Client, vm.Ref)
	task, err := vmo.Reconfigure(ctx, types.VirtualMachineConfigSpec{DeviceChange: changes})
	if err != nil {
		return "", out, explainChangeFault(fmt.Errorf("%s: %w", label, err), vm)
	}
	id := task.Reference().Value
	done := make(chan error, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, err := guard.WaitTask(wctx, task, label, guard.NewProgress(ctx), 0, 100)
		done <- err
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var otherSince time.Time
	for {
		select {
		case err := <-done:
			if err != nil {
				return id, out, explainChangeFault(err, vm) // WaitTask's error names label
			}
			return id, out, nil
		case <-ctx.Done():
			return id, out, ctx.Err()
		case <-tick.C:
		}
		var m mo.VirtualMachine
		if err := c.ReadOne(ctx, vm, []string{"runtime.question"}, &m); err != nil || m.Runtime.Question == nil {
			continue
		}
		q := m.Runtime.Question
		if !doorQuestion(q) {
			// Not ours to answer; a change it blocks is left running.
			if out.other == nil {
				out.other, otherSince = q, time.Now()
			} else if time.Since(otherSince) > 5*time.Second {
				return id, out, &toolkit.PlainError{Msg: fmt.Sprintf("%s is waiting (task %s): %s", label, id, otherQuestion(vm.Name, q))}
			}
			continue
		}
		if out.asked {
			continue // answered already; the task is finishing
		}
		key, ok := choiceKey(q, force)
		if !ok {
			return id, out, &toolkit.PlainError{Msg: fmt.Sprintf("%s: vCenter asks whether to override the guest's lock on the CD-ROM door (question %s) but offers no %s answer; answer it with vm_question_answer", label, toolkit.Quote(q.Id, 40), map[bool]string{true: "Yes", false: "No"}[force])}
		}
		if err := vmo.Answer(ctx, q.Id, key); err != nil {
			return id, out, fmt.Errorf("%s: answer the locked-door question %s: %w; answer it with vm_question_answer", label, toolkit.Quote(q.Id, 40), err)
		}
		out.asked = true
		out.answered = map[bool]string{true: "Yes", false: "No"}[force]
	}
}

// otherQuestion describes a question that is not the tool's to answer.
func otherQuestion(vm string, q *types.VirtualMachineQuestionInfo) string {
	return fmt.Sprintf("VM %s is waiting for an answer to question %s, %s; answer it with vm_question_answer", toolkit.Name(vm), toolkit.Quote(q.Id, 40), toolkit.FreeTextN("question", q.Text, 300))
}
