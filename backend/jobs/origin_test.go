package jobs

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/sqlitefile"
)

// TestOriginRoundTrip: a run read from AWS Clean Rooms keeps the
// collaboration and query it came from; a file's run has no origin.
func TestOriginRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	o := &Origin{Kind: "cleanrooms", CollaborationID: "c-1", CollaborationName: "Retail lift", MembershipID: "m-1", QueryID: "q-1",
		ResultURL: "s3://results/q-1/"}
	id, err := s.Start(ctx, Job{Input: "cleanrooms://m-1/q-1", Origin: o})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.Start(ctx, Job{Input: "a.csv"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.Origin == nil || *j.Origin != *o {
		t.Errorf("Origin = %+v, want %+v", j.Origin, o)
	}
	if j, _ := s.Get(ctx, plain); j.Origin != nil {
		t.Errorf("a file's run has origin %+v", j.Origin)
	}
}

// TestOpenAddsOriginToOldHistory: a history written before the origin
// column existed opens, keeps its runs and records origins from then on.
func TestOpenAddsOriginToOldHistory(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "history.db")
	db, err := sqlitefile.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	old := `CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
		audience TEXT NOT NULL DEFAULT '', input TEXT NOT NULL, input_bytes INTEGER NOT NULL DEFAULT 0,
		format TEXT NOT NULL DEFAULT '', layout TEXT NOT NULL DEFAULT '', region TEXT NOT NULL DEFAULT '',
		phone_format TEXT NOT NULL DEFAULT '', mappings TEXT NOT NULL DEFAULT '[]', output_dir TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', rows_read INTEGER NOT NULL DEFAULT 0,
		rows_written INTEGER NOT NULL DEFAULT 0, counters TEXT);
		INSERT INTO jobs (started_at, input, status) VALUES ('2026-01-02T03:04:05Z', 'old.csv', 'succeeded');`
	if _, err := db.ExecContext(ctx, old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.List(ctx, 0)
	if err != nil || len(list) != 1 || list[0].Input != "old.csv" {
		t.Fatalf("List = %+v, %v; want the old run", list, err)
	}
	id, err := s.Start(ctx, Job{Input: "cleanrooms://m/q", Origin: &Origin{Kind: "cleanrooms", QueryID: "q"}})
	if err != nil {
		t.Fatal(err)
	}
	if j, err := s.Get(ctx, id); err != nil || j.Origin == nil || j.Origin.QueryID != "q" {
		t.Errorf("Get = %+v, %v; want the origin kept", j, err)
	}
}
