package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Managing audiences (issue 12's Audiences view): rename and lookalikes.
// Listing every page is ListAudiences, deleting is DeleteAudiences.

// RenameAudience sets an audience's name: dmp/custom_audience/update with
// custom_audience_name and no file_paths, which changes nothing else.
// Setting a name twice is harmless, so it is retried like a read.
func (c *Client) RenameAudience(ctx context.Context, advertiserID, audienceID, name string) error {
	if n := len([]rune(name)); n < 1 || n > 128 {
		return fmt.Errorf("rename audience %s: the name must be 1–128 characters, got %d", audienceID, n)
	}
	body := map[string]string{"advertiser_id": advertiserID, "custom_audience_id": audienceID, "custom_audience_name": name}
	return c.do(ctx, request{op: fmt.Sprintf("rename audience %s", audienceID), method: http.MethodPost,
		path: "dmp/custom_audience/update", advertiserID: advertiserID, contentType: "application/json",
		body: jsonBody(body), idempotent: true}, nil)
}

// Lookalike audience sizes, mobile systems and placements as TikTok's SDK
// (yml_files/dmp_custom_audience_lookalike_create.yml) enumerates them.
const (
	LookalikeNarrow   = "NARROW"
	LookalikeBalanced = "BALANCED"
	LookalikeBroad    = "BROAD"
)

// LookalikeSpec is lookalike_spec: every field is required by TikTok.
type LookalikeSpec struct {
	SourceAudienceID string `json:"source_audience_id"`
	// IncludeSource puts the seed's own users in the lookalike too.
	IncludeSource bool `json:"include_source"`
	// MobileOS is ALL, ANDROID or IOS.
	MobileOS string `json:"mobile_os"`
	// Placements are the apps the ads run in, e.g. TIKTOK, PANGLE.
	Placements []string `json:"placements"`
	// LocationIDs are TikTok location ids (6252001 is the United States).
	LocationIDs []string `json:"location_ids"`
	// AudienceSize is NARROW, BALANCED or BROAD.
	AudienceSize string `json:"audience_size"`
}

// LookalikeRequest is dmp/custom_audience/lookalike/create's body.
type LookalikeRequest struct {
	AdvertiserID string        `json:"advertiser_id"`
	Name         string        `json:"custom_audience_name"`
	Spec         LookalikeSpec `json:"lookalike_spec"`
}

// CreateLookalike makes a lookalike of a customer file audience and returns
// its id. Like CreateAudience it is resent only when TikTok certainly
// refused it; otherwise the error wraps ErrOutcomeUnknown.
func (c *Client) CreateLookalike(ctx context.Context, lr LookalikeRequest) (string, error) {
	op := fmt.Sprintf("create lookalike audience %q", lr.Name)
	if err := lr.check(); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	var out struct {
		ID json.Number `json:"custom_audience_id"`
	}
	err := c.do(ctx, request{op: op, method: http.MethodPost, path: "dmp/custom_audience/lookalike/create",
		advertiserID: lr.AdvertiserID, contentType: "application/json", body: jsonBody(lr)}, &out)
	if err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("%s: TikTok returned no custom_audience_id", op)
	}
	return out.ID.String(), nil
}

// check refuses a request TikTok would refuse, before sending it.
func (lr LookalikeRequest) check() error {
	s := lr.Spec
	switch {
	case len([]rune(lr.Name)) < 1 || len([]rune(lr.Name)) > 128:
		return fmt.Errorf("the name must be 1–128 characters, got %d", len([]rune(lr.Name)))
	case s.SourceAudienceID == "":
		return fmt.Errorf("choose the source audience")
	case s.AudienceSize != LookalikeNarrow && s.AudienceSize != LookalikeBalanced && s.AudienceSize != LookalikeBroad:
		return fmt.Errorf("the size must be NARROW, BALANCED or BROAD, got %q", s.AudienceSize)
	case s.MobileOS != "ALL" && s.MobileOS != "ANDROID" && s.MobileOS != "IOS":
		return fmt.Errorf("the mobile system must be ALL, ANDROID or IOS, got %q", s.MobileOS)
	case len(s.Placements) == 0:
		return fmt.Errorf("choose at least one placement")
	case len(s.LocationIDs) == 0:
		return fmt.Errorf("choose at least one location")
	}
	return nil
}
