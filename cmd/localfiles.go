package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vsphere-mcp/vsphere-mcp/policy/localfiles"
)

// localFiles is the profile's local_files setting as the tools get it.
func (s *settings) localFiles() localfiles.Dirs {
	return localfiles.Dirs{Read: s.profile.LocalFiles.Read, Write: s.profile.LocalFiles.Write, Profile: s.profileName}
}

// showLocalFiles prints the local_files section of config show.
func showLocalFiles(w io.Writer, s *settings) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "\nlocal files (what tools may read and write on this machine, besides the MCP client's roots)")
	d := s.localFiles()
	for _, l := range []struct {
		key  string
		dirs []string
	}{{"read", d.Read}, {"write", d.Write}} {
		v := "(none)"
		if len(l.dirs) > 0 {
			v = strings.Join(l.dirs, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s local_files.%s\n", l.key, v, s.profileLabel(), l.key)
	}
}
