package syncs

// The Meta side of a sync. The diff, the people rule and the removal guard
// are the platform's-neutral code in run.go and people.go; what differs for
// a sync to Meta is here:
//
//   - the definition names an ad account, and maps no MADID (a sync keeps
//     only hashes; Meta takes mobile advertiser ids in clear);
//   - the rows sent are one tab-separated rows file per request, hex
//     hashes in schema order (metaupload's RowsPath), delivered through
//     the destination seam (metaupload: journaled, exactly once, resumable);
//   - whether the audience was changed elsewhere is read from its
//     time_content_updated (Meta keeps no history of changes), and the
//     APPEND goes once the REMOVE's last batch was answered (its session
//     finished: Meta has applied it);
//   - TikTok's 1,000-user floor does not apply.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// MetaConn is a Meta connection for one ad account.
type MetaConn struct {
	AdAccount string // act_<digits>
	// Destination delivers rows exactly once and reads an audience's
	// status (metaupload.Destination).
	Destination destination.Destination
}

// metaCalculateType marks a state (and its file sets) as Meta's: rows
// files of tab-separated cells, no header, no TikTok manifest.
const metaCalculateType = "META"

// metaRowsFile is the rows file of each Meta request, in its set's folder.
const metaRowsFile = "meta-rows.tsv"

var adAccountRE = regexp.MustCompile(`^act_[0-9]+$`)

// platform is the sync's destination; "" (saved before Meta) is TikTok.
func (d *Definition) platform() destination.Platform {
	if d.Destination == "" {
		return destination.TikTok
	}
	return d.Destination
}

func (d *Definition) isMeta() bool { return d.platform() == destination.Meta }

// platformName is the destination as a sentence names it.
func (d *Definition) platformName() string {
	if d.isMeta() {
		return "Meta"
	}
	return "TikTok"
}

// normalizeDestination checks the destination's own fields.
func (d *Definition) normalizeDestination() error {
	d.AdAccount = strings.TrimSpace(d.AdAccount)
	switch d.platform() {
	case destination.TikTok:
		d.Destination = destination.TikTok
		if d.AdAccount != "" {
			return usagef("sync %s: --ad-account names a Meta ad account, and this sync feeds TikTok: add --destination meta, or leave --ad-account out", d.Name)
		}
		return nil
	case destination.Meta:
	default:
		return usagef("sync %s: destination %q: use tiktok or meta", d.Name, d.Destination)
	}
	if d.AdvertiserID != "" {
		return usagef("sync %s: --advertiser-id is a TikTok advertiser, and this sync feeds Meta: name the ad account with --ad-account act_…, or leave it out to use the one in Settings > Meta", d.Name)
	}
	if d.AdAccount != "" && !adAccountRE.MatchString(d.AdAccount) {
		return usagef("sync %s: the ad account %q is not act_ followed by digits (Business Settings > Ad accounts shows the id)", d.Name, d.AdAccount)
	}
	seen := map[identifiers.MetaKey]string{}
	for _, m := range d.Mappings {
		k := identifiers.MetaKeyFor(m.Type)
		col := records.SafeColumnName(m.Column)
		switch {
		case k == identifiers.MetaMADID:
			return usagef("sync %s: column %s is a mobile advertiser id (%s): a sync to Meta keeps only hashes, and Meta takes mobile advertiser IDs unhashed, so a sync cannot send them; leave the column out of this sync, or upload it once with 'upload --destination meta'", d.Name, col, m.TypeName)
		case k == 0:
			return usagef("sync %s: column %s: Meta takes no %s identifiers", d.Name, col, m.TypeName)
		case seen[k] != "":
			return usagef("sync %s: columns %s and %s are both %s, and a row sent to Meta has one cell per key: map one of them (or make a sync for each)", d.Name, seen[k], col, k.SchemaName())
		}
		seen[k] = col
	}
	return nil
}

