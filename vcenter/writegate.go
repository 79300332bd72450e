package vcenter

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"github.com/vmware/govmomi/vim25/soap"
)

// The write gate sits in the session's SOAP round tripper, underneath
// every tool: a method that changes vCenter is refused unless the call's
// context carries a permit that the policy guard grants after protect,
// scope and confirmation passed. A tool that forgets to ask the guard
// therefore fails closed instead of changing vCenter unchecked — the way an
// access-control round tripper guards a Kubernetes client.
//
// Methods are judged by name against a list of reads; anything not on it,
// including a method added to govmomi later, counts as a write.

type permitKey struct{}

// WithWritePermit returns a context whose writes the gate refuses until
// Permit is called on it. The guard gives every tool call one.
func WithWritePermit(ctx context.Context) context.Context {
	return context.WithValue(ctx, permitKey{}, new(atomic.Bool))
}

// Permit lets the calls of ctx (from WithWritePermit) change vCenter. It
// reports whether ctx had a permit to grant.
func Permit(ctx context.Context) bool {
	p, ok := ctx.Value(permitKey{}).(*atomic.Bool)
	if ok {
		p.Store(true)
	}
	return ok
}

// Permitted reports whether writes are permitted in ctx.
func Permitted(ctx context.Context) bool {
	p, ok := ctx.Value(permitKey{}).(*atomic.Bool)
	return ok && p.Load()
}

// WriteRefusedError is a write that reached vCenter's API without a permit:
// a bug in the tool, stopped before anything changed.
type WriteRefusedError struct{ Method string }

func (e *WriteRefusedError) Error() string {
	return fmt.Sprintf("internal error: %s would change vCenter but the call was not authorized by the policy guard; it was refused and nothing was changed (please report this)", e.Method)
}

// writeGate refuses unpermitted writes and records permitted ones as
// started work, so a lost session never repeats them (see TrackWork).
type writeGate struct {
	next   soap.RoundTripper
	writes *writeCounter // counted for the name index; nil: not counted
}

func (g writeGate) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	method := MethodName(req)
	if !IsReadMethod(method) {
		if !Permitted(ctx) && !narrowlyPermitted(ctx, method, req) {
			return &WriteRefusedError{Method: method}
		}
		MarkWorkStarted(ctx)
		if g.writes != nil {
			g.writes.Add(1)
		}
	}
	return g.next.RoundTrip(ctx, req, res)
}

// MethodName is the vSphere API method of a SOAP request body, e.g.
// "PowerOnVM_Task" for *methods.PowerOnVM_TaskBody.
func MethodName(req soap.HasFault) string {
	t := reflect.TypeOf(req)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	return strings.TrimSuffix(t.Name(), "Body")
}

// IsReadMethod reports whether method leaves vCenter's inventory and
// configuration as they are. Session bookkeeping (logging in, views,
// collectors, property filters) counts as a read: it changes nothing
// another user sees, and every read needs it.
func IsReadMethod(method string) bool {
	if readMethods[method] {
		return true
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

// readPrefixes are method families that only read: Query*, Retrieve*,
// Find*, Fetch*, Get*, List*, Read* (collector pages), Validate*/Check*
// (dry runs), Acquire* (session tickets for a console, a file transfer or
// guest credentials: they open access, they change nothing; what is done
// with them is judged where it is done).
var readPrefixes = []string{"Retrieve", "ContinueRetrieve", "CancelRetrieve", "Query", "Find", "Fetch", "Get", "List",
	"ReadNext", "ReadPrevious", "Validate", "Check", "Acquire"}

var readMethods = map[string]bool{
	// Session.
	"Login": true, "LoginByToken": true, "LoginExtensionByCertificate": true, "Logout": true,
	"SessionIsActive": true, "CurrentTime": true, "HasPrivilegeOnEntities": true, "HasPrivilegeOnEntity": true,
	"HasUserPrivilegeOnEntities": true,
	// Property collector and views: per-session objects.
	"WaitForUpdates": true, "WaitForUpdatesEx": true, "CreateFilter": true, "DestroyPropertyFilter": true,
	"CreatePropertyCollector": true, "DestroyPropertyCollector": true, "CancelWaitForUpdates": true,
	"CreateContainerView": true, "CreateListView": true, "CreateListViewFromView": true, "CreateInventoryView": true,
	"DestroyView": true, "ModifyListView": true, "ResetListView": true, "ResetListViewFromView": true,
	// Event, task and history collectors: per-session objects.
	"CreateCollectorForEvents": true, "CreateCollectorForTasks": true, "DestroyCollector": true,
	"ResetCollector": true, "RewindCollector": true, "SetCollectorPageSize": true,
	// Reads that are not named like one.
	"SearchDatastore_Task": true, "SearchDatastoreSubFolders_Task": true, "RecommendHostsForVm": true,
	"PlaceVm": true, "EstimateStorageForConsolidateSnapshots_Task": true, "DoesCustomizationSpecExist": true,
	// OVF descriptors: computed from the arguments, nothing is created.
	"CreateImportSpec": true, "ParseDescriptor": true,
	// Guest reads: downloading a file from the guest and reading its
	// environment change nothing in vCenter or the guest.
	"InitiateFileTransferFromGuest": true, "ReadEnvironmentVariableInGuest": true,
}
