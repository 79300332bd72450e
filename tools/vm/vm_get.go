package vm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/params"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// VMDisk is one virtual disk.
type VMDisk struct {
	Label      string  `json:"label"`
	CapacityGB float64 `json:"capacity_gb"`
	File       string  `json:"file,omitempty"`
	Thin       bool    `json:"thin,omitempty"`
}

// VMNIC is one network adapter.
type VMNIC struct {
	Label     string   `json:"label"`
	Type      string   `json:"type"`
	MAC       string   `json:"mac,omitempty"`
	Network   string   `json:"network,omitempty"`
	Connected bool     `json:"connected"`
	IPs       []string `json:"ips,omitempty"`
}

// VMDetail is vm_get's result: what an admin looks at first.
type VMDetail struct {
	Name            string   `json:"name"`
	ID              string   `json:"id"`
	Path            string   `json:"path"`
	Template        bool     `json:"template,omitempty"`
	PowerState      string   `json:"power_state"`
	OverallStatus   string   `json:"overall_status,omitempty"`
	Host            string   `json:"host,omitempty"`
	ResourcePool    string   `json:"resource_pool,omitempty"`
	CPUs            int32    `json:"cpus"`
	CoresPerSocket  int32    `json:"cores_per_socket,omitempty"`
	MemoryMB        int32    `json:"memory_mb"`
	CPUHotAdd       bool     `json:"cpu_hot_add,omitempty"`
	MemoryHotAdd    bool     `json:"memory_hot_add,omitempty"`
	GuestOS         string   `json:"guest_os,omitempty"`
	GuestID         string   `json:"guest_id,omitempty"`
	HardwareVersion string   `json:"hardware_version,omitempty"`
	ToolsStatus     string   `json:"tools_status,omitempty"`
	ToolsVersion    string   `json:"tools_version_status,omitempty"`
	Hostname        string   `json:"hostname,omitempty"`
	IPAddresses     []string `json:"ip_addresses,omitempty"`
	Disks           []VMDisk `json:"disks"`
	NICs            []VMNIC  `json:"nics"`
	Datastores      []string `json:"datastores"`
	SnapshotCount   int      `json:"snapshot_count"`
	CurrentSnapshot string   `json:"current_snapshot,omitempty"`
	BootTime        string   `json:"boot_time,omitempty"`
	UptimeSeconds   int32    `json:"uptime_s,omitempty"`
	CPUUsageMHz     int32    `json:"cpu_usage_mhz,omitempty"`
	MemoryUsageMB   int32    `json:"memory_usage_mb,omitempty"`
	StorageCommitGB float64  `json:"storage_committed_gb,omitempty"`
	InstanceUUID    string   `json:"instance_uuid,omitempty"`
	BIOSUUID        string   `json:"bios_uuid,omitempty"`
	Annotation      string   `json:"annotation,omitempty"`
	// CustomAttributes are the VM's custom attribute values (vm_get_custom.go).
	CustomAttributes map[string]string `json:"custom_attributes,omitempty"`
	// Question is what the VM is blocked on, if anything: answer it with
	// vm_question_answer (console toolset).
	Question *params.Question `json:"question,omitempty"`
	Boot     *VMBoot          `json:"boot,omitempty"`
}

