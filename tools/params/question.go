package params

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// A question a VM is blocked on (runtime.question: "moved or copied?", a
// locked CD-ROM door), as vm_get and vm_list show it and the tools that
// answer it read it.

// QuestionChoice is one answer a VM's question offers.
type QuestionChoice struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// Question is a question a VM is blocked on (runtime.question).
type Question struct {
	ID      string           `json:"id"`
	Text    string           `json:"text"`
	Choices []QuestionChoice `json:"choices"`
	Default string           `json:"default,omitempty" jsonschema:"Key of the default choice"`
}

// QuestionOf is runtime.question as the tools show it; nil when none.
func QuestionOf(q *types.VirtualMachineQuestionInfo) *Question {
	if q == nil {
		return nil
	}
	out := &Question{ID: q.Id, Text: q.Text, Choices: []QuestionChoice{}}
	for i, c := range q.Choice.ChoiceInfo {
		if c == nil {
			continue
		}
		e := c.GetElementDescription()
		out.Choices = append(out.Choices, QuestionChoice{Key: e.Key, Label: e.Label})
		if int32(i) == q.Choice.DefaultIndex {
			out.Default = e.Key
		}
	}
	return out
}

// ChoicesText renders the choices as key=label, escaped.
func (q *Question) ChoicesText() string {
	parts := make([]string, len(q.Choices))
	for i, c := range q.Choices {
		parts[i] = toolkit.Name(c.Key) + "=" + toolkit.Quote(c.Label, 80)
	}
	return strings.Join(parts, ", ")
}

// Find picks the choice named by its key or (case-insensitively) label.
func (q *Question) Find(choice string) (QuestionChoice, error) {
	for _, c := range q.Choices {
		if c.Key == choice {
			return c, nil
		}
	}
	var hits []QuestionChoice
	for _, c := range q.Choices {
		if strings.EqualFold(strings.TrimSpace(c.Label), strings.TrimSpace(choice)) {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return QuestionChoice{}, &toolkit.PlainError{Msg: fmt.Sprintf("choice %s is none of the question's choices; give a key or a label: %s", toolkit.Quote(choice, 80), q.ChoicesText())}
	}
	return QuestionChoice{}, &toolkit.PlainError{Msg: fmt.Sprintf("choice %s matches %d labels; give the key instead: %s", toolkit.Quote(choice, 80), len(hits), q.ChoicesText())}
}
