package main

import (
	"net/http/httptest"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// The frontend's api/audiences.ts calls exactly these.
var audiencesBoundMethods = []string{"Audiences", "CreateLookalike", "DeleteAudience", "RenameAudience"}

// TestAudiencesBindings: the bound methods reach the stand-in with the
// window's settings (the view's behaviour is tested in backend/appaudiences).
func TestAudiencesBindings(t *testing.T) {
	a, _ := testApp(t)
	sv := standin.New(standin.Options{})
	srv := httptest.NewServer(sv)
	defer srv.Close()
	if _, err := a.Audiences(); err == nil {
		t.Fatal("Audiences without an advertiser id succeeded")
	}
	s := a.GetSettings()
	s.TikTok.AdvertiserID = sv.Advertiser()
	if _, err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	t.Setenv(tiktok.EnvBaseURL, srv.URL+"/open_api/")
	t.Setenv(tiktok.EnvAccessToken, sv.Token())
	id := sv.AddAudience(sv.Advertiser(), "made in Ads Manager", tiktok.EmailSHA256)
	if err := a.RenameAudience("tiktok", id, "renamed"); err != nil {
		t.Fatal(err)
	}
	l, err := a.Audiences()
	if err != nil || len(l.Audiences) != 1 || l.Audiences[0].Name != "renamed" {
		t.Fatalf("Audiences = %+v, %v", l, err)
	}
	if err := a.DeleteAudience("tiktok", id); err != nil {
		t.Fatal(err)
	}
	if l, _ := a.Audiences(); len(l.Audiences) != 0 {
		t.Fatalf("after delete: %+v", l.Audiences)
	}
}
