// Command govc is govmomi's govc CLI, built from the govmomi module this
// repository already depends on. govc lives in its own sub-module that
// `go install github.com/vmware/govmomi/govc@v0.56.0` cannot fetch, so the
// benchmark builds it from here, the way govmomi's govc/main.go does: blank
// imports register the commands, cli.Run runs one.
//
// Only the command packages the benchmark and everyday inspection of a
// simulator need are linked in; add more from govmomi's cli/ as needed.
package main

import (
	"os"

	"github.com/vmware/govmomi/cli"

	_ "github.com/vmware/govmomi/cli/about"
	_ "github.com/vmware/govmomi/cli/cluster"
	_ "github.com/vmware/govmomi/cli/datacenter"
	_ "github.com/vmware/govmomi/cli/datastore"
	_ "github.com/vmware/govmomi/cli/events"
	_ "github.com/vmware/govmomi/cli/folder"
	_ "github.com/vmware/govmomi/cli/host"
	_ "github.com/vmware/govmomi/cli/object"
	_ "github.com/vmware/govmomi/cli/pool"
	_ "github.com/vmware/govmomi/cli/session"
	_ "github.com/vmware/govmomi/cli/task"
	_ "github.com/vmware/govmomi/cli/version"
	_ "github.com/vmware/govmomi/cli/vm"
)

func main() {
	os.Exit(cli.Run(os.Args[1:]))
}
