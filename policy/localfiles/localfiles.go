// Package localfiles decides which files on the user's machine a tool may
// read or write.
//
// The server runs on the user's machine, and the model that calls it may
// have read something written to mislead it. A local path is therefore
// allowed only inside a directory the user chose: one of the MCP client's
// roots (reading and writing inside them) or one of the profile's
// local_files.read / local_files.write directories. With none of them a
// call with a local path fails, and the error says which setting to add.
//
// Paths are resolved before they are checked: "..", "." and every symlink
// of the part that exists, so a link inside an allowed directory pointing
// out of it does not lead out. A tool then uses the resolved path the
// check returns, never the one it was given.
package localfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Mode is what a tool does with a local path.
type Mode int

const (
	// Read: the tool reads the file (an upload's source).
	Read Mode = iota
	// Write: the tool creates or replaces the file (a download's target).
	Write
)

func (m Mode) String() string {
	if m == Write {
		return "write"
	}
	return "read"
}

// Dirs is the profile's local_files setting, as configured. Directories may
// start with ~ (the home directory). Read and Write are separate: a
// directory that may be written is not thereby readable.
type Dirs struct {
	Read  []string `json:"read,omitempty"`
	Write []string `json:"write,omitempty"`
	// Profile names the profile for messages ("" reads "your profile").
	Profile string `json:"-"`
}

// Empty reports whether no directory is configured.
func (d Dirs) Empty() bool { return len(d.Read) == 0 && len(d.Write) == 0 }

// Rule is the set of directories one call may use: the profile's and the
// client's roots.
type Rule struct {
	dirs Dirs
	// roots are the client's roots as local directories; rootsOffered
	// says whether the client offers roots at all (for the message).
	roots        []string
	rootsOffered bool
}

// NewRule is the rule of the profile's directories with the client's roots
// (local directory paths or file:// URIs). offered says whether the client
// offers roots at all (false: the client has no roots capability, or
// asking it failed).
func NewRule(dirs Dirs, roots []string, offered bool) Rule {
	return Rule{dirs: dirs, roots: roots, rootsOffered: offered}
}

// ErrNotAllowed is what a refusal wraps.
var ErrNotAllowed = errors.New("local path not allowed")

// Refusal is the error for a path outside every allowed directory.
type Refusal struct {
	Path     string // as given
	Resolved string // after resolving .. and symlinks
	Mode     Mode
	msg      string
}

func (r *Refusal) Error() string { return r.msg }
func (r *Refusal) Unwrap() error { return ErrNotAllowed }

// Allowed resolves path and checks it for mode. It returns the resolved
// path, which the caller must use from then on. A path that does not exist
// yet is allowed for writing when its deepest existing ancestor, resolved,
// lies inside a write directory.
func (r Rule) Allowed(path string, mode Mode) (string, error) {
	abs, err := Clean(path)
	if err != nil {
		return "", err
	}
	resolved, err := Resolve(abs)
	if err != nil {
		return "", fmt.Errorf("local path %q: %w", path, err)
	}
	dirs := r.dirs.Read
	if mode == Write {
		dirs = r.dirs.Write
	}
	for _, d := range append(append([]string(nil), r.roots...), dirs...) {
		dp, err := dirPath(d)
		if err != nil {
			continue
		}
		rd, err := Resolve(dp)
		if err != nil {
			continue
		}
		if Within(resolved, rd) {
			return resolved, nil
		}
	}
	return "", &Refusal{Path: path, Resolved: resolved, Mode: mode, msg: r.refusal(path, resolved, mode)}
}

