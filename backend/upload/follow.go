package upload

import (
	"context"
	"fmt"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// AudienceStatus is what a person is shown about an audience on TikTok.
type AudienceStatus struct {
	AudienceID    string  `json:"audience_id"`
	Name          string  `json:"name"`
	CalculateType string  `json:"calculate_type"`
	Ready         bool    `json:"ready"` // TikTok's is_valid
	IsExpiring    bool    `json:"is_expiring"`
	ExpiredTime   string  `json:"expired_time,omitempty"`
	MatchedUsers  int64   `json:"matched_users"`           // cover_num
	RowsUploaded  int64   `json:"rows_uploaded,omitempty"` // 0 when unknown (appended to an older audience)
	MatchRate     float64 `json:"match_rate,omitempty"`    // matched / rows uploaded; can exceed 1
	// Messages are audience_history and error texts (e.g. rows TikTok
	// failed to parse), newest first.
	Messages   []string  `json:"messages,omitempty"`
	LastAction string    `json:"last_action,omitempty"`
	CheckedAt  time.Time `json:"checked_at"`
}

func statusOf(d *tiktok.AudienceDetail, rows int64) *AudienceStatus {
	a := d.Audience
	s := &AudienceStatus{AudienceID: a.AudienceID, Name: a.Name, CalculateType: a.CalculateType, Ready: a.IsValid,
		IsExpiring: a.IsExpiring, ExpiredTime: a.ExpiredTime, MatchedUsers: a.CoverNum, RowsUploaded: rows, CheckedAt: time.Now()}
	if a.IsValid && rows > 0 {
		s.MatchRate = float64(a.CoverNum) / float64(rows)
	}
	for _, m := range []string{a.ErrorMsg, a.Msg} {
		if m != "" {
			s.Messages = append(s.Messages, m)
		}
	}
	for _, h := range d.History {
		if h.Msg != "" {
			s.Messages = append(s.Messages, fmt.Sprintf("%s %s: %s", h.OptTime, h.Action, h.Msg))
		}
	}
	if len(d.History) > 0 {
		s.LastAction = d.History[0].Action
	}
	return s
}

// Status reads an audience once. rows is the number of rows uploaded to it
// (for the match rate); pass 0 to look it up in the state database.
func (u *Uploader) Status(ctx context.Context, advertiserID, audienceID string, rows int64) (*AudienceStatus, error) {
	if rows == 0 {
		var err error
		if rows, err = u.cfg.Store.RowsForAudience(ctx, audienceID); err != nil {
			return nil, err
		}
	}
	d, err := u.cfg.Client.GetAudience(ctx, advertiserID, audienceID, 20)
	if err != nil {
		return nil, fmt.Errorf("read status of audience %s: %w", audienceID, err)
	}
	st := statusOf(d, rows)
	if err := u.cfg.Store.recordStatus(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}

// Follow polls an audience with backoff until TikTok reports it ready (or
// ctx ends), emitting a status event at each poll. TikTok can take up to 48
// hours; the caller bounds the wait with ctx.
func (u *Uploader) Follow(ctx context.Context, advertiserID, audienceID string, rows int64) (*AudienceStatus, error) {
	wait := u.cfg.PollInitial
	for {
		s, err := u.Status(ctx, advertiserID, audienceID, rows)
		if err != nil {
			return nil, err
		}
		rows = s.RowsUploaded
		u.emit(Event{Kind: EventStatus, AudienceID: audienceID, Status: s})
		if s.Ready {
			return s, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return s, fmt.Errorf("waiting for audience %s to be ready: %w", audienceID, err)
		}
		wait = min(wait*3/2, u.cfg.PollMax)
	}
}
