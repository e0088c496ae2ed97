package appsyncs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/appsyncs"
	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// doneWindow is the window of the wizard's Meta upload: it hands over the end.
type doneWindow chan appupload.MetaDone

func (w doneWindow) Emit(name string, data any) {
	if name == appupload.EventMetaDone {
		w <- data.(appupload.MetaDone)
	}
}

type metaEnv struct {
	sv       *metastandin.Server
	svc      *appsyncs.Service
	uploader *appupload.Service
	done     doneWindow
	list     string
}

// setupMeta wires the Syncs view as wiring.go does for Meta: the engine
// reaches Meta through the wizard's upload service (its one Meta journal),
// the Audiences service lists the ad account's audiences, and Save as sync
// takes a Meta upload from that journal.
func setupMeta(t *testing.T) *metaEnv {
	for _, k := range []string{tiktok.EnvBaseURL, tiktok.EnvAccessToken, meta.EnvBaseURL, meta.EnvToken} {
		t.Setenv(k, "")
	}
	sv := metastandin.New(metastandin.Options{FreshAudienceMisses: -1})
	keys := secrets.Memory()
	st := settings.Default()
	st.Meta = settings.MetaSettings{AdAccount: sv.AdAccount(), BaseURL: standintest.Start(t, sv)}
	if err := meta.SaveToken(keys, sv.AdAccount(), sv.Token()); err != nil {
		t.Fatal(err)
	}
	load := func() (settings.Settings, error) { return st, nil }
	dir := t.TempDir()
	done := make(doneWindow, 4)
	up := appupload.New(context.Background(), done, appupload.Config{Secrets: keys, StatePath: filepath.Join(dir, "upload-state.db"),
		MetaJournalPath: filepath.Join(dir, "meta-upload.db"), LoadSettings: load})
	t.Cleanup(up.Shutdown)
	connectMeta := func(ctx context.Context, acct string) (*syncs.MetaConn, error) {
		a, d, err := up.MetaDestination(ctx, acct)
		if err != nil {
			return nil, err
		}
		return &syncs.MetaConn{AdAccount: a, Destination: d}, nil
	}
	engine, err := syncs.New(syncs.Config{Dir: filepath.Join(dir, "syncs"), Workers: 1, ConnectMeta: connectMeta})
	if err != nil {
		t.Fatal(err)
	}
	aud := appaudiences.New(context.Background(), appaudiences.Config{Secrets: keys, QPS: 1000, LoadSettings: load})
	e := &metaEnv{sv: sv, uploader: up, done: done, list: filepath.Join(dir, "crm.csv")}
	e.svc = appsyncs.New(context.Background(), appsyncs.Config{Syncs: engine, Audiences: aud.List, Uploads: up.Store(), MetaUploads: up.MetaStore()})
	return e
}

// write writes people from..to-1 (e-mail and phone) as the list.
func (e *metaEnv) write(t *testing.T, from, to int) {
	var b strings.Builder
	b.WriteString("email,phone\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "person%05d@example.com,+1555%07d\n", i, i)
	}
	if err := os.WriteFile(e.list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

var emailPhone = []transform.Mapping{{Column: "email", TypeName: "email"}, {Column: "phone", TypeName: "phone"}}

// A Meta sync from the app: saved, planned, run, listed with its platform,
// size and status in words; the list changes and Run now sends only the
// difference, people counted by Meta's people rule.
func TestMetaSyncRunNowAndList(t *testing.T) {
	e := setupMeta(t)
	e.write(t, 0, 300)
	def := syncs.Definition{Name: "crm-meta", Input: e.list, Mappings: emailPhone, Destination: destination.Meta, AudienceName: "CRM on Meta"}
	if _, err := e.svc.Save(def, ""); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Plan("crm-meta")
	if err != nil || p.Action != syncs.ActionCreate || p.Added != 300 {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	out, err := e.svc.Run("crm-meta", p.ID, false)
	if err != nil || out.Result == nil || out.Result.AudienceID == "" {
		t.Fatalf("run = %+v, %v", out, err)
	}
	id := out.Result.AudienceID
	if n := e.sv.Size(id); n != 300 {
		t.Fatalf("the Meta audience holds %d people, want 300", n)
	}
	l, err := e.svc.List()
	if err != nil || len(l.Syncs) != 1 {
		t.Fatalf("list = %+v, %v", l, err)
	}
	row := l.Syncs[0]
	if row.Platform != destination.Meta || row.AudienceID != id || row.AudienceLabel != "CRM on Meta" || row.AudienceSize == "" || row.AudienceStatusText == "" {
		t.Fatalf("row = %+v", row)
	}

	// Person 0's phone changes, person 1 leaves, person 300 joins.
	e.write(t, 1, 301)
	b, _ := os.ReadFile(e.list)
	b = []byte(strings.Replace(string(b), "person00002@example.com,+15550000002", "person00002@example.com,+15559999999", 1))
	if err := os.WriteFile(e.list, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err = e.svc.Plan("crm-meta")
	if err != nil || p.Action != syncs.ActionUpdate || p.Added != 1 || p.Removed != 1 {
		t.Fatalf("second plan = %+v, %v; want +1 −1", p, err)
	}
	if out, err = e.svc.Run("crm-meta", p.ID, false); err != nil || out.Result == nil {
		t.Fatalf("second run = %+v, %v", out, err)
	}
	if n := e.sv.Size(id); n != 300 {
		t.Fatalf("after the change the Meta audience holds %d people, want 300", n)
	}
}

// A Meta sync mapping a mobile advertiser id is refused with the engine's
// sentence, in the form's words.
func TestMetaSyncRefusesMADID(t *testing.T) {
	e := setupMeta(t)
	e.write(t, 0, 10)
	def := syncs.Definition{Name: "with-madid", Input: e.list, Destination: destination.Meta, AudienceName: "M",
		Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}, {Column: "phone", TypeName: "idfa"}}}
	_, err := e.svc.Save(def, "")
	if err == nil || !strings.Contains(err.Error(), "Meta takes mobile advertiser IDs unhashed") || !strings.Contains(err.Error(), "Correct it in the form") {
		t.Fatalf("save with a MADID column: %v", err)
	}
}

// Save as sync after the wizard's upload to Meta: the sync is saved, into
// the audience just uploaded to, and the result says whether that upload is
// its record.
func TestSaveAsMetaSyncAfterTheWizardsUpload(t *testing.T) {
	e := setupMeta(t)
	e.write(t, 0, 200)
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1, Region: "US",
		Mappings: emailPhone, Layout: transform.LayoutCombined, Destinations: []destination.Platform{destination.TikTok, destination.Meta}}); err != nil {
		t.Fatal(err)
	}
	if err := e.uploader.StartMetaUpload(appupload.MetaUploadRequest{OutputDir: out, AudienceName: "Buyers"}); err != nil {
		t.Fatal(err)
	}
	var done appupload.MetaDone
	select {
	case done = <-e.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the Meta upload did not end")
	}
	if done.Result == nil {
		t.Fatalf("upload: %+v", done)
	}
	id := done.Result.AudienceID
	def := syncs.Definition{Name: "buyers-meta", Input: e.list, Mappings: emailPhone, Destination: destination.Meta, AdAccount: e.sv.AdAccount(), AudienceID: id}
	saved, err := e.svc.Save(def, out)
	if err != nil || saved.Definition.AudienceID != id {
		t.Fatalf("save = %+v, %v", saved, err)
	}
	assertMetaAdoption(t, e, saved)
}
