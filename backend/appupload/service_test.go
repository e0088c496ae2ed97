package appupload_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// recorder is the window: it keeps every event the service sends.
type recorder struct {
	mu     sync.Mutex
	events []upload.Event
	done   chan appupload.Done
}

func newRecorder() *recorder { return &recorder{done: make(chan appupload.Done, 4)} }

func (r *recorder) Emit(name string, data any) {
	switch name {
	case appupload.EventProgress:
		r.mu.Lock()
		r.events = append(r.events, data.(upload.Event))
		r.mu.Unlock()
	case appupload.EventDone:
		r.done <- data.(appupload.Done)
	default:
		panic("unexpected event " + name)
	}
}

func (r *recorder) kinds() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := map[string]int{}
	for _, e := range r.events {
		k[e.Kind]++
	}
	return k
}

// readyStatus waits for a status event saying the audience is ready.
func (r *recorder) readyStatus(t *testing.T, id string) *upload.AudienceStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.events {
			if e.Kind == upload.EventStatus && e.AudienceID == id && e.Status != nil && e.Status.Ready {
				r.mu.Unlock()
				return e.Status
			}
		}
		r.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no ready status event for audience %s", id)
	return nil
}

func (r *recorder) wait(t *testing.T) appupload.Done {
	t.Helper()
	select {
	case d := <-r.done:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("no upload:done event")
	}
	return appupload.Done{}
}

// writeOutput writes a transform output folder: one EMAIL_SHA256 file of n
// hashes and its manifest.json.
func writeOutput(t *testing.T, prefix string, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	var hashes []string
	for i := 0; i < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("%s.%d@example.com", prefix, i)))
		hashes = append(hashes, hex.EncodeToString(h[:]))
		b.WriteString(hashes[i] + "\n")
	}
	content := []byte(b.String())
	if err := os.WriteFile(filepath.Join(dir, "audience-email-001.csv"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(content)
	m, _ := json.Marshal(map[string]any{"version": 1, "created_at": time.Now(), "input": "customers.csv", "layout": "separate",
		"files": []map[string]any{{"path": "audience-email-001.csv", "calculate_type": tiktok.EmailSHA256, "rows": n, "bytes": len(content), "md5": hex.EncodeToString(sum[:])}}})
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), m, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, hashes
}

type env struct {
	sv    *standin.Server
	rec   *recorder
	svc   *appupload.Service
	st    *settings.Settings
	state string
}

func setup(t *testing.T, opts standin.Options) *env {
	t.Setenv(tiktok.EnvBaseURL, "")
	t.Setenv(tiktok.EnvAccessToken, "")
	sv := standin.New(opts)
	srv := httptest.NewServer(sv)
	t.Cleanup(srv.Close)
	st := settings.Default()
	st.TikTok = settings.TikTokSettings{Environment: "custom", BaseURL: srv.URL + "/open_api/", AdvertiserID: sv.Advertiser()}
	e := &env{sv: sv, rec: newRecorder(), st: &st, state: filepath.Join(t.TempDir(), "upload-state.db")}
	e.svc = e.open(secrets.Memory())
	t.Cleanup(e.svc.Shutdown)
	return e
}

func (e *env) open(store secrets.Store) *appupload.Service {
	return appupload.New(context.Background(), e.rec, appupload.Config{Secrets: store, StatePath: e.state,
		LoadSettings: func() (settings.Settings, error) { return *e.st, nil }})
}

