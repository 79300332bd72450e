package tag

import (
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// customValue reads the value of the custom field key on ref through
// govmomi, with the field's definition.
func (e *env) customValue(ref types.ManagedObjectReference, key string) (string, *types.CustomFieldDef) {
	e.T.Helper()
	m := object.NewCustomFieldsManager(e.Vim)
	fields, err := m.Field(e.Ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	var me mo.ManagedEntity
	if err := property.DefaultCollector(e.Vim).RetrieveOne(e.Ctx, ref, []string{"customValue"}, &me); err != nil {
		e.T.Fatal(err)
	}
	for i, f := range fields {
		if f.Name != key || f.ManagedObjectType != ref.Type {
			continue
		}
		for _, v := range me.CustomValue {
			if s, ok := v.(*types.CustomFieldStringValue); ok && s.Key == f.Key {
				return s.Value, &fields[i]
			}
		}
		return "", &fields[i]
	}
	return "", nil
}

// TestCustomAttributeSet: the first set defines the attribute for the
// object's type; later sets change the value (before → after); setting the
// same value again changes nothing; a host takes its own definition.
func TestCustomAttributeSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "vm-admin", nil)
	vm0 := e.VMRef("/DC0/vm/DC0_H0_VM0")

	var r CustomAttributeResult
	text := e.OK("custom_attribute_set", map[string]any{"object": "DC0_H0_VM0", "key": "owner", "value": "alice"}, &r)
	if !r.Created || r.Before != "" || r.Value != "alice" || r.ID != vm0.Value {
		t.Fatalf("first set: %+v", r)
	}
	toolstest.MustContain(t, text, "Set custom attribute owner of VirtualMachine DC0_H0_VM0 ("+vm0.Value+`): "" → "alice" (new attribute for every VirtualMachine)`)
	v, def := e.customValue(vm0, "owner")
	if v != "alice" || def == nil || def.ManagedObjectType != "VirtualMachine" {
		t.Fatalf("govmomi reads %q, %+v", v, def)
	}

	r = CustomAttributeResult{}
	e.OK("custom_attribute_set", map[string]any{"object": vm0.Value, "key": "owner", "value": "bob"}, &r)
	if r.Created || r.Before != "alice" || r.Value != "bob" {
		t.Errorf("second set: %+v", r)
	}
	if v, _ := e.customValue(vm0, "owner"); v != "bob" {
		t.Errorf("govmomi reads %q after the second set", v)
	}
	r = CustomAttributeResult{}
	e.OK("custom_attribute_set", map[string]any{"object": vm0.Value, "key": "owner", "value": "bob"}, &r)
	if r.Before != "bob" || r.Value != "bob" {
		t.Errorf("same value: %+v", r)
	}

	r = CustomAttributeResult{}
	e.OK("custom_attribute_set", map[string]any{"object": "DC0_C0_H0", "key": "owner", "value": "infra"}, &r)
	if !r.Created || r.Type != "HostSystem" {
		t.Errorf("host set: %+v", r)
	}
	host := types.ManagedObjectReference{Type: "HostSystem", Value: r.ID}
	if v, _ := e.customValue(host, "owner"); v != "infra" {
		t.Errorf("govmomi reads the host's owner as %q", v)
	}
	// vm_get shows the VM's attributes.
	toolstest.MustContain(t, e.OK("vm_get", map[string]any{"vm": "DC0_H0_VM0"}, nil), `custom: owner="bob"`)
}

// TestTagScope: a role scoped to DC0 tags only objects it sees, counts
// only those, and cannot delete a tag that objects outside its scope
// carry.
func TestTagScope(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"dc0": {Inherits: "vm-admin", Scope: policy.Scope{Datacenters: []string{"DC0"}}}}
	e := newEnv(t, "dc0", custom)
	e.OK("tag_category_create", map[string]any{"name": "env", "cardinality": "multiple"}, nil)
	e.OK("tag_create", map[string]any{"category": "env", "name": "test"}, nil)

	toolstest.MustContain(t, e.Fails("tag_attach", map[string]any{"tag": "env:test", "objects": []string{"DC1_H0_VM0"}}), `no object matches "DC1_H0_VM0"`)
	toolstest.MustContain(t, e.Fails("custom_attribute_set", map[string]any{"object": "DC1_H0_VM0", "key": "owner", "value": "x"}), `no object matches "DC1_H0_VM0"`)
	e.OK("tag_attach", map[string]any{"tag": "env:test", "objects": []string{"DC0_H0_VM0"}}, nil)

	// An administrator tags a DC1 VM behind the profile's back.
	dc1 := e.VMRef("/DC1/vm/DC1_H0_VM0")
	if err := e.Tags.AttachTag(e.Ctx, e.tag("env:test").ID, dc1); err != nil {
		t.Fatal(err)
	}
	var tl TagList
	e.OK("tag_list", nil, &tl)
	if len(tl.Tags) != 1 || tl.Tags[0].Objects != 1 {
		t.Errorf("scoped tag_list counts %+v, want the one DC0 VM", tl.Tags)
	}
	toolstest.MustContain(t, e.Fails("tag_object_list", map[string]any{"object": dc1.Value}), `no object matches "`+dc1.Value+`"`)
	toolstest.MustContain(t, e.Fails("tag_delete", map[string]any{"tag": "env:test"}), "is on 1 objects outside this profile's scope")
	toolstest.MustContain(t, e.Fails("tag_category_delete", map[string]any{"category": "env"}), "is on 1 objects outside this profile's scope")
	if got := e.attached("env:test"); len(got) != 2 {
		t.Errorf("refused deletes changed the tag: %v", got)
	}
	if q := e.person.questions(); len(q) != 0 {
		t.Errorf("a refused delete asked the person: %q", q)
	}
}
