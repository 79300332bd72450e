package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSecretKey(t *testing.T) {
	secret := []string{
		"password", "Password", "guest_password", "guestPassword", "vc-passwd", "PWD", "db_pass",
		"secret", "client_secret", "token", "accessToken", "X-Auth-Token", "confirm_token",
		"key", "api_key", "APIKey", "apikey", "ssh_key", "privateKey", "private_key", "keys",
		"credential", "credentials", "guestCredentials", "auth", "Authorization", "basic_auth",
		"cookie", "Set-Cookie", "content", "file_content", "fileContents", "data", "guest_data",
		"userData", "user_data", "body", "session", "sessionId", "passphrase",
	}
	plain := []string{
		"vm", "name", "datastore", "datacenter", "data_center", "datastores", "keyring", "key_id",
		"content_library", "contentLibrary", "metadata", "author", "monkey", "keyboard", "path",
		"folder", "cluster", "host", "count", "force", "username", "guest_user", "bypass_cache",
		"thumbprint", "ca_file", "url", "description", "compass",
	}
	for _, k := range secret {
		if !SecretKey(k) {
			t.Errorf("SecretKey(%q) = false, want true", k)
		}
	}
	for _, k := range plain {
		if SecretKey(k) {
			t.Errorf("SecretKey(%q) = true, want false (words %q)", k, splitWords(k))
		}
	}
}

func TestRedact(t *testing.T) {
	long := strings.Repeat("a", 300)
	longUTF8 := strings.Repeat("é", 200) // 400 bytes
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{"nil", nil, nil},
		{"plain kept", map[string]any{"vm": "web-01", "count": 3.0, "force": true, "x": nil},
			map[string]any{"vm": "web-01", "count": 3.0, "force": true, "x": nil}},
		{"secret keys", map[string]any{"vm": "web-01", "guest_password": "hunter2", "token": 42.0, "credentials": map[string]any{"user": "u", "pw": "p"}},
			map[string]any{"vm": "web-01", "guest_password": Redacted, "token": Redacted, "credentials": Redacted}},
		{"nested", map[string]any{"spec": map[string]any{"guest": map[string]any{"username": "root", "password": "x"}}},
			map[string]any{"spec": map[string]any{"guest": map[string]any{"username": "root", "password": Redacted}}}},
		{"in arrays", map[string]any{"disks": []any{map[string]any{"key": "abc", "size": 10.0}}},
			map[string]any{"disks": []any{map[string]any{"key": Redacted, "size": 10.0}}}},
		{"guest file content", map[string]any{"path": "/etc/shadow", "content": "root:$6$..."},
			map[string]any{"path": "/etc/shadow", "content": Redacted}},
		{"key/value pairs", map[string]any{"extra_config": []any{
			map[string]any{"key": "guestinfo.password", "value": "s3cret"},
			map[string]any{"key": "guestinfo.hostname", "value": "web-01"},
			map[string]any{"name": "DB_TOKEN", "value": "t"},
		}}, map[string]any{"extra_config": []any{
			map[string]any{"key": "guestinfo.password", "value": Redacted},
			map[string]any{"key": "guestinfo.hostname", "value": "web-01"},
			map[string]any{"name": "DB_TOKEN", "value": Redacted},
		}}},
		{"env and command lines", map[string]any{
			"env":       []any{"PATH=/usr/bin", "DB_PASSWORD=hunter2", "API_KEY=k"},
			"arguments": "--user admin --password hunter2 -v --token=abc x=y",
		}, map[string]any{
			"env":       []any{"PATH=/usr/bin", "DB_PASSWORD=" + Redacted, "API_KEY=" + Redacted},
			"arguments": "--user admin --password " + Redacted + " -v --token=" + Redacted + " x=y",
		}},
		{"names that merely contain a word", map[string]any{"vm": "my-secret-vm", "note": "token ring"},
			map[string]any{"vm": "my-secret-vm", "note": "token ring"}},
		{"long strings", map[string]any{"description": long, "nested": []any{longUTF8}},
			map[string]any{"description": strings.Repeat("a", 169) + "…(300 bytes, sha256:" + sha(long) + ")",
				"nested": []any{strings.Repeat("é", 84) + "…(400 bytes, sha256:" + sha(longUTF8) + ")"}}},
		{"typed values via JSON", map[string]any{"spec": struct {
			Name     string `json:"name"`
			Password string `json:"password"`
		}{"web", "x"}, "tags": []string{"a", "b"}, "m": map[string]string{"secret": "s"}},
			map[string]any{"spec": map[string]any{"name": "web", "password": Redacted}, "tags": []any{"a", "b"}, "m": map[string]any{"secret": Redacted}}},
		{"unserializable", map[string]any{"c": make(chan int)}, map[string]any{"c": "[unserializable chan int]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := json.Marshal(tc.in)
			got := Redact(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tc.want)
				t.Errorf("got  %s\nwant %s", g, w)
			}
			if after, _ := json.Marshal(tc.in); string(after) != string(before) {
				t.Error("Redact modified its input")
			}
		})
	}
}

func TestRedactCycle(t *testing.T) {
	m := map[string]any{"a": 1.0}
	m["self"] = m
	out := Redact(m)
	if _, err := json.Marshal(out); err != nil {
		t.Fatalf("cyclic input gave unmarshalable output: %v", err)
	}
}

// FuzzRedact: Redact never panics, never leaves a value under a secret key,
// never returns a string longer than MaxString or more than MaxArgs bytes
// of JSON, and does not touch its input.
func FuzzRedact(f *testing.F) {
	f.Add(`{"vm":"web-01","password":"x"}`)
	f.Add(`{"a":{"b":[{"key":"guestinfo.password","value":"s"}]},"env":["TOKEN=1"]}`)
	f.Add(`{"arguments":"--password hunter2 --secret=x"}`)
	f.Add(`{"s":"` + strings.Repeat("é", 300) + `"}`)
	f.Add(`{"a":[` + strings.Repeat(`"<&>\u0000",`, 400) + `1]}`)
	f.Fuzz(func(t *testing.T, in string) {
		var args map[string]any
		if json.Unmarshal([]byte(in), &args) != nil {
			args = map[string]any{"raw": in, in: in}
		}
		before, err := json.Marshal(args)
		if err != nil {
			t.Skip()
		}
		out := Redact(args)
		after, _ := json.Marshal(args)
		if string(before) != string(after) {
			t.Fatal("input modified")
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("output does not marshal: %v", err)
		}
		if len(b) > MaxArgs {
			t.Fatalf("%d bytes of arguments kept, want at most %d", len(b), MaxArgs)
		}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				if len(x) > MaxString {
					t.Fatalf("string of %d bytes kept", len(x))
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				_, hasValue := x["value"]
				for k, e := range x {
					isPairName := hasValue && (strings.EqualFold(k, "key") || strings.EqualFold(k, "name"))
					if SecretKey(k) && !isPairName && e != Redacted {
						t.Fatalf("secret key %q kept value %v", k, e)
					}
					walk(e)
				}
			}
		}
		walk(out)
	})
}
