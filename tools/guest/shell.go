package guest

import (
	"fmt"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// How guest_run passes a program and its arguments, and redirects its
// output, in the guest's own conventions:
//   - Linux and other POSIX guests: every word in single quotes (a single
//     quote inside as '\''), run by /bin/sh -c with > and 2> into the
//     temporary files. Nothing in an argument is interpreted by the shell.
//   - Windows: cmd.exe /S /C ""program" "arg" > "out" 2> "err"", each word
//     in double quotes as CommandLineToArgvW reads them. cmd.exe cannot
//     quote a double quote or stop %VAR% expansion inside quotes, so words
//     holding " % or a control character are refused rather than passed in
//     a form that could run something else.

const (
	posixShell = "/bin/sh"
	windowsCmd = `C:\Windows\System32\cmd.exe`
)

func posixQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// windowsQuote quotes one word for CommandLineToArgvW (a word without a
// double quote: windowsSafe refused those): backslashes before the closing
// quote are doubled so it stays a closing quote.
func windowsQuote(s string) string {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return `"` + s + strings.Repeat(`\`, n) + `"`
}

func windowsSafe(s string) error {
	for _, r := range s {
		if r == '"' || r == '%' || r < 0x20 || r == 0x7f {
			return &toolkit.PlainError{Msg: fmt.Sprintf("%s cannot be passed safely through cmd.exe (it holds a double quote, %% or a control character): "+
				"put the command in a script file in the guest (guest_file_write) and run that", toolkit.Quote(s, 100))}
		}
	}
	return nil
}

// joinArgs is the argument string for a program started directly.
func joinArgs(windows bool, args []string) string {
	q := posixQuote
	if windows {
		q = windowsQuote
	}
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = q(a)
	}
	return strings.Join(words, " ")
}

// redirect returns the program and arguments that run program with args
// and send its stdout and stderr into the files out and errf.
func redirect(windows bool, program string, args []string, out, errf string) (string, string) {
	if windows {
		line := windowsQuote(program)
		if len(args) > 0 {
			line += " " + joinArgs(true, args)
		}
		line += " > " + windowsQuote(out) + " 2> " + windowsQuote(errf)
		return windowsCmd, `/S /C "` + line + `"`
	}
	line := posixQuote(program)
	if len(args) > 0 {
		line += " " + joinArgs(false, args)
	}
	line += " >" + posixQuote(out) + " 2>" + posixQuote(errf)
	return posixShell, "-c " + posixQuote(line)
}
