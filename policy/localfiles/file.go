package localfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrExists is what a refusal to overwrite wraps.
var ErrExists = errors.New("local file exists")

// Exists refuses final when it exists and overwrite is false, and always
// when it is a directory (a file cannot replace one). final is resolved.
func Exists(final string, overwrite bool) error {
	fi, err := os.Lstat(final)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("local file %q: %w", final, err)
	case fi.IsDir():
		return fmt.Errorf("local path %q is a directory: give a file name inside it, or the directory itself where a tool accepts one: %w", final, ErrExists)
	case !overwrite:
		return fmt.Errorf("local file %q exists; nothing was written. Pass overwrite: true to replace it, or choose another name: %w", final, ErrExists)
	}
	return nil
}

// Into is where a file called name goes when the caller gave target: inside
// target when it is an existing directory, else target itself. name comes
// from elsewhere (a datastore file's name) and is reduced to a plain base
// name first.
func Into(target, name string) (string, error) {
	if fi, err := os.Stat(target); err == nil && fi.IsDir() {
		n, err := SafeName(name)
		if err != nil {
			return "", err
		}
		return filepath.Join(target, n), nil
	}
	return target, nil
}

// SafeName is name as a single local file name: no directory separators,
// not "." or "..", no NUL or control characters.
func SafeName(name string) (string, error) {
	n := name
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.TrimSpace(n)
	if n == "" || n == "." || n == ".." || strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ':' && os.PathSeparator == '\\' }) {
		return "", fmt.Errorf("%q cannot be used as a local file name: give local_path with the file name to write", name)
	}
	return n, nil
}

// Pending is a local file being written: a temporary file next to its final
// name, which Commit renames into place, so a failed or cancelled transfer
// never leaves a half-written file under the final name.
type Pending struct {
	*os.File
	final     string
	overwrite bool
	done      bool
}

// Create starts writing final (resolved, checked with Allowed for Write).
// It refuses an existing file unless overwrite.
func Create(final string, overwrite bool) (*Pending, error) {
	if err := Exists(final, overwrite); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(final)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("local directory %q does not exist: create it first or choose an existing directory", dir)
	}
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("create a temporary file in %q: %w", dir, err)
	}
	return &Pending{File: f, final: final, overwrite: overwrite}, nil
}

// Final is the name the file gets on Commit.
func (p *Pending) Final() string { return p.final }

// Commit flushes the file and gives it its final name. Without overwrite it
// fails, removing the temporary file, when a file of that name appeared in
// the meantime.
func (p *Pending) Commit() error {
	if p.done {
		return errors.New("local file already committed or aborted")
	}
	p.done = true
	tmp := p.File.Name()
	err := p.File.Sync()
	if cerr := p.File.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write local file %q: %w", p.final, err)
	}
	if p.overwrite {
		if err := os.Rename(tmp, p.final); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("rename into %q: %w", p.final, err)
		}
		return nil
	}
	// A hard link never replaces an existing name: no window in which a
	// file that appeared after the check is overwritten.
	if err := os.Link(tmp, p.final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			_ = os.Remove(tmp)
			return fmt.Errorf("local file %q appeared while writing; nothing was replaced. Pass overwrite: true to replace it: %w", p.final, ErrExists)
		}
		// No hard links here (some file systems): check, then rename.
		if err := Exists(p.final, false); err != nil {
			_ = os.Remove(tmp)
			return err
		}
		if err := os.Rename(tmp, p.final); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("rename into %q: %w", p.final, err)
		}
		return nil
	}
	_ = os.Remove(tmp)
	return nil
}

// Abort removes the temporary file; after Commit it does nothing. Defer it.
func (p *Pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	_ = p.File.Close()
	_ = os.Remove(p.File.Name())
}
