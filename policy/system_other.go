//go:build !windows

package policy

func defaultSystemPolicyPath() string { return "/etc/vsphere-mcp/policy.yaml" }
