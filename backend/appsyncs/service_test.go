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
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	syncs "github.com/audience-uploader/audience-uploader/backend/sync"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

type env struct {
	sv     *standin.Server
	svc    *appsyncs.Service
	list   string
	events *recorder
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
		var up *upload.Uploader
		c, err := tiktok.New(tiktok.Config{BaseURL: base, AccessToken: sv.Token(), QPS: 1000, Log: func(le tiktok.LogEntry) { up.ClientLog(le) }})
		if err != nil {
			return nil, err
		}
		up, err = upload.New(upload.Config{Client: c, Store: store, RetryWait: 10 * time.Millisecond, PollInitial: 20 * time.Millisecond, PollMax: 100 * time.Millisecond})
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
	e := &env{sv: sv, list: filepath.Join(t.TempDir(), "crm.csv"), events: &recorder{}}
	e.svc = appsyncs.New(context.Background(), appsyncs.Config{Syncs: engine, Audiences: aud.List, Events: e.events})
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
	if _, err := e.svc.Save(def); err != nil {
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
	r, err := e.svc.Run("crm-weekly")
	if err != nil || r.AudienceID == "" {
		t.Fatalf("run = %+v, %v", r, err)
	}
	if got := e.events.take(); !strings.HasPrefix(got, "transform,diff,upload") || !strings.Contains(got, "commit") {
		t.Fatalf("run's progress stages = %q", got)
	}
	// The list shows the last run and the audience's status and matched users.
	l, err := e.svc.List()
	if err != nil || len(l.Syncs) != 1 || l.AudienceError != "" {
		t.Fatalf("list = %+v, %v", l, err)
	}
	row := l.Syncs[0]
	if row.AudienceID != r.AudienceID || row.LastRun == nil || row.LastRun.Added != 1500 || row.AudienceStatus != appaudiences.StatusReady ||
		row.MatchedUsers != 1500 || row.AudienceLabel != "CRM weekly" {
		t.Fatalf("row = %+v (last run %+v)", row, row.LastRun)
	}
	targets, _ := e.svc.Targets()
	if len(targets) != 1 || targets[0].AudienceID != r.AudienceID {
		t.Fatalf("targets = %+v", targets)
	}

	// The list changes: the plan says +100 −200, then the run applies it.
	e.write(t, 200, 1600)
	p, err = e.svc.Plan("crm-weekly")
	if err != nil || p.Added != 100 || p.Removed != 200 || p.Action != syncs.ActionUpdate {
		t.Fatalf("second plan = %+v, %v", p, err)
	}
	if _, err := e.svc.Run("crm-weekly"); err != nil {
		t.Fatal(err)
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
	_, err := e.svc.Save(syncs.Definition{Name: "no audience", Input: e.list, Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}})
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
