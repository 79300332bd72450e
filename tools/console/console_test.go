package console

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"
	"os"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// image returns the one image content block of res, decoded.
func imageOf(t *testing.T, res *mcp.CallToolResult) (string, []byte) {
	t.Helper()
	var found []mcp.ImageContent
	for _, c := range res.Content {
		if ic, ok := c.(mcp.ImageContent); ok {
			found = append(found, ic)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one image content block, got %d: %+v", len(found), res.Content)
	}
	data, err := base64.StdEncoding.DecodeString(found[0].Data)
	if err != nil {
		t.Fatalf("image data is not base64: %v", err)
	}
	return found[0].MIMEType, data
}

func (e *env) powerOff(path string) {
	e.T.Helper()
	task, err := object.NewVirtualMachine(e.Vim, e.VMRef(path)).PowerOff(e.Ctx)
	if err == nil {
		err = task.Wait(e.Ctx)
	}
	if err != nil {
		e.T.Fatal(err)
	}
}

// TestScreenshot: the viewer role (a read; no write permit) captures a
// console: the image block decodes as a PNG of the size the result says,
// scaled down by area average, and the file vCenter wrote is gone.
func TestScreenshot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	for _, tc := range []struct {
		name       string
		args       map[string]any
		w, h       int
		downscaled bool
	}{
		{"default max_width", map[string]any{"vm": "DC0_H0_VM0"}, 1024, 768, true},
		{"max_width 320", map[string]any{"vm": "/DC0/vm/DC0_H0_VM0", "max_width": 320}, 320, 240, true},
		{"wider than the screen", map[string]any{"vm": "DC0_H0_VM0", "max_width": 2000}, screenW, screenH, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.at(t)
			res := e.Call("vm_screenshot", tc.args)
			text := toolstest.ResultText(res)
			if res.IsError {
				t.Fatalf("vm_screenshot failed: %s", text)
			}
			var out ScreenshotResult
			e.OK("vm_screenshot", tc.args, &out) // a second capture, for the structured result
			mime, data := imageOf(t, res)
			if mime != "image/png" {
				t.Errorf("mime %q", mime)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("image is not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Errorf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.w, tc.h)
			}
			if out.Width != tc.w || out.Height != tc.h || out.OriginalWidth != screenW || out.OriginalHeight != screenH || out.Downscaled != tc.downscaled {
				t.Errorf("structured result %+v", out)
			}
			if out.Bytes != len(data) || out.MimeType != "image/png" || out.Time == "" || !out.Removed || out.Warning != "" {
				t.Errorf("structured result %+v (image %d bytes)", out, len(data))
			}
			// Left half white, right half blue, after scaling too.
			if r, g, b, _ := img.At(tc.w/4, tc.h/2).RGBA(); r>>8 != 0xff || g>>8 != 0xff || b>>8 != 0xff {
				t.Errorf("left pixel %x %x %x, want white", r>>8, g>>8, b>>8)
			}
			if r, g, b, _ := img.At(3*tc.w/4, tc.h/2).RGBA(); r>>8 != 0 || g>>8 != 0 || b>>8 != 0xff {
				t.Errorf("right pixel %x %x %x, want blue", r>>8, g>>8, b>>8)
			}
			toolstest.MustContain(t, text, "Screenshot of VM DC0_H0_VM0", "PNG", "the image follows")
		})
	}
	e.con.mu.Lock()
	shots := append([]string(nil), e.con.shots...)
	e.con.mu.Unlock()
	if len(shots) != 6 {
		t.Fatalf("%d screenshots taken, want 6", len(shots))
	}
	for _, f := range shots {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("screenshot file %s was not removed (%v)", f, err)
		}
	}

	t.Run("refusals", func(t *testing.T) {
		e := e.at(t)
		e.powerOff("/DC0/vm/DC0_H0_VM1")
		for _, tc := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{"vm": "DC0_H0_VM1"}, "DC0_H0_VM1 is poweredOff: its console is not running"},
			{map[string]any{"vm": "DC0_H0_VM0", "max_width": 10}, "max_width must be between 64 and 4096"},
			{map[string]any{"vm": "nope"}, "nope"},
		} {
			toolstest.MustContain(t, e.Fails("vm_screenshot", tc.args), tc.want)
		}
		e.con.mu.Lock()
		n := len(e.con.shots)
		e.con.mu.Unlock()
		if n != 6 {
			t.Errorf("a refused call took a screenshot (%d)", n)
		}
	})
}

