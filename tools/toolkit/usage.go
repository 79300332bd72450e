package toolkit

import (
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// HostUsageProps are the host properties capacity and usage come from.
var HostUsageProps = []string{
	"summary.hardware.cpuMhz", "summary.hardware.numCpuCores", "summary.hardware.memorySize",
	"summary.quickStats.overallCpuUsage", "summary.quickStats.overallMemoryUsage",
}

// Usage adds up CPU and memory of hosts: capacity from their hardware,
// use from their quick stats, as the vSphere Client shows them.
type Usage struct {
	CPUUsedMHz, CPUTotalMHz int64
	MemUsedMB, MemTotalB    int64
}

func (u *Usage) AddHost(h *mo.HostSystem) {
	if hw := h.Summary.Hardware; hw != nil {
		u.CPUTotalMHz += int64(hw.CpuMhz) * int64(hw.NumCpuCores)
		u.MemTotalB += hw.MemorySize
	}
	u.CPUUsedMHz += int64(h.Summary.QuickStats.OverallCpuUsage)
	u.MemUsedMB += int64(h.Summary.QuickStats.OverallMemoryUsage)
}

func (u Usage) MemUsedGB() float64 { return GiBf(u.MemUsedMB << 20) }

func (u Usage) MemTotalGB() float64 { return GiBf(u.MemTotalB) }

// VMCounts counts VMs by power state, and templates apart.
type VMCounts struct {
	VMs        int `json:"vms"`
	PoweredOn  int `json:"powered_on"`
	PoweredOff int `json:"powered_off"`
	Suspended  int `json:"suspended"`
	Templates  int `json:"templates"`
}

// Add counts one VM or template.
func (c *VMCounts) Add(template bool, power types.VirtualMachinePowerState) {
	if template {
		c.Templates++
		return
	}
	c.VMs++
	switch power {
	case types.VirtualMachinePowerStatePoweredOn:
		c.PoweredOn++
	case types.VirtualMachinePowerStatePoweredOff:
		c.PoweredOff++
	case types.VirtualMachinePowerStateSuspended:
		c.Suspended++
	}
}