// Text renders the VM as labelled lines. Names, paths and what the guest
// reports are escaped (quoted unless plain); the annotation is quoted and
// labelled as data.
func (v VMDetail) Text() string {
	var b strings.Builder
	kind := "VM"
	if v.Template {
		kind = "Template"
	}
	fmt.Fprintf(&b, "%s %s (%s) %s\n", kind, toolkit.Name(v.Name), v.ID, toolkit.Path(v.Path))
	line := func(k, val string) {
		if val != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, val)
		}
	}
	line("power", v.PowerState)
	line("status", v.OverallStatus)
	line("host", toolkit.Name(v.Host))
	line("pool", toolkit.Name(v.ResourcePool))
	cpu := fmt.Sprintf("%d vCPU", v.CPUs)
	if v.CoresPerSocket > 1 {
		cpu += fmt.Sprintf(" (%d cores/socket)", v.CoresPerSocket)
	}
	line("cpu", cpu)
	line("memory", fmt.Sprintf("%d MB", v.MemoryMB))
	var hot []string
	if v.CPUHotAdd {
		hot = append(hot, "cpu")
	}
	if v.MemoryHotAdd {
		hot = append(hot, "memory")
	}
	line("hot-add", strings.Join(hot, ","))
	line("guest", strings.TrimSpace(toolkit.Name(v.GuestOS)+" "+parenthesize(toolkit.Name(v.GuestID))))
	line("hardware", toolkit.Name(v.HardwareVersion))
	if v.Boot != nil {
		line("boot", v.Boot.text())
	}
	line("tools", strings.TrimSpace(toolkit.Name(v.ToolsStatus)+" "+parenthesize(toolkit.Name(v.ToolsVersion))))
	line("hostname", toolkit.Name(v.Hostname))
	line("ip", toolkit.Names(v.IPAddresses))
	for _, d := range v.Disks {
		thin := ""
		if d.Thin {
			thin = " thin"
		}
		line("disk", strings.TrimSpace(fmt.Sprintf("%s %.1f GB%s %s", toolkit.Name(d.Label), d.CapacityGB, thin, toolkit.Path(d.File))))
	}
	for _, n := range v.NICs {
		state := "connected"
		if !n.Connected {
			state = "disconnected"
		}
		line("nic", strings.TrimSpace(fmt.Sprintf("%s %s %s net=%s %s %s", toolkit.Name(n.Label), n.Type, toolkit.Name(n.MAC), toolkit.Name(n.Network), state, toolkit.Names(n.IPs))))
	}
	line("datastores", toolkit.Names(v.Datastores))
	snap := fmt.Sprint(v.SnapshotCount)
	if v.CurrentSnapshot != "" {
		snap += " (current: " + toolkit.Name(v.CurrentSnapshot) + ")"
	}
	line("snapshots", snap)
	line("boot_time", v.BootTime)
	if v.UptimeSeconds > 0 {
		line("uptime", (time.Duration(v.UptimeSeconds) * time.Second).String())
	}
	if v.CPUUsageMHz > 0 || v.MemoryUsageMB > 0 {
		line("usage", fmt.Sprintf("cpu %d MHz, guest memory %d MB", v.CPUUsageMHz, v.MemoryUsageMB))
	}
	if v.StorageCommitGB > 0 {
		line("storage", fmt.Sprintf("%.1f GB committed", v.StorageCommitGB))
	}
	line("instance_uuid", toolkit.Name(v.InstanceUUID))
	line("bios_uuid", toolkit.Name(v.BIOSUUID))
	line("custom", customLine(v.CustomAttributes))
	if v.Annotation != "" {
		b.WriteString(toolkit.FreeText("annotation", v.Annotation) + "\n")
	}
	renderQuestion(&b, "question", v.Question)
	return b.String()
}

