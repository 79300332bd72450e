// Package inventory builds the benchmark's simulator inventories, saves them
// once in govc's object.save format and loads them again in seconds.
//
// Creating a VM in the simulator is a task, and the simulator makes tasks
// slow on purpose (about 40 ms each when run one after another), so an
// inventory of 10,000 VMs is created by many goroutines at once and then
// saved with govc's own object.save command (run in-process); later runs
// load the saved directory with simulator.Model.Load.
package inventory

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/cli"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	// object.save, run in-process to write the inventory.
	_ "github.com/vmware/govmomi/cli/object"
)

// Version changes whenever Build would produce a different inventory, so a
// stale cache directory is never reused.
const Version = 1

// Spec describes an inventory.
type Spec struct {
	// VMs is the number of virtual machines (templates included).
	VMs int
	// Clusters in the one datacenter, each with HostsPerCluster hosts.
	Clusters        int
	HostsPerCluster int
	// Workers is how many VMs are created at once; 0 means many. The
	// simulator has data races between concurrent creations (its own
	// code), harmless for a benchmark but reported by -race: tests use 1.
	Workers int `json:"-"`
}

// ForVMs returns the benchmark's inventory shape for n VMs: one datacenter,
// clusters of up to 8 hosts, about 150 VMs per host. (Real hosts carry
// fewer; the simulator's hosts are expensive to save and load, and host
// count does not change what a VM listing costs.)
func ForVMs(n int) Spec {
	hosts := max(n/150, 2)
	per := min(hosts, 8)
	return Spec{VMs: n, Clusters: max((hosts+per-1)/per, 1), HostsPerCluster: per}
}

// Dir is where the spec's inventory is cached below root.
func (s Spec) Dir(root string) string {
	return filepath.Join(root, fmt.Sprintf("vcsim-%dvm-%dx%d-v%d", s.VMs, s.Clusters, s.HostsPerCluster, Version))
}

// Families are the VM name prefixes, one VM folder each; VM i is named
// Families[i%len(Families)]-NNNNN. A name glob such as "web-prod-*" selects
// one family: 1/len(Families) of the inventory.
var Families = []string{"web-prod", "web-stage", "app-prod", "app-dev", "db-prod", "db-dev", "cache", "batch"}

var guests = []string{"ubuntu64Guest", "rhel9_64Guest", "windows2019srv_64Guest", "centos8_64Guest", "debian11_64Guest", "sles15_64Guest"}

// plan is what VM i looks like. Power states: of every 12 VMs, 8 run, 3 are
// powered off and 1 is suspended; every 500th powered-off VM is a template.
type plan struct {
	name, folder, guest string
	cpus, memMB         int32
	power               types.VirtualMachinePowerState
	template            bool
	ip                  string
}

// Name is the name of VM i (0 ≤ i < Spec.VMs).
func Name(i int) string { return planFor(i).name }

func planFor(i int) plan {
	fam := Families[i%len(Families)]
	p := plan{
		name:   fmt.Sprintf("%s-%05d", fam, i),
		folder: fam,
		guest:  guests[(i/len(Families))%len(guests)],
		cpus:   []int32{1, 2, 2, 4, 4, 8}[i%6],
		memMB:  []int32{2048, 4096, 8192, 8192, 16384}[i%5],
		ip:     fmt.Sprintf("10.%d.%d.%d", 20+i/65536, (i/254)%256, i%254+1),
	}
	switch i % 12 {
	case 3, 7, 11:
		p.power = types.VirtualMachinePowerStatePoweredOff
		p.template = i%500 == 3
	case 5:
		p.power = types.VirtualMachinePowerStateSuspended
	default:
		p.power = types.VirtualMachinePowerStatePoweredOn
	}
	return p
}

// Expected is what an inventory built from s contains.
type Expected struct {
	VMs        int            `json:"vms"`
	Power      map[string]int `json:"power"`
	Templates  int            `json:"templates"`
	PerFamily  map[string]int `json:"per_family"`
	Hosts      int            `json:"hosts"`
	Clusters   int            `json:"clusters"`
	Version    int            `json:"version"`
	BuiltIn    string         `json:"built_in,omitempty"`
	BuiltAt    string         `json:"built_at,omitempty"`
	SavedBytes int64          `json:"saved_bytes,omitempty"`
}

