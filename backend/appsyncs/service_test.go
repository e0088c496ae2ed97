package appsyncs_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/appsyncs"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

type env struct {
	sv      *standin.Server
	svc     *appsyncs.Service
	list    string
	events  *recorder
	uploads *upload.Store
	connect func(context.Context, string) (*syncs.Conn, error)
}

// recorder is the window: it keeps the stages it is sent.
type recorder struct {
	mu     sync.Mutex
	stages []string
}

func (r *recorder) Emit(name string, data any) {
	if name != appsyncs.EventProgress {
		panic("unexpected event " + name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stages = append(r.stages, data.(appsyncs.ProgressEvent).Stage)
}

func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.stages {
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	r.stages = nil
	return strings.Join(out, ",")
}

// setup wires the view's service as the app does: the sync engine over the
// stand-in (HTTP) and the Audiences service for status and matched users.
func setup(t *testing.T) *env {
	t.Setenv(tiktok.EnvBaseURL, "")
	t.Setenv(tiktok.EnvAccessToken, "")
	sv := standin.New(standin.Options{MatchRate: 1})
	srv := httptest.NewServer(sv)
	t.Cleanup(srv.Close)
	base := srv.URL + "/open_api/"
	st := settings.Default()
	st.TikTok = settings.TikTokSettings{Environment: "custom", BaseURL: base, AdvertiserID: sv.Advertiser()}
	keys := secrets.Memory()
	if err := tiktok.SaveToken(keys, base, sv.Advertiser(), sv.Token()); err != nil {
		t.Fatal(err)
	}
	store, err := upload.OpenStore(filepath.Join(t.TempDir(), "upload-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	connect := func(ctx context.Context, adv string) (*syncs.Conn, error) {
		c, err := tiktok.New(tiktok.Config{BaseURL: base, AccessToken: sv.Token(), QPS: 1000})
		if err != nil {
			return nil, err
		}
		up, err := upload.New(upload.Config{Client: c, Store: store, RetryWait: 10 * time.Millisecond, PollInitial: 20 * time.Millisecond, PollMax: 100 * time.Millisecond})
		if err != nil {
			return nil, err
		}
		return &syncs.Conn{AdvertiserID: sv.Advertiser(), Client: c, Uploader: up}, nil
	}
	engine, err := syncs.New(syncs.Config{Dir: filepath.Join(t.TempDir(), "syncs"), Workers: 1, Connect: connect})
	if err != nil {
		t.Fatal(err)
	}
	aud := appaudiences.New(context.Background(), appaudiences.Config{Secrets: keys, QPS: 1000,
		LoadSettings: func() (settings.Settings, error) { return st, nil }})
	e := &env{sv: sv, list: filepath.Join(t.TempDir(), "crm.csv"), events: &recorder{}, uploads: store, connect: connect}
	e.svc = appsyncs.New(context.Background(), appsyncs.Config{Syncs: engine, Audiences: aud.List, Events: e.events, Uploads: store})
	return e
}

// write writes people from..to-1 as the list.
func (e *env) write(t *testing.T, from, to int) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "person%05d@example.com\n", i)
	}
	if err := os.WriteFile(e.list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSaveRunNowAndList(t *testing.T) {
	e := setup(t)
	e.write(t, 0, 1500)
	def := syncs.Definition{Name: "crm-weekly", Input: e.list, Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}},
		Layout: "auto", AudienceName: "CRM weekly"}
	if _, err := e.svc.Save(def, ""); err != nil {
		t.Fatal(err)
	}
	// Run now first shows the plan: nothing is sent.
	p, err := e.svc.Plan("crm-weekly")
	if err != nil || p.Action != syncs.ActionCreate || p.Added != 1500 || len(e.sv.Audiences()) != 0 {
		t.Fatalf("plan = %+v, %v; audiences %d", p, err, len(e.sv.Audiences()))
	}
	if got := e.events.take(); got != "transform,diff" {
		t.Fatalf("plan's progress stages = %q, want transform,diff", got)
	}
	out, err := e.svc.Run("crm-weekly", p.ID, false)
	if err != nil || out.Result == nil || out.Result.AudienceID == "" {
		t.Fatalf("run = %+v, %v", out, err)
	}
	r := out.Result
	// The plan shown is sent as it is: the list is not read again.
	if got := e.events.take(); !strings.HasPrefix(got, "upload") || !strings.Contains(got, "commit") {
		t.Fatalf("run's progress stages = %q, want upload…commit only", got)
	}
	// The list shows the last run and the audience's status and matched users.
	l, err := e.svc.List()
	if err != nil || len(l.Syncs) != 1 || l.AudienceError != "" {
		t.Fatalf("list = %+v, %v", l, err)
	}
	row := l.Syncs[0]
	if row.Platform != destination.TikTok || row.AudienceID != r.AudienceID || row.LastRun == nil || row.LastRun.Added != 1500 || row.AudienceStatus != appaudiences.StatusReady ||
		row.MatchedUsers != 1500 || row.AudienceLabel != "CRM weekly" {
		t.Fatalf("row = %+v (last run %+v)", row, row.LastRun)
	}
	targets, _ := e.svc.Targets()
	if len(targets) != 1 || targets[0].AudienceID != r.AudienceID {
		t.Fatalf("targets = %+v", targets)
	}

	// The list changes: the plan says +100 −200, more than the 10% a run
	// may remove unasked: it shows the numbers, and only the explicit
	// confirmation sends it.
	e.write(t, 200, 1600)
	p, err = e.svc.Plan("crm-weekly")
	if err != nil || p.Added != 100 || p.Removed != 200 || p.Action != syncs.ActionUpdate || p.Removals == nil || !p.Removals.Over || p.Removals.Removing != 200 || p.Removals.Of != 1500 {
		t.Fatalf("second plan = %+v (removals %+v), %v", p, p.Removals, err)
	}
	if _, err := e.svc.Run("crm-weekly", p.ID, false); err == nil || !strings.Contains(err.Error(), "remove 200 of the 1500 people") || !strings.Contains(err.Error(), "confirm the removals") {
		t.Fatalf("unconfirmed large removal: %v", err)
	}
	if p, err = e.svc.Plan("crm-weekly"); err != nil {
		t.Fatal(err)
	}
	if out, err := e.svc.Run("crm-weekly", p.ID, true); err != nil || out.Result == nil {
		t.Fatalf("confirmed: %+v %v", out, err)
	}
	l, _ = e.svc.List()
	if lr := l.Syncs[0].LastRun; lr == nil || lr.Added != 100 || lr.Removed != 200 {
		t.Fatalf("last run = %+v", lr)
	}
	if err := e.svc.Delete("crm-weekly"); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.svc.List(); len(l.Syncs) != 0 {
		t.Fatalf("after delete: %+v", l.Syncs)
	}
}

