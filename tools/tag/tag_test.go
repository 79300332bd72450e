package tag

import (
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/tools/vm"
)

// TestTagLifecycle runs the category and tag tools as vm-admin, reading
// each effect back through an independent vAPI client: create, list,
// attach (by identifiers of several kinds and by filter), cardinality and
// type checks, detach, and deletes that a person declines, then confirms.
func TestTagLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "vm-admin", nil)
	vm0, vm1 := e.VMRef("/DC0/vm/DC0_H0_VM0"), e.VMRef("/DC0/vm/DC0_H0_VM1")

	// Categories.
	var cr CategoryResult
	text := e.OK("tag_category_create", map[string]any{"name": "env", "description": "where it runs", "associable_types": []string{"VirtualMachine"}}, &cr)
	if cr.Category.Cardinality != "single" || cr.Category.ID == "" || !slices.Equal(cr.Category.AssociableTypes, []string{"VirtualMachine"}) {
		t.Fatalf("create category: %+v", cr)
	}
	toolstest.MustContain(t, text, "Created tag category env (urn:vmomi:InventoryServiceCategory:", "single, for VirtualMachine")
	e.OK("tag_category_create", map[string]any{"name": "owner", "cardinality": "multiple"}, nil)
	cats := mustCategories(e)
	if len(cats) != 2 {
		t.Fatalf("vAPI reads %d categories", len(cats))
	}
	for _, c := range cats {
		if c.Name == "env" && (c.Cardinality != "SINGLE" || c.Description != "where it runs") || c.Name == "owner" && c.Cardinality != "MULTIPLE" {
			t.Errorf("category read back: %+v", c)
		}
	}
	toolstest.MustContain(t, e.Fails("tag_category_create", map[string]any{"name": "env"}), "tag category env exists already")

	// Tags.
	var tr TagResult
	text = e.OK("tag_create", map[string]any{"category": "env", "name": "test", "description": "test systems"}, &tr)
	toolstest.MustContain(t, text, "Created tag env:test (urn:vmomi:InventoryServiceTag:")
	e.OK("tag_create", map[string]any{"category": "env", "name": "prod"}, nil)
	e.OK("tag_create", map[string]any{"category": "owner", "name": "alice"}, nil)
	if got := e.tag("env:test"); got.ID != tr.Tag.ID || got.Description != "test systems" {
		t.Fatalf("tag read back: %+v, tool said %+v", got, tr)
	}
	toolstest.MustContain(t, e.Fails("tag_create", map[string]any{"category": "env", "name": "test"}), "tag env:test exists already")
	toolstest.MustContain(t, e.Fails("tag_create", map[string]any{"category": "nope", "name": "x"}), "no tag category nope; the categories are env, owner")

	// Attach by name, path and ID; again: unchanged.
	var ar TagObjectsResult
	text = e.OK("tag_attach", map[string]any{"tag": "env:test", "objects": []string{"DC0_H0_VM0", "/DC0/vm/DC0_H0_VM1", vm0.Value}}, &ar)
	if ar.Succeeded != 2 || ar.Failed != 0 || len(ar.Results) != 2 {
		t.Fatalf("attach: %+v", ar)
	}
	toolstest.MustContain(t, text, "Attach tag env:test: 2 done, 0 unchanged, 0 failed", "DC0_H0_VM0\tVirtualMachine\t"+vm0.Value+"\tdone")
	if got := e.attached("env:test"); !slices.Equal(got, toolstest.Sorted([]string{vm0.Value, vm1.Value})) {
		t.Fatalf("vAPI reads env:test on %v", got)
	}
	if rec := toolstest.LastAudit(t, e.policy); rec.Tool != "tag_attach" || rec.Decision != audit.DecisionAllowed || rec.Outcome != audit.OutcomeOK ||
		len(rec.Targets) != 2 || rec.Targets[0].ID != vm0.Value || rec.Targets[1].ID != vm1.Value {
		t.Errorf("audit of the attach: %+v", rec)
	}
	e.OK("tag_attach", map[string]any{"tag": tr.Tag.ID, "objects": []string{"DC0_H0_VM0"}}, &ar)
	if ar.Unchanged != 1 || ar.Succeeded != 0 {
		t.Errorf("attach again: %+v", ar)
	}

	// Single cardinality and associable types are checked before anything
	// changes; a call where every object fails is an error.
	toolstest.MustContain(t, e.Fails("tag_attach", map[string]any{"tag": "env:prod", "objects": []string{"DC0_H0_VM0"}}),
		"it carries env:test already and category env takes one tag per object")
	toolstest.MustContain(t, e.Fails("tag_attach", map[string]any{"tag": "env:prod", "objects": []string{"DC0_C0_H0"}}),
		"category env applies only to VirtualMachine, not to a HostSystem")
	if got := e.tagsOn(vm0); !slices.Equal(got, []string{"env:test"}) {
		t.Errorf("refused attach changed the VM's tags: %v", got)
	}
	// A mixed call: one done, one refused, reported per object.
	e.OK("tag_attach", map[string]any{"tag": "env:prod", "objects": []string{"DC0_H0_VM0", "DC0_C0_RP1_VM0"}}, &ar)
	if ar.Succeeded != 1 || ar.Failed != 1 || ar.Results[0].Outcome != "failed" || ar.Results[1].Outcome != "done" {
		t.Errorf("mixed attach: %+v", ar)
	}
	// A multiple category takes several tags on one object, of any kind.
	e.OK("tag_attach", map[string]any{"tag": "owner:alice", "objects": []string{"DC0_H0_VM0", "DC0_C0_H0", "DC0_C0"}}, &ar)
	if ar.Succeeded != 3 {
		t.Errorf("attach to several kinds: %+v", ar)
	}

	// Listing.
	var tl TagList
	text = e.OK("tag_list", nil, &tl)
	counts := map[string]int{}
	for _, it := range tl.Tags {
		counts[it.Tag] = it.Objects
	}
	if counts["env:test"] != 2 || counts["env:prod"] != 1 || counts["owner:alice"] != 3 || len(tl.Tags) != 3 {
		t.Errorf("tag_list: %+v", tl)
	}
	toolstest.MustContain(t, text, "3 tags\ntag\tobjects\tid\tdescription", "env:test\t2\t")
	e.OK("tag_list", map[string]any{"category": "owner"}, &tl)
	if len(tl.Tags) != 1 || tl.Tags[0].Tag != "owner:alice" {
		t.Errorf("tag_list category=owner: %+v", tl)
	}
	var cl CategoryList
	e.OK("tag_category_list", nil, &cl)
	if len(cl.Categories) != 2 || cl.Categories[0].Name != "env" || cl.Categories[0].Tags != 2 || cl.Categories[1].Tags != 1 {
		t.Errorf("tag_category_list: %+v", cl)
	}
	var ot ObjectTags
	text = e.OK("tag_object_list", map[string]any{"object": "DC0_H0_VM0"}, &ot)
	if ot.ID != vm0.Value || len(ot.Tags) != 2 || ot.Tags[0].Tag != "env:test" || ot.Tags[1].Tag != "owner:alice" {
		t.Errorf("tag_object_list: %+v", ot)
	}
	toolstest.MustContain(t, text, "VirtualMachine /DC0/vm/DC0_H0_VM0 ("+vm0.Value+"): 2 tags")

	// Detach; again: unchanged.
	e.OK("tag_detach", map[string]any{"tag": "owner:alice", "objects": []string{"DC0_C0_H0", "DC0_H0_VM0"}}, &ar)
	if ar.Succeeded != 2 {
		t.Errorf("detach: %+v", ar)
	}
	if got := e.attached("owner:alice"); len(got) != 1 {
		t.Errorf("vAPI reads owner:alice on %v after detaching two of three", got)
	}
	e.OK("tag_detach", map[string]any{"tag": "owner:alice", "objects": []string{"DC0_C0_H0"}}, &ar)
	if ar.Unchanged != 1 {
		t.Errorf("detach again: %+v", ar)
	}

	// Deletes: declined changes nothing; confirmed deletes, and the
	// question named what goes with it.
	e.person.answer(false)
	toolstest.MustContain(t, e.Fails("tag_delete", map[string]any{"tag": "env:test"}), "did not confirm")
	if got := e.attached("env:test"); len(got) != 2 {
		t.Fatalf("declined tag_delete changed env:test: %v", got)
	}
	toolstest.MustContain(t, e.Fails("tag_category_delete", map[string]any{"category": "env"}), "did not confirm")
	if len(mustCategories(e)) != 2 {
		t.Fatal("declined tag_category_delete deleted the category")
	}
	if q := e.person.questions(); len(q) != 2 || !strings.Contains(q[0], "Delete tag env:test, removing it from the 2 objects that carry it") ||
		!strings.Contains(q[1], "Delete tag category env with its 2 tags, removing them from the 3 objects that carry them") {
		t.Errorf("questions: %q", q)
	}
	e.person.answer(true)
	text = e.OK("tag_delete", map[string]any{"tag": "env:test"}, nil)
	toolstest.MustContain(t, text, "Deleted tag env:test", "removed from the 2 objects")
	if got := e.tagsOn(vm0); slices.Contains(got, "env:test") {
		t.Errorf("deleted tag still on the VM: %v", got)
	}
	if rec := toolstest.LastAudit(t, e.policy); rec.Tool != "tag_delete" || rec.Decision != audit.DecisionConfirmed || len(rec.Targets) != 3 {
		t.Errorf("audit of the delete (the tag and the 2 VMs carrying it): %+v", rec)
	}
	e.OK("tag_category_delete", map[string]any{"category": "env"}, &cr)
	if len(cr.Removed) != 1 || cr.Removed[0] != "env:prod" {
		t.Errorf("category delete: %+v", cr)
	}
	if cats := mustCategories(e); len(cats) != 1 || cats[0].Name != "owner" {
		t.Errorf("categories after delete: %+v", cats)
	}
}

