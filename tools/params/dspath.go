package params

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// DatastorePath is a file or folder on a datastore: the datastore's name
// (or another identifier the caller gave) and the path inside it, with
// forward slashes, no leading slash, no "." or ".." ("" is the root).
type DatastorePath struct {
	Datastore string `json:"datastore"`
	Path      string `json:"path"`
}

// String is the path as vSphere writes it: "[ds1] iso/a.iso", "[ds1]"
// for the root.
func (p DatastorePath) String() string {
	if p.Path == "" {
		return "[" + p.Datastore + "]"
	}
	return "[" + p.Datastore + "] " + p.Path
}

// Name is the last element of the path ("" for the root).
func (p DatastorePath) Name() string {
	if i := strings.LastIndexByte(p.Path, '/'); i >= 0 {
		return p.Path[i+1:]
	}
	return p.Path
}

// Parent is the folder holding p (the root for a top-level entry).
func (p DatastorePath) Parent() DatastorePath {
	i := strings.LastIndexByte(p.Path, '/')
	if i < 0 {
		return DatastorePath{Datastore: p.Datastore}
	}
	return DatastorePath{Datastore: p.Datastore, Path: p.Path[:i]}
}

// Join is the path of name inside p.
func (p DatastorePath) Join(name string) DatastorePath {
	if p.Path == "" {
		return DatastorePath{Datastore: p.Datastore, Path: name}
	}
	return DatastorePath{Datastore: p.Datastore, Path: p.Path + "/" + name}
}

// Within reports whether p is folder or inside it (same datastore name).
func (p DatastorePath) Within(folder DatastorePath) bool {
	if p.Datastore != folder.Datastore {
		return false
	}
	return folder.Path == "" || p.Path == folder.Path || strings.HasPrefix(p.Path, folder.Path+"/")
}

// maxDatastorePath bounds a datastore path argument (vSphere allows 2048
// bytes for a file path; names up to 255).
const maxDatastorePath = 2048

// ParseDatastorePath reads a datastore path argument: "[ds1] iso/a.iso"
// (the datastore in brackets), or a plain "iso/a.iso" with the datastore
// in datastore. arg names the argument in errors. A bracketed datastore
// and a datastore argument must agree. Backslashes, control characters,
// "." and ".." components are refused; a leading or doubled slash is
// dropped; "" is the datastore's root.
func ParseDatastorePath(arg, path, datastore string) (DatastorePath, error) {
	bad := func(format string, a ...any) (DatastorePath, error) {
		return DatastorePath{}, &toolkit.ArgError{Msg: arg + ": " + fmt.Sprintf(format, a...)}
	}
	if len(path) > maxDatastorePath {
		return bad("%d bytes is longer than a datastore path can be (%d)", len(path), maxDatastorePath)
	}
	if !utf8.ValidString(path) || !utf8.ValidString(datastore) {
		return bad("not valid UTF-8")
	}
	ds := strings.TrimSpace(datastore)
	rest := strings.TrimSpace(path)
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return bad("%s has no closing ]: write it as [datastore] folder/file", toolkit.Quote(path, 200))
		}
		named := strings.TrimSpace(rest[1:end])
		if named == "" {
			return bad("%s names no datastore between [ and ]", toolkit.Quote(path, 200))
		}
		if ds != "" && ds != named {
			return bad("names datastore %s but datastore is %s: give the datastore once", toolkit.Quote(named, 200), toolkit.Quote(ds, 200))
		}
		ds, rest = named, strings.TrimSpace(rest[end+1:])
	}
	if ds == "" {
		return bad("which datastore? Write the path as [datastore] folder/file, or give datastore")
	}
	if strings.ContainsAny(ds, "[]") || strings.ContainsFunc(ds, unicode.IsControl) {
		return bad("datastore name %s has brackets or control characters", toolkit.Quote(ds, 200))
	}
	if strings.ContainsFunc(rest, unicode.IsControl) {
		return bad("%s has control characters", toolkit.Quote(path, 200))
	}
	if strings.Contains(rest, `\`) {
		return bad("%s has a backslash: datastore paths use / between folders", toolkit.Quote(path, 200))
	}
	var parts []string
	for _, c := range strings.Split(rest, "/") {
		// Spaces around a name are dropped, as around the whole path, so
		// what String writes parses back to the same path.
		c = strings.TrimSpace(c)
		switch c {
		case "":
			continue
		case ".", "..":
			return bad("%s has a %q component: give the path from the datastore's root without . or ..", toolkit.Quote(path, 200), c)
		}
		if len(c) > 255 {
			return bad("a name in %s is longer than 255 bytes", toolkit.Quote(path, 80))
		}
		parts = append(parts, c)
	}
	return DatastorePath{Datastore: ds, Path: strings.Join(parts, "/")}, nil
}
