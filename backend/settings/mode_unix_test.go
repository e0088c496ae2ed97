//go:build unix

package settings

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/privatefs/modetest"
)

// Issue 9 (item 6's rule for every data folder): a config folder that
// already existed with 0755 is made 0700, and the file is 0600 under umask 022.
func TestSaveMakesExistingFolderPrivate(t *testing.T) {
	modetest.Umask022(t)
	dir := filepath.Join(t.TempDir(), "cfg")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", dir)
	if err := Save(Default()); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "settings.json"): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", filepath.Base(path), st.Mode().Perm(), want)
		}
	}
}