// metaSchema is the sync's Meta schema: the keys in mapping order, one per
// column of the sync's rows, multi-key even for one column, as the
// transform writes an upload's (one audience never mixes the two kinds).
func (d *Definition) metaSchema() []string {
	out := make([]string, len(d.Mappings))
	for i, m := range d.Mappings {
		out[i] = identifiers.MetaKeyFor(m.Type).SchemaName()
	}
	return out
}

// transformDestinations is the transform's Destinations for the sync:
// Meta's digests for a sync to Meta (nil: TikTok's).
func (d *Definition) transformDestinations() []destination.Platform {
	if d.isMeta() {
		return []destination.Platform{destination.Meta}
	}
	return nil
}

// metaCounters puts the counts of Meta's rules, which a transform for
// Meta alone keeps in Manifest.Meta, where a sync reports them: every row
// Meta refused stays counted.
func metaCounters(c *transform.Counters, tm *transform.Manifest) {
	if tm.Meta == nil {
		return
	}
	c.NoIdentifier = tm.Meta.NoIdentifier
	c.Types = map[string]*transform.TypeCounters{}
	for _, m := range tm.Mappings {
		if k := tm.Meta.Keys[identifiers.MetaKeyFor(m.Type).SchemaName()]; k != nil {
			c.Types[m.Type.String()] = k
		}
	}
}

// metaState makes a new state describe Meta rows of the sync's schema.
func metaState(d *Definition, st *stateMeta) {
	st.Schema = d.metaSchema()
	st.CalculateType = metaCalculateType
	st.Header = strings.Join(st.Schema, "\t") + "\n"
	st.Columns = len(d.Mappings)
}

// stepFor is a pending run's step sending set ("full", "append",
// "remove") of run runID: TikTok's manifest, Meta's rows file.
func stepFor(d *Definition, runID, action, set string) step {
	dir := filepath.Join("run-"+runID, set)
	if d.isMeta() {
		return step{Action: action, Rows: filepath.Join(dir, metaRowsFile)}
	}
	return step{Action: action, Manifest: filepath.Join(dir, transform.ManifestName)}
}

func (s *Service) connectMeta(ctx context.Context, d *Definition) (*Conn, error) {
	if s.cfg.ConnectMeta == nil {
		return nil, errors.New("syncs: no Meta connection configured")
	}
	mc, err := s.cfg.ConnectMeta(ctx, d.AdAccount)
	if err != nil {
		return nil, err
	}
	return &Conn{AdvertiserID: mc.AdAccount, Meta: mc}, nil
}

// contentMark names the audience's content as Meta last reported it: a
// change made since (by anyone) moves it.
func contentMark(a destination.Audience) string {
	return "content_updated:" + strconv.FormatInt(a.Updated.Unix(), 10)
}

// audienceMarks reads the audience and returns what a prepared plan
// compares to see whether it changed since: TikTok's history entries,
// Meta's content time.
func (s *Service) audienceMarks(ctx context.Context, conn *Conn, audID string) ([]string, error) {
	if conn.Meta != nil {
		a, err := conn.Meta.Destination.Status(ctx, audID)
		if err != nil {
			return nil, err
		}
		return []string{contentMark(a)}, nil
	}
	det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, audID, 100)
	if err != nil {
		return nil, err
	}
	return historyMarks(det.History), nil
}

