package syncs

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// Whether the sync's record can be trusted for the audience, and which
// action a plan takes.

// trust decides whether the state says exactly what the audience holds
// from this sync; why is the sentence when it does not.
func (s *Service) trust(ctx context.Context, d *Definition, st *stateMeta, meta *stateMeta, conn *Conn, audID string, w *work, skipHistory bool) (bool, string, error) {
	if d.isMeta() {
		return s.trustMeta(ctx, d, st, meta, conn, audID, w, skipHistory)
	}
	if audID == "" {
		return false, "", nil // a new audience: created with the whole list
	}
	det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, audID, 100)
	if err != nil {
		if notFound(err) {
			return false, "", s.gone(d.Name, audID, err)
		}
		return false, "", fmt.Errorf("read audience %s: %w", audID, err)
	}
	w.seen = historyMarks(det.History)
	if det.Audience.IsValid {
		w.matched = det.Audience.CoverNum
		w.plan.AudienceMatched = w.matched
	}
	w.baseHistory = historyMarks(det.History)
	if det.Audience.IsCreator != nil && !*det.Audience.IsCreator {
		return false, "", fmt.Errorf("audience %s was shared with this advertiser by another one, so it cannot be changed from here: choose an audience of your own", audID)
	}
	switch {
	case st == nil:
		return false, fmt.Sprintf("this sync has no record of what it put into audience %s (its first run into an existing audience, or its state was lost), so the whole list replaces the audience's contents", audID), nil
	case st.AudienceID != audID || (st.AdvertiserID != "" && st.AdvertiserID != conn.AdvertiserID):
		return false, fmt.Sprintf("this sync's record is about audience %s, not %s, so the whole list replaces the audience's contents", st.AudienceID, audID), nil
	case st.Fingerprint != meta.Fingerprint || st.Header != meta.Header || st.CalculateType != meta.CalculateType:
		return false, "the sync's identifier types, region, phone format or layout changed since its last run, so its earlier hashes cannot be compared: the whole list replaces the audience's contents", nil
	}
	if skipHistory {
		return true, "", nil
	}
	known := map[string]int{} // a multiset, as in newEntries
	for _, k := range st.History {
		known[k]++
	}
	// The last run's batches that TikTok listed only after it committed
	// are its own, oldest first.
	late := map[string]int{}
	for _, a := range st.Unlisted {
		late[a]++
	}
	var foreign []tiktok.History
	for i := len(det.History) - 1; i >= 0; i-- { // TikTok lists the newest first
		e := det.History[i]
		if k := e.Key(); known[k] > 0 {
			known[k]--
			continue
		}
		if late[e.Action] > 0 && (st.Editor == "" || e.Editor == st.Editor) {
			late[e.Action]--
			continue
		}
		foreign = append(foreign, e)
	}
	if len(foreign) > 0 {
		sort.Slice(foreign, func(i, j int) bool { return foreign[i].OptTime < foreign[j].OptTime })
		e := foreign[len(foreign)-1]
		who := e.Editor
		if who == "" {
			who = "someone"
		}
		return false, fmt.Sprintf("audience %s was changed outside this sync since its last run (TikTok's history shows %d change(s) it did not make, the latest a %s at %s by %s), so its members are no longer known: the whole list replaces the audience's contents",
			audID, len(foreign), e.Action, e.OptTime, who), nil
	}
	return true, "", nil
}

