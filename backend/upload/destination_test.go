package upload_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// TikTok behind the destination seam: a delivery of a manifest creates one
// audience with every hash once and resumes as the same job; status,
// list, rename and delete go through the same interface Meta implements.
func TestTikTokDestinationSeam(t *testing.T) {
	e := newEnv(t, standin.Options{})
	c, err := tiktok.New(tiktok.Config{BaseURL: e.base, AccessToken: e.s.Token(), QPS: 1000, InitialBackoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond, MaxRetryTime: time.Minute, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var d destination.Destination = &upload.Destination{Conn: &tiktok.Connection{AdvertiserID: e.adv, Client: c}, Uploader: e.u}
	if caps := d.Capabilities(); caps.Platform != destination.TikTok || len(caps.Keys) != 4 || caps.MinUsefulSize != 1000 {
		t.Errorf("capabilities %+v", caps)
	}
	ctx := context.Background()
	fx := writeManifest(t, filepath.Join(t.TempDir(), "c"), "s", "combined", nil, 2, 600)
	res, err := d.Deliver(ctx, destination.Delivery{ManifestPath: fx.manifest, AudienceName: "seam", Action: destination.Add})
	if err != nil {
		t.Fatal(err)
	}
	a := checkExactlyOnce(t, e.s, "seam", fx.hashes)
	if res.AudienceID != a.ID || res.Rows != 1200 {
		t.Fatalf("result %+v, audience %s", res, a.ID)
	}
	before := e.s.Stats().Uploads
	if again, err := d.Deliver(ctx, destination.Delivery{ManifestPath: fx.manifest, AudienceName: "seam", Action: destination.Add}); err != nil || again.AudienceID != a.ID || e.s.Stats().Uploads != before {
		t.Fatalf("the same delivery again: %+v, %v, %d uploads", again, err, e.s.Stats().Uploads-before)
	}

	// Two kinds of separate files would be two audiences: refused before any request.
	sep := writeManifest(t, filepath.Join(t.TempDir(), "s"), "t", "separate", []string{tiktok.EmailSHA256, tiktok.PhoneSHA256}, 1, 5)
	requests := e.s.Stats().Requests
	if _, err := d.Deliver(ctx, destination.Delivery{ManifestPath: sep.manifest, AudienceName: "two", Action: destination.Add}); err == nil || !strings.Contains(err.Error(), "combined layout") || e.s.Stats().Requests != requests {
		t.Fatalf("two kinds: %v", err)
	}
	if _, err := d.Deliver(ctx, destination.Delivery{ManifestPath: fx.manifest, AudienceName: "x", Action: destination.Remove}); err == nil {
		t.Fatal("a removal from a new audience was accepted")
	}

	st, err := d.Status(ctx, a.ID)
	if err != nil || st.ID != a.ID || st.Name != "seam" || st.SizeLower != st.SizeUpper || st.Status == "" {
		t.Fatalf("status %+v, %v", st, err)
	}
	if err := d.Rename(ctx, a.ID, "seam renamed"); err != nil {
		t.Fatal(err)
	}
	list, err := d.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != a.ID || list[0].Name != "seam renamed" || list[0].Updated.IsZero() {
		t.Fatalf("list %+v, %v", list, err)
	}
	if err := d.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := d.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after delete: %+v, %v", list, err)
	}
}
