package policy

import (
	"fmt"
	"strings"
)

// Scope limits which inventory objects a role may see and act on. An empty
// list puts no restriction on its dimension; a non-empty one must match.
type Scope struct {
	// Datacenters are datacenter names (or globs). They restrict objects
	// that live in a datacenter and Datacenter objects themselves.
	Datacenters []string `yaml:"datacenters,omitempty" mapstructure:"datacenters" json:"datacenters,omitempty"`
	// Clusters are cluster names (or globs). They restrict objects that live
	// in a cluster and cluster objects themselves; objects outside any
	// cluster (standalone hosts and their VMs) are not affected.
	Clusters []string `yaml:"clusters,omitempty" mapstructure:"clusters" json:"clusters,omitempty"`
	// Folders are absolute inventory paths ("/DC1/vm/lab"); an object must
	// be the folder or lie below it. Each folder restricts only objects of
	// its own tree (vm, host, datastore or network), so scoping VMs to a
	// folder does not hide the hosts and datastores they run on.
	Folders []string `yaml:"folders,omitempty" mapstructure:"folders" json:"folders,omitempty"`
	// VMs are name globs that apply only to VirtualMachine objects.
	VMs []string `yaml:"vms,omitempty" mapstructure:"vms" json:"vms,omitempty"`
}

// Object is an inventory object as policy sees it. Callers fill in what they
// know; Datacenter and Cluster must be set for objects that live in one,
// otherwise the matching scope dimension cannot restrict them.
type Object struct {
	Type       string // managed object type: "VirtualMachine", "HostSystem", …
	Name       string // display name, e.g. "web-01"
	Path       string // inventory path, e.g. "/DC1/vm/web/web-01"
	Datacenter string // name of the datacenter the object lives in
	Cluster    string // name of the cluster the object lives in, if any
}

// IsZero reports whether the scope restricts nothing.
func (s Scope) IsZero() bool {
	return len(s.Datacenters) == 0 && len(s.Clusters) == 0 && len(s.Folders) == 0 && len(s.VMs) == 0
}

// Validate checks every pattern so that a typo is reported at startup
// instead of silently hiding (or exposing) inventory.
func (s Scope) Validate() error {
	for _, dim := range []struct {
		name string
		list []string
	}{{"datacenters", s.Datacenters}, {"clusters", s.Clusters}, {"folders", s.Folders}, {"vms", s.VMs}} {
		for _, p := range dim.list {
			if err := validGlob(p); err != nil {
				return fmt.Errorf("scope %s: %w", dim.name, err)
			}
			if dim.name == "folders" && !strings.HasPrefix(p, "/") {
				return fmt.Errorf("scope folders: %q is not an absolute inventory path (want e.g. /DC1/vm/lab)", p)
			}
		}
	}
	return nil
}

// Permits reports whether o lies within the scope. It allocates nothing and
// does no more than a few comparisons per pattern, because it runs once per
// listed object on inventories of many thousands of VMs.
func (s Scope) Permits(o Object) bool {
	if len(s.Datacenters) > 0 {
		dc := o.Datacenter
		if dc == "" && o.Type == "Datacenter" {
			dc = o.Name
		}
		if dc != "" && !anyGlob(s.Datacenters, dc) {
			return false
		}
	}
	if len(s.Clusters) > 0 {
		cl := o.Cluster
		if cl == "" && o.Type == "ClusterComputeResource" {
			cl = o.Name
		}
		if cl != "" && !anyGlob(s.Clusters, cl) {
			return false
		}
	}
	if len(s.VMs) > 0 && o.Type == "VirtualMachine" && !anyGlob(s.VMs, o.Name) {
		return false
	}
	if len(s.Folders) > 0 && !s.permitsFolder(o) {
		return false
	}
	return true
}

func (s Scope) permitsFolder(o Object) bool {
	if o.Type == "Datacenter" {
		return true // datacenters sit above the four trees; the datacenters dimension covers them
	}
	kind := objectTree(o)
	applies := false
	for _, f := range s.Folders {
		fk := pathTree(f)
		// A folder whose tree cannot be told (e.g. "/" or "/DC1") restricts
		// everything, and so does any object whose tree is unknown: fail closed.
		if fk == "" || kind == "" || fk == kind {
			applies = true
			if o.Path != "" && underPath(f, o.Path) {
				return true
			}
		}
	}
	return !applies
}

// objectTree names the datacenter sub-tree ("vm", "host", "datastore",
// "network") a managed object type lives in, or "" when unknown.
func objectTree(o Object) string {
	switch o.Type {
	case "VirtualMachine", "VirtualApp":
		return "vm"
	case "HostSystem", "ClusterComputeResource", "ComputeResource", "ResourcePool":
		return "host"
	case "Datastore", "StoragePod":
		return "datastore"
	case "Network", "DistributedVirtualPortgroup", "DistributedVirtualSwitch",
		"VmwareDistributedVirtualSwitch", "OpaqueNetwork":
		return "network"
	case "Folder":
		return pathTree(o.Path)
	}
	return ""
}

// pathTree finds the first standard datacenter sub-folder named in an
// inventory path: "/DC1/vm/lab" → "vm". Datacenters may sit in folders, so
// the position of that segment is not fixed.
func pathTree(p string) string {
	for p != "" {
		var seg string
		seg, p, _ = strings.Cut(strings.TrimLeft(p, "/"), "/")
		switch seg {
		case "vm", "host", "datastore", "network":
			return seg
		}
	}
	return ""
}