// decide chooses the action; never one TikTok would refuse. The counts it
// weighs are people.
func (s *Service) decide(d *Definition, w *work, trusted bool, why string) {
	p := &w.plan
	now := p.PeopleNow
	switch {
	case p.AudienceID == "":
		p.Action = ActionCreate
		p.Reason = fmt.Sprintf("the first run creates audience %q with the %d people of the list (%d rows)", d.AudienceName, now, p.RowsNow)
		return
	case d.Mode == ModeReplace:
		p.Action = ActionReplace
		p.Reason = "the sync's mode is replace: the whole list replaces the audience's contents"
	case d.Mode == ModeAddOnly:
		p.Action = ActionUpdate
		p.Reason = fmt.Sprintf("add-only: %d new people are appended (%d rows); people gone from the list stay in the audience", p.Added, p.AppendRows)
		if !trusted {
			p.Reason = "add-only without a record of earlier runs: every row of the list is appended (TikTok ignores rows it already has); nothing is removed"
			if why != "" {
				p.Reason = "add-only: " + why[:strings.Index(why+",", ",")] + "; every row of the list is appended and nothing is removed"
			}
		}
		if p.AppendRows == 0 {
			p.Action, p.Reason = ActionNone, "add-only: no new rows since the last run"
		}
	case !trusted:
		p.Action, p.Reason = ActionReplace, why
		p.Removed, p.RemovePeople = 0, 0
	case w.overflow:
		p.Action = ActionReplace
		p.Reason = fmt.Sprintf("more than %d rows changed, more than this sync follows person by person in its memory: one REPLACE with the whole list", max(s.cfg.MemoryBytes/160, 10000))
	case p.AppendRows == 0 && p.RemoveRows == 0:
		p.Action, p.Reason = ActionNone, "the list has the same people as the audience: nothing to send"
	case 2*(p.Added+p.Removed) > now:
		p.Action = ActionReplace
		p.Reason = fmt.Sprintf("%d added and %d removed people are most of the list's %d: one REPLACE with the whole list is fewer rows to send and to match than REMOVE plus APPEND", p.Added, p.Removed, now)
	default:
		p.Action = ActionUpdate
		p.Reason = fmt.Sprintf("%d people who left are removed (%d rows), %d new people and %d people's changed identifiers are appended (%d rows); %d unchanged people are not sent again",
			p.Removed, p.RemoveRows, p.Added, p.Changed, p.AppendRows, p.Unchanged)
	}
	if d.isMeta() {
		return // Meta sets no floor: its removals never make it refuse a change
	}
	// TikTok refuses a change that leaves an audience under 1,000 users;
	// the uploader also refuses a REMOVE while fewer are matched.
	if p.Action == ActionUpdate && p.RemoveRows > 0 && w.matched > 0 && w.matched < tiktok.MinAudienceUsers {
		p.Action = ActionStop
		p.Reason = fmt.Sprintf("audience %s has %d matched users, and TikTok refuses a REMOVE from an audience under %d, so nothing was sent; add rows to the list, or run again once more of it is matched",
			p.AudienceID, w.matched, tiktok.MinAudienceUsers)
		return
	}
	// REMOVE goes before APPEND (a person's identifiers must not be taken
	// out after they were added back), so the audience passes through its
	// size less the people who left. When that dips under TikTok's floor
	// although the result does not, one REPLACE sets the list instead.
	if p.Action == ActionUpdate && p.RemoveRows > 0 && now >= tiktok.MinAudienceUsers {
		between := p.AudiencePeople - p.RemovePeople
		if w.matched > 0 {
			between = min(between, w.matched-p.RemovePeople)
		}
		if between < tiktok.MinAudienceUsers {
			p.Action = ActionReplace
			p.Reason = fmt.Sprintf("removing the %d people who left before appending the %d new ones would leave the audience with %d users for a moment, and TikTok refuses any change that leaves fewer than %d: one REPLACE with the whole list instead",
				p.RemovePeople, p.Added, max(between, 0), tiktok.MinAudienceUsers)
			return
		}
	}
	if (p.Action == ActionReplace || p.Action == ActionUpdate) && now < tiktok.MinAudienceUsers {
		p.Action = ActionStop
		p.Reason = fmt.Sprintf("audience %s would have %d users after this run, and TikTok refuses any change that leaves an audience with fewer than %d, so nothing was sent; add rows to the list (or use a new audience with --audience NAME) and run again",
			p.AudienceID, now, tiktok.MinAudienceUsers)
	}
}
