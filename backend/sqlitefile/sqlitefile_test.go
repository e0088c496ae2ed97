package sqlitefile

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestURI(t *testing.T) {
	pragmas := []string{"busy_timeout(5000)", "journal_mode(WAL)"}
	const query = "?_pragma=busy_timeout%285000%29&_pragma=journal_mode%28WAL%29"
	for _, c := range []struct{ path, goos, want string }{
		{"/home/a/.local/share/audience-uploader/history.db", "linux", "file:///home/a/.local/share/audience-uploader/history.db"},
		{"/home/a/what?/h.db", "linux", "file:///home/a/what%3F/h.db"},
		{"/home/a/no#1/h.db", "darwin", "file:///home/a/no%231/h.db"},
		{"/home/a/100%/h.db", "linux", "file:///home/a/100%25/h.db"},
		{"/home/a/My Data/h.db", "linux", "file:///home/a/My%20Data/h.db"},
		{"/home/a/b&c=d/h.db", "linux", "file:///home/a/b&c=d/h.db"},
		{"/home/a/ü/h.db", "linux", "file:///home/a/%C3%BC/h.db"},
		{`/home/a/back\slash/h.db`, "linux", "file:///home/a/back%5Cslash/h.db"},
		{`C:\Users\x\AppData\Local\audience-uploader\h.db`, "windows", "file:///C:/Users/x/AppData/Local/audience-uploader/h.db"},
		{`C:\Users\Jo #1\h.db`, "windows", "file:///C:/Users/Jo%20%231/h.db"},
		{`\\server\share\audience-uploader\h.db`, "windows", "file:////server/share/audience-uploader/h.db"},
		{`\\?\C:\Users\x\h.db`, "windows", "file:///C:/Users/x/h.db"},
		{`\\?\UNC\server\share\h.db`, "windows", "file:////server/share/h.db"},
	} {
		if got := URI(c.path, c.goos, pragmas); got != c.want+query {
			t.Errorf("URI(%q, %s) = %q, want %q", c.path, c.goos, got, c.want+query)
		}
	}
	if got := URI("/a/h.db", "linux", nil); got != "file:///a/h.db" {
		t.Errorf("URI without pragmas = %q", got)
	}
}

// Each folder name is a real folder: the database must land in it, hold
// what was written, and the pragmas must still apply.
func TestOpenFolderNamesWithURISyntax(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"a?b", "c#d", "e%20f", "g%3Fh", "i&j=k", "?_pragma=journal_mode(DELETE)", "sp ace", "ünï", `back\slash`} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			p := filepath.Join(parent, name, "state.db")
			db, err := Open(ctx, p, "busy_timeout(5000)", "journal_mode(WAL)")
			if err != nil {
				t.Fatalf("Open(%q): %v", p, err)
			}
			if _, err := db.Exec(`CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')`); err != nil {
				t.Fatal(err)
			}
			var mode string
			if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			db.Close()
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 || entries[0].Name() != name {
				t.Fatalf("the parent folder holds %v, want only %q", entries, name)
			}
			db, err = Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var v string
			if err := db.QueryRow(`SELECT v FROM t`).Scan(&v); err != nil || v != "kept" {
				t.Fatalf("reopened database: %q, %v", v, err)
			}
		})
	}
}
