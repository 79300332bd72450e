package vm

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// VMQuestion is a question a VM is blocked on (runtime.question), as
// vm_get and vm_list show it; vm_question_answer (console toolset) answers
// it by a choice's key or label.
type VMQuestion struct {
	ID      string             `json:"id"`
	Text    string             `json:"text"`
	Choices []VMQuestionChoice `json:"choices"`
	Default string             `json:"default,omitempty"`
}

// VMQuestionChoice is one answer a question offers.
type VMQuestionChoice struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

func vmQuestion(q *types.VirtualMachineQuestionInfo) *VMQuestion {
	if q == nil {
		return nil
	}
	out := &VMQuestion{ID: q.Id, Text: q.Text, Choices: []VMQuestionChoice{}}
	for i, c := range q.Choice.ChoiceInfo {
		if c == nil {
			continue
		}
		e := c.GetElementDescription()
		out.Choices = append(out.Choices, VMQuestionChoice{Key: e.Key, Label: e.Label})
		if int32(i) == q.Choice.DefaultIndex {
			out.Default = e.Key
		}
	}
	return out
}

// render writes the question as two lines under label: its id and choices, then its
// text, quoted and labelled as data (anyone who can edit a VM can make
// what it asks say anything).
func (q *VMQuestion) render(b *strings.Builder, label string) {
	if q == nil {
		return
	}
	choices := make([]string, len(q.Choices))
	for i, c := range q.Choices {
		choices[i] = toolkit.Name(c.Key) + "=" + toolkit.Quote(c.Label, 80)
	}
	def := ""
	if q.Default != "" {
		def = " (default " + toolkit.Name(q.Default) + ")"
	}
	fmt.Fprintf(b, "%s: pending, id %s, choices %s%s; answer with vm_question_answer\n", label, toolkit.Name(q.ID), strings.Join(choices, ", "), def)
	b.WriteString(toolkit.FreeText("question", q.Text) + "\n")
}
