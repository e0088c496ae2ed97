package appupload_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// metaWindow records the Meta events; a TikTok event would be a mistake.
type metaWindow struct {
	lines chan appupload.MetaEvent
	done  chan appupload.MetaDone
}

func (w *metaWindow) Emit(name string, data any) {
	switch name {
	case appupload.EventMetaProgress:
		select {
		case w.lines <- data.(appupload.MetaEvent):
		default:
		}
	case appupload.EventMetaDone:
		w.done <- data.(appupload.MetaDone)
	default:
		panic("unexpected event " + name)
	}
}

func (w *metaWindow) wait(t *testing.T) appupload.MetaDone {
	t.Helper()
	select {
	case d := <-w.done:
		return d
	case <-time.After(60 * time.Second):
		t.Fatal("no upload:meta-done event")
	}
	return appupload.MetaDone{}
}

// transformFor runs the real transform on the e2e sample for dests and
// returns its output folder.
func transformFor(t *testing.T, maps []string, dests ...destination.Platform) string {
	t.Helper()
	src, err := inputs.LocalFile(filepath.Join("..", "..", "e2e", "testdata", "customers-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var ms []transform.Mapping
	for _, m := range maps {
		mp, err := transform.ParseMapping(m)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, mp)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := transform.Run(context.Background(), transform.Options{Source: src, Format: records.FormatAuto, Mappings: ms, Region: "US",
		OutDir: out, Layout: transform.LayoutCombined, Workers: 1, Destinations: dests}); err != nil {
		t.Fatal(err)
	}
	return out
}

type metaUploadEnv struct {
	sv  *metastandin.Server
	svc *appupload.Service
	win *metaWindow
}

func newMetaUpload(t *testing.T, opts metastandin.Options) *metaUploadEnv {
	t.Helper()
	t.Setenv(meta.EnvToken, "")
	t.Setenv(meta.EnvBaseURL, "")
	sv := metastandin.New(opts)
	store := secrets.Memory()
	st := settings.Default()
	st.Meta = settings.MetaSettings{AdAccount: sv.AdAccount(), BaseURL: standintest.Start(t, sv)}
	if err := meta.SaveToken(store, sv.AdAccount(), sv.Token()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	win := &metaWindow{lines: make(chan appupload.MetaEvent, 1000), done: make(chan appupload.MetaDone, 4)}
	svc := appupload.New(context.Background(), win, appupload.Config{Secrets: store, StatePath: filepath.Join(dir, "upload-state.db"),
		MetaJournalPath: filepath.Join(dir, "meta-upload.db"), LoadSettings: func() (settings.Settings, error) { return st, nil }})
	t.Cleanup(svc.Shutdown)
	return &metaUploadEnv{sv: sv, svc: svc, win: win}
}

// rowsOf reads meta-rows.tsv: each row's cells.
func rowsOf(t *testing.T, out string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, transform.MetaRowsName))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		rows = append(rows, strings.Split(l, "\t"))
	}
	return rows
}

// TestMetaUploadFromTheWizard: a run for TikTok and Meta sends its Meta rows
// into one new audience, every cell exactly once, even with the answer to
// a batch lost; asking again (Try again after a failure, or a second
// press) finds the job done and sends nothing more.
func TestMetaUploadFromTheWizard(t *testing.T) {
	e := newMetaUpload(t, metastandin.Options{})
	out := transformFor(t, []string{"email=email", "phone=phone", "idfa=idfa", "gaid=gaid"}, destination.TikTok, destination.Meta)
	rows := rowsOf(t, out)
	e.sv.DropNext("POST", "/users") // the first batch's answer is lost: the session's num_received reconciles it
	req := appupload.MetaUploadRequest{OutputDir: out, AudienceName: "Wizard buyers"}
	if err := e.svc.StartMetaUpload(req); err != nil {
		t.Fatal(err)
	}
	d := e.win.wait(t)
	if d.Error != "" || d.Result == nil {
		t.Fatalf("done %+v", d)
	}
	r := d.Result
	ids := e.sv.AudienceIDs(e.sv.AdAccount(), "Wizard buyers")
	if len(ids) != 1 || ids[0] != r.AudienceID || r.Rows != len(rows) || r.AdAccount != e.sv.AdAccount() || r.Status == "" || r.Size != "fewer than 1,000" {
		t.Fatalf("result %+v, audiences %v, %d rows", r, ids, len(rows))
	}
	schema := []string{"EMAIL", "PHONE", "MADID"}
	check := func() {
		t.Helper()
		for _, row := range rows {
			for i, c := range row {
				if c != "" && e.sv.Received(schema[i], c) != 1 {
					t.Fatalf("%s cell %s received %d times", schema[i], c, e.sv.Received(schema[i], c))
				}
			}
		}
	}
	check()
	if st := e.sv.Stats(); st.RepeatedBatches != 0 || st.Dropped != 1 || st.PayloadInQuery != 0 {
		t.Fatalf("stats %+v", st)
	}
	if err := e.svc.StartMetaUpload(req); err != nil {
		t.Fatal(err)
	}
	if d2 := e.win.wait(t); d2.Error != "" || d2.JobID != d.JobID || d2.Result.AudienceID != r.AudienceID {
		t.Fatalf("again: %+v", d2)
	}
	check()
	if got, err := e.svc.MetaStatus(r.AudienceID); err != nil || got.AudienceID != r.AudienceID || got.Size != r.Size {
		t.Fatalf("status %+v %v", got, err)
	}
}

