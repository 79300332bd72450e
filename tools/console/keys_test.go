package console

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want keyStroke
	}{
		{"enter", keyStroke{usage: 0x28}},
		{"Return", keyStroke{usage: 0x28}},
		{" esc ", keyStroke{usage: 0x29}},
		{"f1", keyStroke{usage: 0x3a}},
		{"f12", keyStroke{usage: 0x45}},
		{"pgdn", keyStroke{usage: 0x4e}},
		{"up", keyStroke{usage: 0x52}},
		{"ctrl+alt+delete", keyStroke{usage: 0x4c, ctrl: true, alt: true}},
		{"CTRL+C", keyStroke{usage: 0x06, ctrl: true}},
		{"alt+f4", keyStroke{usage: 0x3d, alt: true}},
		{"shift+tab", keyStroke{usage: 0x2b, shift: true}},
		{"win+r", keyStroke{usage: 0x15, gui: true}},
		{"/", keyStroke{usage: 0x38}},
		{"?", keyStroke{usage: 0x38, shift: true}},
		{"+", keyStroke{usage: 0x2e, shift: true}},
		{"ctrl++", keyStroke{usage: 0x2e, ctrl: true, shift: true}},
		{"ctrl+-", keyStroke{usage: 0x2d, ctrl: true}},
		{"0", keyStroke{usage: 0x27}},
	} {
		got, err := parseKey(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseKey(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "an empty key name; keys are"},
		{"f13", `unknown key "f13"; keys are backspace, capslock, del, delete, down, end, enter`},
		{"ctrl", `ends in the modifier "ctrl"`},
		{"ctrl+", `"ctrl+" has no key after its modifiers`},
		{"hyper+a", `"hyper" is not a modifier`},
		{"ctrl+é", "unknown key"},
		{strings.Repeat("x", 100), "at most 64"},
	} {
		_, err := parseKey(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseKey(%q) error %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestParseText(t *testing.T) {
	t.Parallel()
	got, err := parseText("Hi there!\t~\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []keyStroke{{usage: 0x0b, shift: true}, {usage: 0x0c}, {usage: 0x2c}, {usage: 0x17}, {usage: 0x0b}, {usage: 0x08},
		{usage: 0x15}, {usage: 0x08}, {usage: 0x1e, shift: true}, {usage: 0x2b}, {usage: 0x35, shift: true}, {usage: 0x28}}
	if len(got) != len(want) {
		t.Fatalf("%d strokes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stroke %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"ok\x1b[2J", `'\x1b' at character 3`},
		{"naïve", `'ï' at character 3`},
		{strings.Repeat("a", maxTextChars+1), "the limit is 4096"},
	} {
		if _, err := parseText(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseText(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
	if _, err := parseKeys("", make([]string, maxKeyNames+1)); err == nil || !strings.Contains(err.Error(), "limit is 256") {
		t.Errorf("too many keys: %v", err)
	}
}

// FuzzParseKeys: any text or key name either parses into HID usages of
// the keyboard page, or is refused with an error that is valid text and
// does not run away in length.
func FuzzParseKeys(f *testing.F) {
	for _, s := range []string{"enter", "ctrl+alt+delete", "ctrl++", "+", "++", "a+", "shift+", "F5", "héllo", "\x00", "ctrl+shift+alt+gui+x"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, text, key string) {
		strokes, err := parseKeys(text, []string{key})
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.ValidString(text+key) {
				t.Fatalf("error is not valid UTF-8: %q", err)
			}
			if len(err.Error()) > 2000 {
				t.Fatalf("error is %d bytes", len(err.Error()))
			}
			return
		}
		if len(strokes) != utf8.RuneCountInString(text)+1 {
			t.Fatalf("%d strokes for %q + %q", len(strokes), text, key)
		}
		for _, k := range strokes {
			if k.usage < 0x04 || k.usage > 0x52 {
				t.Fatalf("usage %#x out of the keyboard range for %q + %q", k.usage, text, key)
			}
			if ev := k.event(); ev.UsbHidCode&0xffff != 7 || ev.UsbHidCode>>16 != k.usage {
				t.Fatalf("event %#x for usage %#x", ev.UsbHidCode, k.usage)
			}
		}
	})
}
