//go:build unix

package privatefs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/privatefs/modetest"
)

func TestMkdirAllTightensExistingFolder(t *testing.T) {
	modetest.Umask022(t)
	parent := t.TempDir()
	os.Chmod(parent, 0o755)
	dir := filepath.Join(parent, "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	if got := modetest.Perm(t, dir); got != 0o700 {
		t.Errorf("existing folder mode = %v, want 0700", got)
	}
	if got := modetest.Perm(t, parent); got != 0o755 {
		t.Errorf("the parent's mode changed to %v: only the app's own folder is the app's", got)
	}
	fresh := filepath.Join(parent, "new", "deeper")
	if err := MkdirAll(fresh); err != nil {
		t.Fatal(err)
	}
	if got := modetest.Perm(t, fresh); got != 0o700 {
		t.Errorf("new folder mode = %v, want 0700", got)
	}
}

func TestTouchFileCreatesOrTightens(t *testing.T) {
	modetest.Umask022(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "a.db")
	if err := TouchFile(p); err != nil {
		t.Fatal(err)
	}
	if got := modetest.Perm(t, p); got != 0o600 {
		t.Errorf("new file mode = %v, want 0600", got)
	}
	q := filepath.Join(dir, "b.db")
	if err := os.WriteFile(q, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := TouchFile(q); err != nil {
		t.Fatal(err)
	}
	if got := modetest.Perm(t, q); got != 0o600 {
		t.Errorf("existing file mode = %v, want 0600", got)
	}
	if b, _ := os.ReadFile(q); string(b) != "keep" {
		t.Errorf("TouchFile changed the contents to %q", b)
	}
	if err := Restrict(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("Restrict on a missing file: %v", err)
	}
}
