package vm

import (
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// renderQuestion writes q as two lines under label: its id and choices,
// then its text, quoted and labelled as data (anyone who can edit a VM can
// make what it asks say anything). vm_question_answer (console toolset)
// answers it.
func renderQuestion(b *strings.Builder, label string, q *params.Question) {
	if q == nil {
		return
	}
	def := ""
	if q.Default != "" {
		def = " (default " + toolkit.Name(q.Default) + ")"
	}
	fmt.Fprintf(b, "%s: pending, id %s, choices %s%s; answer with vm_question_answer\n", label, toolkit.Name(q.ID), q.ChoicesText(), def)
	b.WriteString(toolkit.FreeText("question", q.Text) + "\n")
}
