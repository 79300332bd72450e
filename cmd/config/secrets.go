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

// Secret names where one password comes from: at most one source. A
// profile's vCenter password and each guest_credentials entry share this
// one resolver, so the sources behave (and fail) the same everywhere.
type Secret struct {
	Env     string
	File    string
	Command string
	Keyring bool
	Plain   string // plain text in the config file: discouraged
}

// SecretOwner says whose secret it is: in messages (What, e.g. "profile
// lab"), in the keyring (KeyringUser) and how to store it there (Login,
// the command line).
type SecretOwner struct {
	What        string
	KeyringUser string
	Login       string
}

func (p Profile) secret() Secret {
	return Secret{Env: p.PasswordEnv, File: p.PasswordFile, Command: p.PasswordCommand, Keyring: p.Keyring, Plain: p.Password}
}

func profileOwner(name string) SecretOwner {
	return SecretOwner{What: "profile " + name, KeyringUser: name, Login: "vsphere-mcp login --profile " + name}
}

// PasswordSource describes where a profile's password comes from, for
// display. It never includes the password, nor a password_command's
// arguments (they may carry a token).
func (p Profile) PasswordSource(name string) string { return p.secret().Describe(name) }

// Describe says where the secret comes from, for display and errors: never
// the value, nor a command's arguments. keyringUser is the keyring entry.
func (s Secret) Describe(keyringUser string) string {
	switch {
	case s.Env != "":
		return "password_env " + s.Env
	case s.File != "":
		return "password_file " + s.File
	case s.Command != "":
		prog, _, _ := strings.Cut(strings.TrimSpace(s.Command), " ")
		return "password_command (runs " + prog + " …)"
	case s.Keyring:
		return fmt.Sprintf("keyring (service %s, user %s)", KeyringService, keyringUser)
	case s.Plain != "":
		return "password (plain text in the config file)"
	}
	return ""
}

// sources lists the sources set, by their config keys.
func (s Secret) sources() []string {
	var out []string
	if s.Env != "" {
		out = append(out, "password_env")
	}
	if s.File != "" {
		out = append(out, "password_file")
	}
	if s.Command != "" {
		out = append(out, "password_command")
	}
	if s.Keyring {
		out = append(out, "keyring")
	}
	if s.Plain != "" {
		out = append(out, "password")
	}
	return out
}

// check validates what can be checked without reading the secret.
func (s Secret) check() error {
	if srcs := s.sources(); len(srcs) > 1 {
		return fmt.Errorf("more than one password source (%s): keep one", strings.Join(srcs, ", "))
	}
	if s.Env != "" && strings.ContainsAny(s.Env, "=$ ") {
		return fmt.Errorf("password_env must be the name of an environment variable, like LAB_VC_PASSWORD, not %s", describeEnvMistake(s.Env))
	}
	return nil
}

// HasPassword reports whether the profile names a password source.
func (p Profile) HasPassword() bool { return len(p.passwordSources()) > 0 }

// ResolvePassword returns the profile's password from its source; "" when
// the profile names none. name is the profile's name (the keyring user).
// Errors say what to fix and never contain the password.
func (p Profile) ResolvePassword(ctx context.Context, name string, getenv func(string) string) (string, error) {
	return p.secret().Resolve(ctx, profileOwner(name), getenv)
}

// Resolve returns the secret from its source ("" when it names none).
// Errors name the owner and the source, say what to fix, and never contain
// the secret.
func (s Secret) Resolve(ctx context.Context, o SecretOwner, getenv func(string) string) (string, error) {
	switch {
	case s.Env != "":
		v := getenv(s.Env)
		if v == "" {
			return "", fmt.Errorf("%s: password_env %s is not set: export it in the environment your MCP client starts vsphere-mcp with", o.What, s.Env)
		}
		return v, nil
	case s.File != "":
		return readPasswordFile(o.What, s.File)
	case s.Command != "":
		return runPasswordCommand(ctx, o.What, s.Command)
	case s.Keyring:
		return keyringGet(ctx, o)
	}
	return s.Plain, nil
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

func readPasswordFile(owner, path string) (string, error) {
	what := owner + ": password_file"
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
func runPasswordCommand(ctx context.Context, owner, command string) (string, error) {
	return runPasswordCommandWithin(ctx, owner, command, PasswordCommandTimeout)
}

// runPasswordCommandWithin: owner names whose password it is ("profile
// lab"; a bare name is taken for a profile's).
func runPasswordCommandWithin(ctx context.Context, owner, command string, timeout time.Duration) (string, error) {
	if !strings.Contains(owner, " ") {
		owner = "profile " + owner
	}
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
		return "", fmt.Errorf("%s: password_command did not finish within %s", owner, timeout)
	case err != nil:
		msg := lastLine(stderr.String(), 200)
		if msg != "" {
			msg = ": " + msg
		}
		return "", fmt.Errorf("%s: password_command failed (%v)%s", owner, err, msg)
	}
	pw := strings.TrimRight(stdout.String(), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("%s: password_command printed nothing on standard output", owner)
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

// keyringGet reads the owner's password from the OS keyring. The lookup
// runs with a timeout: a locked desktop keyring may wait for a person.
func keyringGet(ctx context.Context, o SecretOwner) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, PasswordCommandTimeout)
	defer cancel()
	type result struct {
		pw  string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		pw, err := keyring.Get(KeyringService, o.KeyringUser)
		ch <- result{pw, err}
	}()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("%s: the OS keyring did not answer within %s (is it locked?)", o.What, PasswordCommandTimeout)
	case r := <-ch:
		switch {
		case errors.Is(r.err, keyring.ErrNotFound):
			return "", fmt.Errorf("%s: no password in the OS keyring (service %s, user %s): store it with: %s", o.What, KeyringService, o.KeyringUser, o.Login)
		case r.err != nil:
			return "", fmt.Errorf("%s: the OS keyring is not available (%v): use password_env, password_file or password_command instead", o.What, r.err)
		case r.pw == "":
			return "", fmt.Errorf("%s: the password in the OS keyring is empty: store it again with: %s", o.What, o.Login)
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
