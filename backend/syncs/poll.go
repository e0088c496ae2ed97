package syncs

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// The audience's history while a run sends: which entries are the
// run's own, and waiting for TikTok to list the REMOVE before the APPEND.

// batchActions lists the history entries the steps make: one per batch of
// upload.BatchSize files; a CREATE's or REPLACE's later batches are APPENDs.
func batchActions(dir string, steps []step) []string {
	var out []string
	for _, stp := range steps {
		files := 1
		if m, err := upload.ReadManifest(filepath.Join(dir, stp.Manifest)); err == nil && len(m.Files) > 0 {
			files = len(m.Files)
		}
		for b := 0; b*upload.BatchSize < files; b++ {
			a := stp.Action
			if b > 0 && (a == tiktok.ActionCreate || a == tiktok.ActionReplace) {
				a = tiktok.ActionAppend
			}
			out = append(out, a)
		}
	}
	return out
}

// newEntries counts the history entries not in base, by action, and
// returns the editor of the newest one.
func newEntries(base []string, h []tiktok.History) (map[string]int, string) {
	known := map[string]int{} // a multiset: two batches alike in one second make equal entries
	for _, k := range base {
		known[k]++
	}
	n, editor := map[string]int{}, ""
	for i := len(h) - 1; i >= 0; i-- { // oldest first: the known entries are the older ones
		e := h[i]
		if k := e.Key(); known[k] > 0 {
			known[k]--
			continue
		}
		n[e.Action]++
		editor = e.Editor
	}
	return n, editor
}

// unlisted is the actions of the run's batches that h does not list yet.
func unlisted(dir string, p *pendingRun, h []tiktok.History) ([]string, string) {
	if p.BaseHistory == nil && p.NewState.AudienceID != "" && len(p.Steps) > 0 && p.Steps[0].Action != tiktok.ActionCreate {
		return nil, "" // a pending run from before base histories were kept
	}
	seen, editor := newEntries(p.BaseHistory, h)
	var out []string
	for _, a := range batchActions(dir, p.Steps) {
		if seen[a] > 0 {
			seen[a]--
		} else {
			out = append(out, a)
		}
	}
	return out, editor
}

// waitListed waits until the audience's history lists every batch of
// steps (entries not in base), polling with backoff; after
// Config.ListedWait it stops with an error that a rerun resolves (the
// interrupted run then goes on from here).
func (s *Service) waitListed(ctx context.Context, conn *Conn, dir, audID string, base []string, steps []step) error {
	deadline := time.Now().Add(s.cfg.ListedWait)
	wait := s.cfg.PollInterval
	for {
		det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, audID, 100)
		if err != nil {
			return fmt.Errorf("the REMOVE was sent, but reading audience %s afterwards failed (%w); run the sync again to finish", audID, err)
		}
		seen, _ := newEntries(base, det.History)
		done := true
		for _, a := range batchActions(dir, steps) {
			if seen[a] == 0 {
				done = false
				break
			}
			seen[a]--
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the REMOVE was sent to audience %s, but TikTok has not listed it in the audience's history within %s, and the APPEND waits for it; run the sync again later to finish", audID, s.cfg.ListedWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}
