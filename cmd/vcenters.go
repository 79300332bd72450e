package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/cmd/config"
	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// allowedVCenters collects the allowed_vcenters lists a URL must match:
// each system policy file's, then the user's. Matching all of them is an
// intersection, so a user can only narrow what the administrator allows;
// a plain host name of the user's that a system list refuses has no
// effect, which is said as a warning rather than an error, so a policy
// that tightens does not break a config that still has other entries.
func allowedVCenters(sys policy.SystemPolicy, f *config.File, warnings *[]string) []policy.VCenterList {
	lists := append([]policy.VCenterList(nil), sys.VCenterLists...)
	if f == nil || len(f.AllowedVCenters) == 0 {
		return lists
	}
	for _, p := range f.AllowedVCenters {
		if strings.ContainsAny(p, "*?[") {
			continue
		}
		for _, l := range sys.VCenterLists {
			if !l.Allows(p) {
				*warnings = append(*warnings, fmt.Sprintf("allowed_vcenters in %s lists %s, which the %s does not allow (%s): that entry has no effect", f.Path, p, l.Source, l))
				break
			}
		}
	}
	return append(lists, policy.VCenterList{Source: "config file " + f.Path, Patterns: f.AllowedVCenters})
}

// checkConnection refuses, before anything connects, a connection the
// rules forbid: an http:// URL, an invalid thumbprint, a URL outside
// allowed_vcenters. It returns the config as the session will use it
// (insecure cleared when a pin or CA file wins over it) and what to warn
// about. srcs say where each setting came from (connectionSettings).
func (s *settings) checkConnection(cfg vcenter.Config, srcs []setting) (vcenter.Config, []string, error) {
	from := func(key string) string {
		for _, st := range srcs {
			if st.key == key && st.source != "" {
				return st.source
			}
		}
		return "the settings"
	}
	checked, warnings, err := cfg.Check()
	if err != nil {
		var ce *vcenter.ConfigError
		if errors.As(err, &ce) && ce.Setting != "" {
			return cfg, nil, fmt.Errorf("%s (%s from %s)", err, ce.Setting, from(ce.Setting))
		}
		return cfg, nil, err
	}
	for i, w := range warnings {
		warnings[i] = fmt.Sprintf("%s; insecure comes from %s", w, from("insecure"))
	}
	if cfg.URL == "" {
		return checked, warnings, nil
	}
	u, err := vcenter.ParseURL(cfg.URL)
	if err != nil {
		return cfg, nil, err
	}
	for _, l := range s.vcenters {
		if !l.Allows(u.Host) {
			return cfg, nil, fmt.Errorf("vCenter %s (url from %s) is not in allowed_vcenters of the %s (%s): refused before connecting; use a vCenter on that list, or have whoever keeps it add this one",
				u.Host, from("url"), l.Source, l)
		}
	}
	return checked, warnings, nil
}

// describeVCenters is the allowed_vcenters in effect, for config show and
// doctor.
func (s *settings) describeVCenters() []string {
	if len(s.vcenters) == 0 {
		return []string{"any (no allowed_vcenters in the system policy or the config file)"}
	}
	out := make([]string, len(s.vcenters))
	for i, l := range s.vcenters {
		out[i] = l.String() + " (" + l.Source + ")"
	}
	return out
}
