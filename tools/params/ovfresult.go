package params

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// DeployedVM is a VM an OVF deploy made, as read back from vCenter.
type DeployedVM struct {
	ID         string
	Name       string
	Path       string
	PowerState string
	Host       string
	CPUs       int32
	MemoryMB   int32
	Disks      int
	// Properties are the vApp properties by full key, passwords hidden.
	Properties map[string]string
}

// FinishDeploy powers the new VM on when asked and reads it back.
func FinishDeploy(ctx context.Context, c *vcenter.Conn, ref types.ManagedObjectReference, name, folder string, powerOn bool, prog *guard.Progress) (DeployedVM, error) {
	var out DeployedVM
	vm, err := c.Describe(ctx, ref)
	if err != nil {
		vm = vcenter.Object{Ref: ref, Name: name, Path: folder + "/" + name}
	}
	out.ID, out.Name, out.Path = vm.ID(), vm.Name, vm.Path
	if powerOn {
		task, err := object.NewVirtualMachine(c.Client, ref).PowerOn(ctx)
		if err != nil {
			return out, fmt.Errorf("VM %s was deployed, but powering it on failed: %w", toolkit.Name(name), err)
		}
		if _, err := guard.WaitTask(ctx, task, "power on "+toolkit.Name(name), prog, 99, 100); err != nil {
			return out, fmt.Errorf("VM %s was deployed, but powering it on failed: %w", toolkit.Name(name), err)
		}
	}
	var m mo.VirtualMachine
	if err := c.ReadRef(ctx, ref, []string{"runtime.powerState", "runtime.host", "config.hardware", "config.vAppConfig"}, &m); err != nil {
		return out, nil
	}
	out.PowerState = string(m.Runtime.PowerState)
	if m.Runtime.Host != nil {
		if h, err := c.Describe(ctx, *m.Runtime.Host); err == nil {
			out.Host = h.Path
		}
	}
	if m.Config != nil {
		out.CPUs, out.MemoryMB = m.Config.Hardware.NumCPU, m.Config.Hardware.MemoryMB
		for _, dev := range m.Config.Hardware.Device {
			if _, ok := dev.(*types.VirtualDisk); ok {
				out.Disks++
			}
		}
		if vc, ok := m.Config.VAppConfig.(*types.VmConfigInfo); ok && vc != nil && len(vc.Property) > 0 {
			out.Properties = map[string]string{}
			for _, p := range vc.Property {
				v := p.Value
				if strings.HasPrefix(p.Type, "password") && v != "" {
					v = "(set)"
				}
				key := p.Id
				if p.ClassId != "" {
					key = p.ClassId + "." + key
				}
				if p.InstanceId != "" {
					key += "." + p.InstanceId
				}
				out.Properties[key] = v
			}
		}
	}
	return out, nil
}

// WriteDeployedPlacement writes where a deployed VM went: its pool,
// datastore, folder and host, each OVF network's mapping, and its vApp
// properties, for the deploy tools' results.
func WriteDeployedPlacement(b *strings.Builder, pool, datastore, folder, host string, nets []NetworkChoice, props map[string]string) {
	fmt.Fprintf(b, "placement: pool %s, datastore %s, folder %s", toolkit.Path(pool), toolkit.Name(datastore), toolkit.Path(folder))
	if host != "" {
		fmt.Fprintf(b, ", host %s", toolkit.Path(host))
	}
	b.WriteByte('\n')
	for _, n := range nets {
		fmt.Fprintf(b, "network %s → %s\n", toolkit.Name(n.OVF), toolkit.Name(n.Name))
	}
	if len(props) == 0 {
		return
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	t := toolkit.NewTable("property", "value")
	for _, k := range keys {
		t.Row(k, props[k])
	}
	b.WriteString(t.String())
}
