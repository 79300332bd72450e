package guest

import (
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

func TestRedirect(t *testing.T) {
	t.Parallel()
	prog, args := redirect(false, "/usr/bin/grep", []string{"it's", "a b", "$(reboot)"}, "/tmp/o", "/tmp/e")
	if prog != "/bin/sh" {
		t.Fatal(prog)
	}
	// The shell sees one -c script; the script's words are the originals.
	words := shellWords(args)
	if len(words) != 2 || words[0] != "-c" {
		t.Fatalf("words %q", words)
	}
	inner := shellWords(words[1])
	want := []string{"/usr/bin/grep", "it's", "a b", "$(reboot)", ">/tmp/o", "2>/tmp/e"}
	if strings.Join(inner, "|") != strings.Join(want, "|") {
		t.Errorf("script words %q, want %q", inner, want)
	}

	prog, args = redirect(true, `C:\Program Files\App\app.exe`, []string{"a b", `C:\dir\`}, `C:\Temp\o`, `C:\Temp\e`)
	if prog != windowsCmd || args != `/S /C ""C:\Program Files\App\app.exe" "a b" "C:\dir\\" > "C:\Temp\o" 2> "C:\Temp\e""` {
		t.Errorf("windows: %s %s", prog, args)
	}
	for _, bad := range []string{`say "hi"`, "100%", "a\nb"} {
		if windowsSafe(bad) == nil {
			t.Errorf("%q passed for cmd.exe", bad)
		}
	}
	if windowsSafe(`C:\a & b | c > d`) != nil {
		t.Error("metacharacters inside quotes are safe for cmd.exe")
	}
}

func TestGlobToRegexp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		glob string
		yes  []string
		no   []string
	}{
		{"*.log", []string{"a.log", ".log", "x.y.log"}, []string{"a.logx", "alog"}},
		{"f?.txt", []string{"f1.txt"}, []string{"f.txt", "f12.txt"}},
		{"[a-c]*", []string{"apple", "c"}, []string{"dog", ""}},
		{"[^a-c]*", []string{"dog"}, []string{"apple"}},
		{`a\*b`, []string{"a*b"}, []string{"axb"}},
		{"(x)+.{2}", []string{"(x)+.{2}"}, []string{"xx.ab"}},
		{"*", []string{"anything", "with\nnewline"}, nil},
	} {
		re := regexp.MustCompile(GlobToRegexp(tc.glob))
		for _, s := range tc.yes {
			if !re.MatchString(s) {
				t.Errorf("%s (%s) should match %q", tc.glob, re, s)
			}
		}
		for _, s := range tc.no {
			if re.MatchString(s) {
				t.Errorf("%s (%s) should not match %q", tc.glob, re, s)
			}
		}
	}
}

// FuzzGlobToRegexp: for every glob the tools accept, the regular
// expression sent to the guest compiles and matches exactly the names the
// glob matches.
func FuzzGlobToRegexp(f *testing.F) {
	for _, s := range []string{"*.log", "f?.txt", "[a-c]*", "[^x]", `a\*b`, "[]a]", "[\\]]", "(x)+", "é*?", "[a-]", "[X-0]"} {
		f.Add(s, "a.log")
	}
	f.Fuzz(func(t *testing.T, glob, name string) {
		if toolkit.CheckGlob("pattern", glob) != nil || !utf8.ValidString(glob) || !utf8.ValidString(name) || strings.Contains(name, "/") {
			return
		}
		re, err := regexp.Compile(GlobToRegexp(glob))
		if err != nil {
			t.Fatalf("glob %q gives a bad expression %q: %v", glob, GlobToRegexp(glob), err)
		}
		want, _ := path.Match(glob, name)
		if got := re.MatchString(name); got != want {
			t.Fatalf("glob %q on %q: path.Match %v, expression %q %v", glob, name, want, GlobToRegexp(glob), got)
		}
	})
}