// TestStockSimulator: the simulator --simulator serves has no consoles;
// the tools say so rather than make something up.
func TestStockSimulator(t *testing.T) {
	t.Parallel()
	e := newStockEnv(t, toolstest.Policy(t, "vm-admin", nil, nil))
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"vm_screenshot", map[string]any{"vm": "DC0_H0_VM0"}},
		{"vm_send_keys", map[string]any{"vm": "DC0_H0_VM0", "keys": []any{"enter"}}},
		{"vm_console_url", map[string]any{"vm": "DC0_H0_VM0"}},
	} {
		toolstest.MustContain(t, e.Fails(tc.tool, tc.args), "MethodNotFound", "simulator (--simulator) has no VM consoles")
	}
	toolstest.MustContain(t, e.Fails("vm_question_answer", map[string]any{"vm": "DC0_H0_VM0", "choice": "0"}), "has no pending question")
}

// TestSendKeys: text and keys arrive as the USB HID codes and modifiers
// a keyboard sends; a bad key is refused before anything is sent.
func TestSendKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, toolstest.Policy(t, "vm-admin", nil, nil), nil)
	id := e.VMRef("/DC0/vm/DC0_H0_VM0").Value

	var out SendKeysResult
	text := e.OK("vm_send_keys", map[string]any{"vm": "DC0_H0_VM0", "text": "aB1!\n", "keys": []any{"ctrl+alt+delete", "F2", "shift+tab", "esc"}}, &out)
	if out.Sent != 9 || out.Of != 9 {
		t.Errorf("result %+v", out)
	}
	toolstest.MustContain(t, text, "Sent 9 of 9 keys", "DC0_H0_VM0")
	type key struct {
		hid                   int32
		ctrl, shift, alt, gui bool
	}
	want := []key{
		{0x04, false, false, false, false}, // a
		{0x05, false, true, false, false},  // B
		{0x1e, false, false, false, false}, // 1
		{0x1e, false, true, false, false},  // !
		{0x28, false, false, false, false}, // newline: Enter
		{0x4c, true, false, true, false},   // ctrl+alt+delete
		{0x3b, false, false, false, false}, // f2
		{0x2b, false, true, false, false},  // shift+tab
		{0x29, false, false, false, false}, // esc
	}
	got := e.con.keysOf(id)
	if len(got) != len(want) {
		t.Fatalf("%d key events arrived, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		m := g.Modifiers
		if g.UsbHidCode != w.hid<<16|7 || m == nil || *m.LeftControl != w.ctrl || *m.LeftShift != w.shift || *m.LeftAlt != w.alt || *m.LeftGui != w.gui {
			t.Errorf("event %d: code %#x modifiers %+v, want hid %#x %+v", i, g.UsbHidCode, m, w.hid, w)
		}
	}

	e.powerOff("/DC0/vm/DC0_H0_VM1")
	for _, tc := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"vm": "DC0_H0_VM0", "keys": []any{"ctrl+foo"}}, []string{`unknown key "ctrl+foo"`, "keys are ", "backspace", "pgdn", "ctrl+alt+delete"}},
		{map[string]any{"vm": "DC0_H0_VM0", "keys": []any{"hyper+x"}}, []string{`"hyper" is not a modifier`}},
		{map[string]any{"vm": "DC0_H0_VM0", "text": "héllo"}, []string{"character 2", "US keyboard"}},
		{map[string]any{"vm": "DC0_H0_VM0"}, []string{"nothing to send"}},
		{map[string]any{"vm": "DC0_H0_VM1", "keys": []any{"enter"}}, []string{"poweredOff"}},
	} {
		toolstest.MustContain(t, e.Fails("vm_send_keys", tc.args), tc.want...)
	}
	if n := len(e.con.keysOf(id)); n != len(want) {
		t.Errorf("refused calls sent keys: %d events now", n)
	}

	if viewer := newEnv(t, nil, nil); slices.Contains(viewer.ListedTools(), "vm_send_keys") {
		t.Error("the viewer role is served vm_send_keys")
	}
}

