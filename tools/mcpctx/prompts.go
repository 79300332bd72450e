package mcpctx

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// A prompt is a runbook: the tools to call in order, with their
// arguments, and what to report. Rendering needs no vCenter: it names
// only the steps this server serves and the role may call, says which
// toolset would serve a step the role allows but the server lacks, and
// quotes the user's arguments.

// step is one tool call of a runbook.
type step struct {
	tool string
	args string // as the model should pass them, with the user's values in
	why  string
}

type promptDef struct {
	name, title, desc string
	args              []promptArg
	// render turns validated arguments into the steps and the closing
	// instructions.
	render func(a map[string]string) (intro string, steps []step, report string)
}

type promptArg struct {
	name, desc string
	required   bool
	// kinds are the managed object types whose names complete it; empty:
	// values (see complete).
	kinds  []string
	values []string
}

// maxPromptArg bounds an argument a user gives a prompt.
const maxPromptArg = 200

// q renders a user's argument for the model: as it is when plain, quoted
// and escaped otherwise (a newline cannot start an instruction of its own).
func q(s string) string {
	if n := toolkit.Name(s); n == s {
		return s
	}
	return toolkit.Quote(s, maxPromptArg)
}

var prompts = []promptDef{
	{
		name: "health_check", title: "vSphere health check",
		desc: "Check the health of the whole inventory, or of one cluster or datacenter: alarms, hosts, datastores, failed tasks, recent errors.",
		args: []promptArg{{name: "scope", desc: "A cluster or datacenter name (optional: the whole inventory)", kinds: []string{"ClusterComputeResource", "Datacenter"}}},
		render: func(a map[string]string) (string, []step, string) {
			scope, where, obj, loc := a["scope"], "the whole vSphere inventory", "", ""
			if scope != "" {
				where = "the cluster or datacenter " + q(scope)
				obj = " object=" + q(scope)
				loc = " cluster=" + q(scope) + " (or datacenter=" + q(scope) + " if it is a datacenter: cluster_get tells)"
			}
			dcArg := ""
			if scope != "" {
				dcArg = "datacenter=" + q(scope) + " if it is a datacenter, else no arguments"
			}
			return "Run a health check of " + where + ". Call these tools in this order; read-only, nothing is changed.",
				[]step{
					{"vcenter_info", "", "which vCenter and version, and that the connection works"},
					{"inventory_summary", dcArg, "counts of hosts, VMs and datastores as the baseline"},
					{"alarm_list", "status=red" + obj, "what is red; then again with status=yellow"},
					{"host_list", strings.TrimPrefix(loc, " "), "hosts that are disconnected, not responding or in maintenance mode"},
					{"datastore_list", "", "datastores that are inaccessible or more than 85% full (used_pct)"},
					{"task_list", "state=error" + obj, "tasks that failed recently"},
					{"event_list", "severity=error since=24h" + obj, "errors of the last day"},
				},
				"Report: a short verdict (healthy / degraded / critical) first, then one line per problem with the object, what is wrong and the next step; say what you could not check."
		},
	},
	{
		name: "capacity_report", title: "Cluster capacity report",
		desc: "A capacity report for one cluster: CPU, memory and storage used and free, headroom to lose a host, the heaviest VMs.",
		args: []promptArg{{name: "cluster", desc: "The cluster's name, inventory path or ID", required: true, kinds: []string{"ClusterComputeResource"}}},
		render: func(a map[string]string) (string, []step, string) {
			c := q(a["cluster"])
			return "Write a capacity report for the cluster " + c + ". Call these tools in this order; read-only, nothing is changed.",
				[]step{
					{"cluster_get", "cluster=" + c, "CPU and memory totals and use, hosts, HA admission control, datastores"},
					{"host_list", "cluster=" + c, "each host's CPU and memory, and which are in maintenance mode"},
					{"metrics_top", "type=host metric=cpu.usage cluster=" + c + " interval=day", "the busiest hosts over the last day; then metric=mem.usage"},
					{"metrics_top", "type=vm metric=cpu.usage cluster=" + c + " n=10", "the ten heaviest VMs now; then metric=mem.usage"},
					{"datastore_get", "datastore=<each datastore cluster_get listed>", "capacity, free space and uncommitted space of each"},
				},
				"Report: a table of CPU (GHz), memory (GB) and storage (GB) with total, used, free and percent; whether the cluster can lose its largest host (N+1) and still run what runs now; the heaviest VMs; datastores above 80% used. End with the three most useful actions."
		},
	},
	{
		name: "snapshot_hygiene", title: "Snapshot hygiene",
		desc: "Find VM snapshots older than a number of days (default 7) and deep snapshot chains, and propose what to delete.",
		args: []promptArg{{name: "older_than_days", desc: "Age in days from which a snapshot counts as old (default 7)", values: []string{"1", "3", "7", "14", "30", "60", "90"}}},
		render: func(a map[string]string) (string, []step, string) {
			days := a["older_than_days"]
			n, _ := strconv.Atoi(days)
			cutoff := time.Now().UTC().AddDate(0, 0, -n).Format("2006-01-02")
			return fmt.Sprintf("Review VM snapshots: find those older than %d days (created before %s) and chains deeper than 3. Call these tools in this order; they only read.", n, cutoff),
				[]step{
					{"vm_list", "limit=200 (pass next_cursor back as cursor until it is empty; narrow with datacenter or cluster if the user named one)", "every VM, with its ID"},
					{"snapshot_list", "vm=<ID of each VM>", "each VM's snapshot tree with creation times; note snapshots created before " + cutoff},
				},
				"Report: a table of VM, snapshot, created, age in days and chain depth, oldest first; how many VMs have old snapshots. Propose deletions, but delete nothing unless the user asks for it; then use snapshot_delete vm=<ID> snapshot=<name or ID>, one snapshot per call (it asks the person to confirm)."
		},
	},
	{
		name: "maintenance_prep", title: "Prepare a host for maintenance",
		desc: "Prepare an ESXi host for maintenance mode: what runs on it, whether its cluster can take the load, what blocks evacuation; then enter maintenance mode once the user agrees.",
		args: []promptArg{{name: "host", desc: "The host's name, inventory path or ID", required: true, kinds: []string{"HostSystem"}}},
		render: func(a map[string]string) (string, []step, string) {
			h := q(a["host"])
			return "Prepare the host " + h + " for maintenance. Call these tools in this order; the first ones only read.",
				[]step{
					{"host_get", "host=" + h, "its state, cluster, maintenance mode and the VMs on it"},
					{"vm_list", "host=" + h + " power_state=poweredOn", "the running VMs that must move"},
					{"cluster_get", "cluster=<the host's cluster from host_get>", "DRS enabled and fully automated? HA admission control?"},
					{"cluster_drs_recommendations", "cluster=<the host's cluster>", "pending DRS recommendations"},
					{"metrics_top", "type=host metric=mem.usage cluster=<the host's cluster>", "whether the other hosts have room (then metric=cpu.usage)"},
					{"task_list", "object=" + h + " state=running", "tasks still running on the host"},
					{"alarm_list", "object=" + h, "alarms on the host"},
					{"host_maintenance_enter", "host=" + h, "only after the user agreed to the plan: it asks the person to confirm, and DRS evacuates the running VMs (without fully automated DRS, move them first with vm_migrate)"},
				},
				"Before the last step, report: the VMs that will move and where they can go, anything that blocks evacuation (local storage, CPU affinity, no DRS, too little room), and the plan; ask the user to go ahead."
		},
	},
}

