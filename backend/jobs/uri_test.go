package jobs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Issue 9 item 7: a data folder whose name holds URI syntax (?, #, %, &,
// spaces) opens the history in that folder, not somewhere else.
func TestHistoryInFolderWithURICharacters(t *testing.T) {
	for _, name := range []string{"a?b", "c#d", "e%20f", "g%3Fh", "i&j=k", "sp ace", "ünï"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			p := filepath.Join(dir, "history.db")
			s, err := Open(context.Background(), p)
			if err != nil {
				t.Fatalf("Open(%q): %v", p, err)
			}
			id, err := s.Start(context.Background(), Job{StartedAt: time.Now(), Input: "a.csv"})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("the history is not at %s: %v", p, err)
			}
			entries, _ := os.ReadDir(filepath.Dir(dir))
			if len(entries) != 1 {
				t.Errorf("the parent folder holds %d entries, want only %q", len(entries), name)
			}
			s, err = Open(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Get(context.Background(), id); err != nil {
				t.Fatalf("reopened history lost run %d: %v", id, err)
			}
		})
	}
}
