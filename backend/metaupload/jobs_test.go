package metaupload

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/sqlitefile"
)

// Jobs lists what the journal knows of each job, newest first: a create
// and a replace, finished, with when they ended; a second run of a done
// job keeps its first finish time.
func TestJobsListsFinishedJobs(t *testing.T) {
	e := newEnv(t, standin.Options{})
	path, _, _ := emails(t, 12_000, "jobs")
	u, done := e.uploader()
	defer done()
	ctx := context.Background()
	res, err := u.Run(ctx, Job{ID: "job-create", AudienceName: "VIP", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	created := e.clock.Now()
	e.clock.Advance(time.Hour)
	if _, err := u.Run(ctx, Job{ID: "job-replace", AudienceID: res.AudienceID, Action: Replace, Schema: []string{"EMAIL_SHA256"}, RowsPath: path}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	if _, err := u.Run(ctx, Job{ID: "job-create", AudienceName: "VIP", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path}); err != nil {
		t.Fatal(err)
	}
	jobs, err := u.cfg.Store.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, sum, err := scanRows(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID != "job-replace" || jobs[1].ID != "job-create" {
		t.Fatalf("jobs %+v, want the replace, then the create", jobs)
	}
	r, c := jobs[0], jobs[1]
	if !c.Created || c.Action != Add || c.AudienceID != res.AudienceID || !c.Done || c.Rows != 12_000 || c.RowsSHA256 != sum ||
		c.AdAccount != e.srv.AdAccount() || !c.Finished.Equal(created) || c.Started.IsZero() || c.LastSent.IsZero() {
		t.Fatalf("the create: %+v (finished want %v)", c, created)
	}
	if r.Created || r.Action != Replace || !r.Done || !r.Finished.Equal(created.Add(time.Hour)) || len(r.Schema) != 1 {
		t.Fatalf("the replace: %+v", r)
	}
}

// A journal written before done_at was kept opens, gains the column, and
// reads a job done then as finished when its last batch was sent.
func TestJobsOfAnOlderJournal(t *testing.T) {
	path := t.TempDir() + "/meta-upload.db"
	db, err := sqlitefile.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	old := `CREATE TABLE meta_jobs (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, ad_account TEXT NOT NULL,
		audience_name TEXT NOT NULL, audience_id TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, schema_keys TEXT NOT NULL,
		total_rows INTEGER NOT NULL, create_started_at INTEGER NOT NULL DEFAULT 0, existing_ids TEXT NOT NULL DEFAULT '[]',
		replace_done INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE meta_batches (job_id TEXT NOT NULL, idx INTEGER NOT NULL, first_row INTEGER NOT NULL, rows INTEGER NOT NULL,
		status TEXT NOT NULL, session_no INTEGER NOT NULL DEFAULT 0, batch_seq INTEGER NOT NULL DEFAULT 0,
		last_flag INTEGER NOT NULL DEFAULT 0, received_before INTEGER NOT NULL DEFAULT 0, received_after INTEGER NOT NULL DEFAULT 0,
		sent_at INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (job_id, idx));`
	sent := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `INSERT INTO meta_jobs (id, fingerprint, ad_account, audience_name, audience_id, action, schema_keys, total_rows, done)
		VALUES ('old', 'abc', 'act_1', '', '42', 'REPLACE', '["EMAIL"]', 2, 1)`)
	mustExec(t, db, `INSERT INTO meta_batches (job_id, idx, first_row, rows, status, sent_at) VALUES ('old', 0, 0, 2, 'done', ?)`, sent.UnixNano())
	db.Close()
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	jobs, err := st.Jobs(context.Background())
	if err != nil || len(jobs) != 1 || !jobs[0].Done || !jobs[0].Finished.Equal(sent) || jobs[0].Action != Replace || jobs[0].AudienceID != "42" {
		t.Fatalf("jobs of an older journal: %+v, %v", jobs, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}
