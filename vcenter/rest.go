package vcenter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/vmware/govmomi/vapi/rest"
)

// The vSphere Automation API (vAPI, REST) serves what SOAP does not: tags
// and their categories. Each Conn has one REST client, logged in on first
// use with the credentials the SOAP login used (as govc does: vCenter's
// REST session service takes basic authentication or an SSO token, not the
// SOAP session's cookie), and dropped with the Conn: when the SOAP session
// is re-established, the next REST call logs in again. Close logs it out.
//
// REST requests are not SOAP methods, so the SOAP write gate does not see
// them; restGate is its equivalent underneath the REST client's HTTP
// transport: a request that can change vCenter (POST, PUT, PATCH, DELETE)
// is refused without the guard's write permit, except logging in and out
// and the POST actions that only read (see IsRESTRead).

// restConn is a Conn's REST client, made on first use.
type restConn struct {
	mu     sync.Mutex
	client *rest.Client
	// user holds the credentials of the SOAP login, for the REST login.
	user *url.Userinfo
}

// REST returns the connection's vAPI REST client, logging it in on first
// use. Callers go through DoREST, which also logs in again when vCenter
// ended the REST session on its own.
func (c *Conn) REST(ctx context.Context) (*rest.Client, error) {
	c.rest.mu.Lock()
	defer c.rest.mu.Unlock()
	if c.rest.client != nil {
		return c.rest.client, nil
	}
	rc := rest.NewClient(c.Client)
	timeout := c.cfg.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	rc.Client.Client.Timeout = timeout
	rc.Client.Client.Transport = restGate{next: rc.Client.Client.Transport}
	if err := rc.Login(ctx, c.rest.user); err != nil {
		if rest.IsStatusError(err, http.StatusUnauthorized) {
			return nil, fmt.Errorf("vCenter's Automation API (REST, which serves tags) refused the login of %s that the SOAP API accepted; check the user's permissions", c.User)
		}
		return nil, fmt.Errorf("log in to vCenter's Automation API (REST, which serves tags): %s", ErrorText(err))
	}
	c.rest.client = rc
	return rc, nil
}

// DoREST runs fn with the REST client. When vCenter answers 401 (the REST
// session expired or was ended), it logs in again and runs fn once more,
// unless fn had started a change.
func (c *Conn) DoREST(ctx context.Context, fn func(*rest.Client) error) error {
	rc, err := c.REST(ctx)
	if err != nil {
		return err
	}
	err = fn(rc)
	if !rest.IsStatusError(err, http.StatusUnauthorized) || workStarted(ctx) {
		return err
	}
	c.rest.mu.Lock()
	if c.rest.client == rc {
		c.rest.client = nil
	}
	c.rest.mu.Unlock()
	if rc, err = c.REST(ctx); err != nil {
		return err
	}
	return fn(rc)
}

// logoutREST ends the REST session, if there is one.
func (c *Conn) logoutREST(ctx context.Context) {
	c.rest.mu.Lock()
	rc := c.rest.client
	c.rest.client = nil
	c.rest.mu.Unlock()
	if rc != nil {
		_ = rc.Logout(ctx)
		rc.CloseIdleConnections()
	}
}

// restGate refuses REST requests that can change vCenter unless the call's
// context carries the guard's write permit, and records permitted ones as
// started work (see writeGate).
type restGate struct{ next http.RoundTripper }

func (g restGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if !IsRESTRead(req.Method, req.URL) {
		if !Permitted(req.Context()) {
			return nil, &WriteRefusedError{Method: req.Method + " " + restOperation(req.URL)}
		}
		MarkWorkStarted(req.Context())
	}
	return g.next.RoundTrip(req)
}

// restReadActions are the vAPI POST actions that only read.
var restReadActions = map[string]bool{
	"get": true, "list": true,
	"list-attached-tags": true, "list-attached-objects": true,
	"list-attached-tags-on-objects": true, "list-attached-objects-on-tags": true,
	"list-tags-for-category": true, "list-used-tags": true, "list-used-categories": true,
}

// IsRESTRead reports whether a vAPI request leaves vCenter as it is: GET
// and HEAD, session login and logout (session bookkeeping, as on SOAP),
// and the POST actions on restReadActions. Anything else, including an
// action added later, counts as a write.
func IsRESTRead(method string, u *url.URL) bool {
	switch method {
	case http.MethodGet, http.MethodHead:
		return true
	}
	path := strings.TrimSuffix(u.Path, "/")
	action := u.Query().Get("~action")
	if strings.HasSuffix(path, "/com/vmware/cis/session") {
		return (method == http.MethodPost && (action == "" || action == "get")) || method == http.MethodDelete
	}
	return method == http.MethodPost && restReadActions[action]
}

// restOperation names a REST request for an error: its path below the
// vAPI root and its action.
func restOperation(u *url.URL) string {
	op := strings.TrimPrefix(u.Path, rest.Path)
	if a := u.Query().Get("~action"); a != "" {
		op += " (" + a + ")"
	}
	return op
}

// IsRESTNotFound reports whether a vAPI call answered 404 (no such tag,
// category or object).
func IsRESTNotFound(err error) bool {
	return rest.IsStatusError(err, http.StatusNotFound) || (err != nil && strings.Contains(err.Error(), "404 Not Found"))
}
