package vcenter

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// SessionPrivileges asks vCenter which of ids the current session holds on
// the root folder: HasPrivilegeOnEntities for our own session, or, where
// that is refused, the user's effective privileges from
// FetchUserPrivilegeOnEntities.
func (c *Conn) SessionPrivileges(ctx context.Context, ids []string) (map[string]bool, error) {
	sc := c.Client.ServiceContent
	if sc.AuthorizationManager == nil {
		return nil, errors.New("this endpoint has no AuthorizationManager")
	}
	root := sc.RootFolder
	us, err := session.NewManager(c.Client).UserSession(ctx)
	if err != nil {
		return nil, err
	}
	if us == nil {
		return nil, errors.New("no current session")
	}
	out := map[string]bool{}
	res, err := methods.HasPrivilegeOnEntities(ctx, c.Client, &types.HasPrivilegeOnEntities{
		This: *sc.AuthorizationManager, Entity: []types.ManagedObjectReference{root}, SessionId: us.Key, PrivId: ids,
	})
	if err == nil {
		for _, ep := range res.Returnval {
			for _, pa := range ep.PrivAvailability {
				out[pa.PrivId] = pa.IsGranted
			}
		}
		return out, nil
	}
	fres, ferr := methods.FetchUserPrivilegeOnEntities(ctx, c.Client, &types.FetchUserPrivilegeOnEntities{
		This: *sc.AuthorizationManager, Entities: []types.ManagedObjectReference{root}, UserName: us.UserName,
	})
	if ferr != nil {
		return nil, fmt.Errorf("%w; %w", err, ferr)
	}
	for _, r := range fres.Returnval {
		for _, p := range r.Privileges {
			out[p] = true
		}
	}
	return out, nil
}