// TestConsoleURL: the link has the web console's shape with the ticket
// vCenter issued, and the ticket is nowhere in the audit trail.
func TestConsoleURL(t *testing.T) {
	t.Parallel()
	p := toolstest.Policy(t, "vm-admin", nil, nil)
	e := newEnv(t, p, nil)
	var out ConsoleURLResult
	text := e.OK("vm_console_url", map[string]any{"vm": "DC0_H0_VM0"}, &out)
	e.con.mu.Lock()
	tickets := append([]string(nil), e.con.tickets...)
	e.con.mu.Unlock()
	if len(tickets) != 1 {
		t.Fatalf("%d tickets issued, want 1", len(tickets))
	}
	u, err := url.Parse(out.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	vc, _ := url.Parse(e.Sim.Config.URL)
	if u.Scheme != "https" || u.Host != vc.Host || u.Path != "/ui/webconsole.html" {
		t.Errorf("url %s", out.URL)
	}
	for k, v := range map[string]string{
		"vmId": e.VMRef("/DC0/vm/DC0_H0_VM0").Value, "vmName": "DC0_H0_VM0", "sessionTicket": tickets[0],
		"host": "esx-01.example.com:443", "thumbprint": "AA:BB:CC:DD",
	} {
		if q.Get(k) != v {
			t.Errorf("url %s: %s=%q, want %q", out.URL, k, q.Get(k), v)
		}
	}
	if q.Get("serverGuid") == "" {
		t.Errorf("url %s lacks serverGuid", out.URL)
	}
	if out.WSS != "wss://esx-01.example.com:443/ticket/"+tickets[0] {
		t.Errorf("wss %s", out.WSS)
	}
	toolstest.MustContain(t, text, out.URL, "one-time")

	e.powerOff("/DC0/vm/DC0_H0_VM1")
	toolstest.MustContain(t, e.Fails("vm_console_url", map[string]any{"vm": "DC0_H0_VM1"}), "poweredOff")

	trail, err := os.ReadFile(p.Audit.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(trail, []byte(tickets[0])) || bytes.Contains(trail, []byte("webmks-")) {
		t.Errorf("the console ticket is in the audit trail:\n%s", trail)
	}
	recs := toolstest.AuditLines(t, p)
	if len(recs) != 2 || recs[0].Tool != "vm_console_url" || recs[0].Outcome != "ok" {
		t.Errorf("audit records %+v", recs)
	}
}

// TestQuestionAnswer: a VM blocked on a question is answered by label or
// key; vCenter's runtime.question is cleared, read back independently.
func TestQuestionAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, toolstest.Policy(t, "operator", nil, nil), nil)
	question := func(path string) *types.VirtualMachineQuestionInfo {
		var vm mo.VirtualMachine
		if err := object.NewVirtualMachine(e.Vim, e.VMRef(path)).Properties(e.Ctx, e.VMRef(path), []string{"runtime.question"}, &vm); err != nil {
			t.Fatal(err)
		}
		return vm.Runtime.Question
	}
	ref := e.ask("DC0_H0_VM0", movedOrCopied("q-1"))

	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vm": "DC0_H0_VM0", "choice": "I deleted it"}, `none of the question's choices; give a key or a label: 0="Cancel", 1="I Moved It", 2="I Copied It"`},
		{map[string]any{"vm": "DC0_H0_VM0", "choice": "1", "question_id": "q-0"}, "it changed since you looked"},
		{map[string]any{"vm": "DC0_H0_VM1", "choice": "1"}, "has no pending question"},
		{map[string]any{"vm": "DC0_H0_VM0", "choice": " "}, "choice is required"},
	} {
		toolstest.MustContain(t, e.Fails("vm_question_answer", tc.args), tc.want)
	}
	if q := question("/DC0/vm/DC0_H0_VM0"); q == nil || q.Id != "q-1" {
		t.Fatalf("a refused answer changed the question: %+v", q)
	}

	var out QuestionAnswerResult
	text := e.OK("vm_question_answer", map[string]any{"vm": "DC0_H0_VM0", "choice": "i copied it", "question_id": "q-1"}, &out)
	if out.Answer.Key != "2" || out.Question.ID != "q-1" || out.Pending != nil || len(out.Question.Choices) != 3 || out.Question.Default != "2" {
		t.Errorf("result %+v", out)
	}
	toolstest.MustContain(t, text, `with 2="I Copied It"`, "moved or copied", "no pending question now")
	if q := question("/DC0/vm/DC0_H0_VM0"); q != nil {
		t.Errorf("runtime.question after the answer: %+v", q)
	}
	e.con.mu.Lock()
	ans := e.con.answers[ref.Value]
	e.con.mu.Unlock()
	if ans != "2" {
		t.Errorf("vCenter got answer %q, want 2", ans)
	}

	// By key, and a viewer may not answer.
	e.ask("DC0_H0_VM1", movedOrCopied("q-2"))
	e.OK("vm_question_answer", map[string]any{"vm": "DC0_H0_VM1", "choice": "1"}, &out)
	if out.Answer.Label != "I Moved It" || question("/DC0/vm/DC0_H0_VM1") != nil {
		t.Errorf("answer by key: %+v", out)
	}
	if viewer := newEnv(t, nil, nil); slices.Contains(viewer.ListedTools(), "vm_question_answer") || !slices.Contains(viewer.ListedTools(), "vm_screenshot") {
		t.Errorf("the viewer role is served %v", viewer.ListedTools())
	}
}

