// Package filetrust decides whether a file or directory may be trusted the
// way ssh decides it for its own files: it must belong to the user running
// the server (or, where the caller allows it, to root, who can rewrite any
// file anyway) and must not be writable by its group or by others. Whoever
// can write a config file chooses the role; whoever can write a directory
// can swap the files in it. Every refusal names the chmod or chown that
// fixes it.
package filetrust

import (
	"fmt"
	"io/fs"
	"os/user"
	"strconv"
)

// Rule says what is being checked and what is allowed.
type Rule struct {
	// What names the file in messages: "config file", "audit directory".
	What string
	// Why ends the "writable by others" message: what a writer could do.
	Why string
	// Mode is the mode the fix suggests (chmod 600, chmod 700).
	Mode fs.FileMode
	// AllowRoot lets root own it as well as the user.
	AllowRoot bool
	// StickyOK accepts a directory writable by others when it is sticky
	// (others cannot rename or remove what is not theirs) and owned by the
	// user, like a shared spool the user made.
	StickyOK bool
}

// Error is a refusal: the path, what is wrong, and the command that fixes it.
type Error struct {
	Path   string
	Reason string
	Fix    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s; fix with: %s", e.Reason, e.Fix)
}

// Check refuses fi (the Stat of path) when someone other than the user
// uid (or root, with AllowRoot) owns it, or when its group or others can
// write it. Where the platform has no Unix owner or permission bits
// (Windows: ACLs decide), it accepts.
func Check(path string, fi fs.FileInfo, uid int, r Rule) error {
	if err := CheckOwner(path, fi, uid, r); err != nil {
		return err
	}
	if !Supported {
		return nil
	}
	perm := fi.Mode().Perm()
	if perm&0o022 == 0 {
		return nil
	}
	owner, _ := Owner(fi)
	if fi.IsDir() && r.StickyOK && fi.Mode()&fs.ModeSticky != 0 && owner == uid {
		return nil
	}
	who := "others"
	if perm&0o002 == 0 {
		who = "its group"
	}
	why := ""
	if r.Why != "" {
		why = ", " + r.Why
	}
	return &Error{
		Path:   path,
		Reason: fmt.Sprintf("%s %s has mode %04o: %s can write it%s", r.What, path, perm, who, why),
		Fix:    fmt.Sprintf("chmod %o %s", r.Mode.Perm(), path),
	}
}

// CheckOwner refuses fi when it belongs to neither the user uid nor, with
// AllowRoot, root.
func CheckOwner(path string, fi fs.FileInfo, uid int, r Rule) error {
	owner, ok := Owner(fi)
	if !ok || owner == uid || (r.AllowRoot && owner == 0) {
		return nil
	}
	me := UserName(uid)
	return &Error{
		Path:   path,
		Reason: fmt.Sprintf("%s %s is owned by %s, not by you (%s): its owner can change it", r.What, path, UserName(owner), me),
		Fix:    fmt.Sprintf("sudo chown %s %s", me, path),
	}
}

// UserName is "name" for a known uid, else "uid N".
func UserName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}
