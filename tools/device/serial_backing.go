package device

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// SerialBacking says what a serial port is connected to; the fields that
// apply depend on backing.
type SerialBacking struct {
	Backing   string `json:"backing,omitempty" jsonschema:"What the port connects to: network (a telnet or TCP URI), file (a file on a datastore), pipe (a named pipe on the host) or device (a host serial device); when left out, the one the fields given belong to (uri: network, path: file, name: pipe)"`
	URI       string `json:"uri,omitempty" jsonschema:"network: the URI, e.g. telnet://:7001 (server: listen on port 7001 of the host) or telnet://10.0.0.5:7001 (client); schemes telnet, telnets, tcp, tcp4, tcp6, ssl"`
	Direction string `json:"direction,omitempty" jsonschema:"network: server (default; the host listens) or client (the VM connects out)"`
	ProxyURI  string `json:"proxy_uri,omitempty" jsonschema:"network: a virtual serial port concentrator (vSPC) to go through, e.g. telnets://vspc.example.com:13370"`
	Path      string `json:"path,omitempty" jsonschema:"file: the output file as [datastore] folder/file, on a datastore of the VM's datacenter"`
	Name      string `json:"name,omitempty" jsonschema:"pipe: the pipe's name, e.g. /tmp/vm-serial"`
	Endpoint  string `json:"endpoint,omitempty" jsonschema:"pipe: server (default; the VM creates the pipe) or client"`
	Device    string `json:"device,omitempty" jsonschema:"device: the host's serial device, e.g. /dev/char/serial/uart0"`
}

var serialBackings = []string{"network", "file", "pipe", "device"}

// serialSchemes are the URI schemes ESXi takes for a network serial port.
var serialSchemes = []string{"telnet", "telnets", "tcp", "tcp4", "tcp6", "ssl", "tcp+ssl"}

// serialURI is a checked network serial port URI.
type serialURI struct {
	Scheme, Host string
	Port         int
}

// parseSerialURI checks a network serial port URI (or a vSPC's, proxy):
// a known scheme, a port 1-65535, a host unless the port is a server's, no
// user, path, query or fragment.
func parseSerialURI(arg, s string, server, proxy bool) (serialURI, error) {
	shown := toolkit.Quote(s, 80)
	if len(s) > 512 || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return serialURI{}, fmt.Errorf("%s %s contains spaces or control characters (or is over 512 characters); give it as telnet://:7001 or telnet://host:7001", arg, shown)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return serialURI{}, fmt.Errorf("%s %s is not a URI: give it as telnet://:7001 (a server port on the VM's host) or telnet://host:7001", arg, shown)
	}
	scheme = strings.ToLower(scheme)
	if !slices.Contains(serialSchemes, scheme) {
		return serialURI{}, fmt.Errorf("%s %s: scheme %s is not one a serial port takes; use one of %s", arg, shown, toolkit.Quote(scheme, 20), strings.Join(serialSchemes, ", "))
	}
	if strings.ContainsAny(rest, "/?#@") {
		return serialURI{}, fmt.Errorf("%s %s: a serial port URI is scheme://host:port, with no user, path, query or fragment", arg, shown)
	}
	host, portText, err := net.SplitHostPort(rest)
	if err != nil {
		return serialURI{}, fmt.Errorf("%s %s needs a port: give it as %s://:7001 or %s://host:7001", arg, shown, scheme, scheme)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 || strconv.Itoa(port) != portText {
		return serialURI{}, fmt.Errorf("%s %s: port %s is not a number from 1 to 65535", arg, shown, toolkit.Quote(portText, 10))
	}
	if host == "" && (!server || proxy) {
		what := "a client port connects to a host"
		if proxy {
			what = "a vSPC is reached at a host"
		}
		return serialURI{}, fmt.Errorf("%s %s names no host, and %s: give it as %s://host:%d", arg, shown, what, scheme, port)
	}
	if host != "" {
		if _, err := url.Parse(scheme + "://" + rest); err != nil || strings.ContainsAny(host, "%[]") {
			return serialURI{}, fmt.Errorf("%s %s: %s is not a host name or address", arg, shown, toolkit.Quote(host, 80))
		}
	}
	return serialURI{Scheme: scheme, Host: host, Port: port}, nil
}

func (b SerialBacking) given() bool {
	return b.Backing != "" || b.URI != "" || b.Direction != "" || b.ProxyURI != "" || b.Path != "" || b.Name != "" || b.Endpoint != "" || b.Device != ""
}

