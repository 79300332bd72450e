package vm

import (
	"sort"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// vm_get's custom attributes: vCenter's key/value annotations
// (custom_attribute_set sets them), named through the VM's availableField.

// customAttributes maps the VM's custom attribute names onto their values.
func customAttributes(vm *mo.VirtualMachine) map[string]string {
	if len(vm.CustomValue) == 0 {
		return nil
	}
	names := map[int32]string{}
	for _, f := range vm.AvailableField {
		names[f.Key] = f.Name
	}
	out := map[string]string{}
	for _, v := range vm.CustomValue {
		if s, ok := v.(*types.CustomFieldStringValue); ok && s.Value != "" {
			if n, ok := names[s.Key]; ok {
				out[n] = s.Value
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// customLine renders them as name="value", sorted by name.
func customLine(attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = toolkit.Name(k) + "=" + toolkit.Quote(attrs[k], 200)
	}
	return strings.Join(parts, ", ")
}
