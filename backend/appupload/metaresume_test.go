package appupload_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// TestMetaUploadResumesAfterARestart: the app is closed while the second
// of three batches is in flight (the stand-in applied it, its answer never
// came back). The next app lists the upload in History as not finished,
// with its platform, audience and what Meta has; Resume continues it
// through the same journal into the one audience: every row exactly once,
// no batch twice into a session.
func TestMetaUploadResumesAfterARestart(t *testing.T) {
	t.Setenv(meta.EnvToken, "")
	t.Setenv(meta.EnvBaseURL, "")
	sv := metastandin.New(metastandin.Options{FreshAudienceMisses: -1}) // the second users call is the second batch
	var users atomic.Int64
	applied := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/users") && users.Add(1) == 2 {
			sv.ServeHTTP(httptest.NewRecorder(), r) // applied, the answer kept back
			close(applied)
			select {
			case <-r.Context().Done(): // the app went
			case <-time.After(30 * time.Second):
			}
			panic(http.ErrAbortHandler)
		}
		sv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	store := secrets.Memory()
	st := settings.Default()
	st.Meta = settings.MetaSettings{AdAccount: sv.AdAccount(), BaseURL: ts.URL + "/v25.0/"}
	if err := meta.SaveToken(store, sv.AdAccount(), sv.Token()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	open := func() (*appupload.Service, *metaWindow) {
		win := &metaWindow{lines: make(chan appupload.MetaEvent, 1000), done: make(chan appupload.MetaDone, 4)}
		svc := appupload.New(context.Background(), win, appupload.Config{Secrets: store, StatePath: filepath.Join(dir, "upload-state.db"),
			MetaJournalPath: filepath.Join(dir, "meta-upload.db"), LoadSettings: func() (settings.Settings, error) { return st, nil }})
		return svc, win
	}
	out, cells := bigEmailOutput(t, 25_000)

	first, win := open()
	if err := first.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceName: "Restarted"}); err != nil {
		t.Fatal(err)
	}
	<-applied
	if jobs, err := first.MetaJobs(); err != nil || len(jobs) != 1 || !jobs[0].Running || jobs[0].Resumable {
		t.Fatalf("while running: %+v %v", jobs, err)
	}
	first.Shutdown() // the app quits mid-upload
	if d := win.wait(t); !d.Cancelled {
		t.Fatalf("the quit upload ended %+v", d)
	}

	second, win := open()
	defer second.Shutdown()
	jobs, err := second.MetaJobs()
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs after the restart: %+v %v", jobs, err)
	}
	j := jobs[0]
	ids := sv.AudienceIDs(sv.AdAccount(), "Restarted")
	if j.Platform != destination.Meta || j.Done || j.Running || !j.Resumable || len(ids) != 1 || j.AudienceID != ids[0] ||
		j.AudienceName != "Restarted" || j.Action != "ADD" || j.OutputDir != out || j.Rows != len(cells) || j.Batches != 3 ||
		j.BatchesDone != 1 || j.RowsSent != 10_000 || j.AdAccount != sv.AdAccount() || j.StartedAt.IsZero() || !j.FinishedAt.IsZero() {
		t.Fatalf("the interrupted upload after the restart: %+v (audiences %v)", j, ids)
	}
	if err := second.ResumeMetaUpload(j.ID); err != nil {
		t.Fatal(err)
	}
	d := win.wait(t)
	if d.Error != "" || d.JobID != j.ID || d.Result == nil || d.Result.AudienceID != j.AudienceID || d.Result.Rows != len(cells) ||
		d.Result.AudienceName != "Restarted" || d.Result.Status == "" {
		t.Fatalf("resumed: %+v %+v", d, d.Result)
	}
	if ids := sv.AudienceIDs(sv.AdAccount(), "Restarted"); len(ids) != 1 || sv.Size(ids[0]) != len(cells) {
		t.Fatalf("audiences %v", ids)
	}
	for _, c := range cells {
		if n := sv.Received("EMAIL", c); n != 1 {
			t.Fatalf("a row was received %d times", n)
		}
	}
	if s := sv.Stats(); s.RepeatedBatches != 0 || s.DiscardedBatches != 0 {
		t.Fatalf("stats %+v: a batch came twice into a session", s)
	}
	if jobs, err := second.MetaJobs(); err != nil || len(jobs) != 1 || !jobs[0].Done || jobs[0].Resumable || jobs[0].RowsSent != len(cells) || jobs[0].FinishedAt.IsZero() {
		t.Fatalf("after the resume: %+v %v", jobs, err)
	}
	if err := second.ResumeMetaUpload(j.ID); err == nil || !strings.Contains(err.Error(), "already finished") {
		t.Fatalf("a second resume: %v", err)
	}
	if err := second.ResumeMetaUpload("meta-none"); err == nil || !strings.Contains(err.Error(), "not in the journal") {
		t.Fatalf("an unknown job: %v", err)
	}
}

// bigEmailOutput transforms n distinct e-mails for Meta (more than one
// batch of 10,000) and returns the output folder and its cells.
func bigEmailOutput(t *testing.T, n int) (string, []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("email\n")
	for i := range n {
		fmt.Fprintf(&b, "person.%d@example.com\n", i)
	}
	in := filepath.Join(t.TempDir(), "list.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := inputs.LocalFile(in)
	if err != nil {
		t.Fatal(err)
	}
	m, err := transform.ParseMapping("email=email")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := transform.Run(context.Background(), transform.Options{Source: src, Format: records.FormatAuto, Mappings: []transform.Mapping{m},
		OutDir: out, Layout: transform.LayoutCombined, Workers: 1, Destinations: []destination.Platform{destination.Meta}}); err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, r := range rowsOf(t, out) {
		cells = append(cells, r[0])
	}
	if len(cells) != n {
		t.Fatalf("%d rows for Meta, want %d", len(cells), n)
	}
	return out, cells
}