func TestErrorsSaySentences(t *testing.T) {
	e := setup(t)
	_, err := e.svc.Save(syncs.Definition{Name: "no audience", Input: e.list, Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}}, "")
	if err == nil || !strings.Contains(err.Error(), "Correct it in the form") {
		t.Fatalf("bad save: %v", err)
	}
	if _, err := e.svc.Plan("missing"); err == nil || !strings.Contains(err.Error(), "does not exist any more") {
		t.Fatalf("plan of a missing sync: %v", err)
	}
	if err := e.svc.Delete("missing"); err == nil || !strings.Contains(err.Error(), "Press Refresh") {
		t.Fatalf("delete of a missing sync: %v", err)
	}
}

// upload is the wizard: transform the list into a folder and upload it
// into a new audience through the shared upload history.
func (e *env) upload(t *testing.T, name string) (string, string) {
	t.Helper()
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1,
		Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}, Layout: transform.LayoutCombined}); err != nil {
		t.Fatal(err)
	}
	conn, err := e.connect(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := conn.Uploader.Run(context.Background(), upload.Request{ManifestPath: filepath.Join(out, transform.ManifestName),
		AdvertiserID: e.sv.Advertiser(), AudienceName: name})
	if err != nil {
		t.Fatal(err)
	}
	return out, r.Targets[0].AudienceID
}

