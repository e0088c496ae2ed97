package appaudiences_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/appaudiences"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

type env struct {
	sv     *standin.Server
	svc    *appaudiences.Service
	client *tiktok.Client
	syncs  []appaudiences.SyncTarget
}

// setup serves the stand-in over HTTP, saves its token in a memory
// keychain and points the settings at it.
func setup(t *testing.T, opts standin.Options) *env {
	t.Setenv(tiktok.EnvBaseURL, "")
	t.Setenv(tiktok.EnvAccessToken, "")
	sv := standin.New(opts)
	srv := httptest.NewServer(sv)
	t.Cleanup(srv.Close)
	base := srv.URL + "/open_api/"
	st := settings.Default()
	st.TikTok = settings.TikTokSettings{Environment: "custom", BaseURL: base, AdvertiserID: sv.Advertiser()}
	store := secrets.Memory()
	if err := tiktok.SaveToken(store, base, sv.Advertiser(), sv.Token()); err != nil {
		t.Fatal(err)
	}
	c, err := tiktok.New(tiktok.Config{BaseURL: base, AccessToken: sv.Token(), QPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sv: sv, client: c}
	e.svc = appaudiences.New(context.Background(), appaudiences.Config{Secrets: store, QPS: 1000,
		LoadSettings: func() (settings.Settings, error) { return st, nil }})
	return e
}

// audience uploads n email hashes into a new audience and returns its id.
func (e *env) audience(t *testing.T, name string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("%s.%d@example.com", name, i)))
		b.WriteString(hex.EncodeToString(h[:]) + "\n")
	}
	p := filepath.Join(t.TempDir(), "hashes.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(b.String()))
	ctx := context.Background()
	fp, err := e.client.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: e.sv.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: hex.EncodeToString(sum[:])})
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.client.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: e.sv.Advertiser(), Name: name, FilePaths: []string{fp}, CalculateType: tiktok.EmailSHA256})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func find(t *testing.T, l *appaudiences.List, id string) appaudiences.Audience {
	t.Helper()
	for _, a := range l.Audiences {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("audience %s not listed in %+v", id, l.Audiences)
	return appaudiences.Audience{}
}

// TestListEveryPageWithStatusAndSyncs: 120 audiences are two pages of
// TikTok's list; each row has its kind, matched users, status, created
// time and the syncs that feed it; a shared one is marked.
func TestListEveryPageWithStatusAndSyncs(t *testing.T) {
	e := setup(t, standin.Options{})
	first := e.audience(t, "weekly customers", 2000)
	for i := 0; i < 119; i++ {
		e.sv.AddAudience(e.sv.Advertiser(), fmt.Sprint("other ", i), tiktok.EmailSHA256)
	}
	shared := e.sv.ShareAudience("7000000000000000999", "partner list", tiktok.EmailSHA256, e.sv.Advertiser())
	e.syncs = []appaudiences.SyncTarget{{Name: "crm weekly", AudienceID: first}, {Name: "crm daily", AudienceID: first}, {Name: "new one"}}
	l, err := e.svc.List()
	if err != nil {
		t.Fatal(err)
	}
	l.MarkSyncs(e.syncs)
	if len(l.Audiences) != 121 || l.AdvertiserID != e.sv.Advertiser() {
		t.Fatalf("listed %d audiences of %s, want 121", len(l.Audiences), l.AdvertiserID)
	}
	a := find(t, l, first)
	if a.Name != "weekly customers" || a.Type != "Customer File" || a.MatchedUsers != 1400 || a.Status != appaudiences.StatusReady ||
		a.Created == "" || strings.Join(a.Syncs, ",") != "crm weekly,crm daily" || a.Shared {
		t.Fatalf("row = %+v", a)
	}
	if s := find(t, l, shared); !s.Shared || len(s.Syncs) != 0 {
		t.Fatalf("shared row = %+v", s)
	}
}

func TestProcessingStatus(t *testing.T) {
	e := setup(t, standin.Options{ProcessingDelay: 1 << 40})
	id := e.audience(t, "fresh", 1000)
	l, err := e.svc.List()
	if err != nil {
		t.Fatal(err)
	}
	if a := find(t, l, id); a.Status != appaudiences.StatusProcessing || a.MatchedUsers != 0 {
		t.Fatalf("row = %+v", a)
	}
}

func TestRenameDelete(t *testing.T) {
	e := setup(t, standin.Options{})
	id := e.audience(t, "old name", 1000)
	if err := e.svc.Rename("", id, "  new name "); err != nil {
		t.Fatal(err)
	}
	l, _ := e.svc.List()
	if a := find(t, l, id); a.Name != "new name" || a.MatchedUsers != 700 {
		t.Fatalf("after rename: %+v", a)
	}
	if err := e.svc.Rename("", id, strings.Repeat("x", 129)); err == nil || !strings.Contains(err.Error(), "1 to 128") {
		t.Fatalf("long name: %v", err)
	}
	if err := e.svc.Delete("", id); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.svc.List(); len(l.Audiences) != 0 {
		t.Fatalf("after delete: %+v", l.Audiences)
	}
	err := e.svc.Delete("", id)
	if err == nil || !strings.Contains(err.Error(), "was not deleted") || !strings.Contains(err.Error(), "Refresh") {
		t.Fatalf("second delete: %v", err)
	}
}

func TestCreateLookalike(t *testing.T) {
	e := setup(t, standin.Options{})
	seed := e.audience(t, "buyers", 1000)
	id, err := e.svc.CreateLookalike(appaudiences.LookalikeRequest{SourceID: seed, Name: " buyers LAL ", AudienceSize: "NARROW", LocationIDs: []string{"6252001", " "}})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := e.svc.List()
	if a := find(t, l, id); a.Name != "buyers LAL" || !a.Lookalike || a.Type != "Lookalike" || a.MatchedUsers == 0 {
		t.Fatalf("lookalike row = %+v", a)
	}
	if _, err := e.svc.CreateLookalike(appaudiences.LookalikeRequest{SourceID: id, Name: "again", AudienceSize: "NARROW", LocationIDs: []string{"6252001"}}); err == nil ||
		!strings.Contains(err.Error(), "was not created") {
		t.Fatalf("lookalike of a lookalike: %v", err)
	}
	if _, err := e.svc.CreateLookalike(appaudiences.LookalikeRequest{SourceID: seed, Name: "no place", AudienceSize: "NARROW"}); err == nil ||
		!strings.Contains(err.Error(), "location") {
		t.Fatalf("no location: %v", err)
	}
}

func TestNoAdvertiserSaysWhatToDo(t *testing.T) {
	svc := appaudiences.New(context.Background(), appaudiences.Config{Secrets: secrets.Memory(),
		LoadSettings: func() (settings.Settings, error) { return settings.Default(), nil }})
	if _, err := svc.List(); err == nil || !strings.Contains(err.Error(), "Settings > TikTok") {
		t.Fatalf("List without advertiser: %v", err)
	}
}
