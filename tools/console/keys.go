package console

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// Keystrokes reach the console as USB HID usages of the keyboard page
// (0x07), each with the modifiers held: vSphere's PutUsbScanCodes takes
// (usage << 16) | 7 per key, as govc's vm.keystrokes does. Characters are
// typed as on a US keyboard layout (what a console's BIOS, boot loader and
// most installers assume).

const (
	maxTextChars = 4096
	maxKeyNames  = 256
	maxKeyName   = 64
)

// keyStroke is one key with its modifiers.
type keyStroke struct {
	usage int32
	ctrl  bool
	shift bool
	alt   bool
	gui   bool
}

func (k keyStroke) event() types.UsbScanCodeSpecKeyEvent {
	ctrl, shift, alt, gui := k.ctrl, k.shift, k.alt, k.gui
	return types.UsbScanCodeSpecKeyEvent{
		UsbHidCode: k.usage<<16 | 7,
		Modifiers:  &types.UsbScanCodeSpecModifierType{LeftControl: &ctrl, LeftShift: &shift, LeftAlt: &alt, LeftGui: &gui},
	}
}

// namedKeys are the keys keys names (lower case), with their usages.
var namedKeys = map[string]int32{
	"enter": 0x28, "return": 0x28, "esc": 0x29, "escape": 0x29, "backspace": 0x2a, "tab": 0x2b, "space": 0x2c,
	"capslock": 0x39, "printscreen": 0x46, "scrolllock": 0x47, "pause": 0x48, "insert": 0x49, "home": 0x4a,
	"pgup": 0x4b, "pageup": 0x4b, "delete": 0x4c, "del": 0x4c, "end": 0x4d, "pgdn": 0x4e, "pagedown": 0x4e,
	"right": 0x4f, "left": 0x50, "down": 0x51, "up": 0x52, "plus": 0x2e, "minus": 0x2d,
	"f1": 0x3a, "f2": 0x3b, "f3": 0x3c, "f4": 0x3d, "f5": 0x3e, "f6": 0x3f,
	"f7": 0x40, "f8": 0x41, "f9": 0x42, "f10": 0x43, "f11": 0x44, "f12": 0x45,
}

// modifierNames are the modifiers a chord may hold.
var modifierNames = map[string]func(*keyStroke){
	"ctrl": func(k *keyStroke) { k.ctrl = true }, "control": func(k *keyStroke) { k.ctrl = true },
	"shift": func(k *keyStroke) { k.shift = true },
	"alt":   func(k *keyStroke) { k.alt = true },
	"gui":   func(k *keyStroke) { k.gui = true }, "win": func(k *keyStroke) { k.gui = true },
	"super": func(k *keyStroke) { k.gui = true }, "meta": func(k *keyStroke) { k.gui = true },
	"cmd": func(k *keyStroke) { k.gui = true },
}

// charKey is how a character is typed on a US layout.
func charKey(r rune) (keyStroke, bool) {
	switch {
	case r >= 'a' && r <= 'z':
		return keyStroke{usage: 0x04 + int32(r-'a')}, true
	case r >= 'A' && r <= 'Z':
		return keyStroke{usage: 0x04 + int32(r-'A'), shift: true}, true
	case r >= '1' && r <= '9':
		return keyStroke{usage: 0x1e + int32(r-'1')}, true
	case r == '0':
		return keyStroke{usage: 0x27}, true
	case r == '\n':
		return keyStroke{usage: 0x28}, true
	case r == '\t':
		return keyStroke{usage: 0x2b}, true
	case r == ' ':
		return keyStroke{usage: 0x2c}, true
	}
	if i := strings.IndexRune(`-=[]\;'`+"`"+`,./`, r); i >= 0 {
		return keyStroke{usage: []int32{0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38}[i]}, true
	}
	if i := strings.IndexRune(`!@#$%^&*()`, r); i >= 0 {
		return keyStroke{usage: 0x1e + int32(i), shift: true}, true
	}
	if i := strings.IndexRune(`_+{}|:"~<>?`, r); i >= 0 {
		return keyStroke{usage: []int32{0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38}[i], shift: true}, true
	}
	return keyStroke{}, false
}

