// Package datadir says where the app keeps its data (the run history, the
// upload state, the syncs, notes of running transforms): one folder for the
// desktop app and the command line alike, named here only.
package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// Env overrides the folder (tests, automation).
const Env = "AUDIENCE_UPLOADER_DATA_DIR"

// Path is the folder for the app's data: $AUDIENCE_UPLOADER_DATA_DIR if
// set, else the OS convention (XDG data home on Linux, Application Support
// on macOS, %LocalAppData% on Windows) plus "audience-uploader".
func Path() (string, error) {
	if d := os.Getenv(Env); d != "" {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "audience-uploader"), nil
		}
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, "Library", "Application Support", "audience-uploader"), nil
		}
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "audience-uploader"), nil
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "share", "audience-uploader"), nil
		}
	}
	return "", errors.New("cannot find the user's data directory: set AUDIENCE_UPLOADER_DATA_DIR")
}
