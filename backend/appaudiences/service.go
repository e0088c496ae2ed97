// Package appaudiences is the app's Audiences view (issue 12): the
// advertiser's TikTok audiences (every page) and the Meta ad account's
// (issue 21, through the destination seam) with their platform, size and
// status in words; rename, delete, lookalike create (TikTok), and which
// saved syncs feed each audience.
// Nothing here imports Wails, so go test drives it against the stand-in.
package appaudiences

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/appmeta"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
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
	// StatusNotReady: a Meta audience ads cannot use yet (too small,
	// populating, flagged...); StatusText says which.
	StatusNotReady = "not_ready"
)

// Audience is one row of the view.
type Audience struct {
	// Platform is where the audience lives: "tiktok" or "meta".
	Platform destination.Platform `json:"platform"`
	ID       string               `json:"id"`
	Name     string               `json:"name"`
	// Type is TikTok's kind ("Customer File", "Lookalike", …).
	Type string `json:"type"`
	// CalculateType is the identifier kind of a customer file audience.
	CalculateType string `json:"calculate_type"`
	// MatchedUsers is TikTok's cover_num (0 while processing).
	MatchedUsers int64  `json:"matched_users"`
	Status       string `json:"status"`
	// StatusDetail is TikTok's own message, when it gives one.
	StatusDetail string `json:"status_detail,omitempty"`
	// StatusText is the status in words (Meta: from operation_status and
	// delivery_status).
	StatusText string `json:"status_text"`
	// SizeLower and SizeUpper bound the audience's size (Meta gives an
	// approximate range, TikTok one number); -1 when none is given yet.
	// Size says it in words ("14,000", "fewer than 1,000").
	SizeLower int64  `json:"size_lower"`
	SizeUpper int64  `json:"size_upper"`
	Size      string `json:"size"`
	Created   string `json:"created"` // RFC 3339 UTC, "" if TikTok gave none
	Expires   string `json:"expires,omitempty"`
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
	AdvertiserID string     `json:"advertiser_id"` // "" when TikTok is not set up
	AdAccount    string     `json:"ad_account"`    // "" when Meta is not set up
	Audiences    []Audience `json:"audiences"`
	// TikTokError and MetaError say why one platform's audiences are
	// missing while the other's are listed.
	TikTokError string `json:"tiktok_error,omitempty"`
	MetaError   string `json:"meta_error,omitempty"`
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

// errNoAdvertiser: TikTok is not set up (a Meta-only app lists Meta alone).
var errNoAdvertiser = errors.New("No TikTok advertiser is set. Open Settings > TikTok, enter the advertiser id and save a token.")

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
		return "", nil, errNoAdvertiser
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

// List reads every page of the advertiser's TikTok audiences and every
// audience of the Meta ad account, for each platform set up in Settings.
// When one platform fails and the other lists, the list says why one is
// missing; when nothing can be listed, the error says what to do.
func (s *Service) List() (*List, error) {
	out := &List{Audiences: []Audience{}}
	tiktokErr := s.listTikTok(out)
	st, err := s.cfg.LoadSettings()
	if err != nil {
		return nil, fmt.Errorf("The settings could not be read (%v). Open Settings and save them again.", err)
	}
	if st.Meta.AdAccount == "" {
		if tiktokErr != nil {
			return nil, tiktokErr
		}
		return out, nil
	}
	metaErr := s.listMeta(st, out)
	switch {
	case tiktokErr != nil && errors.Is(tiktokErr, errNoAdvertiser) && metaErr == nil:
		// Meta only: TikTok is simply not set up.
	case tiktokErr != nil && metaErr != nil:
		return nil, fmt.Errorf("%v %v", tiktokErr, metaErr)
	case tiktokErr != nil:
		out.TikTokError = tiktokErr.Error()
	case metaErr != nil:
		out.MetaError = metaErr.Error()
	}
	return out, nil
}

func (s *Service) listTikTok(out *List) error {
	adv, c, err := s.connect()
	if err != nil {
		return err
	}
	list, err := c.ListAudiences(s.ctx, adv)
	if err != nil {
		return fmt.Errorf("The TikTok audiences could not be listed: %v. Check the connection in Settings > TikTok, then press Refresh.", err)
	}
	out.AdvertiserID = adv
	for _, a := range list {
		out.Audiences = append(out.Audiences, row(a, adv))
	}
	return nil
}

// metaDestination opens the settings' Meta ad account behind the
// destination seam, for listing, renaming and deleting (Deliver is the
// upload's, with its journal: backend/appupload).
func (s *Service) metaDestination(st settings.Settings) (destination.Destination, string, error) {
	c, err := appmeta.Connect(s.ctx, st.Meta, "", s.cfg.Secrets)
	if err != nil {
		return nil, "", err
	}
	return &metaupload.Destination{Client: c}, c.AdAccount(), nil
}

func (s *Service) listMeta(st settings.Settings, out *List) error {
	d, acct, err := s.metaDestination(st)
	if err != nil {
		return err
	}
	list, err := d.List(s.ctx)
	if err != nil {
		return appmeta.Problem("The Meta audiences could not be listed", err)
	}
	out.AdAccount = acct
	for _, a := range list {
		out.Audiences = append(out.Audiences, metaRow(a))
	}
	return nil
}

func metaRow(a destination.Audience) Audience {
	r := Audience{Platform: destination.Meta, ID: a.ID, Name: a.Name, Type: "Customer list", Status: StatusNotReady,
		StatusText: a.Status, SizeLower: int64(a.SizeLower), SizeUpper: int64(a.SizeUpper), Syncs: []string{}}
	if a.Ready {
		r.Status = StatusReady
	}
	r.Size = appmeta.SizeWords(r.SizeLower, r.SizeUpper)
	if r.SizeLower > 0 {
		r.MatchedUsers = r.SizeLower
	}
	return r
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
	r := Audience{Platform: destination.TikTok, ID: a.AudienceID, Name: a.Name, Type: a.AudienceType, CalculateType: a.CalculateType,
		MatchedUsers: a.CoverNum, Shared: a.IsCreator != nil && !*a.IsCreator,
		Lookalike: strings.EqualFold(a.AudienceType, "Lookalike"), Syncs: []string{},
		SizeLower: a.CoverNum, SizeUpper: a.CoverNum}
	switch {
	case a.ErrorMsg != "":
		r.Status, r.StatusDetail, r.StatusText = StatusFailed, a.ErrorMsg, "TikTok reports an error"
	case !a.IsValid:
		r.Status, r.StatusDetail, r.StatusText = StatusProcessing, a.Msg, "TikTok is still matching it"
		r.SizeLower, r.SizeUpper = -1, -1
	case a.IsExpiring:
		r.Status, r.StatusDetail, r.StatusText = StatusExpiring, a.Msg, "expiring: unused audiences expire"
	default:
		r.Status, r.StatusText = StatusReady, "ready for use"
	}
	r.Size = appmeta.Count(a.CoverNum)
	if r.SizeLower < 0 {
		r.Size = "not available yet"
	}
	if t := a.Created(); !t.IsZero() {
		r.Created = t.UTC().Format("2006-01-02T15:04:05Z")
	}
	r.Expires = a.ExpiredTime
	return r
}

// Rename gives an audience a new name on its platform ("" is TikTok).
func (s *Service) Rename(platform destination.Platform, id, name string) error {
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n < 1 || n > 128 {
		return fmt.Errorf("The new name has %d characters; audiences take 1 to 128. Type a shorter or non-empty name.", n)
	}
	if platform == destination.Meta {
		d, err := s.meta()
		if err != nil {
			return err
		}
		if err := d.Rename(s.ctx, id, name); err != nil {
			return appmeta.Problem(fmt.Sprintf("Meta audience %s was not renamed", id), err)
		}
		return nil
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

// Delete deletes an audience on its platform ("" is TikTok). Syncs that
// feed it are left as they are: their next run creates it again only if
// they were saved with a name.
func (s *Service) Delete(platform destination.Platform, id string) error {
	if platform == destination.Meta {
		d, err := s.meta()
		if err != nil {
			return err
		}
		if err := d.Delete(s.ctx, id); err != nil {
			return appmeta.Problem(fmt.Sprintf("Meta audience %s was not deleted", id), err)
		}
		return nil
	}
	adv, c, err := s.connect()
	if err != nil {
		return err
	}
	if err := c.DeleteAudiences(s.ctx, adv, []string{id}); err != nil {
		return fmt.Errorf("Audience %s was not deleted: %v. Press Refresh to see whether it still exists, then try again.", id, err)
	}
	return nil
}

// meta opens the Meta ad account of the settings of the moment.
func (s *Service) meta() (destination.Destination, error) {
	st, err := s.cfg.LoadSettings()
	if err != nil {
		return nil, fmt.Errorf("The settings could not be read (%v). Open Settings and save them again.", err)
	}
	d, _, err := s.metaDestination(st)
	return d, err
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
