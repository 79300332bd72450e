package ovf

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// What vCenter does and vcsim lacks (DESIGN.md §6), for ovf_export:
//   - ExportVm: refused with InvalidPowerState unless the VM is powered
//     off; otherwise an HttpNfcLease, ready at once, whose device URLs
//     serve each disk as a streamOptimized VMDK;
//   - OvfManager.CreateDescriptor: an OVF descriptor of the VM (CPUs,
//     memory, guest, SCSI disks, NICs and their networks) whose References
//     are the files the caller downloaded.

// exports holds the disks the export leases serve, by URL path.
type exports struct {
	mu    sync.Mutex
	disks map[string]string // URL path → local VMDK file
	dir   string
	// cut makes every download stop half-way, as a dropped connection.
	cut bool
}

func (x *exports) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x.mu.Lock()
	f, ok := x.disks[r.URL.Path]
	cut := x.cut
	x.mu.Unlock()
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if cut {
		b, _ := os.ReadFile(f)
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		_, _ = w.Write(b[:len(b)/2])
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
		return
	}
	http.ServeFile(w, r, f)
}

// exportVM is a simulator VM with ExportVm.
type exportVM struct {
	*simulator.VirtualMachine
	x *exports
}

// exportLease is an export's NFC lease.
type exportLease struct {
	mo.HttpNfcLease
}

func (l *exportLease) HttpNfcLeaseProgress(_ *simulator.Context, req *types.HttpNfcLeaseProgress) soap.HasFault {
	l.TransferProgress = req.Percent
	return &methods.HttpNfcLeaseProgressBody{Res: new(types.HttpNfcLeaseProgressResponse)}
}

func (l *exportLease) HttpNfcLeaseComplete(ctx *simulator.Context, req *types.HttpNfcLeaseComplete) soap.HasFault {
	ctx.Session.Remove(ctx, req.This)
	return &methods.HttpNfcLeaseCompleteBody{Res: new(types.HttpNfcLeaseCompleteResponse)}
}

func (l *exportLease) HttpNfcLeaseAbort(ctx *simulator.Context, req *types.HttpNfcLeaseAbort) soap.HasFault {
	ctx.Session.Remove(ctx, req.This)
	return &methods.HttpNfcLeaseAbortBody{Res: new(types.HttpNfcLeaseAbortResponse)}
}

func (vm *exportVM) ExportVm(ctx *simulator.Context, req *types.ExportVm) soap.HasFault {
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		return &methods.ExportVmBody{Fault_: simulator.Fault("The attempted operation cannot be performed in the current state (Powered on).",
			&types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: vm.Runtime.PowerState})}
	}
	lease := &exportLease{}
	lease.Self = types.ManagedObjectReference{Type: "HttpNfcLease", Value: fmt.Sprintf("export-%s-%d", vm.Self.Value, len(vm.x.disks))}
	ctx.Session.Put(lease)
	u, _ := simURL(ctx)
	info := &types.HttpNfcLeaseInfo{Lease: lease.Self, Entity: vm.Self, LeaseTimeout: 300}
	devs := object.VirtualDeviceList(vm.Config.Hardware.Device)
	for i, d := range devs.SelectByType((*types.VirtualDisk)(nil)) {
		disk := d.(*types.VirtualDisk)
		p := fmt.Sprintf("/ovfexport/%s/disk-%d.vmdk", lease.Self.Value, i)
		f := filepath.Join(vm.x.dir, strings.ReplaceAll(strings.TrimPrefix(p, "/"), "/", "_"))
		if err := streamVMDK(f); err != nil {
			return &methods.ExportVmBody{Fault_: simulator.Fault(err.Error(), &types.FileFault{})}
		}
		vm.x.mu.Lock()
		vm.x.disks[p] = f
		vm.x.mu.Unlock()
		info.TotalDiskCapacityInKB += disk.CapacityInKB
		info.DeviceUrl = append(info.DeviceUrl, types.HttpNfcLeaseDeviceUrl{
			Key: fmt.Sprintf("/%s/%s", vm.Self.Value, devs.Name(d)), Url: u + p, TargetId: fmt.Sprintf("disk-%d.vmdk", i), Disk: types.NewBool(true),
		})
	}
	lease.Info, lease.State = info, types.HttpNfcLeaseStateReady
	return &methods.ExportVmBody{Res: &types.ExportVmResponse{Returnval: lease.Self}}
}

// simURL is the simulator's base URL, as its leases give it.
func simURL(ctx *simulator.Context) (string, error) {
	for _, o := range ctx.Map.OptionManager().Setting {
		if ov := o.GetOptionValue(); ov.Key == "vcsim.server.url" {
			return strings.TrimSuffix(fmt.Sprint(ov.Value), "/sdk"), nil
		}
	}
	return "", fmt.Errorf("no vcsim.server.url")
}