// Expect computes what s should contain.
func (s Spec) Expect() Expected {
	e := Expected{VMs: s.VMs, Power: map[string]int{}, PerFamily: map[string]int{},
		Hosts: s.Clusters * s.HostsPerCluster, Clusters: s.Clusters, Version: Version}
	for i := range s.VMs {
		p := planFor(i)
		e.Power[string(p.power)]++
		e.PerFamily[p.folder]++
		if p.template {
			e.Templates++
		}
	}
	return e
}

const manifest = "inventory.json"

// Ensure returns the directory holding s's saved inventory below root,
// building and saving it first when it is not there yet.
func Ensure(ctx context.Context, root string, s Spec, logw io.Writer) (dir string, built bool, err error) {
	dir = s.Dir(root)
	if _, err := os.Stat(filepath.Join(dir, manifest)); err == nil {
		return dir, false, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", false, err
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	start := time.Now()
	if err := Build(ctx, s, tmp, logw); err != nil {
		_ = os.RemoveAll(tmp)
		return "", false, err
	}
	e := s.Expect()
	e.BuiltIn = time.Since(start).Round(time.Millisecond).String()
	e.BuiltAt = time.Now().UTC().Format(time.RFC3339)
	e.SavedBytes = dirSize(tmp)
	b, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, manifest), b, 0o644); err != nil {
		return "", false, err
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// ReadManifest returns what Ensure recorded about a saved inventory.
func ReadManifest(dir string) (Expected, error) {
	var e Expected
	b, err := os.ReadFile(filepath.Join(dir, manifest))
	if err != nil {
		return e, err
	}
	return e, json.Unmarshal(b, &e)
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// Build creates s's inventory in an in-process simulator and saves it to
// dir with govc object.save.
func Build(ctx context.Context, s Spec, dir string, logw io.Writer) error {
	if logw == nil {
		logw = io.Discard
	}
	m := simulator.VPX()
	m.Datacenter = 1
	m.Cluster = s.Clusters
	m.ClusterHost = s.HostsPerCluster
	m.Host = 0
	m.Machine = 0
	m.Pool = 0
	m.Datastore = 2
	m.Portgroup = 1
	// The simulator logs every task at length; the benchmark's log is ours.
	defer quietLog()()
	if err := m.Create(); err != nil {
		return fmt.Errorf("create simulator: %w", err)
	}
	defer m.Remove()
	// Plain HTTP on loopback while building: 64 goroutines through
	// govmomi's small idle-connection pool would otherwise spend most of
	// the CPU on TLS handshakes.
	srv, err := serve(m, false)
	if err != nil {
		return err
	}
	defer srv.Close()

	c, err := govmomi.NewClient(ctx, srv.URL, true)
	if err != nil {
		return fmt.Errorf("connect to simulator: %w", err)
	}
	defer func() { _ = c.Logout(context.Background()) }()

	start := time.Now()
	if err := populate(ctx, c.Client, s, logw); err != nil {
		return err
	}
	fmt.Fprintf(logw, "  created %d VMs in %s\n", s.VMs, time.Since(start).Round(time.Millisecond))
	forgetTasks(m, c.ServiceContent.TaskManager)

	start = time.Now()
	if err := Save(srv.URL, dir); err != nil {
		return err
	}
	fmt.Fprintf(logw, "  saved to %s in %s\n", dir, time.Since(start).Round(time.Millisecond))
	return nil
}

// forgetTasks drops the ~2 tasks per VM that building left behind (the
// simulator keeps every task in its entity's recentTask, and object.save
// follows recentTask): they would double the saved files and the load
// time, and a fresh inventory has no history anyway. Nothing else runs on
// the simulator at this point.
func forgetTasks(m *simulator.Model, taskManager *types.ManagedObjectReference) {
	reg := m.Map()
	ctx := m.Service.Context
	for _, kind := range []string{"VirtualMachine", "HostSystem", "ClusterComputeResource", "ResourcePool",
		"Folder", "Datacenter", "Datastore", "DistributedVirtualPortgroup", "VmwareDistributedVirtualSwitch"} {
		for _, e := range reg.All(kind) {
			e.Entity().RecentTask = nil
		}
	}
	if taskManager != nil {
		if tm, ok := reg.Get(*taskManager).(*simulator.TaskManager); ok {
			tm.RecentTask = nil
		}
	}
	for _, t := range reg.AllReference("Task") {
		reg.Remove(ctx, t.Reference())
	}
}

// Save writes the inventory the simulator at u serves to dir, with govc's
// object.save (the format simulator.Model.Load reads).
func Save(u *url.URL, dir string) error {
	// object.save prints a summary on stdout; keep the caller's stdout clean.
	restore, err := redirectStdout()
	if err != nil {
		return err
	}
	rc := cli.Run([]string{"object.save", "-u", u.String(), "-k", "-persist-session=false", "-f", "-d", dir})
	restore()
	if rc != 0 {
		return fmt.Errorf("govc object.save exited %d", rc)
	}
	return nil
}

var stdoutMu sync.Mutex

func redirectStdout() (func(), error) {
	stdoutMu.Lock()
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		stdoutMu.Unlock()
		return nil, err
	}
	old := os.Stdout
	os.Stdout = devnull
	return func() {
		os.Stdout = old
		_ = devnull.Close()
		stdoutMu.Unlock()
	}, nil
}

var logMu sync.Mutex

// quietLog silences the standard logger (the simulator logs each task and
// each object it adopts) and returns the function that restores it.
func quietLog() func() {
	logMu.Lock()
	w := log.Writer()
	log.SetOutput(io.Discard)
	return func() {
		log.SetOutput(w)
		logMu.Unlock()
	}
}

// Serve serves m over HTTPS on a random loopback port.
func Serve(m *simulator.Model) (*simulator.Server, error) { return serve(m, true) }

func serve(m *simulator.Model, useTLS bool) (*simulator.Server, error) {
	m.Service.TLS = nil
	if useTLS {
		m.Service.TLS = new(tls.Config)
	}
	m.Service.RegisterEndpoints = true
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0"}
	srv := m.Service.NewServer()
	// Handshake errors of clients that reject the self-signed certificate
	// belong to those clients.
	srv.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	if h := srv.URL.Hostname(); h != "127.0.0.1" {
		srv.Close()
		return nil, fmt.Errorf("simulator listens on %s, not on loopback", h)
	}
	return srv, nil
}

// Load reads an inventory saved by Ensure into a new simulator model.
func Load(dir string) (*simulator.Model, error) {
	defer quietLog()()
	m := simulator.VPX()
	if err := m.Load(dir); err != nil {
		return nil, fmt.Errorf("load simulator inventory %s: %w", dir, err)
	}
	return m, nil
}

// populate creates s.VMs VMs from many goroutines: the simulator's tasks
// mostly sleep, so throughput scales with concurrency.
func populate(ctx context.Context, c *vim25.Client, s Spec, logw io.Writer) error {
	finder, err := datacenterFolders(ctx, c)
	if err != nil {
		return err
	}
	folders := map[string]*object.Folder{}
	for _, fam := range Families {
		f, err := finder.vm.CreateFolder(ctx, fam)
		if err != nil {
			return fmt.Errorf("create folder %s: %w", fam, err)
		}
		folders[fam] = f
	}
	pools, err := clusterPools(ctx, c)
	if err != nil {
		return err
	}
	backing, err := portgroupBacking(ctx, c)
	if err != nil {
		return err
	}
	if len(pools) == 0 {
		return errors.New("the simulator has no cluster resource pools")
	}

	workers := s.Workers
	if workers <= 0 {
		workers = max(64, 32*runtime.NumCPU())
	}
	jobs := make(chan int)
	errs := make(chan error, workers)
	var done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := createVM(ctx, c, i, folders, pools, backing); err != nil {
					errs <- fmt.Errorf("VM %d: %w", i, err)
					return
				}
				if n := done.Add(1); n%2000 == 0 {
					fmt.Fprintf(logw, "  %d/%d VMs\n", n, s.VMs)
				}
			}
		}()
	}
	var sendErr error
