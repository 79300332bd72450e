package policy

import (
	"fmt"
	"testing"
)

func TestScopePermits(t *testing.T) {
	vm := func(name, path, dc, cl string) Object {
		return Object{Type: "VirtualMachine", Name: name, Path: path, Datacenter: dc, Cluster: cl}
	}
	tests := []struct {
		name  string
		scope Scope
		obj   Object
		want  bool
	}{
		{"empty scope permits all", Scope{}, vm("x", "/DC9/vm/x", "DC9", "C9"), true},

		{"dc match", Scope{Datacenters: []string{"DC1"}}, vm("a", "/DC1/vm/a", "DC1", ""), true},
		{"dc mismatch", Scope{Datacenters: []string{"DC1"}}, vm("a", "/DC2/vm/a", "DC2", ""), false},
		{"dc glob", Scope{Datacenters: []string{"DC*"}}, vm("a", "/DC2/vm/a", "DC2", ""), true},
		{"dc is case-sensitive", Scope{Datacenters: []string{"dc1"}}, vm("a", "/DC1/vm/a", "DC1", ""), false},
		{"datacenter object itself", Scope{Datacenters: []string{"DC1"}}, Object{Type: "Datacenter", Name: "DC2", Path: "/DC2"}, false},
		{"datacenter object in scope", Scope{Datacenters: []string{"DC1"}}, Object{Type: "Datacenter", Name: "DC1", Path: "/DC1"}, true},
		{"object outside any dc", Scope{Datacenters: []string{"DC1"}}, Object{Type: "Folder", Name: "Datacenters", Path: "/"}, true},

		{"cluster match", Scope{Clusters: []string{"C1"}}, vm("a", "/DC1/vm/a", "DC1", "C1"), true},
		{"cluster mismatch", Scope{Clusters: []string{"C1"}}, vm("a", "/DC1/vm/a", "DC1", "C2"), false},
		{"standalone host VM not restricted by cluster", Scope{Clusters: []string{"C1"}}, vm("a", "/DC1/vm/a", "DC1", ""), true},
		{"cluster object itself", Scope{Clusters: []string{"C1"}}, Object{Type: "ClusterComputeResource", Name: "C2", Path: "/DC1/host/C2", Datacenter: "DC1"}, false},

		{"folder exact", Scope{Folders: []string{"/DC1/vm/lab"}}, Object{Type: "Folder", Name: "lab", Path: "/DC1/vm/lab"}, true},
		{"folder below", Scope{Folders: []string{"/DC1/vm/lab"}}, vm("a", "/DC1/vm/lab/team/a", "DC1", ""), true},
		{"folder trailing slash", Scope{Folders: []string{"/DC1/vm/lab/"}}, vm("a", "/DC1/vm/lab/a", "DC1", ""), true},
		{"folder boundary", Scope{Folders: []string{"/DC1/vm/lab"}}, vm("a", "/DC1/vm/lab2/a", "DC1", ""), false},
		{"folder parent not permitted", Scope{Folders: []string{"/DC1/vm/lab"}}, Object{Type: "Folder", Name: "vm", Path: "/DC1/vm"}, false},
		{"folder glob", Scope{Folders: []string{"/DC1/vm/lab-*"}}, vm("a", "/DC1/vm/lab-2/x/a", "DC1", ""), true},
		{"folder glob miss", Scope{Folders: []string{"/DC1/vm/lab-*"}}, vm("a", "/DC1/vm/prod/a", "DC1", ""), false},
		{"second folder", Scope{Folders: []string{"/DC1/vm/lab", "/DC2/vm/lab"}}, vm("a", "/DC2/vm/lab/a", "DC2", ""), true},
		{"vm folder scope leaves hosts", Scope{Folders: []string{"/DC1/vm/lab"}}, Object{Type: "HostSystem", Name: "esx", Path: "/DC1/host/C1/esx"}, true},
		{"vm folder scope leaves datastores", Scope{Folders: []string{"/DC1/vm/lab"}}, Object{Type: "Datastore", Name: "ds", Path: "/DC1/datastore/ds"}, true},
		{"host folder scope restricts hosts", Scope{Folders: []string{"/DC1/host/C1"}}, Object{Type: "HostSystem", Name: "esx", Path: "/DC1/host/C2/esx"}, false},
		{"host folder scope leaves VMs", Scope{Folders: []string{"/DC1/host/C1"}}, vm("a", "/DC1/vm/a", "DC1", "C2"), true},
		{"nested datacenter folder", Scope{Folders: []string{"/Region/DC1/vm/lab"}}, vm("a", "/Region/DC1/vm/lab/a", "DC1", ""), true},
		{"treeless folder restricts everything", Scope{Folders: []string{"/DC1"}}, Object{Type: "HostSystem", Name: "esx", Path: "/DC2/host/esx"}, false},
		{"treeless folder permits below", Scope{Folders: []string{"/DC1"}}, Object{Type: "HostSystem", Name: "esx", Path: "/DC1/host/esx"}, true},
		{"unknown type fails closed", Scope{Folders: []string{"/DC1/vm/lab"}}, Object{Type: "Gizmo", Name: "g", Path: "/DC1/other/g"}, false},
		{"VM without path fails closed", Scope{Folders: []string{"/DC1/vm/lab"}}, vm("a", "", "DC1", ""), false},
		{"datacenter ignores folders", Scope{Folders: []string{"/DC1/vm/lab"}}, Object{Type: "Datacenter", Name: "DC1", Path: "/DC1"}, true},

		{"vm glob", Scope{VMs: []string{"lab-*"}}, vm("lab-1", "/DC1/vm/lab-1", "DC1", ""), true},
		{"vm glob miss", Scope{VMs: []string{"lab-*"}}, vm("web-1", "/DC1/vm/web-1", "DC1", ""), false},
		{"vm globs only for VMs", Scope{VMs: []string{"lab-*"}}, Object{Type: "HostSystem", Name: "esx", Path: "/DC1/host/esx"}, true},

		{"all dimensions", Scope{Datacenters: []string{"DC1"}, Clusters: []string{"C1"}, Folders: []string{"/DC1/vm/lab"}, VMs: []string{"lab-*"}},
			vm("lab-1", "/DC1/vm/lab/lab-1", "DC1", "C1"), true},
		{"all dimensions, wrong cluster", Scope{Datacenters: []string{"DC1"}, Clusters: []string{"C1"}, Folders: []string{"/DC1/vm/lab"}, VMs: []string{"lab-*"}},
			vm("lab-1", "/DC1/vm/lab/lab-1", "DC1", "C2"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.scope.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tc.scope.Permits(tc.obj); got != tc.want {
				t.Errorf("Permits(%+v) = %v, want %v", tc.obj, got, tc.want)
			}
		})
	}
}

