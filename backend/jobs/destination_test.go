package jobs

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/sqlitefile"
)

// TestDestinationRoundTrip: a run names its destination and Meta's ad
// account; a run that names none was for TikTok; an unknown one is refused.
func TestDestinationRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	meta, err := s.Start(ctx, Job{Input: "a.csv", Destination: "meta", AdAccount: "act_123"})
	if err != nil {
		t.Fatal(err)
	}
	both, _ := s.Start(ctx, Job{Input: "b.csv", Destination: "tiktok,meta"})
	plain, _ := s.Start(ctx, Job{Input: "c.csv"})
	for id, want := range map[int64]string{meta: "meta", both: "tiktok,meta", plain: "tiktok"} {
		j, err := s.Get(ctx, id)
		if err != nil || j.Destination != want {
			t.Errorf("run %d: destination %q (%v), want %q", id, j.Destination, err, want)
		}
	}
	if j, _ := s.Get(ctx, meta); j.AdAccount != "act_123" {
		t.Errorf("ad account %q", j.AdAccount)
	}
	if j, _ := s.Get(ctx, both); !slices.Equal(j.Destinations(), []string{"tiktok", "meta"}) {
		t.Errorf("Destinations %v", j.Destinations())
	}
	for _, bad := range []string{"snap", "meta,meta", "tiktok,"} {
		if _, err := s.Start(ctx, Job{Input: "d.csv", Destination: bad}); err == nil {
			t.Errorf("destination %q was recorded", bad)
		}
	}
}

// TestOldHistoryRunsWereForTikTok: a history written before destinations
// (and before origins) opens with every old run read as TikTok's, keeps
// them, and records Meta's runs from then on.
func TestOldHistoryRunsWereForTikTok(t *testing.T) {
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
		rows_written INTEGER NOT NULL DEFAULT 0, counters TEXT, origin TEXT);
		INSERT INTO jobs (started_at, input, status) VALUES ('2026-01-02T03:04:05Z', 'old.csv', 'succeeded');
		INSERT INTO jobs (started_at, input, status) VALUES ('2026-01-03T03:04:05Z', 'older.csv', 'failed');`
	if _, err := db.ExecContext(ctx, old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for range 2 { // and opening it again changes nothing
		s, err := Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.List(ctx, 0)
		if err != nil || len(list) < 2 {
			t.Fatalf("List = %+v, %v; want the old runs", list, err)
		}
		for _, j := range list {
			if j.Input != "new.csv" && (j.Destination != "tiktok" || j.AdAccount != "") {
				t.Errorf("old run %s: destination %q, ad account %q; want tiktok", j.Input, j.Destination, j.AdAccount)
			}
		}
		if len(list) == 2 {
			id, err := s.Start(ctx, Job{Input: "new.csv", Destination: "meta", AdAccount: "act_9"})
			if err != nil {
				t.Fatal(err)
			}
			if j, _ := s.Get(ctx, id); j.Destination != "meta" || j.AdAccount != "act_9" {
				t.Errorf("new run %+v", j)
			}
		}
		s.Close()
	}
}
