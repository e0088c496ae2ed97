package appupload_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appupload"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// unavailable is a keychain that is not there (no Secret Service).
type unavailable struct{}

func (unavailable) Get(string) (string, error) {
	return "", errors.Join(secrets.ErrUnavailable, errors.New("no Secret Service on D-Bus"))
}
func (unavailable) Set(string, string) error { return secrets.ErrUnavailable }
func (unavailable) Delete(string) error      { return secrets.ErrUnavailable }

// TestTikTok: the app's TikTok side with the settings of the moment: token
// status, connection test, an upload, the follow-up, jobs and their log,
// and no keychain.
func TestTikTok(t *testing.T) {
	t.Setenv(tiktok.EnvBaseURL, "")
	t.Setenv(tiktok.EnvAccessToken, "")
	s := standin.New(standin.Options{ProcessingDelay: 100 * time.Millisecond})
	base := standintest.Start(t, s)
	st := settings.Default()
	st.TikTok = settings.TikTokSettings{Environment: "custom", BaseURL: base, AdvertiserID: s.Advertiser()}
	store := secrets.Memory()
	svc, err := appupload.OpenTikTok(appupload.Config{Secrets: store, StatePath: filepath.Join(t.TempDir(), "s.db"), Sink: upload.SinkFunc(func(upload.Event) {}),
		LoadSettings: func() (settings.Settings, error) { return st, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()

	if ts := svc.TokenStatus(s.Advertiser()); ts.Saved || !ts.KeychainAvailable {
		t.Fatalf("token status before saving: %+v", ts)
	}
	if _, err := svc.TestConnection(ctx, ""); err == nil || !strings.Contains(err.Error(), "set-token") {
		t.Fatalf("test connection without token = %v", err)
	}
	if err := svc.SaveToken(s.Advertiser(), "wrong"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TestConnection(ctx, ""); !errors.Is(err, tiktok.ErrToken) {
		t.Fatalf("test connection with a bad token = %v", err)
	}
	if err := svc.SaveToken(s.Advertiser(), s.Token()); err != nil {
		t.Fatal(err)
	}
	if ts := svc.TokenStatus(s.Advertiser()); !ts.Saved {
		t.Fatalf("token status after saving: %+v", ts)
	}
	cr, err := svc.TestConnection(ctx, "")
	if err != nil || cr.Audiences != 0 || cr.BaseURL != base {
		t.Fatalf("test connection = %+v, %v", cr, err)
	}

	out, _ := writeOutput(t, "svc", 1500)
	res, err := svc.Upload(ctx, upload.Request{ManifestPath: filepath.Join(out, "manifest.json"), AudienceName: "from app"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := svc.ListAudiences(ctx, "")
	if err != nil || len(list) != 1 || list[0].AudienceID != res.Targets[0].AudienceID {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if p, err := svc.NotReady(ctx); err != nil || len(p) != 1 || p[0].AudienceID != res.Targets[0].AudienceID {
		t.Fatalf("not ready before follow-up = %+v, %v", p, err)
	}
	stat, err := svc.Follow(ctx, "", res.Targets[0].AudienceID)
	if err != nil || !stat.Ready || stat.RowsUploaded != 1500 {
		t.Fatalf("follow = %+v, %v", stat, err)
	}
	if p, err := svc.NotReady(ctx); err != nil || len(p) != 0 {
		t.Fatalf("not ready after follow-up = %+v, %v", p, err)
	}
	jobs, err := svc.Jobs(ctx)
	if err != nil || len(jobs) != 1 || jobs[0].Step != upload.StepDone {
		t.Fatalf("jobs = %+v, %v", jobs, err)
	}
	if un, _ := svc.Unfinished(ctx); len(un) != 0 {
		t.Fatalf("unfinished = %+v", un)
	}
	log, err := svc.JobLog(ctx, res.JobID)
	if err != nil || len(log) == 0 {
		t.Fatalf("log = %v, %v", log, err)
	}
	if err := svc.DeleteToken(s.Advertiser()); err != nil {
		t.Fatal(err)
	}

	// Without a keychain the status says so and names the variable.
	svc2, err := appupload.OpenTikTok(appupload.Config{Secrets: unavailable{}, StatePath: filepath.Join(t.TempDir(), "s2.db"),
		LoadSettings: func() (settings.Settings, error) { return st, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	if ts := svc2.TokenStatus(s.Advertiser()); ts.KeychainAvailable || !strings.Contains(ts.KeychainError, tiktok.EnvAccessToken) {
		t.Fatalf("token status without keychain: %+v", ts)
	}
	t.Setenv(tiktok.EnvAccessToken, s.Token())
	if _, err := svc2.TestConnection(ctx, ""); err != nil {
		t.Fatalf("env token without keychain: %v", err)
	}
}
