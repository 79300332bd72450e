package mcpctx

import (
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Scheme starts every resource URI this server serves.
const Scheme = "vsphere://"

// maxURI bounds a resource URI: ours are short; a long one is refused
// before anything else looks at it.
const maxURI = 256

// Ref is a parsed resource URI: a fixed resource, or an object by its
// managed object ID.
type Ref struct {
	Res *resource
	// ID is the managed object ID of a template's object (vm-42); empty
	// for a fixed resource.
	ID string
}

// URI renders r back; ParseURI(r.URI()) == r.
func (r Ref) URI() string {
	if r.Res.template {
		return Scheme + r.Res.path + "/" + r.ID
	}
	return Scheme + r.Res.path
}

// ParseURI parses a resource URI this server serves: vsphere://summary,
// vsphere://alarms, vsphere://tasks/recent, or vsphere://vm/{id} (host,
// cluster, datastore likewise) where {id} is a managed object ID. The
// error says what the URIs look like; it quotes the URI escaped, as it
// comes from the client.
func ParseURI(uri string) (Ref, error) {
	if len(uri) > maxURI {
		return Ref{}, fmt.Errorf("resource URI is %d bytes long; this server's URIs are at most %d (%s)", len(uri), maxURI, uriForms)
	}
	rest, ok := strings.CutPrefix(uri, Scheme)
	if !ok {
		return Ref{}, fmt.Errorf("unknown resource %s: this server's URIs start with %s (%s)", toolkit.Quote(uri, 80), Scheme, uriForms)
	}
	for i := range resources {
		r := &resources[i]
		if !r.template {
			if rest == r.path {
				return Ref{Res: r}, nil
			}
			continue
		}
		id, ok := strings.CutPrefix(rest, r.path+"/")
		if !ok {
			continue
		}
		if !vcenter.IsManagedObjectID(id) {
			return Ref{}, fmt.Errorf("resource %s: %s is not a managed object ID; %s takes one such as %s (find it with %s or a completion)",
				toolkit.Quote(uri, 80), toolkit.Quote(id, 80), r.uriTemplate(), r.example, r.listTool)
		}
		return Ref{Res: r, ID: id}, nil
	}
	return Ref{}, fmt.Errorf("unknown resource %s (%s)", toolkit.Quote(uri, 80), uriForms)
}

var uriForms = func() string {
	var forms []string
	for _, r := range resources {
		forms = append(forms, r.uriTemplate())
	}
	return "the resources are " + strings.Join(forms, ", ")
}()
