package metaupload

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/sqlitefile"
)

// TestResumeFromTheJournalAlone: a process killed after its second batch
// was applied lists the job as not done, with what Meta has; a new process
// that knows only the job id continues it from the journal (the rows
// file, schema and action recorded there) into the one audience, every row
// once, no batch twice into a session.
func TestResumeFromTheJournalAlone(t *testing.T) {
	e := newEnv(t, standin.Options{FreshAudienceMisses: -1}) // the second users call is the second batch
	path, _, cells := emails(t, 25_000, "resume")
	ctx, cancel := context.WithCancel(context.Background())
	var users atomic.Int64
	e.after = func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/users") && users.Add(1) == 2 {
			cancel() // killed once the stand-in applied the second batch (its answer may arrive first)
		}
	}
	u, done := e.uploader()
	_, err := u.Run(ctx, Job{ID: "job-resume", AudienceName: "Resumed", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path})
	done()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: %v", err)
	}
	e.mu.Lock()
	e.after = nil
	e.mu.Unlock()

	u, done = e.uploader()
	defer done()
	jobs, err := u.cfg.Store.Jobs(context.Background())
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
	j := jobs[0]
	abs, _ := filepath.Abs(path)
	if j.ID != "job-resume" || j.Done || !j.Resumable() || j.RowsPath != abs || j.AudienceID == "" || j.AudienceName != "Resumed" ||
		j.Action != Add || j.Rows != 25_000 || j.Batches != 3 || j.BatchesDone < 1 || j.BatchesDone > 2 || j.RowsSent != 10_000*j.BatchesDone || j.Started.IsZero() || !j.Created || j.AdAccount != e.srv.AdAccount() {
		t.Fatalf("interrupted job %+v", j)
	}
	res, err := u.Resume(context.Background(), "job-resume")
	if err != nil {
		t.Fatal(err)
	}
	if id := e.exactlyOnce("Resumed", cells); res.AudienceID != id || res.AudienceID != j.AudienceID || res.Rows != 25_000 {
		t.Fatalf("result %+v, audience %s", res, id)
	}
	if j, _ := u.cfg.Store.Job(context.Background(), "job-resume"); j == nil || !j.Done || j.Resumable() || j.BatchesDone != 3 || j.RowsSent != 25_000 {
		t.Fatalf("finished job %+v", j)
	}
	if _, err := u.Resume(context.Background(), "job-resume"); !errors.Is(err, ErrJobDone) {
		t.Fatalf("resume of a done job: %v", err)
	}
	if _, err := u.Resume(context.Background(), "job-none"); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("resume of an unknown job: %v", err)
	}
}

// TestJournalBeforeRowsPath: a journal written before the rows file was
// recorded opens, lists its job as not resumable,
// and a Resume of it says why instead of guessing a file.
func TestJournalBeforeRowsPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta-upload.db")
	db, err := sqlitefile.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(schema, "  done_at INTEGER NOT NULL DEFAULT 0,\n  rows_path TEXT NOT NULL DEFAULT ''\n", "", 1)
	old = strings.Replace(old, "  done INTEGER NOT NULL DEFAULT 0,\n", "  done INTEGER NOT NULL DEFAULT 0\n", 1)
	if old == schema {
		t.Fatal("the old schema is the new one")
	}
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO meta_jobs (id, fingerprint, ad_account, audience_name, action, schema_keys, total_rows)
		VALUES ('job-old', 'f', 'act_1', 'Old', 'ADD', '["EMAIL"]', 5)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	jobs, err := st.Jobs(context.Background())
	if err != nil || len(jobs) != 1 || jobs[0].ID != "job-old" || jobs[0].Resumable() || jobs[0].RowsPath != "" {
		t.Fatalf("old job %+v %v", jobs, err)
	}
	e := newEnv(t, standin.Options{AdAccounts: []string{"1"}})
	e.journal = path
	st.Close()
	u, done := e.uploader()
	defer done()
	if _, err := u.Resume(context.Background(), "job-old"); !errors.Is(err, ErrNoRowsPath) {
		t.Fatalf("resume of an old job: %v", err)
	}
}