// TestProtectedVM: the console writes are refused on a protected VM
// before anything reaches it; a screenshot (a read) is still allowed.
func TestProtectedVM(t *testing.T) {
	t.Parallel()
	custom := map[string]policy.RoleSpec{"guarded": {Inherits: "vm-admin", Protect: []string{"/DC0/vm/DC0_H0_VM0"}}}
	e := newEnv(t, toolstest.Policy(t, "guarded", custom, nil), nil)
	ref := e.ask("DC0_H0_VM0", movedOrCopied("q-1"))
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"vm_question_answer", map[string]any{"vm": "DC0_H0_VM0", "choice": "2"}},
		{"vm_send_keys", map[string]any{"vm": "DC0_H0_VM0", "keys": []any{"ctrl+alt+delete"}}},
		{"vm_console_url", map[string]any{"vm": "DC0_H0_VM0"}},
	} {
		toolstest.MustContain(t, e.Fails(tc.tool, tc.args), "is protected by policy")
	}
	e.con.mu.Lock()
	reached := len(e.con.keys[ref.Value]) != 0 || len(e.con.tickets) != 0 || e.con.answers[ref.Value] != ""
	e.con.mu.Unlock()
	if reached {
		t.Error("a refused call reached the VM")
	}
	e.OK("vm_screenshot", map[string]any{"vm": "DC0_H0_VM0"}, nil)
}

// TestScreenshotCleanupFails: when vCenter refuses to delete the capture,
// the screenshot still comes back, with a warning naming the file left.
func TestScreenshotCleanupFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.model.Service.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName: "DeleteDatastoreFile_Task", ObjectType: "*", ObjectName: "*",
		Probability: 1, Fault: &types.FileLocked{}, Enabled: true, MaxCount: 1,
	})
	res := e.Call("vm_screenshot", map[string]any{"vm": "DC0_H0_VM0"})
	text := toolstest.ResultText(res)
	if res.IsError {
		t.Fatalf("vm_screenshot failed: %s", text)
	}
	if _, data := imageOf(t, res); len(data) == 0 {
		t.Error("no image")
	}
	toolstest.MustContain(t, text, "Warning: the screenshot file", "could not be deleted", "datastore_file_delete")
	e.con.mu.Lock()
	shots := append([]string(nil), e.con.shots...)
	e.con.mu.Unlock()
	if len(shots) != 1 {
		t.Fatalf("%d shots", len(shots))
	}
	if _, err := os.Stat(shots[0]); err != nil {
		t.Errorf("the file vCenter refused to delete is gone: %v", err)
	}
}