// trustMeta is trust for a sync to Meta. Meta lists no history of
// changes, so the state is trusted when the audience's content time is
// the one the sync's last run saw after its own changes.
func (s *Service) trustMeta(ctx context.Context, d *Definition, st *stateMeta, ms *stateMeta, conn *Conn, audID string, w *work, skipChanged bool) (bool, string, error) {
	if audID == "" {
		return false, "", nil // a new audience: created with the whole list
	}
	a, err := conn.Meta.Destination.Status(ctx, audID)
	if err != nil {
		if notFound(err) {
			return false, "", s.gone(d.Name, audID, err)
		}
		return false, "", fmt.Errorf("read audience %s: %w", audID, err)
	}
	w.seen = []string{contentMark(a)}
	switch {
	case st == nil:
		return false, fmt.Sprintf("this sync has no record of what it put into audience %s (its first run into an existing audience, or its state was lost), so the whole list replaces the audience's contents", audID), nil
	case st.AudienceID != audID || (st.AdvertiserID != "" && st.AdvertiserID != conn.AdvertiserID):
		return false, fmt.Sprintf("this sync's record is about audience %s, not %s, so the whole list replaces the audience's contents", st.AudienceID, audID), nil
	case st.Fingerprint != ms.Fingerprint || st.Header != ms.Header || st.CalculateType != ms.CalculateType:
		return false, "the sync's identifier types, region, phone format or layout changed since its last run, so its earlier hashes cannot be compared: the whole list replaces the audience's contents", nil
	case skipChanged:
		return true, "", nil
	case st.ContentUpdated.IsZero() || a.Updated.After(st.ContentUpdated):
		return false, fmt.Sprintf("audience %s was changed outside this sync since its last run (Meta shows its contents updated at %s, after this sync's last change), so its members are no longer known: the whole list replaces the audience's contents",
			audID, a.Updated.UTC().Format(time.RFC3339)), nil
	}
	return true, "", nil
}

// Meta's delivery for each of a pending run's step actions.
var metaActions = map[string]destination.Action{
	tiktok.ActionCreate: destination.Add, tiktok.ActionAppend: destination.Add,
	tiktok.ActionRemove: destination.Remove, tiktok.ActionReplace: destination.Replace,
}

// finishMeta sends a pending run's steps to Meta and commits its state.
// Each step is a delivery whose job id is the run's and the step's, so an
// interrupted run resumes each from metaupload's journal (no batch twice
// into a session, one audience). A step returns once Meta has answered its
// last batch, which closes the session: the REMOVE is applied before the
// APPEND is sent.
func (s *Service) finishMeta(ctx context.Context, d *Definition, conn *Conn, p *pendingRun, res *Result, progress func(Progress)) (*stateMeta, error) {
	dir := s.syncDir(d.Name)
	audID := p.NewState.AudienceID
	progress(Progress{Stage: "upload"})
	for i, stp := range p.Steps {
		act, ok := metaActions[stp.Action]
		if !ok || stp.Rows == "" {
			return nil, fmt.Errorf("the interrupted run's step %d (%s) is not one a sync to Meta sends: delete the sync and save it again", i+1, stp.Action)
		}
		del := destination.Delivery{JobID: fmt.Sprintf("sync-%s-%s-%d", d.Name, p.RunID, i+1), AudienceID: audID,
			Action: act, Schema: p.NewState.Schema, RowsPath: filepath.Join(dir, stp.Rows)}
		if stp.Action == tiktok.ActionCreate {
			del.AudienceID, del.AudienceName = "", d.AudienceName
		}
		r, err := conn.Meta.Destination.Deliver(ctx, del)
		if err != nil {
			return nil, err
		}
		audID = r.AudienceID
		res.Deliveries = append(res.Deliveries, r)
		res.FilesUploaded++
		if fi, err := os.Stat(del.RowsPath); err == nil {
			res.BytesUploaded += fi.Size()
		}
	}
	progress(Progress{Stage: "commit"})
	ns := p.NewState
	ns.AudienceID = audID
	ns.AdvertiserID = conn.AdvertiserID
	// The content time right after our changes: a later one next time was
	// made elsewhere.
	a, err := conn.Meta.Destination.Status(ctx, audID)
	if err != nil {
		return nil, fmt.Errorf("the changes were sent, but reading audience %s afterwards failed (%w); run the sync again to finish", audID, err)
	}
	ns.ContentUpdated = a.Updated
	return s.commit(d, p, ns, res)
}

// metaNotFound reports whether Meta answered that an audience does not
// exist (100/33), or is deleted (1487366).
func metaNotFound(err error) bool {
	var api *meta.APIError
	return errors.As(err, &api) && (api.NotFound() || api.Subcode == 1487366)
}
