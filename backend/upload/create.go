// Creating an audience exactly once.

package upload

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// create makes the audience exactly once. Before the first attempt the ids
// of the advertiser's audiences of that name are stored with
// create_started_at; a run killed while the request was in flight, or a
// request whose outcome is unknown, then looks for an audience of that name
// that was not there before and that this advertiser created. Any definite
// answer clears both, so a later run starts afresh.
func (u *Uploader) create(ctx context.Context, job *Job, t *Target, b *batchState, files []fileState) error {
	wait := u.cfg.RetryWait
	for attempt := 1; ; attempt++ {
		if t.AudienceID == "" && t.CreateStartedAt != "" {
			id, err := u.findCreated(ctx, job, t)
			if err != nil {
				return err
			}
			if id != "" {
				u.logf(job.ID, "info", "found audience %s created by an earlier attempt; not creating another", id)
				if err := u.adopt(ctx, job, t, id); err != nil {
					return err
				}
			}
		}
		if t.AudienceID != "" {
			b.status = batchDone
			return u.cfg.Store.setBatch(ctx, job.ID, *b)
		}
		if t.CreateStartedAt == "" {
			before, err := u.sameNamed(ctx, job, t)
			if err != nil {
				return err
			}
			ids := make([]string, 0, len(before))
			for _, a := range before {
				ids = append(ids, a.AudienceID)
			}
			ts := time.Now().UTC().Format(time.RFC3339Nano)
			if err := u.cfg.Store.setCreateStarted(ctx, job.ID, t.CalculateType, ts, ids); err != nil {
				return err
			}
			t.CreateStartedAt, t.existing = ts, ids
		}
		id, err := u.cfg.Client.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: job.AdvertiserID, Name: t.AudienceName,
			FilePaths: batchPaths(files, t.CalculateType, b.no), CalculateType: t.CalculateType})
		if err == nil {
			if err := u.adopt(ctx, job, t, id); err != nil {
				return err
			}
			b.status = batchDone
			return u.cfg.Store.setBatch(ctx, job.ID, *b)
		}
		if !isUnclear(err) {
			// Refused outright (token, permission, parameters, expired
			// files): nothing was created, and nothing made later under
			// that name may be taken for ours.
			if serr := u.cfg.Store.setCreateStarted(ctx, job.ID, t.CalculateType, "", nil); serr != nil {
				return serr
			}
			t.CreateStartedAt, t.existing = "", nil
			return err
		}
		what := fmt.Sprintf("create audience %q", t.AudienceName)
		if err := u.waitToReconcile(ctx, job, attempt, &wait, what, what, err); err != nil {
			return err
		}
	}
}

func (u *Uploader) adopt(ctx context.Context, job *Job, t *Target, id string) error {
	if err := u.cfg.Store.setAudienceID(context.Background(), job.ID, t.CalculateType, id); err != nil {
		return err
	}
	t.AudienceID = id
	u.emit(Event{JobID: job.ID, Kind: EventAudience, AudienceID: id, Message: t.AudienceName})
	u.logf(job.ID, "info", "audience %s (%q) belongs to this job", id, t.AudienceName)
	return nil
}

// sameNamed lists the advertiser's audiences (every page) with the
// target's name.
func (u *Uploader) sameNamed(ctx context.Context, job *Job, t *Target) ([]tiktok.Audience, error) {
	list, err := u.cfg.Client.ListAudiences(ctx, job.AdvertiserID)
	if err != nil {
		return nil, fmt.Errorf("list audiences named %q: %w", t.AudienceName, err)
	}
	var out []tiktok.Audience
	for _, a := range list {
		if a.Name == t.AudienceName {
			out = append(out, a)
		}
	}
	return out, nil
}

// findCreated looks for the audience an unclear create made: the target's
// name and type, not among the ids seen before the first attempt, not owned
// by another job, and created by this advertiser (get's is_creator: an
// audience shared by another advertiser is never taken). create_time is not
// used: TikTok does not say which zone it is in.
func (u *Uploader) findCreated(ctx context.Context, job *Job, t *Target) (string, error) {
	named, err := u.sameNamed(ctx, job, t)
	if err != nil {
		return "", fmt.Errorf("look for an audience created by an earlier attempt: %w", err)
	}
	before := map[string]bool{}
	for _, id := range t.existing {
		before[id] = true
	}
	var fresh []string
	for _, a := range named {
		if before[a.AudienceID] || (a.CalculateType != "" && a.CalculateType != t.CalculateType) {
			continue
		}
		claimed, err := u.cfg.Store.claimedAudience(ctx, job.ID, a.AudienceID)
		if err != nil {
			return "", err
		}
		if !claimed {
			fresh = append(fresh, a.AudienceID)
		}
	}
	if len(fresh) == 0 {
		return "", nil
	}
	var ours, unknown []string
	for i := 0; i < len(fresh); i += 100 {
		details, err := u.cfg.Client.GetAudiences(ctx, job.AdvertiserID, fresh[i:min(i+100, len(fresh))], 0)
		if err != nil {
			return "", fmt.Errorf("look for an audience created by an earlier attempt: %w", err)
		}
		for _, d := range details {
			switch c := d.Audience.IsCreator; {
			case c == nil:
				unknown = append(unknown, d.Audience.AudienceID)
			case *c:
				ours = append(ours, d.Audience.AudienceID)
			}
		}
	}
	switch {
	case len(ours) > 1:
		return "", fmt.Errorf("an earlier attempt to create audience %q had no clear answer, and now %d audiences of that name (%s) that were not there before belong to this advertiser: it cannot be told which is this upload's, so nothing more was sent. Delete the extra ones in TikTok Ads Manager (or rename them), then resume", t.AudienceName, len(ours), strings.Join(ours, ", "))
	case len(ours) == 1:
		return ours[0], nil
	case len(unknown) > 0:
		return "", fmt.Errorf("an earlier attempt to create audience %q had no clear answer, and TikTok does not say who created the new audience(s) of that name (%s), so nothing more was sent. Check them in TikTok Ads Manager, delete any this upload made, then resume", t.AudienceName, strings.Join(unknown, ", "))
	}
	return "", nil
}
