package datadir

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestPathPerOS: each OS's convention, checked on whichever OS runs the
// test (macOS's ~/Library path has never been run on a Mac from here).
func TestPathPerOS(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	home := func() (string, error) { return "/Users/jo ann", nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	for _, c := range []struct {
		goos string
		vars map[string]string
		home func() (string, error)
		want string
	}{
		{"darwin", nil, home, filepath.Join("/Users/jo ann", "Library", "Application Support", "audience-uploader")},
		{"windows", map[string]string{"LOCALAPPDATA": `C:\Users\Jo Ann#1%\AppData\Local`}, home, filepath.Join(`C:\Users\Jo Ann#1%\AppData\Local`, "audience-uploader")},
		{"linux", map[string]string{"XDG_DATA_HOME": "/data"}, home, filepath.Join("/data", "audience-uploader")},
		{"linux", map[string]string{"XDG_DATA_HOME": "relative"}, home, filepath.Join("/Users/jo ann", ".local", "share", "audience-uploader")},
		{"darwin", map[string]string{"AUDIENCE_UPLOADER_DATA_DIR": "/override"}, home, "/override"},
	} {
		got, err := pathFor(c.goos, env(c.vars), c.home)
		if err != nil || got != c.want {
			t.Errorf("%s %v: %q, %v; want %q", c.goos, c.vars, got, err, c.want)
		}
	}
	for _, goos := range []string{"darwin", "windows", "linux"} {
		if _, err := pathFor(goos, env(nil), noHome); err == nil {
			t.Errorf("%s without a home or LOCALAPPDATA: no error", goos)
		}
	}
}
