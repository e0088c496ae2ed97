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
	return pathFor(runtime.GOOS, os.Getenv, os.UserHomeDir)
}

// pathFor is Path for goos, with the environment and home folder passed in
// so that every OS's rule is tested on any OS.
func pathFor(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	if d := getenv(Env); d != "" {
		return d, nil
	}
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "audience-uploader"), nil
		}
	case "darwin":
		if h, err := home(); err == nil {
			return filepath.Join(h, "Library", "Application Support", "audience-uploader"), nil
		}
	default:
		if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "audience-uploader"), nil
		}
		if h, err := home(); err == nil {
			return filepath.Join(h, ".local", "share", "audience-uploader"), nil
		}
	}
	return "", errors.New("cannot find the user's data directory: set AUDIENCE_UPLOADER_DATA_DIR")
}