// Save as sync with the upload's folder adopts the upload: the list shows
// it as the last run, and the first Run now is a difference, not a REPLACE.
// An upload it cannot adopt leaves a sentence and the sync saved as before.
func TestSaveAsSyncAdoptsTheUpload(t *testing.T) {
	e := setup(t)
	e.write(t, 0, 1500)
	out, id := e.upload(t, "Buyers")
	def := syncs.Definition{Name: "buyers", Input: e.list, Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}},
		Layout: "combined", AudienceID: id}
	saved, err := e.svc.Save(def, out)
	if err != nil || saved.Adopted == nil || saved.Adopted.Rows != 1500 || saved.NotAdopted != "" {
		t.Fatalf("save = %+v, %v; want the upload adopted", saved, err)
	}
	l, err := e.svc.List()
	if err != nil || len(l.Syncs) != 1 || l.Syncs[0].LastRun == nil || l.Syncs[0].LastRun.Action != syncs.ActionAdopt || l.Syncs[0].StateRows != 1500 {
		t.Fatalf("list = %+v, %v", l, err)
	}
	e.write(t, 50, 1600)
	p, err := e.svc.Plan("buyers")
	if err != nil || p.Action != syncs.ActionUpdate || p.Added != 100 || p.Removed != 50 {
		t.Fatalf("first plan after Save as sync = %+v, %v; want +100 −50", p, err)
	}

	// The same folder saved as a sync of another audience is not adopted.
	other := e.sv.AddAudience(e.sv.Advertiser(), "Other", "MULTIPLE_TYPES")
	def.Name, def.AudienceID = "other", other
	saved, err = e.svc.Save(def, out)
	if err != nil || saved.Adopted != nil || !strings.Contains(saved.NotAdopted, "not the sync's audience "+other) || !strings.Contains(saved.NotAdopted, "REPLACE") {
		t.Fatalf("save for another audience = %+v, %v", saved, err)
	}
	if p, err := e.svc.Plan("other"); err != nil || p.Action != syncs.ActionReplace {
		t.Fatalf("plan of the sync that adopted nothing = %+v, %v", p, err)
	}
}

// The list changes after the plan was shown: nothing is sent, the new plan
// comes back with a sentence, and confirming it sends it.
func TestRunSendsOnlyThePlanShown(t *testing.T) {
	e := setup(t)
	e.write(t, 0, 1500)
	def := syncs.Definition{Name: "crm", Input: e.list, Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}, AudienceName: "CRM"}
	if _, err := e.svc.Save(def, ""); err != nil {
		t.Fatal(err)
	}
	p, _ := e.svc.Plan("crm")
	if _, err := e.svc.Run("crm", p.ID, false); err != nil {
		t.Fatal(err)
	}
	e.write(t, 10, 1510)
	p, _ = e.svc.Plan("crm")
	e.write(t, 20, 1520)
	before := e.sv.Stats().Uploads
	out, err := e.svc.Run("crm", p.ID, false)
	if err != nil || out.Result != nil || out.NewPlan == nil || out.NewPlan.Added != 20 || !strings.Contains(out.Changed, "the list changed since the plan was shown") {
		t.Fatalf("changed list: %+v, %v", out, err)
	}
	if e.sv.Stats().Uploads != before {
		t.Fatal("something was sent")
	}
	if out, err := e.svc.Run("crm", out.NewPlan.ID, false); err != nil || out.Result == nil || out.Result.Added != 20 {
		t.Fatalf("new plan confirmed: %+v, %v", out, err)
	}
}

// An audience deleted at TikTok: the plan says so and Start over recreates.
func TestDeletedAudienceOffersStartOver(t *testing.T) {
	e := setup(t)
	e.write(t, 0, 1500)
	def := syncs.Definition{Name: "crm", Input: e.list, Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}, AudienceName: "CRM"}
	if _, err := e.svc.Save(def, ""); err != nil {
		t.Fatal(err)
	}
	p, _ := e.svc.Plan("crm")
	out, err := e.svc.Run("crm", p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := e.connect(context.Background(), "")
	if err := conn.Client.DeleteAudiences(context.Background(), e.sv.Advertiser(), []string{out.Result.AudienceID}); err != nil {
		t.Fatal(err)
	}
	p, err = e.svc.Plan("crm")
	if err != nil || p.Action != appsyncs.ActionGone || !strings.Contains(p.Reason, "Press Start over") {
		t.Fatalf("plan of a deleted audience: %+v, %v", p, err)
	}
	if _, err := e.svc.Recreate("crm"); err != nil {
		t.Fatal(err)
	}
	p, err = e.svc.Plan("crm")
	if err != nil || p.Action != syncs.ActionCreate || p.RowsNow != 1500 {
		t.Fatalf("plan after Start over: %+v, %v", p, err)
	}
}