// TestTagArgs: wrong calls are refused clearly, and change nothing.
func TestTagArgs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "vm-admin", nil)
	e.OK("tag_category_create", map[string]any{"name": "env"}, nil)
	e.OK("tag_create", map[string]any{"category": "env", "name": "test"}, nil)
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"tag_category_create", map[string]any{"name": ""}, "name is required"},
		{"tag_category_create", map[string]any{"name": "a:b"}, "must not contain a colon"},
		{"tag_category_create", map[string]any{"name": "x", "cardinality": "one"}, "cardinality must be single"},
		{"tag_category_create", map[string]any{"name": "x", "associable_types": []string{"VM"}}, "VM is not an object type tags apply to"},
		{"tag_category_delete", map[string]any{"category": " "}, "category is required"},
		{"tag_category_delete", map[string]any{"category": "nope"}, "no tag category nope; the categories are env"},
		{"tag_create", map[string]any{"name": "x"}, "category is required"},
		{"tag_delete", map[string]any{"tag": "test"}, "is not category:tag"},
		{"tag_delete", map[string]any{"tag": "env:nope"}, "category env has no tag nope; its tags are test"},
		{"tag_delete", map[string]any{"tag": "urn:vmomi:InventoryServiceTag:nope:GLOBAL"}, "no tag with ID"},
		{"tag_attach", map[string]any{"tag": "env:test"}, "exactly one of objects"},
		{"tag_attach", map[string]any{"tag": "env:test", "objects": []string{"DC0_H0_VM0"}, "filter": map[string]any{"name": "x"}}, "exactly one of objects"},
		{"tag_attach", map[string]any{"tag": "env:test", "filter": map[string]any{}}, "filter selects every VM"},
		{"tag_attach", map[string]any{"tag": "env:test", "filter": map[string]any{"name": "DC0_*"}, "max_targets": 2}, "more than max_targets=2"},
		{"tag_attach", map[string]any{"tag": "env:test", "objects": []string{"a", "b", "c"}, "max_targets": 2}, "3 objects given; at most 2"},
		{"tag_attach", map[string]any{"tag": "env:test", "objects": []string{"nope-vm"}}, `no object matches "nope-vm"`},
		{"tag_attach", map[string]any{"tag": "env:nope", "objects": []string{"DC0_H0_VM0"}}, "category env has no tag nope"},
		{"tag_object_list", map[string]any{"object": ""}, "object is required"},
		{"vm_list", map[string]any{"tag": "nocolon"}, "tag \"nocolon\" is not category:tag"},
		{"vm_power_off", map[string]any{"filter": map[string]any{"tag": "env"}}, "filter.tag \"env\" is not category:tag"},
		{"vm_list", map[string]any{"tag": "env:nope"}, "category env has no tag nope"},
		{"custom_attribute_set", map[string]any{"object": "DC0_H0_VM0", "key": "", "value": "x"}, "key is required"},
		{"custom_attribute_set", map[string]any{"object": "nope-vm", "key": "owner", "value": "x"}, `no object matches "nope-vm"`},
	} {
		toolstest.MustContain(t, e.Fails(tc.tool, tc.args), tc.want)
	}
	if got := e.attached("env:test"); len(got) != 0 {
		t.Errorf("refused calls attached env:test to %v", got)
	}
	if len(mustCategories(e)) != 1 {
		t.Error("refused calls changed the categories")
	}
}

