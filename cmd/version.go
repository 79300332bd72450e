package cmd

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Build information, stamped by goreleaser with -ldflags -X. They are set
// once at link time and never written at run time.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// versionString is the stamped version, or the module version for a
// `go install …@vX` build.
func versionString() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func newVersionCmd(o *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(o.stdout, versionLine())
			return nil
		},
	}
}

// versionLine is what `version` and `--version` print.
func versionLine() string {
	s := "vsphere-mcp " + versionString()
	if commit != "" {
		s += fmt.Sprintf(" (commit %s, built %s)", commit, date)
	}
	return s
}
