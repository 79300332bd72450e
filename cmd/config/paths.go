package config

import (
	"errors"
	"path/filepath"
	"runtime"
)

// AppName names the directories vsphere-mcp keeps its files in.
const AppName = "vsphere-mcp"

// DefaultPath is the config file used when neither --config nor
// VSPHERE_MCP_CONFIG names one: $XDG_CONFIG_HOME/vsphere-mcp/config.yaml
// (~/.config/… when unset) on Linux and BSD, ~/Library/Application
// Support/vsphere-mcp/config.yaml on macOS, %AppData%\vsphere-mcp\config.yaml
// on Windows. It follows os.UserConfigDir but reads the environment
// through getenv, so tests can point it elsewhere.
func DefaultPath(getenv func(string) string) (string, error) {
	dir, err := configDir(runtime.GOOS, getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, AppName, "config.yaml"), nil
}

// DefaultAuditPath is the audit trail used when neither the config nor the
// system policy names one: $XDG_STATE_HOME/vsphere-mcp/audit.jsonl
// (~/.local/state/… when unset) on Linux and BSD, ~/Library/Application
// Support/vsphere-mcp/audit.jsonl on macOS, %LocalAppData%\vsphere-mcp\audit.jsonl
// on Windows.
func DefaultAuditPath(getenv func(string) string) (string, error) {
	dir, err := stateDir(runtime.GOOS, getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, AppName, "audit.jsonl"), nil
}

func configDir(goos string, getenv func(string) string) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("AppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not set")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not set")
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set")
}

func stateDir(goos string, getenv func(string) string) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%LocalAppData% is not set: set audit.file in the config")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not set: set audit.file in the config")
	}
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state"), nil
	}
	return "", errors.New("neither $XDG_STATE_HOME nor $HOME is set: set audit.file in the config")
}

func homeDir(getenv func(string) string) string {
	if runtime.GOOS == "windows" {
		if h := getenv("USERPROFILE"); h != "" {
			return h
		}
	}
	return getenv("HOME")
}
