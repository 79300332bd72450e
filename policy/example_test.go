package policy_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
)

// Example walks one destructive call through the checks in the order the
// tools middleware makes them.
func Example() {
	// Setup, once per process.
	custom := map[string]policy.RoleSpec{"lab-operator": {
		Inherits: "operator",
		Scope:    policy.Scope{Folders: []string{"/DC1/vm/lab"}},
		Protect:  []string{"*-prod-*"},
		Confirm:  []string{"vm_power_off"},
		Limits:   policy.Limits{WritesPerHour: 30},
	}}
	role, err := policy.Resolve(custom, "lab-operator")
	if err != nil {
		panic(err)
	}
	role, err = role.Cap(policy.SystemPolicy{MaxRole: "vm-admin", Deny: []string{"vm_destroy"}}, nil)
	if err != nil {
		panic(err)
	}
	limiter := policy.NewLimiter(role.Limits(), time.Now)
	tokens := policy.NewTokens(time.Now, policy.DefaultTokenTTL)
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	trail, err := audit.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		panic(err)
	}
	defer trail.Close()

	// One call: vm_power_off on a lab VM, from a client that cannot elicit.
	tool := policy.ToolInfo{Name: "vm_power_off", Toolset: "vm", Risk: policy.RiskDestructive}
	args := map[string]any{"vm": "lab-web-01"}
	target := policy.Object{Type: "VirtualMachine", Name: "lab-web-01", Path: "/DC1/vm/lab/lab-web-01", Datacenter: "DC1"}

	fmt.Println("listed:", role.Allows(tool))
	if _, err := limiter.Allow(tool.Risk.IsWrite(), 1); err != nil {
		fmt.Println(err)
	}
	fmt.Println("authorized:", role.Authorize(tool, target) == nil)
	if role.NeedsConfirm(tool) {
		tok := tokens.Issue(tool.Name, target.Path, policy.ArgsDigest(args)) // returned with the preview
		args["confirm_token"] = tok                                          // the client calls again
		fmt.Println("redeemed:", tokens.Redeem(tok, tool.Name, target.Path, policy.ArgsDigest(args)) == nil)
		err := tokens.Redeem(tok, tool.Name, target.Path, policy.ArgsDigest(args))
		fmt.Println("again:", errors.Is(err, policy.ErrTokenUsed))
	}
	err = trail.Write(audit.Record{Tool: tool.Name, Role: role.Name(), Args: args,
		Targets: []audit.Target{{ID: "vm-42", Path: target.Path}}, Decision: audit.DecisionConfirmed, Outcome: audit.OutcomeOK}, true)
	fmt.Println("audited:", err == nil)

	prod := policy.Object{Type: "VirtualMachine", Name: "lab-prod-01", Path: "/DC1/vm/lab/lab-prod-01", Datacenter: "DC1"}
	fmt.Println(role.Authorize(tool, prod))
	// Output:
	// listed: true
	// authorized: true
	// redeemed: true
	// again: true
	// audited: true
	// /DC1/vm/lab/lab-prod-01: object is protected against changes by policy; vm_power_off cannot change it
}