// refusal says why and exactly which setting would allow the path.
func (r Rule) refusal(path, resolved string, mode Mode) string {
	key := "local_files." + mode.String()
	profile := "your profile"
	if r.dirs.Profile != "" {
		profile = fmt.Sprintf("profile %q", r.dirs.Profile)
	}
	dir := resolved
	if mode == Write || !isDir(resolved) {
		dir = filepath.Dir(resolved)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "local path %q", path)
	if resolved != path {
		fmt.Fprintf(&b, " (resolved: %q)", resolved)
	}
	fmt.Fprintf(&b, " is outside the directories this server may %s", mode)
	var have []string
	if len(r.roots) > 0 {
		have = append(have, "the client's roots "+quoteAll(r.roots))
	}
	if d := r.dirs.Read; mode == Read && len(d) > 0 {
		have = append(have, key+" "+quoteAll(d))
	}
	if d := r.dirs.Write; mode == Write && len(d) > 0 {
		have = append(have, key+" "+quoteAll(d))
	}
	if len(have) == 0 {
		b.WriteString(" (none are set)")
	} else {
		fmt.Fprintf(&b, " (%s)", strings.Join(have, "; "))
	}
	fmt.Fprintf(&b, ". Nothing was done. To allow it, the person you work for adds %q to %s in %s (local_files: {%s: [%q]}) and restarts the server", dir, key, profile, mode, dir)
	if r.rootsOffered || len(r.roots) > 0 {
		b.WriteString(", or adds the directory to the MCP client's roots")
	}
	b.WriteString("; a different directory that is already allowed works too.")
	return b.String()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// dirPath turns a configured directory or a root (file:// URI) into an
// absolute path.
func dirPath(d string) (string, error) {
	if strings.HasPrefix(d, "file://") {
		return FromURI(d)
	}
	return Clean(d)
}

// Clean turns a local path argument into an absolute path: ~ and ~/ are
// the home directory, file:// URIs are accepted; a relative path is
// refused (the server's working directory means nothing to the caller).
// It does not resolve symlinks or "..": see Resolve.
func Clean(path string) (string, error) {
	p := strings.TrimSpace(path)
	switch {
	case p == "":
		return "", errors.New("local path is empty: give an absolute path such as /home/me/Downloads/file.iso")
	case strings.ContainsRune(p, 0):
		return "", fmt.Errorf("local path %q contains a NUL byte", path)
	case strings.HasPrefix(p, "file://"):
		return FromURI(p)
	case p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("local path %q: no home directory to expand ~ (%v); give an absolute path", path, err)
		}
		p = home + p[1:]
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("local path %q is relative: give an absolute path (or one starting with ~/)", path)
	}
	return p, nil
}

// FromURI is the local path of a file:// URI (a client root).
func FromURI(uri string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "file://")
	if !ok {
		return "", fmt.Errorf("%q is not a file:// URI", uri)
	}
	// file://host/path: only the local host.
	if i := strings.IndexByte(rest, '/'); i > 0 {
		if host := rest[:i]; host != "localhost" {
			return "", fmt.Errorf("%q names host %q: only local files are allowed", uri, host)
		}
		rest = rest[i:]
	}
	p, err := unescape(rest)
	if err != nil {
		return "", fmt.Errorf("%q: %w", uri, err)
	}
	if runtime.GOOS == "windows" && len(p) > 2 && p[0] == '/' && p[2] == ':' {
		p = filepath.FromSlash(p[1:])
	}
	if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%q is not an absolute local path", uri)
	}
	return p, nil
}

// unescape decodes %XX escapes of a URI path.
func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", errors.New("bad %-escape")
		}
		b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Within reports whether path is dir or inside it; both must be clean,
// absolute and resolved.
func Within(path, dir string) bool {
	if runtime.GOOS == "windows" {
		path, dir = strings.ToLower(path), strings.ToLower(dir)
	}
	if path == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(path, dir)
}

// maxLinks bounds the symlinks followed while resolving one path.
const maxLinks = 255

// Resolve returns the real location of the absolute path p: every
// component that exists has its symlinks followed, and "." and ".." are
// applied as the operating system would (after the link before them).
// Components that do not exist yet are kept as written. The result is
// clean and absolute.
func Resolve(p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%q is not absolute", p)
	}
	vol := filepath.VolumeName(p)
	cur := vol + string(filepath.Separator)
	rest := splitPath(p[len(vol):])
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, os.ErrNotExist):
			cur = next
			continue
		case err != nil:
			return "", err
		case fi.Mode()&os.ModeSymlink == 0:
			if !fi.IsDir() && len(nonEmpty(rest)) > 0 {
				return "", fmt.Errorf("%s is not a directory", next)
			}
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return "", errors.New("too many symbolic links")
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			tv := filepath.VolumeName(target)
			cur = tv + string(filepath.Separator)
			target = target[len(tv):]
		} else if runtime.GOOS == "windows" && filepath.VolumeName(target) != "" {
			return "", fmt.Errorf("%s links to %q, a path this check does not follow", next, target)
		}
		rest = append(splitPath(target), rest...)
	}
	return filepath.Clean(cur), nil
}

func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return os.IsPathSeparator(uint8(r)) && r < 0x80 })
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && s != "." {
			out = append(out, s)
		}
	}
	return out
}