// backingOf is the backing the fields given belong to, when no
// backing is named: network for uri (direction, proxy_uri), file for
// path, pipe for name (endpoint), device for device; "" when they belong
// to none or to several.
func (b SerialBacking) backingOf() string {
	var kinds []string
	for _, k := range []struct {
		kind  string
		given bool
	}{
		{"network", b.URI != "" || b.Direction != "" || b.ProxyURI != ""},
		{"file", b.Path != ""},
		{"pipe", b.Name != "" || b.Endpoint != ""},
		{"device", b.Device != ""},
	} {
		if k.given {
			kinds = append(kinds, k.kind)
		}
	}
	if len(kinds) != 1 {
		return ""
	}
	return kinds[0]
}

// check validates the fields for the backing named, naming it from the
// fields when backing is not given; required says a backing must be
// given.
func (b *SerialBacking) check(required bool) error {
	const which = "network (with uri), file (with path), pipe (with name) or device (with device)"
	if !b.given() {
		if required {
			return errors.New("backing is required: " + which)
		}
		return nil
	}
	if strings.TrimSpace(b.Backing) == "" {
		if b.Backing = b.backingOf(); b.Backing == "" {
			return errors.New("backing is required when the fields given belong to different backings: " + which)
		}
	}
	if !slices.Contains(serialBackings, b.Backing) {
		return fmt.Errorf("backing %s: use one of %s", toolkit.Quote(b.Backing, 20), strings.Join(serialBackings, ", "))
	}
	only := map[string][]string{
		"network": {"uri", "direction", "proxy_uri"},
		"file":    {"path"},
		"pipe":    {"name", "endpoint"},
		"device":  {"device"},
	}[b.Backing]
	for arg, v := range map[string]string{"uri": b.URI, "direction": b.Direction, "proxy_uri": b.ProxyURI, "path": b.Path, "name": b.Name, "endpoint": b.Endpoint, "device": b.Device} {
		if v != "" && !slices.Contains(only, arg) {
			return fmt.Errorf("%s does not apply to backing %s (it takes %s)", arg, b.Backing, strings.Join(only, ", "))
		}
	}
	switch b.Backing {
	case "network":
		if b.URI == "" {
			return errors.New("uri is required for backing network, e.g. telnet://:7001")
		}
		if b.Direction != "" && b.Direction != "server" && b.Direction != "client" {
			return fmt.Errorf("direction %s: use server or client", toolkit.Quote(b.Direction, 20))
		}
		if _, err := parseSerialURI("uri", b.URI, b.Direction != "client", false); err != nil {
			return err
		}
		if b.ProxyURI != "" {
			if _, err := parseSerialURI("proxy_uri", b.ProxyURI, false, true); err != nil {
				return err
			}
		}
	case "file":
		if _, err := parseBracketPath("path", b.Path, true); err != nil {
			return err
		}
	case "pipe":
		if strings.TrimSpace(b.Name) == "" || len(b.Name) > 256 || strings.ContainsFunc(b.Name, unicode.IsControl) {
			return errors.New("name is required for backing pipe: the pipe's name, e.g. /tmp/vm-serial (at most 256 characters, no control characters)")
		}
		if b.Endpoint != "" && b.Endpoint != "server" && b.Endpoint != "client" {
			return fmt.Errorf("endpoint %s: use server or client", toolkit.Quote(b.Endpoint, 20))
		}
	case "device":
		if !strings.HasPrefix(b.Device, "/") || len(b.Device) > 256 || strings.ContainsFunc(b.Device, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) || strings.Contains(b.Device, "..") {
			return fmt.Errorf("device %s: give the host's serial device as an absolute path, e.g. /dev/char/serial/uart0", toolkit.Quote(b.Device, 80))
		}
	}
	return nil
}

// build makes the backing; ds is the datastore of a file backing.
func (b SerialBacking) build(ds *types.ManagedObjectReference) types.BaseVirtualDeviceBackingInfo {
	switch b.Backing {
	case "network":
		dir := b.Direction
		if dir == "" {
			dir = "server"
		}
		return &types.VirtualSerialPortURIBackingInfo{VirtualDeviceURIBackingInfo: types.VirtualDeviceURIBackingInfo{ServiceURI: b.URI, Direction: dir, ProxyURI: b.ProxyURI}}
	case "file":
		p, _ := parseBracketPath("path", b.Path, true)
		return &types.VirtualSerialPortFileBackingInfo{VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: p.String(), Datastore: ds}}
	case "pipe":
		ep := b.Endpoint
		if ep == "" {
			ep = "server"
		}
		return &types.VirtualSerialPortPipeBackingInfo{VirtualDevicePipeBackingInfo: types.VirtualDevicePipeBackingInfo{PipeName: b.Name}, Endpoint: ep}
	}
	return &types.VirtualSerialPortDeviceBackingInfo{VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: b.Device}}
}

// serverPort is the port of a network server backing, or 0.
func (b SerialBacking) serverPort() (serialURI, bool) {
	if b.Backing != "network" || b.Direction == "client" {
		return serialURI{}, false
	}
	u, err := parseSerialURI("uri", b.URI, true, false)
	return u, err == nil
}
