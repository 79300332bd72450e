package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
)

func newAuditCmd(o *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Verify or read the audit trail",
	}
	c.AddCommand(newAuditVerifyCmd(o), newAuditTailCmd(o))
	return c
}

// auditFile is FILE when given, else the effective audit file.
func (o *globalOptions) auditFile(args []string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	s, err := o.loadSettings()
	if err != nil {
		return "", err
	}
	if s.auditErr != nil {
		return "", fmt.Errorf("no audit file: %w; pass FILE", s.auditErr)
	}
	return s.auditPath, nil
}

func openTrail(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no audit trail at %s (nothing has been audited yet?)", path)
	}
	return f, err
}

func newAuditVerifyCmd(o *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check the audit trail's hash chain; exit 1 naming the first bad line",
		Long: `Check every line of the audit trail (default: the effective audit file): each
line's hash matches its content, seq counts up without gaps, and each line's prev
is the hash of the line before. An edited, removed, inserted or reordered line is
reported with its line number and the command exits 1. Lines cut off the end of
the file cannot be detected this way.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := o.auditFile(args)
			if err != nil {
				return err
			}
			f, err := openTrail(path)
			if err != nil {
				return err
			}
			defer f.Close()
			n, err := audit.Verify(f)
			if err != nil {
				fmt.Fprintf(o.stderr, "%s: FAILED at %v (%d good records before it)\n", path, err, n)
				return &exitError{code: 1}
			}
			fmt.Fprintf(o.stdout, "%s: %d records, hash chain intact\n", path, n)
			return nil
		},
	}
}

func newAuditTailCmd(o *globalOptions) *cobra.Command {
	var n int
	var asJSON bool
	c := &cobra.Command{
		Use:   "tail [FILE]",
		Short: "Print the last records of the audit trail, oldest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 1 {
				return fmt.Errorf("-n must be at least 1, got %d", n)
			}
			path, err := o.auditFile(args)
			if err != nil {
				return err
			}
			f, err := openTrail(path)
			if err != nil {
				return err
			}
			defer f.Close()
			recs, err := audit.Tail(f, n)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			enc := json.NewEncoder(o.stdout)
			for _, r := range recs {
				if asJSON {
					if err := enc.Encode(r); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintln(o.stdout, audit.Format(r))
			}
			return nil
		},
	}
	c.Flags().IntVarP(&n, "lines", "n", 20, "number of records")
	c.Flags().BoolVar(&asJSON, "json", false, "print the records as JSON lines")
	return c
}
