package vcenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/vmware/govmomi/vapi/rest"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
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
	if !c.IsVC() {
		return nil, errNoVAPI
	}
	rc := rest.NewClient(c.Client)
	timeout := c.cfg.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	rc.Client.Client.Timeout = timeout
	rc.Client.Client.Transport = restGate{next: rc.Client.Client.Transport}
	if err := rc.Login(ctx, c.rest.user); err != nil {
		if restStatus(err) == http.StatusUnauthorized {
			return nil, fmt.Errorf("vCenter's Automation API (REST, which serves tags) refused the login of %s that the SOAP API accepted; check the user's permissions", c.User)
		}
		return nil, fmt.Errorf("log in to vCenter's Automation API (REST, which serves tags): %w", RESTCause(err))
	}
	c.rest.client = rc
	return rc, nil
}

// errNoVAPI: an ESXi host serves no Automation API.
var errNoVAPI = errors.New("tags need vCenter: this is an ESXi host, which has no Automation API (tags and categories live in vCenter)")

// DoREST runs fn with the REST client. When vCenter answers 401 (the REST
// session expired or was ended), it logs in again and runs fn once more,
// unless fn had started a change.
func (c *Conn) DoREST(ctx context.Context, fn func(*rest.Client) error) error {
	rc, err := c.REST(ctx)
	if err != nil {
		return err
	}
	err = fn(rc)
	if restStatus(err) != http.StatusUnauthorized || workStarted(ctx) {
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
	res, err := g.next.RoundTrip(req)
	if err != nil || res.StatusCode < 400 {
		return res, err
	}
	// vCenter's answer becomes an error here, with its message quoted:
	// the REST client would pass its body on as our own words.
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 16<<10))
	return nil, &RESTError{Method: req.Method, Operation: restOperation(req.URL), Code: res.StatusCode, Message: restMessage(body)}
}

// RESTError is vCenter's Automation API refusing a request.
type RESTError struct {
	Method, Operation string
	Code              int
	// Message is what vCenter said, unescaped.
	Message string
}

func (e *RESTError) Error() string {
	s := fmt.Sprintf("vCenter's Automation API answered %d %s to %s %s", e.Code, http.StatusText(e.Code), e.Method, textsafe.Line(e.Operation, 200))
	if e.Message != "" {
		s += "; vCenter message" + textsafe.DataTag + ": " + textsafe.Quote(e.Message, textsafe.TextMax)
	}
	return s
}

// restMessage finds the messages in a vAPI error body
// ({"type": …, "value": {"messages": [{"default_message": …}]}}), or
// takes the body as it is.
func restMessage(body []byte) string {
	var v struct {
		Type  string `json:"type"`
		Value struct {
			Messages []struct {
				DefaultMessage string `json:"default_message"`
			} `json:"messages"`
		} `json:"value"`
		Messages []struct {
			DefaultMessage string `json:"default_message"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &v) == nil {
		var msgs []string
		for _, m := range append(v.Value.Messages, v.Messages...) {
			if m.DefaultMessage != "" {
				msgs = append(msgs, m.DefaultMessage)
			}
		}
		if len(msgs) > 0 {
			return strings.Join(msgs, "; ")
		}
		if v.Type != "" {
			return v.Type
		}
	}
	return strings.TrimSpace(string(body))
}

// restStatus is the status of a vAPI call's error: 0 when it is no
// answer of vCenter's.
func restStatus(err error) int {
	var re *RESTError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
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
func IsRESTNotFound(err error) bool { return restStatus(err) == http.StatusNotFound }

// RESTCause is vCenter's answer in err without net/http's wrapping (the
// method and URL), when err is one; any other err as it is.
func RESTCause(err error) error {
	var re *RESTError
	if ue, ok := err.(*url.Error); ok && errors.As(ue.Err, &re) {
		return re
	}
	return err
}
