package syncs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// AudienceGoneError is a sync whose audience TikTok no longer has (deleted
// in Ads Manager, or expired): no run can change it. Recreate starts over
// into a new audience.
type AudienceGoneError struct {
	Sync       string
	AudienceID string
	Platform   string // "Meta" for a sync to Meta; "" is TikTok
}

func (e *AudienceGoneError) Error() string {
	where := e.Platform
	if where == "" {
		where = "TikTok"
	}
	return fmt.Sprintf("audience %s of sync %s no longer exists on %s (it was deleted, or it expired), so nothing was sent: start over into a new audience with 'sync run %s --recreate' (in the app: Start over), which discards this sync's record of the old one",
		e.AudienceID, e.Sync, where, e.Sync)
}

// IsAudienceGone reports whether err is a sync whose audience is gone.
func IsAudienceGone(err error) bool {
	var g *AudienceGoneError
	return errors.As(err, &g)
}

// notFound reports whether TikTok answered that an audience does not exist
// (40007; GetAudience also reports an audience missing from its answer so),
// or Meta did (metaNotFound).
func notFound(err error) bool {
	var api *tiktok.APIError
	return errors.As(err, &api) && api.Code == 40007 || metaNotFound(err)
}

// markGone records on the definition that its audience is gone, so that
// saving the sync again never takes that id back. Caller holds the lock.
func (s *Service) markGone(name, id string) error {
	d, err := s.loadDef(name)
	if err != nil {
		return err
	}
	if d.AudienceGone == id {
		return nil
	}
	d.AudienceGone = id
	return writeJSONFile(filepath.Join(s.syncDir(name), defFile), d)
}

// gone makes a "does not exist" answer about the sync's audience an
// *AudienceGoneError (and records it); other errors pass.
func (s *Service) gone(name, id string, err error) error {
	if id == "" || !notFound(err) {
		return err
	}
	g := &AudienceGoneError{Sync: name, AudienceID: id}
	if d, derr := s.loadDef(name); derr == nil && d.isMeta() {
		g.Platform = "Meta"
	}
	if merr := s.markGone(name, id); merr != nil {
		return fmt.Errorf("%w (and recording that failed: %v)", g, merr)
	}
	return g
}

// Recreate starts sync name over into a new audience after its audience
// was deleted at TikTok: it checks that TikTok really no longer has it,
// discards the unfinished run and the record of what was sent (both about
// the deleted audience), and points the sync at a new audience named
// audienceName ("" keeps the sync's name for it, or "sync NAME"), which its
// next run creates with the whole list. A sync whose audience still
// exists is left alone.
func (s *Service) Recreate(ctx context.Context, name, audienceName string) (*Definition, error) {
	d, err := s.loadDef(name)
	if err != nil {
		return nil, err
	}
	fl, err := s.lock(name)
	if err != nil {
		return nil, err
	}
	defer fl.Unlock()
	st, err := s.loadState(name)
	if err != nil {
		return nil, err
	}
	old := d.AudienceID
	if old == "" && st != nil {
		old = st.AudienceID
	}
	if old == "" {
		return nil, usagef("sync %s has no audience yet: its next run creates %q, so there is nothing to start over", name, d.AudienceName)
	}
	conn, err := s.connect(ctx, d)
	if err != nil {
		return nil, err
	}
	if _, err := s.audienceMarks(ctx, conn, old); err == nil {
		return nil, usagef("audience %s of sync %s still exists on %s, so the sync was not started over: run it as usual, or save it with another --audience to feed a new one", old, name, d.platformName())
	} else if !notFound(err) {
		return nil, fmt.Errorf("read audience %s: %w", old, err)
	}
	if err := s.dropState(name); err != nil {
		return nil, err
	}
	if audienceName == "" {
		audienceName = d.AudienceName
	}
	if audienceName == "" {
		audienceName = "sync " + name
	}
	d.AudienceID, d.AudienceName, d.AudienceGone = "", audienceName, old
	if err := d.normalize(); err != nil {
		return nil, err
	}
	if err := writeJSONFile(filepath.Join(s.syncDir(name), defFile), d); err != nil {
		return nil, err
	}
	return d, nil
}