func TestPathHelpers(t *testing.T) {
	for _, tc := range []struct {
		p    string
		n    int
		want string
	}{{"/a/b/c", 0, ""}, {"/a/b/c", 1, "/a"}, {"/a/b/c", 2, "/a/b"}, {"/a/b/c", 3, "/a/b/c"}, {"/a/b/c", 9, "/a/b/c"}} {
		if got := ancestor(tc.p, tc.n); got != tc.want {
			t.Errorf("ancestor(%q, %d) = %q, want %q", tc.p, tc.n, got, tc.want)
		}
	}
	for p, want := range map[string]string{"/DC1/vm/lab": "vm", "/F/DC1/host/C": "host", "/DC1": "", "/": "", "": "", "//DC1//network": "network"} {
		if got := pathTree(p); got != want {
			t.Errorf("pathTree(%q) = %q, want %q", p, got, want)
		}
	}
}

// inventory builds n VMs spread over datacenters, clusters and folders.
func inventory(n int) []Object {
	objs := make([]Object, n)
	for i := range objs {
		dc := fmt.Sprintf("DC%d", i%3)
		folder := []string{"lab", "prod", "web"}[i%3]
		name := fmt.Sprintf("%s-vm-%05d", folder, i)
		objs[i] = Object{Type: "VirtualMachine", Name: name, Path: "/" + dc + "/vm/" + folder + "/" + name,
			Datacenter: dc, Cluster: fmt.Sprintf("C%d", i%4)}
	}
	return objs
}

// BenchmarkFilter10k measures filtering a 10,000-VM list through a scoped,
// protected role: the per-object cost of InScope and Protected.
func BenchmarkFilter10k(b *testing.B) {
	r, err := Resolve(map[string]RoleSpec{"lab": {
		Inherits: "operator",
		Scope:    Scope{Datacenters: []string{"DC0", "DC1"}, Clusters: []string{"C0", "C1", "C2"}, Folders: []string{"/DC0/vm/lab", "/DC1/vm/lab", "/DC0/vm/web"}, VMs: []string{"lab-*", "web-*"}},
		Protect:  []string{"*-prod-*", "/DC1/vm/web"},
	}}, "lab")
	if err != nil {
		b.Fatal(err)
	}
	objs := inventory(10000)
	b.ReportAllocs()
	kept := 0
	for b.Loop() {
		kept = 0
		for _, o := range objs {
			if r.InScope(o) && !r.Protected(o) {
				kept++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(objs)), "ns/object")
	_ = kept
}

func BenchmarkScopePermits(b *testing.B) {
	s := Scope{Datacenters: []string{"DC1"}, Folders: []string{"/DC1/vm/lab"}, VMs: []string{"lab-*"}}
	o := Object{Type: "VirtualMachine", Name: "lab-web-01", Path: "/DC1/vm/lab/lab-web-01", Datacenter: "DC1"}
	b.ReportAllocs()
	for b.Loop() {
		if !s.Permits(o) {
			b.Fatal("not permitted")
		}
	}
}
