package appaudiences_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

type metaEnv struct {
	tt   *standin.Server
	mt   *metastandin.Server
	st   *settings.Settings
	svc  *appaudiences.Service
	meta *meta.Client
}

// setupBoth serves both stand-ins; withTikTok false leaves TikTok unset.
func setupBoth(t *testing.T, withTikTok bool) *metaEnv {
	t.Helper()
	for _, k := range []string{tiktok.EnvBaseURL, tiktok.EnvAccessToken, meta.EnvBaseURL, meta.EnvToken} {
		t.Setenv(k, "")
	}
	e := &metaEnv{tt: standin.New(standin.Options{}), mt: metastandin.New(metastandin.Options{FreshAudienceMisses: -1})}
	srv := httptest.NewServer(e.tt)
	t.Cleanup(srv.Close)
	store := secrets.Memory()
	st := settings.Default()
	if withTikTok {
		base := srv.URL + "/open_api/"
		st.TikTok = settings.TikTokSettings{Environment: "custom", BaseURL: base, AdvertiserID: e.tt.Advertiser()}
		if err := tiktok.SaveToken(store, base, e.tt.Advertiser(), e.tt.Token()); err != nil {
			t.Fatal(err)
		}
	}
	base := standintest.Start(t, e.mt)
	st.Meta = settings.MetaSettings{AdAccount: e.mt.AdAccount(), BaseURL: base}
	if err := meta.SaveToken(store, e.mt.AdAccount(), e.mt.Token()); err != nil {
		t.Fatal(err)
	}
	e.st = &st
	var err error
	if e.meta, err = meta.New(meta.Options{BaseURL: base, Token: e.mt.Token(), AdAccount: e.mt.AdAccount()}); err != nil {
		t.Fatal(err)
	}
	e.svc = appaudiences.New(context.Background(), appaudiences.Config{Secrets: store, QPS: 1000,
		LoadSettings: func() (settings.Settings, error) { return *e.st, nil }})
	return e
}

// people adds n people (e-mail hashes) to a Meta audience.
func (e *metaEnv) people(t *testing.T, id string, n int) {
	t.Helper()
	var rows [][]string
	for i := 0; i < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("p%d@example.com", i)))
		rows = append(rows, []string{hex.EncodeToString(h[:])})
	}
	if _, err := e.meta.AddUsers(context.Background(), id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
}

// TestListsTikTokAndMetaAudiences: one list holds both platforms' audiences,
// each with its platform, size in words from Meta's bounds and status in words.
func TestListsTikTokAndMetaAudiences(t *testing.T) {
	e := setupBoth(t, true)
	ttID := e.tt.AddAudience(e.tt.Advertiser(), "TikTok list", tiktok.EmailSHA256)
	small := e.mt.AddAudience(e.mt.AdAccount(), "Meta small")
	big := e.mt.AddAudience(e.mt.AdAccount(), "Meta big")
	empty := e.mt.AddAudience(e.mt.AdAccount(), "Meta empty")
	e.people(t, small, 40)
	e.people(t, big, 1500)
	l, err := e.svc.List()
	if err != nil {
		t.Fatal(err)
	}
	if l.AdvertiserID != e.tt.Advertiser() || l.AdAccount != e.mt.AdAccount() || l.TikTokError != "" || l.MetaError != "" {
		t.Fatalf("list header %+v", l)
	}
	if a := find(t, l, ttID); a.Platform != destination.TikTok {
		t.Fatalf("tiktok row %+v", a)
	}
	s := find(t, l, small)
	if s.Platform != destination.Meta || s.Size != "fewer than 1,000" || s.Status != appaudiences.StatusNotReady || s.StatusText != "too small to be used yet" {
		t.Fatalf("small meta row %+v", s)
	}
	b := find(t, l, big)
	if b.Size != "1,500" || b.Status != appaudiences.StatusReady || b.StatusText != "ready for use" || b.SizeLower != 1500 || b.SizeUpper != 1500 {
		t.Fatalf("big meta row %+v", b)
	}
	if m := find(t, l, empty); m.StatusText != "no users uploaded yet" {
		t.Fatalf("empty meta row %+v", m)
	}

	// Rename and delete reach the audience's own platform.
	if err := e.svc.Rename(destination.Meta, big, "Meta bigger"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(destination.Meta, small); err != nil {
		t.Fatal(err)
	}
	l, _ = e.svc.List()
	if find(t, l, big).Name != "Meta bigger" || len(l.Audiences) != 3 {
		t.Fatalf("after rename and delete %+v", l.Audiences)
	}
	if err := e.svc.Delete(destination.Meta, small); err == nil || !strings.Contains(err.Error(), "Press Refresh") {
		t.Fatalf("deleting a deleted Meta audience: %v", err)
	}
}

// TestMetaOnlyAndOnePlatformFailing: with no TikTok advertiser the Meta
// audiences are listed alone; when Meta fails and TikTok lists, the list
// says why the Meta ones are missing.
func TestMetaOnlyAndOnePlatformFailing(t *testing.T) {
	e := setupBoth(t, false)
	id := e.mt.AddAudience(e.mt.AdAccount(), "Meta only")
	l, err := e.svc.List()
	if err != nil || len(l.Audiences) != 1 || l.Audiences[0].ID != id || l.TikTokError != "" {
		t.Fatalf("meta only: %+v %v", l, err)
	}

	e2 := setupBoth(t, true)
	e2.st.Meta.AdAccount = "act_999" // no token saved for it
	l, err = e2.svc.List()
	if err != nil || !strings.Contains(l.MetaError, "Paste the system-user token in Settings > Meta") {
		t.Fatalf("meta failing: %+v %v", l, err)
	}
}