feed:
	for i := range s.VMs {
		select {
		case jobs <- i:
		case sendErr = <-errs:
			break feed
		case <-ctx.Done():
			sendErr = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if sendErr != nil {
		return sendErr
	}
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

type dcFolders struct{ vm *object.Folder }

func datacenterFolders(ctx context.Context, c *vim25.Client) (*dcFolders, error) {
	var dcs []mo.Datacenter
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"Datacenter"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(ctx) }()
	if err := v.Retrieve(ctx, []string{"Datacenter"}, []string{"vmFolder"}, &dcs); err != nil {
		return nil, err
	}
	if len(dcs) == 0 {
		return nil, errors.New("the simulator has no datacenter")
	}
	return &dcFolders{vm: object.NewFolder(c, dcs[0].VmFolder)}, nil
}

func clusterPools(ctx context.Context, c *vim25.Client) ([]*object.ResourcePool, error) {
	var ccrs []mo.ClusterComputeResource
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"ClusterComputeResource"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(ctx) }()
	if err := v.Retrieve(ctx, []string{"ClusterComputeResource"}, []string{"resourcePool"}, &ccrs); err != nil {
		return nil, err
	}
	var pools []*object.ResourcePool
	for _, cc := range ccrs {
		if cc.ResourcePool != nil {
			pools = append(pools, object.NewResourcePool(c, *cc.ResourcePool))
		}
	}
	return pools, nil
}