func TestSettingsAndConnection(t *testing.T) {
	e := setup(t, standin.Options{ScopelessToken: "no-scope"})
	st, err := e.svc.State()
	if err != nil || st.Ready || st.Token.Saved || !st.Token.KeychainAvailable || st.BaseURL != e.st.TikTok.BaseURL {
		t.Fatalf("state before a token = %+v, %v", st, err)
	}
	if err := e.svc.SaveToken("", "x"); err == nil || !strings.Contains(err.Error(), "advertiser id") {
		t.Fatalf("save without advertiser = %v", err)
	}
	if err := e.svc.SaveToken(e.sv.Advertiser(), "  "); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("save an empty token = %v", err)
	}
	if _, err := e.svc.TestConnection(); err == nil || !strings.Contains(err.Error(), "no TikTok access token") {
		t.Fatalf("test without a token = %v", err)
	}
	if err := e.svc.SaveToken(e.sv.Advertiser(), "no-scope"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.TestConnection(); err == nil || !strings.Contains(err.Error(), "Audience Management scope") {
		t.Fatalf("test with a token without the scope = %v", err)
	}
	if err := e.svc.SaveToken(e.sv.Advertiser(), "revoked"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.TestConnection(); err == nil || !strings.Contains(err.Error(), "expired or revoked") {
		t.Fatalf("test with a bad token = %v", err)
	}
	if err := e.svc.SaveToken(e.sv.Advertiser(), e.sv.Token()); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.svc.State(); !st.Ready || !st.Token.Saved {
		t.Fatalf("state with a token = %+v", st)
	}
	ct, err := e.svc.TestConnection()
	if err != nil || ct.AdvertiserID != e.sv.Advertiser() || len(ct.Audiences) != 0 {
		t.Fatalf("test connection = %+v, %v", ct, err)
	}
	if err := e.svc.DeleteToken(e.sv.Advertiser()); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.svc.State(); st.Ready || st.Token.Saved {
		t.Fatalf("state after deleting the token = %+v", st)
	}

	// No keychain: the state says so and names the environment variable,
	// which then makes the app ready.
	e.svc.Shutdown()
	e.svc = e.open(noKeychain{})
	st, _ = e.svc.State()
	if st.Ready || st.Token.KeychainAvailable || !strings.Contains(st.Token.KeychainError, tiktok.EnvAccessToken) {
		t.Fatalf("state without a keychain = %+v", st)
	}
	if err := e.svc.SaveToken(e.sv.Advertiser(), "t"); err == nil || !strings.Contains(err.Error(), tiktok.EnvAccessToken) {
		t.Fatalf("save without a keychain = %v", err)
	}
	t.Setenv(tiktok.EnvAccessToken, e.sv.Token())
	if st, _ := e.svc.State(); !st.Ready || !st.Token.FromEnv {
		t.Fatalf("state with the environment token = %+v", st)
	}
	if _, err := e.svc.TestConnection(); err != nil {
		t.Fatal(err)
	}
}

type noKeychain struct{}

func (noKeychain) Get(string) (string, error) { return "", secrets.ErrUnavailable }
func (noKeychain) Set(string, string) error   { return secrets.ErrUnavailable }
func (noKeychain) Delete(string) error        { return secrets.ErrUnavailable }

func TestUploadFollowAndAppend(t *testing.T) {
	e := setup(t, standin.Options{ProcessingDelay: 300 * time.Millisecond})
	if err := e.svc.SaveToken(e.sv.Advertiser(), e.sv.Token()); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.StartUpload(appupload.UploadRequest{}); err == nil {
		t.Fatal("an upload without a transform output started")
	}
	dir, hashes := writeOutput(t, "new", 1200)
	if err := e.svc.StartUpload(appupload.UploadRequest{OutputDir: dir, AudienceName: "Spring buyers"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.StartUpload(appupload.UploadRequest{OutputDir: dir, AudienceName: "again"}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second upload while one runs = %v", err)
	}
	d := e.rec.wait(t)
	if d.Error != "" || d.Result == nil || len(d.Result.Targets) != 1 || d.JobID == "" {
		t.Fatalf("done = %+v", d)
	}
	id := d.Result.Targets[0].AudienceID
	k := e.rec.kinds()
	for _, want := range []string{upload.EventStep, upload.EventFileStart, upload.EventFileDone, upload.EventAudience} {
		if k[want] == 0 {
			t.Errorf("no %s event (got %v)", want, k)
		}
	}
	// The audience is followed at once until TikTok calls it ready.
	s := e.rec.readyStatus(t, id)
	if s.RowsUploaded != 1200 || s.MatchedUsers == 0 || s.MatchRate <= 0 {
		t.Fatalf("ready status = %+v", s)
	}
	auds := e.sv.Audiences()
	if len(auds) != 1 || auds[0].Name != "Spring buyers" || len(auds[0].Delivered) != len(hashes) {
		t.Fatalf("stand-in audiences = %+v", auds)
	}
	for _, h := range hashes {
		if auds[0].Delivered[h] != 1 {
			t.Fatalf("hash %s delivered %d times", h, auds[0].Delivered[h])
		}
	}

	// Appending a second output to the listed audience adds to it.
	list, err := e.svc.Audiences()
	if err != nil || len(list) != 1 || list[0].AudienceID != id {
		t.Fatalf("audiences = %+v, %v", list, err)
	}
	dir2, hashes2 := writeOutput(t, "more", 1000)
	if err := e.svc.StartUpload(appupload.UploadRequest{OutputDir: filepath.Join(dir2, "manifest.json"), AudienceID: id, Action: "APPEND", AudienceName: "ignored"}); err != nil {
		t.Fatal(err)
	}
	if d := e.rec.wait(t); d.Error != "" || d.Result.Action != "APPEND" {
		t.Fatalf("append done = %+v", d)
	}
	auds = e.sv.Audiences()
	if len(auds) != 1 || len(auds[0].Delivered) != len(hashes)+len(hashes2) {
		t.Fatalf("after append: %d audiences, %d hashes", len(auds), len(auds[0].Delivered))
	}
	jobs, err := e.svc.Jobs()
	if err != nil || len(jobs) != 2 || jobs[0].Action != "APPEND" || jobs[1].Step != upload.StepDone {
		t.Fatalf("jobs = %+v, %v", jobs, err)
	}
}

func TestFailedUploadResumes(t *testing.T) {
	e := setup(t, standin.Options{})
	if err := e.svc.SaveToken(e.sv.Advertiser(), e.sv.Token()); err != nil {
		t.Fatal(err)
	}
	dir, hashes := writeOutput(t, "resume", 1100)
	// The create is refused for a permission problem: the job fails after the
	// file is uploaded, with the sentence naming the fix.
	e.sv.FailNext("custom_audience/create", 40001, 200)
	if err := e.svc.StartUpload(appupload.UploadRequest{OutputDir: dir, AudienceName: "Resumed"}); err != nil {
		t.Fatal(err)
	}
	d := e.rec.wait(t)
	if d.Error == "" || d.Cancelled || d.JobID == "" || !strings.Contains(d.Error, "Audience Management") {
		t.Fatalf("failed done = %+v", d)
	}
	jobs, _ := e.svc.Jobs()
	if len(jobs) != 1 || jobs[0].Step == upload.StepDone || jobs[0].Error == "" {
		t.Fatalf("jobs after the failure = %+v", jobs)
	}
	if err := e.svc.Resume(d.JobID); err != nil {
		t.Fatal(err)
	}
	d2 := e.rec.wait(t)
	if d2.Error != "" || d2.JobID != d.JobID || !d2.Result.Resumed || d2.Result.Uploaded != 0 || d2.Result.Reused != 1 {
		t.Fatalf("resumed done = %+v", d2)
	}
	auds := e.sv.Audiences()
	if len(auds) != 1 || len(auds[0].Delivered) != len(hashes) {
		t.Fatalf("stand-in audiences after resume = %+v", len(auds))
	}
	e.rec.readyStatus(t, d2.Result.Targets[0].AudienceID)
}

func TestCancelAndPendingFollowUp(t *testing.T) {
	e := setup(t, standin.Options{ResponseDelay: 2 * time.Second, ProcessingDelay: time.Hour})
	if err := e.svc.SaveToken(e.sv.Advertiser(), e.sv.Token()); err != nil {
		t.Fatal(err)
	}
	if e.svc.CancelUpload() {
		t.Fatal("cancel with no upload running returned true")
	}
	dir, _ := writeOutput(t, "cancel", 1000)
	if err := e.svc.StartUpload(appupload.UploadRequest{OutputDir: dir, AudienceName: "Cancelled"}); err != nil {
		t.Fatal(err)
	}
	if !e.svc.Uploading() {
		t.Fatal("not uploading after start")
	}
	time.Sleep(300 * time.Millisecond)
	if !e.svc.CancelUpload() {
		t.Fatal("cancel returned false while uploading")
	}
	d := e.rec.wait(t)
	if !d.Cancelled || !strings.Contains(d.Error, "Resume") || e.svc.Uploading() {
		t.Fatalf("cancelled done = %+v", d)
	}
	if err := e.svc.Resume(d.JobID); err != nil {
		t.Fatal(err)
	}
	d2 := e.rec.wait(t)
	if d2.Error != "" {
		t.Fatalf("resume after cancel = %+v", d2)
	}
	id := d2.Result.Targets[0].AudienceID

	// At the next start the audience, still processing, is followed again.
	e.svc.Shutdown()
	rec := newRecorder()
	e.rec = rec
	e.svc = e.open(secrets.Memory())
	e.st.TikTok.AdvertiserID = "" // the job's own advertiser is used
	t.Setenv(tiktok.EnvAccessToken, e.sv.Token())
	p, err := e.svc.FollowPending()
	if err != nil || len(p) != 1 || p[0].AudienceID != id {
		t.Fatalf("pending = %+v, %v", p, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for rec.kinds()[upload.EventStatus] == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var seen bool
	for _, ev := range rec.events {
		if ev.Kind == upload.EventStatus && ev.AudienceID == id && ev.Status != nil && !ev.Status.Ready {
			seen = true
		}
	}
	if !seen {
		t.Fatalf("no processing status for the pending audience: %+v", rec.events)
	}
}
