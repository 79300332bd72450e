package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// QuestionAnswerArgs names the VM, the answer and, optionally, the question.
type QuestionAnswerArgs struct {
	VM         string `json:"vm" jsonschema:"The VM: name, inventory path (/DC0/vm/web-01), ID (vm-42) or instance UUID"`
	Choice     string `json:"choice" jsonschema:"The answer: a choice's key (0, 1, 2 …) or its label (e.g. I Copied It), as vm_get lists them"`
	QuestionID string `json:"question_id,omitempty" jsonschema:"The question's id from vm_get; when given, a different pending question is not answered"`
}

func (a *QuestionAnswerArgs) Validate() error {
	if err := toolkit.RequireIdent("vm", a.VM, "VM"); err != nil {
		return err
	}
	if strings.TrimSpace(a.Choice) == "" {
		return fmt.Errorf("choice is required: a key or label of the VM's pending question (vm_get lists them)")
	}
	if len(a.Choice) > 256 || len(a.QuestionID) > 256 {
		return fmt.Errorf("choice and question_id are at most 256 bytes")
	}
	return nil
}

// QuestionAnswerResult is the question answered and what the VM asks now.
type QuestionAnswerResult struct {
	VM       string                `json:"vm"`
	ID       string                `json:"id"`
	Path     string                `json:"path"`
	Question params.Question       `json:"question"`
	Answer   params.QuestionChoice `json:"answer"`
	// Pending is the question the VM asks after the answer, read back: nil
	// when it asks none.
	Pending *params.Question `json:"pending,omitempty"`
}

func (r QuestionAnswerResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Answered the question of VM %s (%s) %s with %s=%s\n", toolkit.Name(r.VM), r.ID, toolkit.Path(r.Path), toolkit.Name(r.Answer.Key), toolkit.Quote(r.Answer.Label, 80))
	b.WriteString(toolkit.FreeText("question", r.Question.Text) + "\n")
	if r.Pending == nil {
		b.WriteString("The VM has no pending question now.\n")
	} else {
		fmt.Fprintf(&b, "The VM asks another question (id %s), choices %s\n", toolkit.Name(r.Pending.ID), r.Pending.ChoicesText())
		b.WriteString(toolkit.FreeText("question", r.Pending.Text) + "\n")
	}
	return b.String()
}

func vmQuestionAnswer() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_question_answer",
		Title: "Answer a VM's question",
		Description: "Answer the question a VM is blocked on (e.g. \"moved or copied?\" after its files were copied, or a full datastore), " +
			"by the choice's key or label as vm_get shows them; the VM goes on once answered. Reads the VM back to show any next question.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a QuestionAnswerArgs) (QuestionAnswerResult, error) {
		var out QuestionAnswerResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := readVM(ctx, c, a.VM)
			if err != nil {
				return err
			}
			q := params.QuestionOf(vm.Question)
			if q == nil {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s has no pending question: nothing to answer (vm_get shows a VM's question when it has one)", toolkit.Name(vm.Name))}
			}
			if a.QuestionID != "" && a.QuestionID != q.ID {
				return &toolkit.PlainError{Msg: fmt.Sprintf("VM %s's pending question is %s, not %s: it changed since you looked; read it again with vm_get", toolkit.Name(vm.Name), toolkit.Name(q.ID), toolkit.Quote(a.QuestionID, 80))}
			}
			choice, err := q.Find(a.Choice)
			if err != nil {
				return err
			}
			what := fmt.Sprintf("Answer the question of VM %s with %s (%s)", toolkit.Path(vm.Path), toolkit.Quote(choice.Label, 80), toolkit.Quote(q.Text, 200))
			if err := guard.Act(ctx, what, vm.Object); err != nil {
				return err
			}
			out = QuestionAnswerResult{VM: vm.Name, ID: vm.ID(), Path: vm.Path, Question: *q, Answer: choice}
			if _, err := methods.AnswerVM(ctx, c.Client, &types.AnswerVM{This: vm.Ref, QuestionId: q.ID, AnswerChoice: choice.Key}); err != nil {
				return fmt.Errorf("answer the question of %s: %w", toolkit.Name(vm.Name), err)
			}
			after, err := readVM(ctx, c, vm.ID())
			if err != nil {
				return fmt.Errorf("answered; reading %s back: %w", toolkit.Name(vm.Name), err)
			}
			out.Pending = params.QuestionOf(after.Question)
			return nil
		})
		return out, explain(err, "AnswerVM")
	})
}
