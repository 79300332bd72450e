package console

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ConsoleURLResult is a console link for a person's browser. The ticket
// in it is a credential for this VM's console: it is in the result (the
// person needs it) and nowhere else — not in an error, the log or the
// audit trail, which records only the call's arguments and outcome.
type ConsoleURLResult struct {
	VM   string `json:"vm"`
	ID   string `json:"id"`
	Path string `json:"path"`
	URL  string `json:"url" jsonschema:"The vSphere Client web console for the VM: open it in a browser"`
	WSS  string `json:"wss,omitempty" jsonschema:"The WebMKS endpoint the ticket is for (wss://host:port/ticket/...), for a WebMKS client"`
	Note string `json:"note"`
}

func (r ConsoleURLResult) Text() string {
	return fmt.Sprintf("Console of VM %s (%s) %s: open in a browser (%s):\n%s\n", toolkit.Name(r.VM), r.ID, toolkit.Path(r.Path), r.Note, r.URL)
}

const ticketNote = "it holds a one-time console ticket: use it within a few minutes, and give it only to the person who asked"

func vmConsoleURL() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "vm_console_url",
		Title: "Console link for a VM",
		Description: "Make a link a person opens in a browser to use a VM's console (the vSphere Client web console, with a WebMKS ticket). " +
			"The ticket is a one-time credential for this VM's console, valid for a few minutes: hand the link to the person, do not reuse it. The VM must be powered on.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a params.VMArgs) (ConsoleURLResult, error) {
		var out ConsoleURLResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			vm, err := readVM(ctx, c, a.VM)
			if err != nil {
				return err
			}
			if err := vm.needsConsole("open"); err != nil {
				return err
			}
			if err := guard.Act(ctx, "Issue a console ticket for VM "+toolkit.Path(vm.Path), vm.Object); err != nil {
				return err
			}
			res, err := methods.AcquireTicket(ctx, c.Client, &types.AcquireTicket{This: vm.Ref, TicketType: string(types.VirtualMachineTicketTypeWebmks)})
			if err != nil {
				// vCenter's faults never carry the ticket: it was not issued.
				return fmt.Errorf("get a console ticket for %s: %w", toolkit.Name(vm.Name), err)
			}
			out = ConsoleURLResult{VM: vm.Name, ID: vm.ID(), Path: vm.Path, Note: ticketNote}
			out.URL, out.WSS = consoleLinks(c, vm.Object, res.Returnval)
			return nil
		})
		return out, explain(err, "AcquireTicket")
	})
}

// consoleLinks builds the web console link in the shape of govc's
// vm.console -h5 (vmId, vmName, serverGuid, host, sessionTicket,
// thumbprint) with the WebMKS ticket, and the ticket's WebSocket endpoint
// as govc's vm.console -wss gives it. govc's -h5 link carries a clone
// ticket of its whole session instead: here that would hand the browser
// every privilege of this server's vCenter user, past the role; a WebMKS
// ticket opens this one VM's console and nothing else.
func consoleLinks(c *vcenter.Conn, vm vcenter.Object, t types.VirtualMachineTicket) (string, string) {
	vc := c.Client.URL()
	host := vc.Host
	if t.Host != "" {
		host = t.Host
		if t.Port != 0 {
			host = net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port)))
		}
	}
	q := url.Values{
		"vmId":          {vm.ID()},
		"vmName":        {vm.Name},
		"serverGuid":    {c.Client.ServiceContent.About.InstanceUuid},
		"host":          {host},
		"sessionTicket": {t.Ticket},
	}
	if t.SslThumbprint != "" {
		q.Set("thumbprint", t.SslThumbprint)
	}
	u := url.URL{Scheme: "https", Host: vc.Host, Path: "/ui/webconsole.html", RawQuery: q.Encode()}
	wss := url.URL{Scheme: "wss", Host: host, Path: "/ticket/" + t.Ticket}
	return u.String(), wss.String()
}
