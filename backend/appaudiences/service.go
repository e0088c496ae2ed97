// Package appaudiences is the app's Audiences view (issue 12): the
// advertiser's TikTok audiences (every page) with their status, rename,
// delete, lookalike create, and which saved syncs feed each audience.
// Nothing here imports Wails, so go test drives it against the stand-in.
package appaudiences

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// Status of an audience as the view shows it.
const (
	StatusProcessing = "processing" // TikTok is still matching (is_valid false)
	StatusReady      = "ready"
	StatusExpiring   = "expiring" // is_expiring: unused audiences expire
	StatusFailed     = "failed"   // TikTok reports an error_msg
)

// Audience is one row of the view.
type Audience struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Type is TikTok's kind ("Customer File", "Lookalike", …).
	Type string `json:"type"`
	// CalculateType is the identifier kind of a customer file audience.
	CalculateType string `json:"calculate_type"`
	// MatchedUsers is TikTok's cover_num (0 while processing).
	MatchedUsers int64  `json:"matched_users"`
	Status       string `json:"status"`
	// StatusDetail is TikTok's own message, when it gives one.
	StatusDetail string `json:"status_detail,omitempty"`
	Created      string `json:"created"` // RFC 3339 UTC, "" if TikTok gave none
	Expires      string `json:"expires,omitempty"`
	// Shared audiences (another advertiser made them) cannot be renamed,
	// deleted or updated from here.
	Shared bool `json:"shared"`
	// Lookalike marks an audience that cannot seed another lookalike.
	Lookalike bool `json:"lookalike"`
	// Syncs are the saved syncs that feed this audience.
	Syncs []string `json:"syncs"`
}

// List is the view's content.
type List struct {
	AdvertiserID string     `json:"advertiser_id"`
	Audiences    []Audience `json:"audiences"`
}

// LookalikeRequest is the lookalike dialog's answer.
type LookalikeRequest struct {
	SourceID      string   `json:"source_id"`
	Name          string   `json:"name"`
	AudienceSize  string   `json:"audience_size"` // NARROW, BALANCED, BROAD
	LocationIDs   []string `json:"location_ids"`
	MobileOS      string   `json:"mobile_os"`  // ALL (default), ANDROID, IOS
	Placements    []string `json:"placements"` // default TIKTOK
	IncludeSource bool     `json:"include_source"`
}

// SyncTarget is a saved sync and the audience it feeds.
type SyncTarget struct {
	Name       string
	AudienceID string
}

// Config wires the service. Zero values take the defaults.
type Config struct {
	Secrets      secrets.Store                     // default the OS keychain
	LoadSettings func() (settings.Settings, error) // default settings.Load
	QPS          float64                           // default 5
}

// Service answers the view's calls with the settings of the moment.
type Service struct {
	ctx context.Context
	cfg Config
}

// New returns a service whose calls are bounded by ctx.
func New(ctx context.Context, cfg Config) *Service {
	if cfg.Secrets == nil {
		cfg.Secrets = secrets.Keychain()
	}
	if cfg.LoadSettings == nil {
		cfg.LoadSettings = settings.Load
	}
	if cfg.QPS <= 0 {
		cfg.QPS = 5
	}
	return &Service{ctx: ctx, cfg: cfg}
}

// connect builds a client for the advertiser in the settings.
func (s *Service) connect() (string, *tiktok.Client, error) { return s.Client("") }

// Client builds a TikTok client for advertiserID ("" means the one in the
// settings) with the settings and token of the moment (tiktok.Connect),
// each failure worded for the window. The sync engine connects through it too.
func (s *Service) Client(advertiserID string) (string, *tiktok.Client, error) {
	st, err := s.cfg.LoadSettings()
	if err != nil {
		return "", nil, fmt.Errorf("The settings could not be read (%v). Open Settings and save them again.", err)
	}
	conn, err := tiktok.Connect(s.ctx, tiktok.ConnectOptions{Settings: st.TikTok, AdvertiserID: advertiserID, Secrets: s.cfg.Secrets, QPS: s.cfg.QPS})
	switch tiktok.StepOf(err) {
	case "":
		if err != nil {
			return "", nil, err
		}
		return conn.AdvertiserID, conn.Client, nil
	case tiktok.StepAdvertiser:
		return "", nil, errors.New("No TikTok advertiser is set. Open Settings > TikTok, enter the advertiser id and save a token.")
	case tiktok.StepBaseURL:
		return "", nil, fmt.Errorf("The TikTok address in Settings is not usable (%v). Open Settings > TikTok and correct it.", errors.Unwrap(err))
	case tiktok.StepToken:
		adv := strings.TrimSpace(advertiserID)
		if adv == "" {
			adv = strings.TrimSpace(st.TikTok.AdvertiserID)
		}
		return "", nil, fmt.Errorf("No TikTok token could be read for advertiser %s (%v). Open Settings > TikTok and save the token again.", adv, errors.Unwrap(err))
	}
	return "", nil, errors.Unwrap(err)
}

