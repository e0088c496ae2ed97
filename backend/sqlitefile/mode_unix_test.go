//go:build unix

package sqlitefile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/privatefs/modetest"
)

// SQLite creates -wal and -shm itself with the database file's mode: with
// the database 0600 before the first open they are 0600 from their first
// byte, whatever the umask, in a folder that existed with 0755.
func TestOpenPrivateModes(t *testing.T) {
	modetest.Umask022(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "state.db")
	db, err := Open(context.Background(), p, "journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	if got := modetest.Perm(t, dir); got != 0o700 {
		t.Errorf("folder mode = %v, want 0700", got)
	}
	for _, name := range []string{"state.db", "state.db-wal", "state.db-shm"} {
		if got := modetest.Perm(t, filepath.Join(dir, name)); got != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, got)
		}
	}
}

// Files an older version left world-readable are tightened on open.
func TestOpenTightensOldFiles(t *testing.T) {
	modetest.Umask022(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "state.db")
	db, err := Open(context.Background(), p, "journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Closing removed the WAL and SHM; put back files as wide as an older
	// version left them (an empty journal is not hot, so it is not replayed).
	names := []string{"state.db", "state.db-wal", "state.db-shm", "state.db-journal"}
	for _, name := range names {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err = Open(context.Background(), p, "journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range names {
		if got := modetest.Perm(t, filepath.Join(dir, name)); got != 0o600 {
			t.Errorf("%s mode = %v after reopening, want 0600", name, got)
		}
	}
}
