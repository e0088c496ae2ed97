package datadir

import (
	"path/filepath"
	"testing"
)

func TestPathOverride(t *testing.T) {
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", "/x/y")
	if d, err := Path(); err != nil || d != "/x/y" {
		t.Fatalf("Path = %q, %v", d, err)
	}
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if d, err := Path(); err != nil || (filepath.Base(d) != "audience-uploader") {
		t.Fatalf("Path = %q, %v", d, err)
	}
}
