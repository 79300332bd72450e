package host

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// CustomAttribute is one custom attribute (vCenter custom field) value of
// an object.
type CustomAttribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// customAttributes names an object's customValue entries after the field
// definitions of vCenter's CustomFieldsManager, sorted by name. Without a
// CustomFieldsManager (ESXi) there are none.
func customAttributes(ctx context.Context, c *vcenter.Conn, values []types.BaseCustomFieldValue) ([]CustomAttribute, error) {
	out := []CustomAttribute{}
	if len(values) == 0 || c.Client.ServiceContent.CustomFieldsManager == nil {
		return out, nil
	}
	objs, _, err := c.RetrieveMany(ctx, []types.ManagedObjectReference{*c.Client.ServiceContent.CustomFieldsManager}, []string{"field"})
	if err != nil {
		return out, fmt.Errorf("read custom attribute definitions: %w", err)
	}
	names := map[int32]string{}
	if len(objs) == 1 {
		if defs, ok := vcenter.PropVal(objs[0], "field").(types.ArrayOfCustomFieldDef); ok {
			for _, d := range defs.CustomFieldDef {
				names[d.Key] = d.Name
			}
		}
	}
	for _, v := range values {
		sv, ok := v.(*types.CustomFieldStringValue)
		if !ok {
			continue
		}
		name, ok := names[sv.Key]
		if !ok {
			name = fmt.Sprintf("field-%d", sv.Key)
		}
		out = append(out, CustomAttribute{Name: name, Value: sv.Value})
	}
	slices.SortFunc(out, func(a, b CustomAttribute) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// attributesText renders custom attributes one per line, their values
// free text labelled as data (anyone with the right to set them wrote
// them).
func attributesText(b *strings.Builder, attrs []CustomAttribute) {
	for _, a := range attrs {
		fmt.Fprintf(b, "attribute %s: %s\n", toolkit.Name(a.Name), toolkit.FreeText("value", a.Value))
	}
}
