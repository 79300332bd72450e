package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VCenterInfo is vcenter_info's result.
type VCenterInfo struct {
	Product      string `json:"product"`
	FullName     string `json:"full_name"`
	Version      string `json:"version"`
	Build        string `json:"build"`
	APIType      string `json:"api_type" jsonschema:"VirtualCenter (vCenter) or HostAgent (a standalone ESXi host)"`
	APIVersion   string `json:"api_version"`
	InstanceUUID string `json:"instance_uuid,omitempty"`
	User         string `json:"user"`
	URL          string `json:"url"`
}

// Text renders the product and session as labelled lines, what vCenter
// says of itself escaped like any vCenter text.
func (v VCenterInfo) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", toolkit.Name(v.FullName))
	fmt.Fprintf(&b, "api: %s %s\n", toolkit.Name(v.APIType), toolkit.Name(v.APIVersion))
	if v.InstanceUUID != "" {
		fmt.Fprintf(&b, "instance_uuid: %s\n", toolkit.Name(v.InstanceUUID))
	}
	fmt.Fprintf(&b, "user: %s\nurl: %s\n", toolkit.Name(v.User), toolkit.Path(v.URL))
	return b.String()
}

func vcenterInfo() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:        "vcenter_info",
		Title:       "Show the vCenter",
		Description: "Show the connected vCenter or ESXi host: product, version, build, API type and version, instance UUID and the logged-in user.",
		Risk:        policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, _ toolkit.NoArgs) (VCenterInfo, error) {
		var out VCenterInfo
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			a := c.About
			out = VCenterInfo{
				Product: a.Name, FullName: a.FullName, Version: a.Version, Build: a.Build,
				APIType: a.ApiType, APIVersion: a.ApiVersion, InstanceUUID: a.InstanceUuid, User: c.User,
			}
			return nil
		})
		if u, perr := vcenter.ParseURL(d.Session.Config().URL); perr == nil {
			u.User = nil // never show credentials a URL may carry
			out.URL = u.String()
		}
		return out, err
	})
}