func (e *ext) addPrompts(s *server.MCPServer) {
	for i := range prompts {
		p := &prompts[i]
		opts := []mcp.PromptOption{mcp.WithPromptDescription(p.desc)}
		for _, a := range p.args {
			aopts := []mcp.ArgumentOption{mcp.ArgumentDescription(a.desc)}
			if a.required {
				aopts = append(aopts, mcp.RequiredArgument())
			}
			opts = append(opts, mcp.WithArgument(a.name, aopts...))
		}
		def := mcp.NewPrompt(p.name, opts...)
		def.Title = p.title
		s.AddPrompt(def, func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return e.renderPrompt(p, req.Params.Arguments)
		})
	}
}

// renderPrompt validates the arguments and writes the runbook.
func (e *ext) renderPrompt(p *promptDef, given map[string]string) (*mcp.GetPromptResult, error) {
	a := map[string]string{}
	for k, v := range given {
		if !slices.ContainsFunc(p.args, func(pa promptArg) bool { return pa.name == k }) {
			return nil, fmt.Errorf("prompt %s has no argument %s; its arguments are %s", p.name, q(k), argNames(p))
		}
		v = strings.TrimSpace(v)
		if len(v) > maxPromptArg {
			return nil, fmt.Errorf("argument %s is %d bytes long; the limit is %d", k, len(v), maxPromptArg)
		}
		a[k] = v
	}
	for _, pa := range p.args {
		if pa.required && a[pa.name] == "" {
			return nil, fmt.Errorf("prompt %s needs the argument %s: %s", p.name, pa.name, pa.desc)
		}
	}
	if p.name == "snapshot_hygiene" {
		if a["older_than_days"] == "" {
			a["older_than_days"] = "7"
		}
		n, err := strconv.Atoi(a["older_than_days"])
		if err != nil || n < 0 || n > 3650 {
			return nil, fmt.Errorf("older_than_days must be a whole number of days from 0 to 3650, not %s", q(a["older_than_days"]))
		}
	}
	intro, steps, report := p.render(a)
	var b strings.Builder
	b.WriteString(intro + "\n")
	var missing []string
	denied := false
	n := 0
	for _, st := range steps {
		if !e.offered(st.tool) {
			if t, ok := e.catalog[st.tool]; ok && e.g.Permits(t) {
				missing = append(missing, fmt.Sprintf("%s (toolset %s)", st.tool, t.Toolset))
			} else {
				denied = true
			}
			continue
		}
		n++
		fmt.Fprintf(&b, "%d. %s", n, st.tool)
		if st.args != "" {
			b.WriteString(" " + st.args)
		}
		b.WriteString(" — " + st.why + "\n")
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "Not served here, so skip them and say so: %s. The user can add those toolsets with --toolsets or the profile's toolsets key.\n", strings.Join(slices.Compact(missing), ", "))
	}
	if denied {
		fmt.Fprintf(&b, "Some steps are left out: role %s may not call them.\n", e.g.RoleName())
	}
	b.WriteString(report + "\n")
	b.WriteString("Objects are named by name, inventory path or ID; prefer the IDs the tools return for the next call.")
	return mcp.NewGetPromptResult(p.desc, []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(b.String())),
	}), nil
}

func argNames(p *promptDef) string {
	var names []string
	for _, a := range p.args {
		names = append(names, a.name)
	}
	return strings.Join(names, ", ")
}