// poweredOnVMs are the powered-on VMs (not templates) of DC0's first
// host, as govmomi reads them.
func poweredOnVMs(e *env) []mo.VirtualMachine {
	e.T.Helper()
	var out []mo.VirtualMachine
	for _, v := range e.AllVMs("name", "runtime.powerState", "config.template") {
		if v.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn && v.Config != nil && !v.Config.Template && strings.HasPrefix(v.Name, "DC0_") {
			out = append(out, v)
		}
	}
	return out
}

// TestTagFilters: tag a folder's VMs by filter, list them by tag, and
// power off exactly the tagged ones with one bulk call (bounded by
// max_targets).
func TestTagFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "vm-admin", nil)
	e.OK("tag_category_create", map[string]any{"name": "env"}, nil)
	e.OK("tag_create", map[string]any{"category": "env", "name": "test"}, nil)
	on := poweredOnVMs(e)
	if len(on) < 5 {
		t.Fatalf("only %d powered-on VMs in DC0", len(on))
	}
	tagged := on[:3]
	var names, ids []string
	for _, v := range tagged {
		names = append(names, v.Name)
		ids = append(ids, v.Self.Value)
	}
	// Tag by filter: the VMs of one name each, through the bulk targets.
	for _, n := range names {
		var ar TagObjectsResult
		e.OK("tag_attach", map[string]any{"tag": "env:test", "filter": map[string]any{"name": n}}, &ar)
		if ar.Succeeded != 1 {
			t.Fatalf("attach by filter %s: %+v", n, ar)
		}
	}
	if got := e.attached("env:test"); !slices.Equal(got, toolstest.Sorted(ids)) {
		t.Fatalf("vAPI reads env:test on %v, want %v", got, ids)
	}

	var list vm.VMList
	e.OK("vm_list", map[string]any{"tag": "env:test"}, &list)
	var got []string
	for _, it := range list.Items {
		got = append(got, it.ID)
	}
	if !slices.Equal(toolstest.Sorted(got), toolstest.Sorted(ids)) || list.Total != 3 {
		t.Fatalf("vm_list tag=env:test: %v (total %d), want %v", got, list.Total, ids)
	}
	e.OK("vm_list", map[string]any{"tag": "env:test", "name": names[0]}, &list)
	if len(list.Items) != 1 || list.Items[0].Name != names[0] {
		t.Errorf("vm_list tag and name: %+v", list.Items)
	}

	// Bounded by max_targets, and nothing is powered off when refused.
	toolstest.MustContain(t, e.Fails("vm_power_off", map[string]any{"filter": map[string]any{"tag": "env:test"}, "max_targets": 2}), "selects 3 VMs, more than max_targets=2")
	var res struct {
		Succeeded int `json:"succeeded"`
		Failed    int `json:"failed"`
	}
	e.OK("vm_power_off", map[string]any{"filter": map[string]any{"tag": "env:test"}}, &res)
	if res.Succeeded != 3 || res.Failed != 0 {
		t.Fatalf("power off by tag: %+v", res)
	}
	for _, v := range e.AllVMs("name", "runtime.powerState") {
		was := slices.ContainsFunc(on, func(o mo.VirtualMachine) bool { return o.Self == v.Self })
		isTagged := slices.Contains(ids, v.Self.Value)
		switch {
		case isTagged && v.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff:
			t.Errorf("tagged %s is %s", v.Name, v.Runtime.PowerState)
		case !isTagged && was && v.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn:
			t.Errorf("untagged %s was powered off", v.Name)
		}
	}
}
