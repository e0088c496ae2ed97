//go:build unix

package jobs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/privatefs/modetest"
)

// Issue 9 item 6: the history's folder, database and its WAL/SHM files are
// private to the user from the first run, even when the data folder already
// existed with 0755 and the umask is 022.
func TestHistoryFilesPrivateInPreExistingFolder(t *testing.T) {
	modetest.Umask022(t)
	dir := filepath.Join(t.TempDir(), "audience-uploader")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "history.db")
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A write makes SQLite create the WAL and its shared-memory index.
	if _, err := s.Start(context.Background(), Job{StartedAt: time.Now(), Input: "a.csv"}); err != nil {
		t.Fatal(err)
	}
	if got := modetest.Perm(t, dir); got != 0o700 {
		t.Errorf("data folder mode = %v, want 0700", got)
	}
	for _, name := range []string{"history.db", "history.db-wal", "history.db-shm"} {
		if got := modetest.Perm(t, filepath.Join(dir, name)); got != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, got)
		}
	}
}