func parenthesize(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// vmGetProps are the properties vm_get shows. Of config only the parts it
// shows: the whole config carries extraConfig and every device's
// details, several kilobytes more per call.
var vmGetProps = []string{
	"name", "config.template", "config.hardware", "config.guestFullName", "config.guestId", "config.version",
	"config.instanceUuid", "config.uuid", "config.annotation", "config.cpuHotAddEnabled", "config.memoryHotAddEnabled",
	"config.firmware", "config.bootOptions", "runtime.powerState", "runtime.host", "runtime.bootTime", "overallStatus",
	"guest.toolsRunningStatus", "guest.toolsVersionStatus2", "guest.hostName", "guest.ipAddress", "guest.net",
	"datastore", "network", "snapshot", "resourcePool", "summary.quickStats", "summary.storage", "runtime.question",
	"customValue", "availableField",
}

func vmGet() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:       "vm_get",
		AlwaysLoad: true,
		Title:      "Show a VM",
		Description: "Show one VM in detail: power state, host, CPU, memory, guest OS, VMware Tools, IP addresses, " +
			"disks, NICs and their networks, datastores, snapshots, uptime and annotation.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a params.VMArgs) (VMDetail, error) {
		var out VMDetail
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			// The VM's properties come with its path: one round trip.
			o, oc, err := c.ResolveWith(ctx, "VirtualMachine", a.VM, vmGetProps)
			if err != nil {
				return err
			}
			var vm mo.VirtualMachine
			if err := mo.LoadObjectContent([]types.ObjectContent{*oc}, &vm); err != nil {
				return fmt.Errorf("read VM %s: %w", toolkit.Path(o.Path), err)
			}
			out, err = vmDetail(ctx, c, o, &vm)
			return err
		})
		return out, err
	})
}

func vmDetail(ctx context.Context, c *vcenter.Conn, o vcenter.Object, vm *mo.VirtualMachine) (VMDetail, error) {
	v := VMDetail{
		Name:          o.Name,
		ID:            o.ID(),
		Path:          o.Path,
		PowerState:    string(vm.Runtime.PowerState),
		OverallStatus: string(vm.OverallStatus),
		CPUUsageMHz:   vm.Summary.QuickStats.OverallCpuUsage,
		MemoryUsageMB: vm.Summary.QuickStats.GuestMemoryUsage,
		UptimeSeconds: vm.Summary.QuickStats.UptimeSeconds,
		Disks:         []VMDisk{},
		NICs:          []VMNIC{},
		Datastores:    []string{},
		Question:      params.QuestionOf(vm.Runtime.Question),
		Boot:          bootOf(vm.Config),
	}
	v.CustomAttributes = customAttributes(vm)
	if vm.Summary.Storage != nil {
		v.StorageCommitGB = toolkit.GiBf(vm.Summary.Storage.Committed)
	}
	if vm.Runtime.BootTime != nil {
		v.BootTime = vm.Runtime.BootTime.UTC().Format(time.RFC3339)
	}
	if g := vm.Guest; g != nil {
		v.ToolsStatus = g.ToolsRunningStatus
		v.ToolsVersion = g.ToolsVersionStatus2
		v.Hostname = g.HostName
		if g.IpAddress != "" {
			v.IPAddresses = append(v.IPAddresses, g.IpAddress)
		}
	}

	// One read for the names of every object the VM refers to.
	var refs []types.ManagedObjectReference
	if vm.Runtime.Host != nil {
		refs = append(refs, *vm.Runtime.Host)
	}
	if vm.ResourcePool != nil {
		refs = append(refs, *vm.ResourcePool)
	}
	refs = append(refs, vm.Datastore...)
	refs = append(refs, vm.Network...)
	name, err := c.Names(ctx, refs)
	if err != nil {
		return v, fmt.Errorf("VM %s's host, datastores and networks: %w", toolkit.Path(o.Path), err)
	}
	if vm.Runtime.Host != nil {
		v.Host = name[*vm.Runtime.Host]
	}
	if vm.ResourcePool != nil {
		v.ResourcePool = name[*vm.ResourcePool]
	}
	for _, ds := range vm.Datastore {
		v.Datastores = append(v.Datastores, name[ds])
	}
	// Port group keys of distributed switches are the port groups' IDs.
	netByKey := map[string]string{}
	for _, n := range vm.Network {
		netByKey[n.Value] = name[n]
	}

	guestIPs := map[string][]string{}
	if vm.Guest != nil {
		for _, n := range vm.Guest.Net {
			guestIPs[n.MacAddress] = n.IpAddress
			for _, ip := range n.IpAddress {
				if !contains(v.IPAddresses, ip) {
					v.IPAddresses = append(v.IPAddresses, ip)
				}
			}
		}
	}

	if cfg := vm.Config; cfg != nil {
		v.Template = cfg.Template
		v.CPUs = cfg.Hardware.NumCPU
		if cfg.Hardware.NumCoresPerSocket != nil {
			v.CoresPerSocket = *cfg.Hardware.NumCoresPerSocket
		}
		v.MemoryMB = cfg.Hardware.MemoryMB
		v.GuestOS = cfg.GuestFullName
		v.GuestID = cfg.GuestId
		v.HardwareVersion = cfg.Version
		v.InstanceUUID = cfg.InstanceUuid
		v.BIOSUUID = cfg.Uuid
		v.Annotation = cfg.Annotation
		if cfg.CpuHotAddEnabled != nil {
			v.CPUHotAdd = *cfg.CpuHotAddEnabled
		}
		if cfg.MemoryHotAddEnabled != nil {
			v.MemoryHotAdd = *cfg.MemoryHotAddEnabled
		}
		for _, dev := range cfg.Hardware.Device {
			switch d := dev.(type) {
			case *types.VirtualDisk:
				v.Disks = append(v.Disks, diskInfo(d))
			case types.BaseVirtualEthernetCard:
				v.NICs = append(v.NICs, nicInfo(d, netByKey, guestIPs))
			}
		}
	}
	if vm.Snapshot != nil {
		v.SnapshotCount = countSnapshots(vm.Snapshot.RootSnapshotList)
		if vm.Snapshot.CurrentSnapshot != nil {
			v.CurrentSnapshot = snapshotName(vm.Snapshot.RootSnapshotList, *vm.Snapshot.CurrentSnapshot)
		}
	}
	return v, nil
}

