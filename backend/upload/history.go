// Reading an audience's history to tell what a create or update did.

package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// historyWindow is how many history entries are read to tell whether an
// update was applied (TikTok returns at most 100).
const historyWindow = 100

// historyUnsettled in a batch's history_count: its mark was taken before
// the earlier batch showed in the history.
const historyUnsettled = -2

// historyMark is the audience's history as seen before an update: one
// fingerprint per entry, newest first.
type historyMark []string

func (u *Uploader) readHistory(ctx context.Context, job *Job, id string) ([]tiktok.History, error) {
	d, err := u.cfg.Client.GetAudience(ctx, job.AdvertiserID, id, historyWindow)
	if err != nil {
		return nil, fmt.Errorf("read history of audience %s: %w", id, err)
	}
	return d.History, nil
}

func markOf(h []tiktok.History) historyMark {
	m := make(historyMark, 0, len(h))
	for _, e := range h {
		m = append(m, e.Key())
	}
	return m
}

// newSince counts the entries of h with action that the mark does not hold
// (as a multiset: identical entries count once each).
func (m historyMark) newSince(h []tiktok.History, action string) int {
	seen := map[string]int{}
	for _, k := range m {
		seen[k]++
	}
	n := 0
	for _, e := range h {
		k := e.Key()
		if seen[k] > 0 {
			seen[k]--
			continue
		}
		if strings.EqualFold(e.Action, action) {
			n++
		}
	}
	return n
}

// settle waits until the audience's history shows the batch this job
// applied before b: only then is b's mark taken, so a late entry of that
// earlier batch cannot later pass for b's. It reports whether it showed.
func (u *Uploader) settle(ctx context.Context, job *Job, t *Target, b *batchState) (bool, error) {
	batches, err := u.cfg.Store.batches(ctx, job.ID, t.CalculateType)
	if err != nil {
		return false, err
	}
	var prev *batchState
	for i := range batches {
		if batches[i].no < b.no && batches[i].status == batchDone {
			prev = &batches[i]
		}
	}
	if prev == nil {
		return true, nil
	}
	var mark historyMark
	if prev.historyTop != "" && json.Unmarshal([]byte(prev.historyTop), &mark) != nil {
		return true, nil // a mark of an older version: nothing to wait for
	}
	wait := u.cfg.PollInitial
	for attempt := 1; ; attempt++ {
		h, err := u.readHistory(ctx, job, t.AudienceID)
		if err != nil {
			return false, err
		}
		if mark.newSince(h, prev.action) > 0 {
			return true, nil
		}
		if attempt >= u.cfg.CreateAttempts {
			return false, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return false, err
		}
		wait = min(2*wait, u.cfg.PollMax)
	}
}

// isUnclear reports whether TikTok may or may not have applied a create or
// update (a timeout, a lost response, retries used up).
func isUnclear(err error) bool {
	return errors.Is(err, tiktok.ErrOutcomeUnknown) || errors.Is(err, tiktok.ErrRetriesExhausted)
}

// waitToReconcile is the one "outcome unknown -> reconcile" step of create
// and update: after the last attempt it gives up (gaveUp names the
// request); otherwise it logs, waits (doubling wait) and returns nil, and
// the caller reads TikTok's state (findCreated, appliedSince) before
// sending again, so nothing is applied twice.
func (u *Uploader) waitToReconcile(ctx context.Context, job *Job, attempt int, wait *time.Duration, gaveUp, checking string, err error) error {
	if attempt >= u.cfg.CreateAttempts {
		return fmt.Errorf("%s: gave up after %d attempts: %w", gaveUp, attempt, err)
	}
	msg := fmt.Sprintf("%s: outcome unknown (%v); checking before trying again", checking, err)
	u.logf(job.ID, "warn", "%s", msg)
	u.emit(Event{JobID: job.ID, Kind: EventRetry, Wait: *wait, Message: msg})
	if err := sleep(ctx, *wait); err != nil {
		return err
	}
	*wait *= 2
	return nil
}