// List reads every page of the advertiser's audiences.
func (s *Service) List() (*List, error) {
	adv, c, err := s.connect()
	if err != nil {
		return nil, err
	}
	list, err := c.ListAudiences(s.ctx, adv)
	if err != nil {
		return nil, fmt.Errorf("The audiences could not be listed: %v. Check the connection in Settings > TikTok, then press Refresh.", err)
	}
	out := &List{AdvertiserID: adv, Audiences: make([]Audience, 0, len(list))}
	for _, a := range list {
		out.Audiences = append(out.Audiences, row(a, adv))
	}
	return out, nil
}

// MarkSyncs names, on each row, the saved syncs that feed its audience.
// The root calls it with the Syncs view's targets, so this service never
// calls the syncs' (which call this one's List).
func (l *List) MarkSyncs(targets []SyncTarget) {
	feeds := map[string][]string{}
	for _, t := range targets {
		if t.AudienceID != "" {
			feeds[t.AudienceID] = append(feeds[t.AudienceID], t.Name)
		}
	}
	for i := range l.Audiences {
		if f := feeds[l.Audiences[i].ID]; f != nil {
			l.Audiences[i].Syncs = f
		}
	}
}

func row(a tiktok.Audience, adv string) Audience {
	r := Audience{ID: a.AudienceID, Name: a.Name, Type: a.AudienceType, CalculateType: a.CalculateType,
		MatchedUsers: a.CoverNum, Shared: a.IsCreator != nil && !*a.IsCreator,
		Lookalike: strings.EqualFold(a.AudienceType, "Lookalike"), Syncs: []string{}}
	switch {
	case a.ErrorMsg != "":
		r.Status, r.StatusDetail = StatusFailed, a.ErrorMsg
	case !a.IsValid:
		r.Status, r.StatusDetail = StatusProcessing, a.Msg
	case a.IsExpiring:
		r.Status, r.StatusDetail = StatusExpiring, a.Msg
	default:
		r.Status = StatusReady
	}
	if t := a.Created(); !t.IsZero() {
		r.Created = t.UTC().Format("2006-01-02T15:04:05Z")
	}
	r.Expires = a.ExpiredTime
	return r
}

// Rename gives an audience a new name.
func (s *Service) Rename(id, name string) error {
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n < 1 || n > 128 {
		return fmt.Errorf("The new name has %d characters; TikTok takes 1 to 128. Type a shorter or non-empty name.", n)
	}
	adv, c, err := s.connect()
	if err != nil {
		return err
	}
	if err := c.RenameAudience(s.ctx, adv, id, name); err != nil {
		return fmt.Errorf("Audience %s was not renamed: %v. Press Refresh to see its current name, then try again.", id, err)
	}
	return nil
}

// Delete deletes an audience at TikTok. Syncs that feed it are left as they
// are: their next run creates it again only if they were saved with a name.
func (s *Service) Delete(id string) error {
	adv, c, err := s.connect()
	if err != nil {
		return err
	}
	if err := c.DeleteAudiences(s.ctx, adv, []string{id}); err != nil {
		return fmt.Errorf("Audience %s was not deleted: %v. Press Refresh to see whether it still exists, then try again.", id, err)
	}
	return nil
}

// CreateLookalike makes a lookalike of a customer file audience and returns
// the new audience's id.
func (s *Service) CreateLookalike(req LookalikeRequest) (string, error) {
	spec := tiktok.LookalikeSpec{SourceAudienceID: req.SourceID, IncludeSource: req.IncludeSource, MobileOS: req.MobileOS,
		Placements: req.Placements, AudienceSize: req.AudienceSize}
	if spec.MobileOS == "" {
		spec.MobileOS = "ALL"
	}
	if len(spec.Placements) == 0 {
		spec.Placements = []string{"TIKTOK"}
	}
	for _, id := range req.LocationIDs {
		if id = strings.TrimSpace(id); id != "" {
			spec.LocationIDs = append(spec.LocationIDs, id)
		}
	}
	name := strings.TrimSpace(req.Name)
	adv, c, err := s.connect()
	if err != nil {
		return "", err
	}
	id, err := c.CreateLookalike(s.ctx, tiktok.LookalikeRequest{AdvertiserID: adv, Name: name, Spec: spec})
	switch {
	case errors.Is(err, tiktok.ErrOutcomeUnknown):
		return "", fmt.Errorf("TikTok did not answer whether lookalike %q was created (%v). Press Refresh and look for it before trying again, so that it is not made twice.", name, err)
	case err != nil:
		return "", fmt.Errorf("The lookalike was not created: %v. Correct the choice in the dialog and try again.", err)
	}
	return id, nil
}
