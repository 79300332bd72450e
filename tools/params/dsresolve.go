package params

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// ResolvePathDatastore resolves the datastore of p ("[LocalDS_0] iso",
// or an ID or inventory path given as the datastore). A plain name that
// datastores in several datacenters have names the one in the target's
// datacenter: dc gives it (the VM's, or the default datacenter; nil, or a
// nil result: none known), asked only when the name is ambiguous. Still
// ambiguous, the error lists the candidates with the two forms that name
// one: the ID in brackets, or the inventory path as datastore with a plain
// path.
func ResolvePathDatastore(ctx context.Context, c *vcenter.Conn, p DatastorePath, dc func() (*vcenter.Object, error)) (vcenter.Object, error) {
	o, err := c.Resolve(ctx, "Datastore", p.Datastore)
	var amb *vcenter.AmbiguousError
	if !errors.As(err, &amb) {
		return o, err
	}
	var in *vcenter.Object
	if dc != nil {
		if in, err = dc(); err != nil {
			return vcenter.Object{}, err
		}
	}
	if in != nil {
		var hit []vcenter.Object
		for _, cand := range amb.Candidates {
			if strings.HasPrefix(cand.Path, in.Path+"/") {
				hit = append(hit, cand)
			}
		}
		if len(hit) == 1 {
			return c.Resolve(ctx, "Datastore", hit[0].Ref.Value) // applies the scope
		}
	}
	return vcenter.Object{}, ambiguousDatastore(p, amb.Candidates, in)
}

// ambiguousDatastore says which datastores a name matches and how to name
// each one.
func ambiguousDatastore(p DatastorePath, cands []vcenter.Object, dc *vcenter.Object) error {
	var b strings.Builder
	fmt.Fprintf(&b, "datastore %s matches %d datastores", toolkit.Quote(p.Datastore, toolkit.NameMax), len(cands))
	if dc != nil {
		fmt.Fprintf(&b, ", none of them alone in datacenter %s", toolkit.Name(dc.Name))
	}
	if p.Path == "" {
		// A datastore argument alone: its ID or inventory path.
		b.WriteString("; name the one you mean by its ID or inventory path:")
		for _, cand := range cands {
			fmt.Fprintf(&b, "\n  datastore: %s  or  datastore: %s", cand.Ref.Value, toolkit.Quote(cand.Path, textsafe.PathMax))
		}
		return &toolkit.ArgError{Msg: b.String()}
	}
	b.WriteString("; name the one you mean by its ID in brackets, or by its inventory path as datastore with a plain path:")
	for _, cand := range cands {
		id := DatastorePath{Datastore: cand.Ref.Value, Path: p.Path}
		fmt.Fprintf(&b, "\n  %s  or  datastore: %s, path: %s", toolkit.Path(id.String()), toolkit.Quote(cand.Path, textsafe.PathMax), toolkit.Quote(p.Path, textsafe.PathMax))
	}
	return &toolkit.ArgError{Msg: b.String()}
}