// streamVMDK writes a small streamOptimized VMDK with random content.
func streamVMDK(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b := make([]byte, 256<<10)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return err
	}
	return writeStreamVMDK(path, b)
}

// descOvfManager is the simulator's OvfManager with CreateDescriptor.
type descOvfManager struct {
	*simulator.OvfManager
}

func (m *descOvfManager) CreateDescriptor(ctx *simulator.Context, req *types.CreateDescriptor) soap.HasFault {
	vm, ok := ctx.Map.Get(req.Obj).(*simulator.VirtualMachine)
	if !ok {
		return &methods.CreateDescriptorBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Obj})}
	}
	name := req.Cdp.Name
	if name == "" {
		name = vm.Name
	}
	var refs, disks, items strings.Builder
	id := 10
	item := func(s string) {
		fmt.Fprintf(&items, "      <Item>%s<rasd:InstanceID>%d</rasd:InstanceID></Item>\n", s, id)
		id++
	}
	item("<rasd:ElementName>SCSI controller 0</rasd:ElementName><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType>")
	ctlr := id - 1
	devs := object.VirtualDeviceList(vm.Config.Hardware.Device)
	for i, d := range devs.SelectByType((*types.VirtualDisk)(nil)) {
		if i >= len(req.Cdp.OvfFiles) {
			break
		}
		f := req.Cdp.OvfFiles[i]
		fmt.Fprintf(&refs, `    <File ovf:href="%s" ovf:id="file%d" ovf:size="%d"/>`+"\n", f.Path, i+1, f.Size)
		fmt.Fprintf(&disks, `    <Disk ovf:capacity="%d" ovf:capacityAllocationUnits="byte * 2^10" ovf:diskId="vmdisk%d" ovf:fileRef="file%d" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>`+"\n",
			d.(*types.VirtualDisk).CapacityInKB, i+1, i+1)
		item(fmt.Sprintf("<rasd:AddressOnParent>%d</rasd:AddressOnParent><rasd:ElementName>Hard disk %d</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk%d</rasd:HostResource><rasd:Parent>%d</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType>", i, i+1, i+1, ctlr))
	}
	var nets strings.Builder
	seen := map[string]bool{}
	for i, d := range devs.SelectByType((*types.VirtualEthernetCard)(nil)) {
		net := "VM Network"
		if b, ok := d.GetVirtualDevice().Backing.(*types.VirtualEthernetCardNetworkBackingInfo); ok {
			net = b.DeviceName
		}
		if !seen[net] {
			seen[net] = true
			fmt.Fprintf(&nets, `    <Network ovf:name="%s"><Description>%s</Description></Network>`+"\n", net, net)
		}
		item(fmt.Sprintf("<rasd:AddressOnParent>%d</rasd:AddressOnParent><rasd:Connection>%s</rasd:Connection><rasd:ElementName>Network adapter %d</rasd:ElementName><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType>", 7+i, net, i+1))
	}
	desc := fmt.Sprintf(exportedOVF, refs.String(), disks.String(), nets.String(), name, name, vm.Config.GuestId,
		vm.Config.Hardware.NumCPU, vm.Config.Hardware.MemoryMB, items.String())
	return &methods.CreateDescriptorBody{Res: &types.CreateDescriptorResponse{Returnval: types.OvfCreateDescriptorResult{OvfDescriptor: desc}}}
}

const exportedOVF = `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
%s  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
%s  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
%s  </NetworkSection>
  <VirtualSystem ovf:id="%s">
    <Info>A virtual machine</Info>
    <Name>%s</Name>
    <OperatingSystemSection ovf:id="1" vmw:osType="%s"><Info>The kind of installed guest operating system</Info></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>%d</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>Memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>%d</rasd:VirtualQuantity></Item>
%s    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`

// extendExport creates the demo inventory with ExportVm and
// CreateDescriptor, the export disks served by the simulator's own server.
func extendExport(t *testing.T) (*simulator.Model, *exports) {
	t.Helper()
	m := vcenter.DemoModel(vcenter.SimVCenter)
	if err := vcenter.CreateModel(m); err != nil {
		t.Fatal(err)
	}
	x := &exports{disks: map[string]string{}, dir: t.TempDir()}
	m.Map().Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if ctx.Session == nil {
			return nil, nil
		}
		switch method.Name {
		case "ExportVm":
			switch o := ctx.Session.Get(method.This).(type) {
			case *exportVM:
				return o, nil
			}
			if vm, ok := ctx.Map.Get(method.This).(*simulator.VirtualMachine); ok {
				w := &exportVM{VirtualMachine: vm, x: x}
				ctx.Session.Put(w)
				return w, nil
			}
		case "CreateDescriptor":
			if om, ok := ctx.Map.Get(method.This).(*simulator.OvfManager); ok {
				w := &descOvfManager{om}
				ctx.Session.Put(w)
				return w, nil
			}
		}
		return nil, nil
	}
	return m, x
}