// TestMetaUploadOneKeyAndRefusals: an e-mail-only list goes as a
// multi-key schema of one key (as the CLI and the syncs send it); a TikTok-only output, no ad account and
// unaccepted terms each end in a sentence saying what to do.
func TestMetaUploadOneKeyAndRefusals(t *testing.T) {
	e := newMetaUpload(t, metastandin.Options{})
	out := transformFor(t, []string{"email=email"}, destination.Meta)
	if err := e.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceName: "Emails"}); err != nil {
		t.Fatal(err)
	}
	d := e.win.wait(t)
	if d.Error != "" {
		t.Fatalf("one key: %+v", d)
	}
	for _, row := range rowsOf(t, out) {
		if e.sv.Received("EMAIL", row[0]) != 1 {
			t.Fatalf("cell %s not received once", row[0])
		}
	}

	tiktokOnly := transformFor(t, []string{"email=email"})
	if err := e.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: tiktokOnly, AudienceName: "x"}); err == nil || !strings.Contains(err.Error(), "choose Meta in Step 2 and run the transform again") {
		t.Fatalf("tiktok-only output: %v", err)
	}
	if err := e.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out}); err == nil || !strings.Contains(err.Error(), "needs a name") {
		t.Fatalf("no name: %v", err)
	}

	terms := newMetaUpload(t, metastandin.Options{AdAccounts: []string{"777"}, TermsNotAccepted: []string{"777"}})
	if err := terms.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceName: "Refused"}); err != nil {
		t.Fatal(err)
	}
	if d := terms.win.wait(t); !strings.Contains(d.Error, "Custom Audience Terms are not accepted") || !strings.Contains(d.Error, "Uploading again resumes it") {
		t.Fatalf("terms not accepted: %+v", d)
	}
}

// TestMetaUploadIntoAnExistingAudience: Step 2's existing Meta audience with
// Replace ends holding exactly the list's people; an unknown action is
// refused with a sentence.
func TestMetaUploadIntoAnExistingAudience(t *testing.T) {
	e := newMetaUpload(t, metastandin.Options{})
	id := e.sv.AddAudience(e.sv.AdAccount(), "Made in Ads Manager")
	out := transformFor(t, []string{"email=email"}, destination.Meta)
	if err := e.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceID: id, Action: "APPEND"}); err != nil {
		t.Fatal(err)
	}
	if d := e.win.wait(t); d.Error != "" || d.Result.AudienceID != id || d.Result.Action != "ADD" {
		t.Fatalf("add: %+v", d)
	}
	if err := e.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceID: id, Action: "REPLACE"}); err != nil {
		t.Fatal(err)
	}
	if d := e.win.wait(t); d.Error != "" || d.Result.AudienceID != id {
		t.Fatalf("replace: %+v", d)
	}
	if n := e.sv.Size(id); n != len(rowsOf(t, out)) || len(e.sv.AudienceIDs(e.sv.AdAccount(), "Made in Ads Manager")) != 1 {
		t.Fatalf("size %d, want %d", n, len(rowsOf(t, out)))
	}
	if err := e.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceID: id, Action: "MERGE"}); err == nil || !strings.Contains(err.Error(), "Choose add, remove or replace") {
		t.Fatalf("unknown action: %v", err)
	}
}

// TestMetaDestinationForSyncs: the destination the sync engine is given
// delivers through the app's journal: a delivery the wizard's upload made
// is found done, not sent again.
func TestMetaDestinationForSyncs(t *testing.T) {
	e := newMetaUpload(t, metastandin.Options{})
	acct, d, err := e.svc.MetaDestination(context.Background(), "")
	if err != nil || acct != e.sv.AdAccount() || d.Capabilities().Platform != destination.Meta {
		t.Fatalf("destination %s %v", acct, err)
	}
	out := transformFor(t, []string{"email=email"}, destination.Meta)
	if err := e.svc.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceName: "Shared journal"}); err != nil {
		t.Fatal(err)
	}
	done := e.win.wait(t)
	rows := rowsOf(t, out)
	res, err := d.Deliver(context.Background(), destination.Delivery{JobID: done.JobID, AudienceName: "Shared journal", Action: destination.Add,
		Schema: []string{"EMAIL"}, RowsPath: filepath.Join(out, transform.MetaRowsName)})
	if err != nil || res.AudienceID != done.Result.AudienceID {
		t.Fatalf("deliver %+v %v", res, err)
	}
	if n := e.sv.Received("EMAIL", rows[0][0]); n != 1 {
		t.Fatalf("a cell was received %d times", n)
	}
	if _, _, err := e.svc.MetaDestination(context.Background(), "act_999"); err == nil || !strings.Contains(err.Error(), "Settings > Meta") {
		t.Fatalf("an account without a token: %v", err)
	}
}
