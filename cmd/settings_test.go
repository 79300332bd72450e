package cmd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

func TestConnectionConfigPrecedence(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		flags   []string
		env     map[string]string
		profile map[string]string
		want    func(t *testing.T, url, user, pass string, insecure bool, ca, dc string)
	}{
		{
			name: "govc fallback",
			env: map[string]string{"GOVC_URL": "govc.example", "GOVC_USERNAME": "g", "GOVC_PASSWORD": "gp",
				"GOVC_INSECURE": "1", "GOVC_TLS_CA_CERTS": "/ca.pem", "GOVC_DATACENTER": "DCg"},
			want: func(t *testing.T, url, user, pass string, insecure bool, ca, dc string) {
				expect(t, url, "govc.example")
				expect(t, user, "g")
				expect(t, pass, "gp")
				expect(t, ca, "/ca.pem")
				expect(t, dc, "DCg")
				if !insecure {
					t.Error("GOVC_INSECURE=1 not honoured")
				}
			},
		},
		{
			name: "VSPHERE over GOVC",
			env: map[string]string{"GOVC_URL": "govc.example", "VSPHERE_URL": "vs.example", "GOVC_PASSWORD": "gp",
				"VSPHERE_PASSWORD": "vp", "GOVC_INSECURE": "true", "VSPHERE_INSECURE": "false"},
			want: func(t *testing.T, url, user, pass string, insecure bool, ca, dc string) {
				expect(t, url, "vs.example")
				expect(t, pass, "vp")
				if insecure {
					t.Error("VSPHERE_INSECURE=false should override GOVC_INSECURE")
				}
			},
		},
		{
			name:    "flags over env over profile",
			flags:   []string{"--url", "flag.example", "--datacenter", "DCf"},
			env:     map[string]string{"VSPHERE_URL": "vs.example", "VSPHERE_USERNAME": "envuser"},
			profile: map[string]string{"url": "profile.example", "username": "puser", "datacenter": "DCp", "ca_file": "/p.pem"},
			want: func(t *testing.T, url, user, pass string, insecure bool, ca, dc string) {
				expect(t, url, "flag.example")
				expect(t, user, "envuser")
				expect(t, dc, "DCf")
				expect(t, ca, "/p.pem")
			},
		},
		{
			name:    "profile over govc",
			env:     map[string]string{"GOVC_URL": "govc.example"},
			profile: map[string]string{"url": "profile.example"},
			want: func(t *testing.T, url, user, pass string, insecure bool, ca, dc string) {
				expect(t, url, "profile.example")
			},
		},
		{
			name: "GOVC_PASSWORD names a file",
			env:  map[string]string{"GOVC_PASSWORD": pwFile},
			want: func(t *testing.T, url, user, pass string, insecure bool, ca, dc string) {
				expect(t, pass, "from-file")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			addConnectionFlags(fs)
			if err := fs.Parse(tc.flags); err != nil {
				t.Fatal(err)
			}
			cfg, err := connectionConfig(fs, func(k string) string { return tc.env[k] }, tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			tc.want(t, cfg.URL, cfg.Username, cfg.Password, cfg.Insecure, cfg.CAFile, cfg.Datacenter)
		})
	}
}

func TestConnectionConfigBadInsecure(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	addConnectionFlags(fs)
	_, err := connectionConfig(fs, func(k string) string {
		if k == "VSPHERE_INSECURE" {
			return "maybe"
		}
		return ""
	}, nil)
	if err == nil {
		t.Fatal("VSPHERE_INSECURE=maybe accepted")
	}
}

func expect(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
