package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name under which `vsphere-mcp login`
// stores passwords in the OS keyring; the keyring user is the profile name.
const KeyringService = AppName

// PasswordCommandTimeout bounds a password_command (and a keyring lookup,
// which may wait on a desktop prompt).
const PasswordCommandTimeout = 30 * time.Second

// PasswordSource describes where a profile's password comes from, for
// display. It never includes the password, nor a password_command's
// arguments (they may carry a token).
func (p Profile) PasswordSource(name string) string {
	switch {
	case p.PasswordEnv != "":
		return "password_env " + p.PasswordEnv
	case p.PasswordFile != "":
		return "password_file " + p.PasswordFile
	case p.PasswordCommand != "":
		prog, _, _ := strings.Cut(strings.TrimSpace(p.PasswordCommand), " ")
		return "password_command (runs " + prog + " …)"
	case p.Keyring:
		return fmt.Sprintf("keyring (service %s, user %s)", KeyringService, name)
	case p.Password != "":
		return "password (plain text in the config file)"
	}
	return ""
}

// HasPassword reports whether the profile names a password source.
func (p Profile) HasPassword() bool { return len(p.passwordSources()) > 0 }

// ResolvePassword returns the profile's password from its source; "" when
// the profile names none. name is the profile's name (the keyring user).
// Errors say what to fix and never contain the password.
func (p Profile) ResolvePassword(ctx context.Context, name string, getenv func(string) string) (string, error) {
	switch {
	case p.PasswordEnv != "":
		v := getenv(p.PasswordEnv)
		if v == "" {
			return "", fmt.Errorf("profile %s: password_env %s is not set: export it in the environment your MCP client starts vsphere-mcp with", name, p.PasswordEnv)
		}
		return v, nil
	case p.PasswordFile != "":
		return readPasswordFile(name, p.PasswordFile)
	case p.PasswordCommand != "":
		return runPasswordCommand(ctx, name, p.PasswordCommand)
	case p.Keyring:
		return keyringGet(ctx, name)
	}
	return p.Password, nil
}

// CheckPrivate returns an error when a secret-holding file can be read (or
// written) by anyone but its owner, with the chmod that fixes it.
func CheckPrivate(what, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s %s is not a regular file", what, path)
	}
	if perm := st.Mode().Perm(); CheckPerms && perm&0o077 != 0 {
		return fmt.Errorf("%s %s has mode %04o, so others can read it: fix with: chmod 600 %s", what, path, perm, path)
	}
	return nil
}

func readPasswordFile(profile, path string) (string, error) {
	what := "profile " + profile + ": password_file"
	if err := CheckPrivate(what, path); err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, path, err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("%s %s is empty", what, path)
	}
	return pw, nil
}

// runPasswordCommand runs cmd through the shell with a timeout and returns
// its standard output without the trailing newline. The command gets no
// standard input: the server's stdin is the MCP stream.
func runPasswordCommand(ctx context.Context, profile, command string) (string, error) {
	return runPasswordCommandWithin(ctx, profile, command, PasswordCommandTimeout)
}

func runPasswordCommandWithin(ctx context.Context, profile, command string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var c *exec.Cmd
	if runtime.GOOS == "windows" {
		c = exec.CommandContext(ctx, "cmd", "/C", command)
	} else {
		c = exec.CommandContext(ctx, "/bin/sh", "-c", command)
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	c.WaitDelay = 2 * time.Second // a child that keeps the pipes open must not hang us
	err := c.Run()
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("profile %s: password_command did not finish within %s", profile, timeout)
	case err != nil:
		msg := lastLine(stderr.String(), 200)
		if msg != "" {
			msg = ": " + msg
		}
		return "", fmt.Errorf("profile %s: password_command failed (%v)%s", profile, err, msg)
	}
	pw := strings.TrimRight(stdout.String(), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("profile %s: password_command printed nothing on standard output", profile)
	}
	return pw, nil
}

func lastLine(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[i+1:])
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// keyringGet reads the profile's password from the OS keyring. The lookup
// runs with a timeout: a locked desktop keyring may wait for a person.
func keyringGet(ctx context.Context, profile string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, PasswordCommandTimeout)
	defer cancel()
	type result struct {
		pw  string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		pw, err := keyring.Get(KeyringService, profile)
		ch <- result{pw, err}
	}()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("profile %s: the OS keyring did not answer within %s (is it locked?)", profile, PasswordCommandTimeout)
	case r := <-ch:
		switch {
		case errors.Is(r.err, keyring.ErrNotFound):
			return "", fmt.Errorf("profile %s: no password in the OS keyring (service %s, user %s): store it with: vsphere-mcp login --profile %s", profile, KeyringService, profile, profile)
		case r.err != nil:
			return "", fmt.Errorf("profile %s: the OS keyring is not available (%v): use password_env, password_file or password_command instead", profile, r.err)
		case r.pw == "":
			return "", fmt.Errorf("profile %s: the password in the OS keyring is empty: store it again with: vsphere-mcp login --profile %s", profile, profile)
		}
		return r.pw, nil
	}
}

// StorePassword saves a profile's password in the OS keyring.
func StorePassword(profile, password string) error {
	if err := keyring.Set(KeyringService, profile, password); err != nil {
		return fmt.Errorf("store the password in the OS keyring (service %s, user %s): %v", KeyringService, profile, err)
	}
	return nil
}

// DeletePassword removes a profile's password from the OS keyring.
func DeletePassword(profile string) error {
	err := keyring.Delete(KeyringService, profile)
	if errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("no password for profile %s in the OS keyring", profile)
	}
	if err != nil {
		return fmt.Errorf("remove the password from the OS keyring: %v", err)
	}
	return nil
}