// portgroupBacking is the distributed port group every VM's NIC joins.
func portgroupBacking(ctx context.Context, c *vim25.Client) (types.BaseVirtualDeviceBackingInfo, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"DistributedVirtualPortgroup"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(ctx) }()
	refs, err := v.Find(ctx, []string{"DistributedVirtualPortgroup"}, nil)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		pg := object.NewDistributedVirtualPortgroup(c, r)
		var p mo.DistributedVirtualPortgroup
		if err := pg.Properties(ctx, r, []string{"config.uplink"}, &p); err != nil {
			return nil, err
		}
		if p.Config.Uplink != nil && *p.Config.Uplink {
			continue
		}
		return pg.EthernetCardBackingInfo(ctx)
	}
	return nil, errors.New("the simulator has no distributed port group")
}

func createVM(ctx context.Context, c *vim25.Client, i int, folders map[string]*object.Folder, pools []*object.ResourcePool, backing types.BaseVirtualDeviceBackingInfo) error {
	p := planFor(i)
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), types.ManagedObjectReference{},
		fmt.Sprintf("[LocalDS_0] %s/%s.vmdk", p.name, p.name))
	disk.CapacityInKB = 40 << 20 // 40 GiB, thin: the simulator does not allocate it
	devices = append(devices, disk)
	nic, err := devices.CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		return err
	}
	devices = append(devices, nic)
	spec := types.VirtualMachineConfigSpec{
		Name:       p.name,
		GuestId:    p.guest,
		NumCPUs:    p.cpus,
		MemoryMB:   int64(p.memMB),
		Annotation: "",
		Files:      &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"},
	}
	spec.DeviceChange, err = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}
	pool := pools[i%len(pools)]
	task, err := folders[p.folder].CreateVM(ctx, spec, pool, nil)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return fmt.Errorf("create %s: %w", p.name, err)
	}
	vm := object.NewVirtualMachine(c, info.Result.(types.ManagedObjectReference))
	if p.power != types.VirtualMachinePowerStatePoweredOff {
		if err := wait(ctx, vm.PowerOn); err != nil {
			return fmt.Errorf("power on %s: %w", p.name, err)
		}
		// The simulator reports a guest IP for running VMs set this way.
		task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
			&types.OptionValue{Key: "SET.guest.ipAddress", Value: p.ip},
			&types.OptionValue{Key: "SET.guest.hostName", Value: p.name + ".lab.example.com"},
		}})
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return fmt.Errorf("set guest IP of %s: %w", p.name, err)
		}
	}
	if p.power == types.VirtualMachinePowerStateSuspended {
		if err := wait(ctx, vm.Suspend); err != nil {
			return fmt.Errorf("suspend %s: %w", p.name, err)
		}
	}
	if p.template {
		if err := vm.MarkAsTemplate(ctx); err != nil {
			return fmt.Errorf("mark %s as template: %w", p.name, err)
		}
	}
	return nil
}

func wait(ctx context.Context, op func(context.Context) (*object.Task, error)) error {
	task, err := op(ctx)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

// Counts are an inventory's figures as vCenter reports them.
type Counts struct {
	VMs       int
	Power     map[string]int
	Templates int
	PerFamily map[string]int
	WithIP    int
}

// Count reads c's VMs straight through govmomi (one container view).
func Count(ctx context.Context, c *vim25.Client) (Counts, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return Counts{}, err
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "summary.runtime.powerState", "summary.config.template", "summary.guest.ipAddress"}, &vms); err != nil {
		return Counts{}, err
	}
	n := Counts{VMs: len(vms), Power: map[string]int{}, PerFamily: map[string]int{}}
	for _, vm := range vms {
		n.Power[string(vm.Summary.Runtime.PowerState)]++
		if vm.Summary.Config.Template {
			n.Templates++
		}
		if vm.Summary.Guest != nil && vm.Summary.Guest.IpAddress != "" {
			n.WithIP++
		}
		if k := strings.LastIndexByte(vm.Name, '-'); k > 0 {
			n.PerFamily[vm.Name[:k]]++
		}
	}
	return n, nil
}
