package tiktok_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// seedAudience uploads n hashes into a new customer file audience.
func seedAudience(t *testing.T, c *tiktok.Client, adv, name string, n int) string {
	t.Helper()
	ctx := context.Background()
	p, m := writeHashFile(t, t.TempDir(), "seed.csv", name, n)
	fp, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: adv, CalculateType: tiktok.EmailSHA256, Path: p, MD5: m})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: adv, Name: name, FilePaths: []string{fp}, CalculateType: tiktok.EmailSHA256})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRenameAudienceKeepsMembers(t *testing.T) {
	s := standin.New(standin.Options{})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil)
	ctx := context.Background()
	adv := s.Advertiser()
	id := seedAudience(t, c, adv, "customers", 1200)
	if err := c.RenameAudience(ctx, adv, id, "Customers (weekly)"); err != nil {
		t.Fatal(err)
	}
	d, err := c.GetAudience(ctx, adv, id, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d.Audience.Name != "Customers (weekly)" || d.Audience.CoverNum != 840 || len(d.History) != 1 {
		t.Fatalf("after rename: %+v", d)
	}
	if err := c.RenameAudience(ctx, adv, id, ""); err == nil || !strings.Contains(err.Error(), "1–128") {
		t.Fatalf("empty name: %v", err)
	}
	if err := c.RenameAudience(ctx, adv, "7300000000000000999", "x"); !errors.Is(err, tiktok.ErrNotExist) {
		t.Fatalf("rename of a missing audience = %v, want ErrNotExist", err)
	}
}

func TestCreateLookalike(t *testing.T) {
	s := standin.New(standin.Options{})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil)
	ctx := context.Background()
	adv := s.Advertiser()
	seed := seedAudience(t, c, adv, "buyers", 1000)
	spec := tiktok.LookalikeSpec{SourceAudienceID: seed, MobileOS: "ALL", Placements: []string{"TIKTOK"},
		LocationIDs: []string{"6252001"}, AudienceSize: tiktok.LookalikeBalanced}
	id, err := c.CreateLookalike(ctx, tiktok.LookalikeRequest{AdvertiserID: adv, Name: "buyers lookalike", Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListAudiences(ctx, adv)
	if err != nil {
		t.Fatal(err)
	}
	var got *tiktok.Audience
	for i := range list {
		if list[i].AudienceID == id {
			got = &list[i]
		}
	}
	if got == nil || got.AudienceType != "Lookalike" || got.Name != "buyers lookalike" || got.CoverNum == 0 {
		t.Fatalf("lookalike in list: %+v", got)
	}

	// A lookalike cannot seed another one (the stand-in enforces TikTok's rule).
	spec.SourceAudienceID = id
	if _, err := c.CreateLookalike(ctx, tiktok.LookalikeRequest{AdvertiserID: adv, Name: "second", Spec: spec}); err == nil {
		t.Fatal("a lookalike of a lookalike was accepted")
	}
	// Refused before sending: a size TikTok does not know.
	spec.SourceAudienceID, spec.AudienceSize = seed, "HUGE"
	if _, err := c.CreateLookalike(ctx, tiktok.LookalikeRequest{AdvertiserID: adv, Name: "x", Spec: spec}); err == nil || !strings.Contains(err.Error(), "NARROW, BALANCED or BROAD") {
		t.Fatalf("bad size: %v", err)
	}
	if err := c.DeleteAudiences(ctx, adv, []string{id}); err != nil {
		t.Fatal(err)
	}
}

// TestStandinLookalikeRequiredFields: the stand-in refuses a body missing
// any field TikTok's SDK marks required (sent raw, past the client's check).
func TestStandinLookalikeRequiredFields(t *testing.T) {
	s := standin.New(standin.Options{})
	base := standintest.Start(t, s)
	c := newClient(t, base, s.Token(), nil)
	seed := seedAudience(t, c, s.Advertiser(), "seed", 150)
	small := seedAudience(t, c, s.Advertiser(), "small", 50)
	full := `"source_audience_id":"` + seed + `","include_source":false,"mobile_os":"ALL","placements":["TIKTOK"],"location_ids":["6252001"],"audience_size":"NARROW"`
	cases := map[string]string{
		"include_source": strings.Replace(full, `"include_source":false,`, "", 1),
		"mobile_os":      strings.Replace(full, `"mobile_os":"ALL",`, "", 1),
		"placements":     strings.Replace(full, `"placements":["TIKTOK"],`, "", 1),
		"location_ids":   strings.Replace(full, `"location_ids":["6252001"],`, "", 1),
		"audience_size":  strings.Replace(full, `,"audience_size":"NARROW"`, "", 1),
		"at least 100":   strings.Replace(full, seed, small, 1),
	}
	for want, spec := range cases {
		body := `{"advertiser_id":"` + s.Advertiser() + `","custom_audience_name":"lal","lookalike_spec":{` + spec + `}}`
		code, msg := postRaw(t, base, s.Token(), "dmp/custom_audience/lookalike/create/", body)
		if code == 0 || !strings.Contains(msg, want) {
			t.Errorf("without %s: code %d %q", want, code, msg)
		}
	}
	body := `{"advertiser_id":"` + s.Advertiser() + `","custom_audience_name":"lal","lookalike_spec":{` + full + `}}`
	if code, msg := postRaw(t, base, s.Token(), "dmp/custom_audience/lookalike/create/", body); code != 0 {
		t.Fatalf("full body refused: %d %s", code, msg)
	}
}

// postRaw sends body as JSON to the stand-in and returns the envelope's code and message.
func postRaw(t *testing.T, base, token, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"v1.3/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Access-Token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env.Code, env.Message
}
