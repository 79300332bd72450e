package vcenter

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// deadlineRoundTripper bounds every SOAP round trip by the call timeout, so
// a vCenter (or a network path) that stops answering ends the call with a
// clear error instead of holding it, and a tool worker, for ever.
//
// A write that waits for a vCenter task keeps waiting: govmomi waits with
// property-collector round trips, each bounded on its own. Those are long
// polls, though: WaitForUpdatesEx without MaxWaitSeconds (what govmomi's
// task.Wait and property.Wait send) blocks in vCenter until something
// changes, which for a quiet task can be longer than any sensible bound.
// So such a request gets a MaxWaitSeconds of its own (vCenter then answers
// "nothing yet" and govmomi simply asks again), and its bound is that wait
// plus the call timeout. The legacy WaitForUpdates has no such option and
// is left to its caller's context; nothing here or in govmomi sends it.
type deadlineRoundTripper struct {
	next  soap.RoundTripper
	limit time.Duration
}

func newDeadlineRoundTripper(next soap.RoundTripper, limit time.Duration) *deadlineRoundTripper {
	if limit <= 0 {
		limit = DefaultCallTimeout
	}
	return &deadlineRoundTripper{next: next, limit: limit}
}

// errCallDeadline marks the deadline this round tripper set, to tell it
// from the caller's own.
var errCallDeadline = errors.New("call_timeout reached")

func (d *deadlineRoundTripper) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	limit := d.limit
	var wait time.Duration
	switch b := req.(type) {
	case *methods.WaitForUpdatesExBody:
		req, wait = boundLongPoll(b, d.limit)
		limit += wait
	case *methods.WaitForUpdatesBody:
		return d.next.RoundTrip(ctx, req, res)
	}
	cctx, cancel := context.WithTimeoutCause(ctx, limit, errCallDeadline)
	defer cancel()
	err := d.next.RoundTrip(cctx, req, res)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(cctx), errCallDeadline) {
		return &CallTimeoutError{Method: methodName(req), Limit: d.limit, Wait: wait}
	}
	return err
}

// boundLongPoll returns the WaitForUpdatesEx request to send and how long
// vCenter may hold it. A request that sets MaxWaitSeconds is sent as it is.
// One without gets a copy with half the call timeout (1 s to 60 s): the
// caller's own request is not changed, because govmomi reads its options
// to tell "nothing yet" from "MaxWaitSeconds exceeded", and with none set
// it asks again, which is the point.
func boundLongPoll(b *methods.WaitForUpdatesExBody, limit time.Duration) (*methods.WaitForUpdatesExBody, time.Duration) {
	if b.Req == nil {
		return b, 0
	}
	if o := b.Req.Options; o != nil && o.MaxWaitSeconds != nil {
		return b, time.Duration(max(*o.MaxWaitSeconds, 0)) * time.Second
	}
	want := int32(min(max(limit/2, time.Second), time.Minute) / time.Second)
	r := *b.Req
	var opts types.WaitOptions
	if r.Options != nil {
		opts = *r.Options
	}
	opts.MaxWaitSeconds = &want
	r.Options = &opts
	return &methods.WaitForUpdatesExBody{Req: &r}, time.Duration(want) * time.Second
}

// methodName is the vSphere method of a request body
// (*methods.RetrievePropertiesExBody → RetrievePropertiesEx).
func methodName(req soap.HasFault) string {
	t := reflect.TypeOf(req)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.TrimSuffix(t.Name(), "Body")
}

// CallTimeoutError is a SOAP round trip vCenter did not answer within the
// call timeout. vCenter may still carry out a change it was asked for.
type CallTimeoutError struct {
	Method string
	Limit  time.Duration // the call timeout
	Wait   time.Duration // for a long poll, the wait it asked vCenter for
}

func (e *CallTimeoutError) Error() string {
	within := e.Limit.String()
	if e.Wait > 0 {
		within = fmt.Sprintf("%s after its %s wait", e.Limit, e.Wait)
	}
	return fmt.Sprintf("vCenter did not answer %s within %s (call_timeout); it or the network to it may be down or overloaded: "+
		"retry later, or raise call_timeout if vCenter is only slow; a change it was asked for may still happen: check task_list before repeating it", e.Method, within)
}

// Unwrap lets errors.Is(err, context.DeadlineExceeded) see a timeout.
func (e *CallTimeoutError) Unwrap() error { return context.DeadlineExceeded }
