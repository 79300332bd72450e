package tag

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// CustomAttributeArgs sets one custom attribute of an object.
type CustomAttributeArgs struct {
	Object string `json:"object" jsonschema:"The object: a VM, host, cluster, datastore, folder, pool…, by name, inventory path or ID"`
	Key    string `json:"key" jsonschema:"The attribute's name, e.g. owner; created for the object's type when vCenter has no such attribute yet"`
	Value  string `json:"value" jsonschema:"The value; empty clears it"`
}

func (a *CustomAttributeArgs) Validate() error {
	if err := toolkit.RequireIdent("object", a.Object, "object"); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(a.Key) == "":
		return fmt.Errorf("key is required: the custom attribute's name, e.g. owner")
	case len(a.Key) > 256:
		return fmt.Errorf("key is %d characters long; the limit is 256", len(a.Key))
	case strings.ContainsFunc(a.Key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("key must not contain control characters")
	case len(a.Value) > 4096:
		return fmt.Errorf("value is %d characters long; the limit is 4096", len(a.Value))
	}
	return nil
}

// CustomAttributeResult is custom_attribute_set's result.
type CustomAttributeResult struct {
	Object   string `json:"object"`
	Type     string `json:"type"`
	ID       string `json:"id"`
	Key      string `json:"key"`
	Before   string `json:"before"`
	Value    string `json:"value"`
	Created  bool   `json:"created_definition,omitempty" jsonschema:"The attribute was new: its definition was created"`
	FieldKey int32  `json:"field_key"`
}

// Text renders before → after.
func (r CustomAttributeResult) Text() string {
	s := fmt.Sprintf("Set custom attribute %s of %s %s (%s): %s → %s", toolkit.Name(r.Key), r.Type, toolkit.Name(r.Object), r.ID,
		toolkit.Quote(r.Before, 200), toolkit.Quote(r.Value, 200))
	if r.Created {
		s += fmt.Sprintf(" (new attribute for every %s)", r.Type)
	}
	return s + "\n"
}

func customAttributeSet() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "custom_attribute_set",
		Title: "Set a custom attribute",
		Description: "Set a custom attribute (vCenter's key/value annotations, e.g. owner=alice) on one object of any kind; " +
			"the attribute is defined for that object type first when vCenter has none by that name. An empty value clears it.",
		Risk:       policy.RiskWrite,
		Idempotent: true,
	}, func(ctx context.Context, d toolkit.Deps, a CustomAttributeArgs) (CustomAttributeResult, error) {
		var out CustomAttributeResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.ResolveAny(ctx, a.Object, nil)
			if err != nil {
				return err
			}
			if c.Client.ServiceContent.CustomFieldsManager == nil {
				return &toolkit.PlainError{Msg: "this vCenter has no custom fields manager (an ESXi host has no custom attributes); nothing was set"}
			}
			m := object.NewCustomFieldsManager(c.Client)
			fields, err := m.Field(ctx)
			if err != nil {
				return fmt.Errorf("read the custom attribute definitions: %w", err)
			}
			var def *types.CustomFieldDef
			for i, f := range fields {
				if f.Name == a.Key && (f.ManagedObjectType == "" || f.ManagedObjectType == o.Ref.Type) {
					def = &fields[i]
					break
				}
			}
			var me mo.ManagedEntity
			if err := c.ReadOne(ctx, o, []string{"customValue"}, &me); err != nil {
				return err
			}
			out = CustomAttributeResult{Object: o.Name, Type: o.Ref.Type, ID: o.ID(), Key: a.Key, Value: a.Value}
			if def != nil {
				out.Before = fieldValue(me.CustomValue, def.Key)
				out.FieldKey = def.Key
				if out.Before == a.Value {
					return nil // as asked already
				}
			}
			what := fmt.Sprintf("Set custom attribute %s to %s", toolkit.Name(a.Key), toolkit.Quote(a.Value, 200))
			if def == nil {
				what += fmt.Sprintf(" (defining the attribute for every %s)", o.Ref.Type)
			}
			if err := guard.Act(ctx, what, o); err != nil {
				return err
			}
			if def == nil {
				if def, err = m.Add(ctx, a.Key, o.Ref.Type, nil, nil); err != nil {
					return fmt.Errorf("define custom attribute %s: %w; nothing was set", toolkit.Name(a.Key), err)
				}
				out.Created, out.FieldKey = true, def.Key
			}
			if err := m.Set(ctx, o.Ref, def.Key, a.Value); err != nil {
				return fmt.Errorf("set custom attribute %s of %s: %w", toolkit.Name(a.Key), toolkit.Path(o.Path), err)
			}
			if err := c.ReadOne(ctx, o, []string{"customValue"}, &me); err == nil {
				out.Value = fieldValue(me.CustomValue, def.Key)
			}
			return nil
		})
		return out, err
	})
}

func fieldValue(vals []types.BaseCustomFieldValue, key int32) string {
	for _, v := range vals {
		if s, ok := v.(*types.CustomFieldStringValue); ok && s.Key == key {
			return s.Value
		}
	}
	return ""
}
