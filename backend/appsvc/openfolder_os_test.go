package appsvc

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenFolderCommandPerOS: Explorer on Windows, the Finder's `open` on
// macOS, xdg-open elsewhere, each given the folder as one argument (a
// space in it stays inside). Only Linux's is ever run here.
func TestOpenFolderCommandPerOS(t *testing.T) {
	dir := "/Users/jo ann/Audience Uploader/out"
	for goos, want := range map[string]string{"windows": "explorer", "darwin": "open", "linux": "xdg-open", "freebsd": "xdg-open"} {
		cmd := openFolderCommand(goos, dir)
		if filepath.Base(cmd.Args[0]) != want || !slices.Equal(cmd.Args[1:], []string{dir}) {
			t.Errorf("%s: %q, want %s %q", goos, cmd.Args, want, dir)
		}
	}
}