func diskInfo(d *types.VirtualDisk) VMDisk {
	out := VMDisk{CapacityGB: toolkit.GiBf(d.CapacityInBytes)}
	if d.CapacityInBytes == 0 {
		out.CapacityGB = toolkit.GiBf(d.CapacityInKB * 1024)
	}
	if info := d.GetVirtualDevice().DeviceInfo; info != nil {
		out.Label = info.GetDescription().Label
	}
	if b, ok := d.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
		out.File = b.GetVirtualDeviceFileBackingInfo().FileName
	}
	if b, ok := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok && b.ThinProvisioned != nil {
		out.Thin = *b.ThinProvisioned
	}
	return out
}

func nicInfo(card types.BaseVirtualEthernetCard, netByKey map[string]string, guestIPs map[string][]string) VMNIC {
	e := card.GetVirtualEthernetCard()
	out := VMNIC{MAC: e.MacAddress, Type: nicType(card)}
	if e.DeviceInfo != nil {
		out.Label = e.DeviceInfo.GetDescription().Label
	}
	if e.Connectable != nil {
		out.Connected = e.Connectable.Connected
	}
	switch b := e.Backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		out.Network = b.DeviceName
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		out.Network = netByKey[b.Port.PortgroupKey]
		if out.Network == "" {
			out.Network = b.Port.PortgroupKey
		}
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		out.Network = b.OpaqueNetworkId
	}
	out.IPs = guestIPs[e.MacAddress]
	return out
}

func nicType(card types.BaseVirtualEthernetCard) string {
	t := fmt.Sprintf("%T", card)
	t = t[strings.LastIndex(t, ".")+1:]
	return strings.ToLower(strings.TrimPrefix(t, "Virtual"))
}

func countSnapshots(tree []types.VirtualMachineSnapshotTree) int {
	n := 0
	for _, s := range tree {
		n += 1 + countSnapshots(s.ChildSnapshotList)
	}
	return n
}

func snapshotName(tree []types.VirtualMachineSnapshotTree, ref types.ManagedObjectReference) string {
	for _, s := range tree {
		if s.Snapshot == ref {
			return s.Name
		}
		if n := snapshotName(s.ChildSnapshotList, ref); n != "" {
			return n
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
