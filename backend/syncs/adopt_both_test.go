package syncs_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// A wizard run for TikTok and Meta writes Meta's rows beside TikTok's
// files in one folder: Save as sync to TikTok adopts the TikTok upload of
// that folder (Meta's rows are the Meta sync's, AdoptMeta's), and its first
// run sends only the difference.
func TestAdoptTikTokUploadOfARunForBothPlatforms(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 2000), nil)
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1, Region: "US",
		Mappings: []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")}, Layout: transform.LayoutCombined,
		Destinations: []destination.Platform{destination.TikTok, destination.Meta}}); err != nil {
		t.Fatal(err)
	}
	conn, err := connectFunc(e.base, e.s.Token(), e.state)(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	up, err := conn.Uploader.Run(context.Background(), upload.Request{ManifestPath: filepath.Join(out, transform.ManifestName),
		AdvertiserID: e.s.Advertiser(), AudienceName: "Both platforms"})
	if err != nil {
		t.Fatal(err)
	}
	id := up.Targets[0].AudienceID
	e.saveFor("crm-tiktok", id, func(d *syncs.Definition) { d.Layout = string(transform.LayoutCombined) })
	a, err := e.svc.Adopt(context.Background(), "crm-tiktok", out, e.uploads())
	if err != nil || a.Rows != 2000 {
		t.Fatalf("adopt = %+v, %v; want the TikTok upload of 2000 rows taken", a, err)
	}
	e.writeList(span(5, 2005), nil)
	p, err := e.svc.Plan(context.Background(), "crm-tiktok", nil)
	if err != nil || p.Added != 5 || p.Removed != 5 {
		t.Fatalf("first plan = %+v, %v; want +5 −5", p, err)
	}
}
