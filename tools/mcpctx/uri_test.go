package mcpctx

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseURI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri, path, id, err string
	}{
		{uri: "vsphere://summary", path: "summary"},
		{uri: "vsphere://alarms", path: "alarms"},
		{uri: "vsphere://tasks/recent", path: "tasks/recent"},
		{uri: "vsphere://vm/vm-42", path: "vm", id: "vm-42"},
		{uri: "vsphere://host/host-21", path: "host", id: "host-21"},
		{uri: "vsphere://host/ha-host", path: "host", id: "ha-host"},
		{uri: "vsphere://cluster/domain-c7", path: "cluster", id: "domain-c7"},
		{uri: "vsphere://datastore/datastore-11", path: "datastore", id: "datastore-11"},
		{uri: "vsphere://vm/3", path: "vm", id: "3"},
		{uri: "vsphere://vm/", err: "not a managed object ID"},
		{uri: "vsphere://vm/web server", err: "not a managed object ID"},
		{uri: "vsphere://vm/vm-42/x", err: "not a managed object ID"},
		{uri: "vsphere://vm/../summary", err: "not a managed object ID"},
		{uri: "vsphere://tasks", err: "unknown resource"},
		{uri: "vsphere://summary/", err: "unknown resource"},
		{uri: "vsphere://SUMMARY", err: "unknown resource"},
		{uri: "file:///etc/passwd", err: "start with vsphere://"},
		{uri: "", err: "start with vsphere://"},
		{uri: "vsphere://vm/" + strings.Repeat("1", 300), err: "at most 256"},
		{uri: "vsphere://vm/vm-42\n", err: "not a managed object ID"},
	} {
		ref, err := ParseURI(tc.uri)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURI(%q) = %v, %v; want error with %q", tc.uri, ref, err, tc.err)
			}
			continue
		}
		if err != nil || ref.Res.path != tc.path || ref.ID != tc.id {
			t.Errorf("ParseURI(%q) = %+v, %v; want %s %s", tc.uri, ref, err, tc.path, tc.id)
			continue
		}
		if ref.URI() != tc.uri {
			t.Errorf("ParseURI(%q).URI() = %q", tc.uri, ref.URI())
		}
	}
}

// FuzzParseURI: the parser of client-given URIs never panics, accepts
// only what it renders back identically, and its errors are one line
// with the URI escaped.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"vsphere://summary", "vsphere://vm/vm-42", "vsphere://tasks/recent", "vsphere://host/ha-host",
		"vsphere://vm/\x00", "vsphere://vm/a\u202eb", "vsphere://datastore/" + strings.Repeat("x-1", 100), "vsphere:/vm/vm-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		ref, err := ParseURI(uri)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r\x00") || !utf8.ValidString(msg) {
				t.Fatalf("error for %q is not one clean line: %q", uri, msg)
			}
			if len(msg) > 2000 {
				t.Fatalf("error for %q is %d bytes", uri, len(msg))
			}
			return
		}
		if ref.URI() != uri {
			t.Fatalf("ParseURI(%q) renders back as %q", uri, ref.URI())
		}
		if ref.Res.template && ref.ID == "" {
			t.Fatalf("ParseURI(%q): template without ID", uri)
		}
	})
}
