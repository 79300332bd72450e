package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
)

func newLoginCmd(o *globalOptions) *cobra.Command {
	var forget bool
	var guest string
	c := &cobra.Command{
		Use:   "login",
		Short: "Store a profile's vCenter password in the OS keyring",
		Long: `Store the password of a profile (--profile, VSPHERE_MCP_PROFILE or default_profile)
in the OS keyring: macOS Keychain, Windows Credential Manager or the Secret
Service (GNOME Keyring, KWallet) on Linux, under service "vsphere-mcp" and the
profile's name. The profile then uses it with "keyring: true".

The password is read from the terminal without echo, or from standard input
when that is not a terminal (for scripts):
  printf '%s\n' "$PW" | vsphere-mcp login --profile lab

With --guest GLOB it stores instead the guest OS password of the profile's
guest_credentials entry whose vms list GLOB (written with "keyring: true"),
under the user "PROFILE guest GLOBS"; the guest tools read it from there.`,
		Example: `  vsphere-mcp login --profile lab
  vsphere-mcp login --profile lab --forget
  vsphere-mcp login --profile lab --guest 'web-*'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, _, _, err := o.loadFile()
			if err != nil {
				return err
			}
			name := strings.ToLower(o.profile)
			if name == "" {
				name = strings.ToLower(o.getenv(envProfile))
			}
			if name == "" {
				name = f.DefaultProfile
			}
			if name == "" {
				return errors.New("which profile? pass --profile NAME")
			}
			p, err := f.Profile(name)
			if err != nil {
				return err
			}
			if guest != "" {
				return o.loginGuest(name, p, guest, forget, f.Path)
			}
			if forget {
				if err := config.DeletePassword(name); err != nil {
					return err
				}
				fmt.Fprintf(o.stdout, "Removed the password of profile %s from the OS keyring.\n", name)
				return nil
			}
			pw, err := o.readPassword(fmt.Sprintf("Password for %s at %s (profile %s): ", dash(p.Username), dash(maskURL(p.URL)), name))
			if err != nil {
				return err
			}
			if err := config.StorePassword(name, pw); err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "Stored the password of profile %s in the OS keyring (service %s, user %s).\n", name, config.KeyringService, name)
			if !p.Keyring {
				fmt.Fprintf(o.stdout, "Profile %s does not use it yet: set \"keyring: true\" in its section of %s (and remove its other password source).\n", name, f.Path)
			}
			fmt.Fprintln(o.stdout, "Check the login with: vsphere-mcp doctor --profile "+name)
			return nil
		},
	}
	c.Flags().BoolVar(&forget, "forget", false, "remove the profile's password from the keyring instead")
	c.Flags().StringVar(&guest, "guest", "", "store the guest OS password of the profile's guest_credentials entry whose vms list this glob")
	return c
}

// loginGuest stores (or forgets) the guest password of one
// guest_credentials entry in the keyring.
func (o *globalOptions) loginGuest(name string, p config.Profile, glob string, forget bool, path string) error {
	i := p.GuestEntryFor(glob)
	if i < 0 {
		return fmt.Errorf("profile %s has no guest_credentials entry whose vms list %q: add one to its section of %s first, e.g.\n  guest_credentials:\n    - vms: [%q]\n      username: root\n      keyring: true", name, glob, path, glob)
	}
	e := p.GuestCredentials[i]
	user := config.GuestKeyringUser(name, e.VMs)
	if forget {
		if err := config.DeletePassword(user); err != nil {
			return err
		}
		fmt.Fprintf(o.stdout, "Removed the guest password for %s (profile %s) from the OS keyring.\n", glob, name)
		return nil
	}
	pw, err := o.readPassword(fmt.Sprintf("Guest OS password of %s on VMs %s (profile %s): ", dash(e.Username), strings.Join(e.VMs, ", "), name))
	if err != nil {
		return err
	}
	if err := config.StorePassword(user, pw); err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "Stored the guest password for VMs %s (profile %s) in the OS keyring (service %s, user %s).\n", strings.Join(e.VMs, ", "), name, config.KeyringService, user)
	if !e.Keyring {
		fmt.Fprintf(o.stdout, "That entry does not use it yet: set \"keyring: true\" in guest_credentials[%d] of profile %s in %s (and remove its other password source).\n", i, name, path)
	}
	return nil
}

// readPassword reads one line: from the terminal without echo when stdin
// is one, otherwise from stdin as it is (for scripts).
func (o *globalOptions) readPassword(prompt string) (string, error) {
	if f, ok := o.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(o.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(o.stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		pw := string(b)
		if pw == "" {
			return "", errors.New("empty password: nothing stored")
		}
		return pw, nil
	}
	line, err := bufio.NewReader(io.LimitReader(o.stdin, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("empty password on standard input: nothing stored")
	}
	return pw, nil
}
