package params

import (
	"context"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// rootsTimeout bounds the wait for a client's answer to roots/list.
const rootsTimeout = 10 * time.Second

// LocalFiles is the local-files rule of this call: the profile's
// local_files directories (d.LocalFiles) and the directories the MCP client
// offers as roots (roots/list, asked once per call). When the client offers
// no roots, or asking fails (a client that cannot take a server-initiated
// request, say), only the profile's directories count.
//
// Check every local path of a call with the rule's Allowed before touching
// it, and use the path Allowed returns.
func LocalFiles(ctx context.Context, d toolkit.Deps) localfiles.Rule {
	roots, offered := clientRoots(ctx)
	return localfiles.NewRule(d.LocalFiles, roots, offered)
}

// LocalPath checks one local path argument for mode and returns its
// resolved form; the error (an ArgError) says which setting would allow it.
func LocalPath(ctx context.Context, d toolkit.Deps, arg, path string, mode localfiles.Mode) (string, error) {
	p, err := LocalFiles(ctx, d).Allowed(path, mode)
	if err != nil {
		return "", &toolkit.ArgError{Msg: arg + ": " + err.Error()}
	}
	return p, nil
}

// clientRoots asks the client for its roots. offered is false when the
// client declared no roots capability or its answer could not be had.
func clientRoots(ctx context.Context) (roots []string, offered bool) {
	sess := server.ClientSessionFromContext(ctx)
	srv := server.ServerFromContext(ctx)
	if sess == nil || srv == nil {
		return nil, false
	}
	if ci, ok := sess.(server.SessionWithClientInfo); ok {
		if ci.GetClientCapabilities().Roots == nil {
			return nil, false
		}
	}
	rctx, cancel := context.WithTimeout(ctx, rootsTimeout)
	defer cancel()
	res, err := srv.RequestRoots(rctx, mcp.ListRootsRequest{})
	if err != nil || res == nil {
		return nil, false
	}
	for _, r := range res.Roots {
		roots = append(roots, r.URI)
	}
	return roots, true
}
