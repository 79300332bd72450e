package mcpctx

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// maxCompletions is how many values one completion returns.
const maxCompletions = 20

// completer answers completion/complete for prompt arguments (object
// names) and resource template variables (managed object IDs), from the
// session's name index, with the role's scope applied (the session's
// gate): a scoped role is never offered a name it could not use.
type completer struct{ e *ext }

func (c completer) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	for _, p := range prompts {
		if p.name != prompt {
			continue
		}
		for _, a := range p.args {
			if a.name != arg.Name {
				continue
			}
			if len(a.values) > 0 {
				var out []string
				for _, v := range a.values {
					if strings.HasPrefix(v, arg.Value) {
						out = append(out, v)
					}
				}
				return &mcp.Completion{Values: out, Total: len(out)}, nil
			}
			return c.names(ctx, a.kinds, arg.Value, false)
		}
	}
	return &mcp.Completion{Values: []string{}}, nil
}

func (c completer) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	for _, r := range resources {
		if !r.template || (uri != r.uriTemplate() && !strings.HasPrefix(uri, Scheme+r.path+"/")) || arg.Name != "id" {
			continue
		}
		if !c.e.offered(r.tool) {
			break // not readable here: nothing to complete
		}
		return c.names(ctx, []string{r.moType}, arg.Value, true)
	}
	return &mcp.Completion{Values: []string{}}, nil
}

// names completes prefix among the objects of kinds: their managed object
// IDs (ids), or their names — a name that would need escaping is offered
// as its ID, which resolves as well.
func (c completer) names(ctx context.Context, kinds []string, prefix string, ids bool) (*mcp.Completion, error) {
	s := c.e.d.Session
	if s == nil || len(prefix) > maxPromptArg {
		return &mcp.Completion{Values: []string{}}, nil
	}
	var out []string
	more := false
	seen := map[string]bool{}
	err := s.Do(ctx, func(conn *vcenter.Conn) error {
		out, more, seen = nil, false, map[string]bool{}
		for _, k := range kinds {
			found, m, err := conn.NamesWithPrefix(ctx, k, prefix, maxCompletions)
			if err != nil {
				return err
			}
			more = more || m
			for _, n := range found {
				v := n.Ref.Value
				if !ids && toolkit.Name(n.Name) == n.Name && !strings.Contains(n.Name, "/") {
					v = n.Name
				}
				if seen[v] {
					continue
				}
				if len(out) == maxCompletions {
					more = true
					break
				}
				seen[v] = true
				out = append(out, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []string{}
	}
	return &mcp.Completion{Values: out, HasMore: more}, nil
}
