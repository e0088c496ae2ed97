package main

import (
	"net/http/httptest"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// The frontend's api/upload.ts calls exactly these.
var uploadBoundMethods = []string{"AudienceStatus", "CancelUpload", "DeleteTikTokToken", "FollowAudience", "FollowPendingAudiences",
	"IsUploading", "ResumeUpload", "SaveTikTokToken", "StartUpload", "TestTikTokConnection", "TikTokAudiences", "TikTokState", "UploadJobs"}

// TestUploadBindings drives app_upload.go as the window does, against the
// stand-in named by the environment variables the e2e run uses (uploads and
// their events are tested in backend/appupload with a recording sink).
func TestUploadBindings(t *testing.T) {
	a, _ := testApp(t)
	sv := standin.New(standin.Options{})
	srv := httptest.NewServer(sv)
	defer srv.Close()
	t.Setenv(tiktok.EnvBaseURL, "")
	t.Setenv(tiktok.EnvAccessToken, "")

	st, err := a.TikTokState()
	if err != nil || st.Ready || st.Error != "" || st.BaseURL != tiktok.ProductionBaseURL {
		t.Fatalf("state of a fresh install = %+v, %v", st, err)
	}
	if _, err := a.TestTikTokConnection(); err == nil {
		t.Fatal("test connection without an advertiser id succeeded")
	}
	s := a.GetSettings()
	s.TikTok.AdvertiserID = sv.Advertiser()
	if _, err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	t.Setenv(tiktok.EnvBaseURL, srv.URL+"/open_api/")
	t.Setenv(tiktok.EnvAccessToken, sv.Token())
	st, _ = a.TikTokState()
	if !st.Ready || !st.Token.FromEnv || st.BaseURL != srv.URL+"/open_api/" {
		t.Fatalf("state with the environment = %+v", st)
	}
	ct, err := a.TestTikTokConnection()
	if err != nil || ct.AdvertiserID != sv.Advertiser() || len(ct.Audiences) != 0 {
		t.Fatalf("test connection = %+v, %v", ct, err)
	}
	if l, err := a.TikTokAudiences(); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("audiences = %#v, %v", l, err)
	}
	if j, err := a.UploadJobs(); err != nil || len(j) != 0 {
		t.Fatalf("jobs = %v, %v", j, err)
	}
	if p, err := a.FollowPendingAudiences(); err != nil || len(p) != 0 {
		t.Fatalf("pending = %v, %v", p, err)
	}
	if a.IsUploading() || a.CancelUpload() {
		t.Fatal("an upload runs in a fresh app")
	}
}
