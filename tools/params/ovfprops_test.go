package params

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPropertyValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ, qual, v string
		ok           bool
	}{
		{"string", "", "anything", true},
		{"string", "MinLen(2),MaxLen(4)", "abc", true},
		{"string", "MinLen(2),MaxLen(4)", "a", false},
		{"string", "MinLen(2),MaxLen(4)", "abcde", false},
		{"string", `ValueMap{"a","b c"}`, "b c", true},
		{"string", `ValueMap{"a","b c"}`, "c", false},
		{"uint8", "", "255", true},
		{"uint8", "", "256", false},
		{"uint8", "", "-1", false},
		{"sint8", "", "-128", true},
		{"sint16", "", "40000", false},
		{"uint16", "MinValue(1024),MaxValue(2048)", "80", false},
		{"uint16", "MinValue(1024),MaxValue(2048)", "1500", true},
		{"uint64", "", "18446744073709551615", true},
		{"boolean", "", "true", true},
		{"boolean", "", "yes", false},
		{"real64", "", "1.5e3", true},
		{"real32", "", "NaN", false},
		{"int", "", "12", true},
		{"int(1..10)", "", "11", false},
		{"int(1..10)", "", "10", true},
		{"real(..1)", "", "0.5", true},
		{"string(..5)", "", "toolong", false},
		{"string(3..)", "", "ab", false},
		{`string["x", "y"]`, "", "y", true},
		{`string["x", "y"]`, "", "z", false},
		{"password(8..)", "", "short", false},
		{"password", "", "long enough", true},
		{"ip", "", "10.0.0.1", true},
		{"ip:VM Network", "", "fe80::1", true},
		{"ip", "", "10.0.0.256", false},
		{"ip", "", "", true},
		{"expression", "", "${autoIp:Net}", true},
		{"weird", "", "x", false},
	} {
		err := CheckPropertyValue(OVFProperty{Key: "k", Type: tc.typ, Qualifiers: tc.qual, UserConfigurable: true}, tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("%s %s %q: err %v, want ok=%v", tc.typ, tc.qual, tc.v, err, tc.ok)
		}
	}
}

func TestResolveOVFProperties(t *testing.T) {
	t.Parallel()
	props := []OVFProperty{
		{Key: "vm.ip0", Type: "string", UserConfigurable: true},
		{Key: "app.port.1", Type: "uint16", UserConfigurable: true},
		{Key: "app.port.2", Type: "uint16", UserConfigurable: true},
		{Key: "build", Type: "string"},
	}
	got, err := ResolveOVFProperties(props, map[string]string{"ip0": "1.2.3.4", "app.port.2": "80"})
	if err != nil || got["vm.ip0"] != "1.2.3.4" || got["app.port.2"] != "80" {
		t.Errorf("resolved %v %v", got, err)
	}
	for _, tc := range []struct {
		vals map[string]string
		want string
	}{
		{map[string]string{"port": "1"}, "ambiguous"},
		{map[string]string{"build": "1"}, "not user-configurable"},
		{map[string]string{"nope": "1"}, "no property"},
		{map[string]string{"app.port.1": "x"}, "uint16"},
	} {
		if _, err := ResolveOVFProperties(props, tc.vals); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.vals, err, tc.want)
		}
	}
}

func TestDiskCapacityBytes(t *testing.T) {
	t.Parallel()
	u := func(s string) *string { return &s }
	for _, tc := range []struct {
		c     string
		units *string
		want  int64
	}{
		{"30", u("byte * 2^20"), 30 << 20},
		{"1", u("byte * 2^30"), 1 << 30},
		{"4096", nil, 4096},
		{"2", u("byte*2^10"), 2048},
		{"x", nil, 0},
	} {
		if got := DiskCapacityBytes(tc.c, tc.units); got != tc.want {
			t.Errorf("%s %v = %d, want %d", tc.c, tc.units, got, tc.want)
		}
	}
}

func TestOpenOVFPackageRefusesEscapes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	desc := `<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"><References><File ovf:href="../secret" ovf:id="f"/></References><VirtualSystem ovf:id="x"><Info>x</Info></VirtualSystem></Envelope>`
	p := filepath.Join(dir, "x.ovf")
	if err := os.WriteFile(p, []byte(desc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOVFPackage(p); err == nil || !strings.Contains(err.Error(), "outside its own directory") {
		t.Errorf("href ../secret: %v", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "../evil.ovf", Mode: 0o600, Size: int64(len(desc))})
	_, _ = tw.Write([]byte(desc))
	_ = tw.Close()
	ova := filepath.Join(dir, "x.ova")
	if err := os.WriteFile(ova, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOVFPackage(ova); err == nil || !strings.Contains(err.Error(), "outside its own directory") {
		t.Errorf("tar entry ../evil.ovf: %v", err)
	}
}

func FuzzCheckPropertyValue(f *testing.F) {
	f.Add("string(1..5)", "MinLen(1),ValueMap{\"a\"}", "a")
	f.Add("uint16", "MinValue(1)", "80")
	f.Add("ip", "", "::1")
	f.Add(`string["a","b"]`, "", "b")
	f.Fuzz(func(t *testing.T, typ, qual, v string) {
		_ = CheckPropertyValue(OVFProperty{Key: "k", Type: typ, Qualifiers: qual, UserConfigurable: true}, v)
	})
}

func FuzzOpenOVFPackage(f *testing.F) {
	f.Add([]byte(`<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><VirtualSystem><Info>x</Info></VirtualSystem></Envelope>`), true)
	f.Add([]byte("not a tar"), true)
	f.Fuzz(func(t *testing.T, b []byte, asOVA bool) {
		dir := t.TempDir()
		name := "p.ovf"
		if asOVA {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			_ = tw.WriteHeader(&tar.Header{Name: "p.ovf", Mode: 0o600, Size: int64(len(b))})
			_, _ = tw.Write(b)
			_ = tw.Close()
			b, name = buf.Bytes(), "p.ova"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		pkg, err := OpenOVFPackage(p)
		if err != nil {
			return
		}
		_ = pkg.Summary()
		for n := range pkg.Sizes {
			if CheckOVFFileName(n) != nil {
				t.Fatalf("accepted file name %q", n)
			}
		}
	})
}
