package main

import (
	"context"
	"io"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appsvc"
	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// recorder stands in for the window: app.go's methods run without Wails.
type recorder struct{ done chan appsvc.DoneEvent }

func (r recorder) Emit(name string, data any) {
	if d, ok := data.(appsvc.DoneEvent); ok {
		r.done <- d
	}
}

func testApp(t *testing.T) (*App, recorder) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", filepath.Join(dir, "cfg"))
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("HOME", dir) // the default output folder goes under it
	rec := recorder{done: make(chan appsvc.DoneEvent, 1)}
	a := NewApp("test", time.Now(), log.New(io.Discard, "", 0))
	a.ctx = context.Background()
	a.secretStore = secrets.Memory() // never the developer's own keychain
	a.svc = appsvc.New(a.ctx, rec, appsvc.Options{Version: "test", ProcessStart: a.started, OpenFolder: func(string) error { return nil }, Secrets: a.secretStore})
	a.uploader = appupload.New(a.ctx, rec, appupload.Config{Secrets: a.secretStore})
	t.Cleanup(func() { a.shutdown(context.Background()) })
	return a, rec
}

// The frontend's api module calls exactly these; renaming one breaks it.
func TestBoundMethods(t *testing.T) {
	want := []string{"About", "BuildReport", "CancelRun", "ChooseFile", "ChooseFolder", "ChooseInputFolder", "DeleteHistory", "Discover", "DiscoverInput", "DiscoverWithHeader", "ExportReport",
		"GetSettings", "Hello", "History", "InspectFile", "IsRunning", "OpenFolder", "Preview", "RecentFiles", "Regions",
		"SaveSettings", "StartRun", "WriteReport"}
	want = append(want, authBoundMethods...)      // app_auth_test.go
	want = append(want, uploadBoundMethods...)    // app_upload_test.go
	want = append(want, audiencesBoundMethods...) // app_audiences_test.go
	want = append(want, syncsBoundMethods...)     // app_syncs_test.go
	want = append(want, cleanroomsBoundMethods...)
	want = append(want, metaBoundMethods...) // app_meta_test.go
	sort.Strings(want)
	typ := reflect.TypeOf(&App{})
	var got []string
	for i := 0; i < typ.NumMethod(); i++ {
		got = append(got, typ.Method(i).Name)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("bound methods = %v, want %v", got, want)
	}
}

func TestAppWizardFlow(t *testing.T) {
	a, rec := testApp(t)
	if info := a.Hello(); info.Version != "test" || info.Settings.DefaultRegion != "US" {
		t.Fatalf("Hello = %+v", info)
	}
	sample, _ := filepath.Abs(filepath.Join("e2e", "testdata", "customers-sample.csv"))
	if _, err := a.InspectFile(sample); err != nil {
		t.Fatal(err)
	}
	if sc, err := a.Discover(sample, "US"); err != nil || len(sc.Fields) != 7 {
		t.Fatalf("Discover = %+v, %v", sc, err)
	}
	maps := []appsvc.Mapping{{Column: "email", Type: "email"}, {Column: "phone", Type: "phone"}}
	if p, err := a.Preview(appsvc.PreviewRequest{Path: sample, Mappings: maps}); err != nil || len(p.Rows) != 20 {
		t.Fatalf("Preview: %v", err)
	}
	info, err := a.StartRun(appsvc.RunRequest{Path: sample, Audience: "App test", Mappings: maps, Layout: "separate"})
	if err != nil {
		t.Fatal(err)
	}
	var d appsvc.DoneEvent
	select {
	case d = <-rec.done:
	case <-time.After(60 * time.Second):
		t.Fatal("no run:done event")
	}
	if d.Status != jobs.StatusSucceeded || len(d.Manifest.Files) != 2 {
		t.Fatalf("done = %+v", d)
	}
	h, err := a.History(10)
	if err != nil || len(h) != 1 || h[0].ID != info.JobID {
		t.Fatalf("History = %+v, %v", h, err)
	}
	rp := filepath.Join(t.TempDir(), "r.json")
	if err := a.WriteReport(info.JobID, rp); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rp); err != nil {
		t.Fatal(err)
	}
	if a.IsRunning() || a.CancelRun() {
		t.Fatal("a run still counts as running after its done event")
	}
}

func TestBeforeCloseWithoutRun(t *testing.T) {
	a, _ := testApp(t)
	if a.beforeClose(context.Background()) {
		t.Fatal("closing was prevented with no run going")
	}
}

func TestOSProcessStart(t *testing.T) {
	now := time.Now()
	got := osProcessStart(now)
	if got.After(now) || now.Sub(got) > time.Minute {
		t.Fatalf("process start %v is not shortly before %v", got, now)
	}
}
