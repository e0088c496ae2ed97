package upload

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Issue 9 items 6 and 7: the upload state opens in a data folder whose name
// holds URI syntax (it used to be pasted into a "file:" DSN), and its
// database, WAL and SHM are private to the user.
func TestOpenStoreFolderNamesAndModes(t *testing.T) {
	for _, name := range []string{"a?b", "c#d", "e%20f", "?_pragma=journal_mode(DELETE)", "sp ace"} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, name)
			p := filepath.Join(dir, "upload-state.db")
			s, err := OpenStore(p)
			if err != nil {
				t.Fatalf("OpenStore(%q): %v", p, err)
			}
			if _, err := s.db.Exec(`INSERT INTO log (job_id, ts, level, message) VALUES ('j', 't', 'info', 'kept')`); err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS != "windows" {
				for _, f := range []string{"upload-state.db", "upload-state.db-wal", "upload-state.db-shm"} {
					st, err := os.Stat(filepath.Join(dir, f))
					if err != nil {
						t.Fatal(err)
					}
					if st.Mode().Perm() != 0o600 {
						t.Errorf("%s mode = %v, want 0600", f, st.Mode().Perm())
					}
				}
			}
			s.Close()
			if entries, _ := os.ReadDir(parent); len(entries) != 1 || entries[0].Name() != name {
				t.Fatalf("the parent folder holds %v, want only %q", entries, name)
			}
			s, err = OpenStore(p)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var msg string
			if err := s.db.QueryRow(`SELECT message FROM log WHERE job_id = 'j'`).Scan(&msg); err != nil || msg != "kept" {
				t.Fatalf("reopened state: %q, %v", msg, err)
			}
		})
	}
}
