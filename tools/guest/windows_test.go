package guest

import (
	"os"
	"strings"
	"testing"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
)

// TestWindowsGuest: on a Windows guest, guest_run goes through cmd.exe
// with Windows quoting and redirection, and paths are C:\….
func TestWindowsGuest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{policy: toolstest.Policy(t, "vm-admin", nil, nil)})
	var r RunResult
	text := e.ok("guest_run", map[string]any{"vm": e.win, "program": `C:\Windows\System32\whoami.exe`, "args": []any{"/all", "a b", `C:\dir\`}}, &r)
	if r.Shell != "cmd" || r.ExitCode == nil || *r.ExitCode != 0 || r.Stdout == nil || r.Stdout.Text != "lab\\ops /all|a b|C:\\dir\\\r\n" {
		t.Fatalf("result %+v stdout %+v\n%s", r, r.Stdout, text)
	}
	e.guest.mu.Lock()
	last := e.guest.started[len(e.guest.started)-1]
	e.guest.mu.Unlock()
	if !strings.HasPrefix(last, `C:\Windows\System32\cmd.exe /S /C ""C:\Windows\System32\whoami.exe" "/all" "a b" "C:\dir\\" > "C:\Windows\Temp\vsphere-mcp-`) {
		t.Errorf("started %s", last)
	}
	e.fails("guest_run", map[string]any{"vm": e.win, "program": `C:\Windows\System32\whoami.exe`, "args": []any{"%PATH%"}}, "cannot be passed safely through cmd.exe")
	e.fails("guest_run", map[string]any{"vm": e.win, "program": "/bin/echo"}, "runs Windows")
	e.fails("guest_run", map[string]any{"vm": e.vm, "program": `C:\x.exe`}, "does not run Windows")

	e.ok("guest_file_write", map[string]any{"vm": e.win, "path": `C:\Temp.txt`, "content": "hello"}, nil)
	if b, err := os.ReadFile(e.file("/C/Temp.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("windows file %q %v", b, err)
	}
	e.fails("guest_file_write", map[string]any{"vm": e.win, "path": `C:\Temp2.txt`, "content": "x", "mode": "0644"}, "runs Windows")
	var fc FileContent
	e.ok("guest_file_read", map[string]any{"vm": e.win, "path": `C:\Temp.txt`}, &fc)
	if fc.Content != "hello" {
		t.Fatalf("read %+v", fc)
	}
	e.ok("guest_file_move", map[string]any{"vm": e.win, "source": `C:\Temp.txt`, "destination": `C:\Windows\Temp\moved.txt`}, nil)
	if _, err := os.Stat(e.file("/C/Windows/Temp/moved.txt")); err != nil {
		t.Fatal(err)
	}
}
