package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vsphere-mcp/vsphere-mcp/policy/audit"
)

func newAuditCmd(o *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Verify, read or rotate the audit trail",
	}
	c.AddCommand(newAuditVerifyCmd(o), newAuditTailCmd(o), newAuditRotateCmd(o))
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
	var heads []string
	c := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check the audit trail's hash chain and checkpoint; exit 1 naming the first bad line",
		Long: `Check every line of the audit trail (default: the effective audit file): each
line's hash matches its content, seq counts up without gaps, and each line's prev
is the hash of the line before; a trail started by "audit rotate" may begin with
its rotation record. An edited, removed, inserted or reordered line is reported
with its line number and the command exits 1.

Then the trail is compared with its checkpoint, FILE.head, which the server
rewrites after every record: a trail truncated to nothing, a tail cut off, or a
rewrite that stops short of the checkpoint is reported the same way. Someone who
can rewrite the file can rewrite the checkpoint beside it too; a head kept
elsewhere (a vCenter event posted by the server, a note) catches that: pass it
with --head SEQ:HASH.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var want []audit.Head
			for _, h := range heads {
				hd, err := audit.ParseHeadString(h)
				if err != nil {
					return fmt.Errorf("--head: %w", err)
				}
				want = append(want, hd)
			}
			path, err := o.auditFile(args)
			if err != nil {
				return err
			}
			rep, err := audit.VerifyFile(path, want...)
			for _, w := range rep.Warnings {
				fmt.Fprintf(o.stderr, "%s: warning: %s\n", path, w)
			}
			var ve *audit.VerifyError
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("no audit trail at %s (nothing has been audited yet?)", path)
			case errors.As(err, &ve):
				fmt.Fprintf(o.stderr, "%s: FAILED at %v (%d good records before it)\n", path, err, rep.Records)
				return &exitError{code: 1}
			case err != nil:
				fmt.Fprintf(o.stderr, "%s: FAILED: %v\n", path, err)
				return &exitError{code: 1}
			}
			fmt.Fprintf(o.stdout, "%s: %s\n", path, describeReport(rep))
			return nil
		},
	}
	c.Flags().StringArrayVar(&heads, "head", nil, "a chain head kept elsewhere, as SEQ:HASH (repeatable): the trail must hold it")
	return c
}

// describeReport is the one line verify prints for a good trail.
func describeReport(rep audit.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d records, hash chain intact", rep.Records)
	if rep.Records > 0 {
		fmt.Fprintf(&b, " (seq %d-%d)", rep.First.Seq, rep.Last.Seq)
	}
	if r := rep.Rotated; r != nil {
		fmt.Fprintf(&b, "; rotated from %s (%s)", r.File, r.Reason)
	}
	if rep.Checkpoint != nil {
		fmt.Fprintf(&b, "; checkpoint seq %d matches", rep.Checkpoint.Seq)
	}
	if len(rep.Heads) > 0 {
		fmt.Fprintf(&b, "; holds %d given head(s)", len(rep.Heads))
	}
	return b.String()
}

func newAuditRotateCmd(o *globalOptions) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "rotate [FILE]",
		Short: "Keep the audit trail as FILE.<time> and start a new one that continues its chain",
		Long: `Rename the audit trail (default: the effective audit file) to FILE.YYYYMMDDTHHMMSSZ,
its checkpoint with it, and start a new trail whose first record names the old
file, where it ended, what its checkpoint said, and why it was rotated. The new
trail continues the old chain, so seq numbers run on.

The server refuses to start on a trail that does not continue its checkpoint
(truncated, cut short, replaced or rewritten): inspect it with "audit verify",
then run this to start a new trail. The old file is kept as it was, for
whoever investigates. Running servers follow to the new file at their next write.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := o.auditFile(args)
			if err != nil {
				return err
			}
			res, err := audit.Rotate(path, reason, time.Now())
			if err != nil {
				return err
			}
			rot := res.Start.Rotated
			fmt.Fprintf(o.stdout, "kept the old trail as %s (its last record: seq %d", res.Old, rot.End.Seq)
			if rot.Head != nil {
				fmt.Fprintf(o.stdout, "; its checkpoint: seq %d", rot.Head.Seq)
			}
			fmt.Fprintf(o.stdout, ")\nnew trail %s starts at seq %d (reason: %s)\n", path, res.Start.Seq, rot.Reason)
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why, for the record (default: what was wrong with the trail, or \"requested\")")
	return c
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
