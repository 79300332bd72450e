package cmd

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
)

func newProfilesCmd(o *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the config file's profiles; * marks the default, > the one selected by --profile or VSPHERE_MCP_PROFILE",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Only the file: a profile with a broken role must still be listed.
			f, _, warn, err := o.loadFile()
			if err != nil {
				return err
			}
			if warn != "" {
				fmt.Fprintln(o.stderr, warn)
			}
			if len(f.Profiles) == 0 {
				where := f.Path
				if !f.Found {
					where += " (not found)"
				}
				fmt.Fprintf(o.stdout, "No profiles in %s. Write an example with: vsphere-mcp config init\n", where)
				return nil
			}
			selected := strings.ToLower(o.profile)
			if selected == "" {
				selected = strings.ToLower(o.getenv(envProfile))
			}
			w := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "\tPROFILE\tROLE\tURL\tUSERNAME\tPASSWORD\tDESCRIPTION")
			for _, name := range f.ProfileNames() {
				p := f.Profiles[name]
				mark := ""
				if name == f.DefaultProfile {
					mark = "*"
				}
				if selected != "" && name == selected {
					mark += ">"
				}
				role := p.Role
				if role == "" {
					role = policy.DefaultRole
				}
				if _, err := policy.Resolve(f.Roles, role); err != nil {
					role += " (unknown role)"
				}
				pw := p.PasswordSource(name)
				if pw == "" {
					pw = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, name, role, dash(maskURL(p.URL)), dash(p.Username), pw, p.Description)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "\nfrom %s; * default_profile", f.Path)
			if selected != "" {
				fmt.Fprint(o.stdout, ", > selected")
			}
			fmt.Fprintln(o.stdout)
			return nil
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
