package vcenter

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/vim25/types"
)

// UserEventTypeID identifies the events this server posts.
const UserEventTypeID = "com.vsphere-mcp.action"

// LogUserEvent posts an info event with msg on ref, so vCenter's own
// administrators see in the object's Monitor > Events what was done
// through this server. It uses PostEvent with an EventEx, as `govc
// event.post` does (same privilege as LogUserEvent: Global.LogEvent).
func (c *Conn) LogUserEvent(ctx context.Context, ref types.ManagedObjectReference, msg string) error {
	ev := &types.EventEx{
		EventTypeId: UserEventTypeID,
		Message:     msg,
		Severity:    string(types.EventEventSeverityInfo),
		ObjectType:  ref.Type,
		ObjectId:    ref.Value,
	}
	ev.CreatedTime = time.Now()
	ev.UserName = c.User
	ev.FullFormattedMessage = msg
	switch ref.Type {
	case "VirtualMachine":
		ev.Vm = &types.VmEventArgument{Vm: ref}
	case "HostSystem":
		ev.Host = &types.HostEventArgument{Host: ref}
	}
	if err := event.NewManager(c.Client).PostEvent(ctx, ev); err != nil {
		return fmt.Errorf("post a vCenter event on %s: %w", ref.Value, err)
	}
	return nil
}
