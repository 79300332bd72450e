package vm

import (
	"slices"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func testTemplateList(t *testing.T, e *env) {
	// A template in DC1 too; the demo's two are in DC0.
	vm, err := find.NewFinder(e.Vim).VirtualMachine(e.Ctx, "/DC1/vm/DC1_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.PowerOff(e.Ctx)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.MarkAsTemplate(e.Ctx); err != nil {
		t.Fatal(err)
	}

	var templates []mo.VirtualMachine
	for _, v := range e.AllVMs("name", "config.template", "summary.config") {
		if v.Config.Template {
			templates = append(templates, v)
		}
	}
	if len(templates) != 3 {
		t.Fatalf("simulator has %d templates, want 3", len(templates))
	}

	t.Run("matches simulator", func(t *testing.T) {
		e := e.at(t)
		var got TemplateList
		text := e.OK("template_list", nil, &got)
		if got.Total != len(templates) || len(got.Items) != len(templates) {
			t.Fatalf("total %d items %d; simulator has %d templates", got.Total, len(got.Items), len(templates))
		}
		for _, v := range templates {
			c := v.Summary.Config
			want := TemplateItem{Name: v.Name, ID: v.Self.Value, GuestOS: c.GuestFullName, GuestID: c.GuestId,
				CPUs: int(c.NumCpu), MemoryMB: int(c.MemorySizeMB)}
			if i := slices.IndexFunc(got.Items, func(it TemplateItem) bool { return it.ID == v.Self.Value }); i < 0 || got.Items[i] != want {
				t.Errorf("got %+v, want %+v", got.Items, want)
			}
		}
		toolstest.MustContain(t, text, "3 templates\nname\tid\tguest_os\tcpus\tmemory_mb\n", "DC1_H0_VM0\t"+vm.Reference().Value+"\t")
	})

	t.Run("filters and paging", func(t *testing.T) {
		e := e.at(t)
		names := func(l TemplateList) []string {
			var n []string
			for _, it := range l.Items {
				n = append(n, it.Name)
			}
			return toolstest.Sorted(n)
		}
		var inDC0 []string
		for _, v := range templates {
			if strings.HasPrefix(v.Name, "DC0_") {
				inDC0 = append(inDC0, v.Name)
			}
		}
		for _, tc := range []struct {
			args map[string]any
			want []string
		}{
			{map[string]any{"datacenter": "DC1"}, []string{"DC1_H0_VM0"}},
			{map[string]any{"datacenter": "/DC0"}, toolstest.Sorted(inDC0)},
			{map[string]any{"name": "*VM0"}, []string{"DC1_H0_VM0"}},
			{map[string]any{"name": "DC0_*", "datacenter": "DC1"}, nil},
			{map[string]any{"name": "DC0_C0_RP1_VM0"}, nil}, // a VM, not a template
		} {
			var got TemplateList
			e.OK("template_list", tc.args, &got)
			if n := names(got); !slices.Equal(n, tc.want) || got.Total != len(tc.want) {
				t.Errorf("%v: got %v, want %v", tc.args, n, tc.want)
			}
		}
		var p1, p2 TemplateList
		e.OK("template_list", map[string]any{"limit": 2}, &p1)
		e.OK("template_list", map[string]any{"limit": 2, "cursor": p1.NextCursor}, &p2)
		if len(p1.Items) != 2 || len(p2.Items) != 1 || p2.NextCursor != "" || slices.Contains(names(p1), p2.Items[0].Name) {
			t.Errorf("pages %+v then %+v", p1, p2)
		}
		toolstest.MustContain(t, e.Fails("template_list", map[string]any{"datacenter": "DCX"}), `no datacenter matches "DCX"`)
		toolstest.MustContain(t, e.Fails("template_list", map[string]any{"power_state": "poweredOn"}), `unknown argument "power_state"`)
	})

	// vm_list still shows templates marked as such.
	var vms VMList
	e.OK("vm_list", map[string]any{"name": "DC1_H0_VM0"}, &vms)
	if len(vms.Items) != 1 || !vms.Items[0].Template || vms.Items[0].PowerState != string(types.VirtualMachinePowerStatePoweredOff) {
		t.Errorf("vm_list shows the new template as %+v", vms.Items)
	}
}

func TestTemplateList(t *testing.T) {
	t.Parallel()
	testTemplateList(t, newEnv(t))
}
