package cmd

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// flagKind is the type of a connection flag.
type flagKind int

const (
	stringFlag flagKind = iota
	boolFlag
	durationFlag
)

// connection settings: key, flag, VSPHERE_* variable, flag help.
var connKeys = []struct {
	key, flag, env, help string
	kind                 flagKind
}{
	{"url", "url", "VSPHERE_URL", "vCenter or ESXi URL (https only); a bare host means https://HOST/sdk", stringFlag},
	{"username", "username", "VSPHERE_USERNAME", "user name to log in with", stringFlag},
	{"insecure", "insecure", "VSPHERE_INSECURE", "skip TLS verification (labs only; prefer --ca-file or --thumbprint, which always win over it)", boolFlag},
	{"ca_file", "ca-file", "VSPHERE_CA_FILE", "PEM file of CAs to trust for vCenter's certificate", stringFlag},
	{"thumbprint", "thumbprint", "VSPHERE_THUMBPRINT", "pin vCenter's certificate by its SHA-256 (or SHA-1) fingerprint", stringFlag},
	{"datacenter", "datacenter", "VSPHERE_DATACENTER", "datacenter for relative inventory paths", stringFlag},
	{"call_timeout", "call-timeout", "VSPHERE_CALL_TIMEOUT", "give up on one vCenter request after this long, e.g. 30s (default 2m; a task is still waited for)", durationFlag},
}

// addConnectionFlags declares the connection flags. The password has no
// flag on purpose: a flag shows in the process list.
func addConnectionFlags(fs *pflag.FlagSet) {
	for _, k := range connKeys {
		switch k.kind {
		case boolFlag:
			fs.Bool(k.flag, false, k.help+" [$"+k.env+"]")
		case durationFlag:
			fs.Duration(k.flag, 0, k.help+" [$"+k.env+"]")
		default:
			fs.String(k.flag, "", k.help+" [$"+k.env+"]")
		}
	}
}

// connectionConfig resolves the connection settings: flags over VSPHERE_*
// variables over the config file's profile over govc's GOVC_* variables,
// which are a fallback so a govc user is set up already. profile holds the
// selected profile's values (may be nil).
func connectionConfig(fs *pflag.FlagSet, getenv func(string) string, profile map[string]string) (vcenter.Config, error) {
	cfg, _, err := connectionSettings(fs, getenv, profile, "profile")
	return cfg, err
}

// setting is one effective connection setting and where it came from, for
// `config show`. Secrets are never put in value.
type setting struct {
	key, value, source string
}

// connectionSettings is connectionConfig that also reports each value's
// source; profileLabel names the profile in those sources.
func connectionSettings(fs *pflag.FlagSet, getenv func(string) string, profile map[string]string, profileLabel string) (vcenter.Config, []setting, error) {
	govc, err := govcEnv(getenv)
	if err != nil {
		return vcenter.Config{}, nil, err
	}
	var out []setting
	pick := func(key, env, govcEnv string) string {
		v, src := "", ""
		if f := fs.Lookup(flagName(key)); f != nil && f.Changed {
			v, src = f.Value.String(), "flag --"+f.Name
		} else if e := getenv(env); e != "" {
			v, src = e, "env "+env
		} else if p := profile[key]; p != "" {
			v, src = p, profileLabel
		} else if g := govc[key]; g != "" {
			v, src = g, "env "+govcEnv
		}
		out = append(out, setting{key: key, value: v, source: src})
		return v
	}
	var cfg vcenter.Config
	cfg.URL = pick("url", "VSPHERE_URL", "GOVC_URL")
	cfg.Username = pick("username", "VSPHERE_USERNAME", "GOVC_USERNAME")
	insecure := pick("insecure", "VSPHERE_INSECURE", "GOVC_INSECURE")
	cfg.CAFile = pick("ca_file", "VSPHERE_CA_FILE", "GOVC_TLS_CA_CERTS")
	cfg.Thumbprint = pick("thumbprint", "VSPHERE_THUMBPRINT", "")
	cfg.Datacenter = pick("datacenter", "VSPHERE_DATACENTER", "GOVC_DATACENTER")
	callTimeout := pick("call_timeout", "VSPHERE_CALL_TIMEOUT", "")
	if callTimeout == "" {
		out[len(out)-1].value, out[len(out)-1].source = vcenter.DefaultCallTimeout.String(), "default"
	} else {
		d, err := config.ParseCallTimeout(callTimeout)
		if err != nil {
			return vcenter.Config{}, nil, fmt.Errorf("call_timeout from %s: %w", out[len(out)-1].source, err)
		}
		cfg.CallTimeout = d
	}
	cfg.KnownHostsFile = govc["known_hosts"]
	if cfg.KnownHostsFile != "" {
		out = append(out, setting{key: "known_hosts", value: cfg.KnownHostsFile, source: "env GOVC_TLS_KNOWN_HOSTS"})
	}
	if insecure != "" {
		b, err := parseBool(insecure)
		if err != nil {
			return vcenter.Config{}, nil, fmt.Errorf("insecure setting %q: %w", insecure, err)
		}
		cfg.Insecure = b
	}
	pwSource := ""
	switch {
	case getenv("VSPHERE_PASSWORD") != "":
		cfg.Password, pwSource = getenv("VSPHERE_PASSWORD"), "env VSPHERE_PASSWORD"
	case profile["password"] != "":
		cfg.Password, pwSource = profile["password"], profileLabel
	case govc["password"] != "":
		cfg.Password, pwSource = govc["password"], "env GOVC_PASSWORD"
	}
	out = append(out, setting{key: "password", source: pwSource})
	cfg.KeepAlive = keepAliveDefault
	return cfg, out, nil
}

func flagName(key string) string {
	for _, k := range connKeys {
		if k.key == key {
			return k.flag
		}
	}
	return key
}

// govcEnv reads govc's variables the way govc does.
func govcEnv(getenv func(string) string) (map[string]string, error) {
	out := map[string]string{
		"url":         getenv("GOVC_URL"),
		"username":    getenv("GOVC_USERNAME"),
		"insecure":    getenv("GOVC_INSECURE"),
		"ca_file":     getenv("GOVC_TLS_CA_CERTS"),
		"known_hosts": getenv("GOVC_TLS_KNOWN_HOSTS"),
		"datacenter":  getenv("GOVC_DATACENTER"),
	}
	pw := getenv("GOVC_PASSWORD")
	// Like govc, GOVC_PASSWORD may name a file holding the password.
	if pw != "" {
		if st, err := os.Stat(pw); err == nil && st.Mode().IsRegular() {
			b, err := os.ReadFile(pw)
			if err != nil {
				return nil, fmt.Errorf("GOVC_PASSWORD names a file that cannot be read: %w", err)
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
	}
	out["password"] = pw
	return out, nil
}

func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, errors.New("want true or false (or 1/0)")
	}
	return b, nil
}

// keepAliveDefault is how often an idle session is touched.
const keepAliveDefault = 5 * time.Minute
