package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// The frontend's api/syncs.ts calls exactly these.
var syncsBoundMethods = []string{"DeleteSync", "GetSync", "PlanSync", "RecreateSync", "RunSync", "SaveSync", "Syncs"}

// TestSyncsBindings: a sync saved through the window runs against the
// stand-in, its audience then lists it as feeding it (the view's logic is
// tested in backend/appsyncs).
func TestSyncsBindings(t *testing.T) {
	a, _ := testApp(t)
	sv := standin.New(standin.Options{MatchRate: 1})
	srv := httptest.NewServer(sv)
	defer srv.Close()
	s := a.GetSettings()
	s.TikTok.AdvertiserID = sv.Advertiser()
	if _, err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	t.Setenv(tiktok.EnvBaseURL, srv.URL+"/open_api/")
	t.Setenv(tiktok.EnvAccessToken, sv.Token())
	list := filepath.Join(t.TempDir(), "crm.csv")
	var b strings.Builder
	b.WriteString("email\n")
	for i := 0; i < 1200; i++ {
		fmt.Fprintf(&b, "person%05d@example.com\n", i)
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SaveSync(syncs.Definition{Name: "crm", Input: list, Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}, AudienceName: "CRM"}, ""); err != nil {
		t.Fatal(err)
	}
	p, err := a.PlanSync("crm")
	if err != nil || p.Added != 1200 || p.ID == "" || len(sv.Audiences()) != 0 {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	out, err := a.RunSync("crm", p.ID, false)
	if err != nil || out.Result == nil {
		t.Fatalf("run = %+v, %v", out, err)
	}
	r := out.Result
	l, err := a.Audiences()
	if err != nil || len(l.Audiences) != 1 || l.Audiences[0].ID != r.AudienceID || strings.Join(l.Audiences[0].Syncs, ",") != "crm" {
		t.Fatalf("audiences = %+v, %v", l, err)
	}
	sl, err := a.Syncs()
	if err != nil || len(sl.Syncs) != 1 || sl.Syncs[0].LastRun == nil || sl.Syncs[0].MatchedUsers != 1200 {
		t.Fatalf("syncs = %+v, %v", sl, err)
	}
	if g, err := a.GetSync("crm"); err != nil || g.AudienceID != r.AudienceID {
		t.Fatalf("get = %+v, %v", g, err)
	}
	if err := a.DeleteSync("crm"); err != nil {
		t.Fatal(err)
	}
}