// parseText turns text into keystrokes, refusing what a US keyboard
// cannot type.
func parseText(text string) ([]keyStroke, error) {
	if n := len([]rune(text)); n > maxTextChars {
		return nil, fmt.Errorf("text is %d characters; the limit is %d per call, send the rest in another call", n, maxTextChars)
	}
	var out []keyStroke
	pos := 0
	for _, r := range text {
		pos++
		k, ok := charKey(r)
		if !ok {
			return nil, fmt.Errorf("text has %q at character %d, which a US keyboard layout cannot type; text takes printable ASCII, newline (Enter) and tab; leave it out or press keys by name with keys", r, pos)
		}
		out = append(out, k)
	}
	return out, nil
}

// parseKey turns one key name or chord ("enter", "f2", "ctrl+alt+delete",
// "shift+tab", "a", "/") into a keystroke.
func parseKey(name string) (keyStroke, error) {
	if len(name) > maxKeyName {
		return keyStroke{}, fmt.Errorf("key %q… is %d bytes long; a key name or chord is at most %d", name[:16], len(name), maxKeyName)
	}
	s := strings.ToLower(strings.TrimSpace(name))
	if s == "" {
		return keyStroke{}, fmt.Errorf("an empty key name; %s", validKeys())
	}
	parts := strings.Split(s, "+")
	if s == "+" || strings.HasSuffix(s, "++") {
		// "+" itself, or a chord ending in it ("ctrl++").
		parts = append(strings.Split(strings.TrimSuffix(s, "++"), "+"), "plus")
		if s == "+" {
			parts = []string{"plus"}
		}
	}
	var k keyStroke
	for _, m := range parts[:len(parts)-1] {
		set, ok := modifierNames[strings.TrimSpace(m)]
		if !ok {
			return keyStroke{}, fmt.Errorf("key %q: %q is not a modifier; chords are modifiers (ctrl, shift, alt, gui) joined by + before one key, e.g. ctrl+alt+delete", name, m)
		}
		set(&k)
	}
	last := strings.TrimSpace(parts[len(parts)-1])
	if last == "" {
		return keyStroke{}, fmt.Errorf("key %q has no key after its modifiers; a chord is modifiers and one key joined by +, e.g. ctrl+c (the + key itself is plus or +)", name)
	}
	if _, ok := modifierNames[last]; ok {
		return keyStroke{}, fmt.Errorf("key %q ends in the modifier %q; a chord needs a key after its modifiers, e.g. %s+tab", name, last, last)
	}
	if u, ok := namedKeys[last]; ok {
		k.usage = u
		if last == "plus" {
			k.shift = true
		}
		return k, nil
	}
	if r := []rune(last); len(r) == 1 && r[0] >= 0x21 && r[0] < 0x7f {
		c, _ := charKey(r[0])
		// A letter in a chord is the key, not the capital: ctrl+C is ctrl+c.
		if r[0] >= 'a' && r[0] <= 'z' {
			c.shift = false
		}
		k.usage, k.shift = c.usage, k.shift || c.shift
		return k, nil
	}
	return keyStroke{}, fmt.Errorf("unknown key %q; %s", name, validKeys())
}

// validKeys lists what keys takes, for error messages.
func validKeys() string {
	names := make([]string, 0, len(namedKeys))
	for n := range namedKeys {
		names = append(names, n)
	}
	slices.Sort(names)
	return "keys are " + strings.Join(names, ", ") +
		", a single printable character (a, 7, /), or a chord of modifiers (ctrl, shift, alt, gui) and a key joined by + (ctrl+alt+delete, alt+f4, shift+tab)"
}

// parseKeys turns text then keys into keystrokes.
func parseKeys(text string, keys []string) ([]keyStroke, error) {
	if len(keys) > maxKeyNames {
		return nil, fmt.Errorf("keys has %d entries; the limit is %d per call", len(keys), maxKeyNames)
	}
	out, err := parseText(text)
	if err != nil {
		return nil, err
	}
	for i, name := range keys {
		k, err := parseKey(name)
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		out = append(out, k)
	}
	return out, nil
}
