// Updating an audience one batch at a time, exactly once.

package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// update sends one batch exactly once: before sending, the audience's
// history is recorded (once the earlier batch shows in it); if the outcome
// is unknown (or the run was killed mid-request), a new entry with the
// batch's action means TikTok applied it.
func (u *Uploader) update(ctx context.Context, job *Job, t *Target, b *batchState, files []fileState) error {
	wait := u.cfg.RetryWait
	for attempt := 1; ; attempt++ {
		if b.status == batchSending {
			applied, err := u.appliedSince(ctx, job, t, b)
			if err != nil {
				return err
			}
			if applied {
				u.logf(job.ID, "info", "%s of batch %d was applied by an earlier attempt", b.action, b.no)
				b.status = batchDone
				return u.cfg.Store.setBatch(ctx, job.ID, *b)
			}
		} else {
			settled, err := u.settle(ctx, job, t, b)
			if err != nil {
				return err
			}
			h, err := u.readHistory(ctx, job, t.AudienceID)
			if err != nil {
				return err
			}
			mark, _ := json.Marshal(markOf(h))
			b.status, b.historyCount, b.historyTop = batchSending, len(h), string(mark)
			if !settled {
				// The earlier batch never showed: its entry may still come
				// and could not be told from this one's.
				b.historyCount = historyUnsettled
			}
			if err := u.cfg.Store.setBatch(ctx, job.ID, *b); err != nil {
				return err
			}
		}
		err := u.cfg.Client.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: job.AdvertiserID, AudienceID: t.AudienceID,
			FilePaths: batchPaths(files, t.CalculateType, b.no), Action: b.action})
		if err == nil {
			b.status = batchDone
			return u.cfg.Store.setBatch(ctx, job.ID, *b)
		}
		if !isUnclear(err) {
			// Refused outright: nothing changed, so the next try starts clean.
			b.status = batchPending
			if serr := u.cfg.Store.setBatch(ctx, job.ID, *b); serr != nil {
				return serr
			}
			return err
		}
		if err := u.waitToReconcile(ctx, job, attempt, &wait, fmt.Sprintf("%s audience %s", b.action, t.AudienceID),
			fmt.Sprintf("%s to audience %s", b.action, t.AudienceID), err); err != nil {
			return err
		}
	}
}

// appliedSince tells from the history whether a batch sent with an unknown
// outcome was applied.
func (u *Uploader) appliedSince(ctx context.Context, job *Job, t *Target, b *batchState) (bool, error) {
	h, err := u.readHistory(ctx, job, t.AudienceID)
	if err != nil {
		return false, err
	}
	var mark historyMark
	if json.Unmarshal([]byte(b.historyTop), &mark) != nil {
		return legacyApplied(h, b), nil
	}
	n := mark.newSince(h, b.action)
	if b.historyCount == historyUnsettled && n > 0 {
		// The new entry may be the earlier batch's late one.
		return false, fmt.Errorf("cannot tell whether %s of batch %d to audience %s was applied: TikTok's history had not shown the batch before it when it was sent. Check the audience in TikTok Ads Manager, then resume", b.action, b.no+1, t.AudienceID)
	}
	return n > 0, nil
}

// legacyApplied is the rule of marks stored by earlier versions (a count
// and a digest of 20 entries): a changed history means applied.
func legacyApplied(h []tiktok.History, b *batchState) bool {
	const window = 20
	if len(h) > window {
		h = h[:window]
	}
	d := sha256.New()
	for _, e := range h {
		fmt.Fprintf(d, "%s|%s|%s|%s\n", e.Action, e.ActionDetail, e.OptTime, e.Msg)
	}
	return (b.historyCount < window && len(h) > b.historyCount) || hex.EncodeToString(d.Sum(nil)) != b.historyTop
}
