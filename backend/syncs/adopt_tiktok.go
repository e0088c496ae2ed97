package syncs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Adopt makes the upload of the transform folder outDir the state of sync
// name, as if the sync's own run had sent it: the folder's hashed rows,
// and the audience's history as it stands now. The next run then sends
// only the difference instead of replacing the whole audience.
//
// The folder must be exactly what a finished upload in uploads (the app's
// upload history) sent into the sync's audience by CREATE or REPLACE (an
// APPEND leaves earlier members the sync knows nothing of), hashed the way
// the sync hashes (identifier types, region, phone format, layout), and
// the audience's newest history entry must be that upload's. Otherwise an
// *AdoptRefusal says why and nothing changes.
func (s *Service) Adopt(ctx context.Context, name, outDir string, uploads *upload.Store) (*Adoption, error) {
	if uploads == nil {
		return nil, errors.New("adopt an upload: no upload history was given")
	}
	d, unlock, err := s.beginAdopt(name, destination.TikTok)
	if err != nil {
		return nil, err
	}
	defer unlock()

	// The folder as the upload read it, every file still as the manifest says.
	mpath, err := filepath.Abs(filepath.Join(outDir, transform.ManifestName))
	if err != nil {
		return nil, err
	}
	m, err := upload.ReadManifest(mpath)
	if err != nil {
		return nil, refuse("the upload's folder cannot be read (%v), so its rows cannot be taken as the sync's record", err)
	}
	if _, err := m.VerifyFiles(); err != nil {
		return nil, refuse("the files in %s are not the ones uploaded (%v), so they cannot be taken as the sync's record", outDir, err)
	}
	var tm transform.Manifest
	if err := readJSON(mpath, &tm); err != nil {
		return nil, refuse("%v", err)
	}
	// A run for TikTok and Meta also wrote Meta's rows (AdoptMeta's): only
	// TikTok's files are this upload's, as upload.ReadManifest reads them.
	tm.Files = tm.FilesFor(destination.TikTok)
	if why := hashedAlike(d, &tm); why != "" {
		return nil, refuse("the upload's files were hashed with %s, the sync with another, so its rows could not be compared with the sync's: the first run replaces the audience's contents", why)
	}
	calc := tm.Files[0].CalculateType
	for _, f := range tm.Files {
		if f.CalculateType != calc {
			return nil, refuse("the upload's folder holds files of several identifier types, but a sync feeds one audience")
		}
	}

	job, err := finishedUpload(ctx, uploads, mpath, m, d.AudienceID)
	if err != nil {
		return nil, err
	}
	conn, err := s.connect(ctx, d)
	if err != nil {
		return nil, err
	}
	if job.AdvertiserID != conn.AdvertiserID {
		return nil, refuse("the upload was made for advertiser %s, the sync feeds advertiser %s", job.AdvertiserID, conn.AdvertiserID)
	}
	det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, d.AudienceID, 100)
	if err != nil {
		return nil, fmt.Errorf("read audience %s: %w", d.AudienceID, err)
	}
	// The upload's last request is the newest change: nothing was done
	// to the audience since (and TikTok's history already shows it).
	batches := (len(m.Files) + upload.BatchSize - 1) / upload.BatchSize
	last := job.Action
	if batches > 1 {
		last = tiktok.ActionAppend
	}
	e, ok := newestEntry(det.History)
	if !ok || !strings.EqualFold(e.Action, last) {
		seen := "no entry"
		if ok {
			seen = fmt.Sprintf("a %s at %s", e.Action, e.OptTime)
		}
		return nil, refuse("TikTok's history of audience %s shows %s as its newest change, not the upload's %s: it changed since the upload (or TikTok has not listed the upload yet), so the first run replaces the audience's contents", d.AudienceID, seen, last)
	}
	if why := madeBy(e, job); why != "" {
		return nil, refuse("TikTok's history of audience %s shows a %s %s as its newest change, not the one the upload made: it changed since the upload, so the first run replaces the audience's contents", d.AudienceID, e.Action, why)
	}

	// The rows, sorted, as the sync's own run would have written them.
	st := stateMeta{Version: 1, AdvertiserID: conn.AdvertiserID, AudienceID: d.AudienceID, Fingerprint: d.fingerprint(),
		CalculateType: calc, Columns: 1, History: historyMarks(det.History)}
	if calc == "MULTIPLE_TYPES" {
		h, err := firstLine(m.Files[0].Path)
		if err != nil {
			return nil, err
		}
		st.Header, st.Columns = h, strings.Count(h, ",")+1
	}
	feed := func(so *sorter) error {
		for _, f := range m.Files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := readRows(f.Path, nil, st.Header != "", st.Columns, ',', so); err != nil {
				return err
			}
		}
		return nil
	}
	counters := tm.Counters
	rec := &RunRecord{At: job.UpdatedAt.UTC(), Action: ActionAdopt, AudienceID: d.AudienceID, Counters: &counters, Files: tm.Files}
	if err := s.keepAdopted(ctx, name, outDir, &st, feed, rec); err != nil {
		return nil, err
	}
	return &Adoption{Sync: name, AudienceID: d.AudienceID, JobID: job.ID, UploadedAt: job.UpdatedAt.UTC(), Rows: st.Rows}, nil
}

// hashedAlike names what differs between the sync's hashing and the
// folder's ("" when nothing does).
func hashedAlike(d *Definition, tm *transform.Manifest) string {
	if len(tm.Files) == 0 {
		return "no files"
	}
	if why := typesDiffer(d, tm); why != "" {
		return why
	}
	layout := transform.Layout(d.Layout)
	if layout == transform.LayoutAuto {
		// As the transform resolves auto.
		layout = transform.LayoutSeparate
		if len(d.Mappings) > 1 {
			layout = transform.LayoutCombined
		}
	}
	switch {
	case tm.Layout != layout:
		return fmt.Sprintf("the %s layout (the sync's is %s)", tm.Layout, layout)
	case !strings.EqualFold(tm.Region, d.Region):
		return fmt.Sprintf("default region %s (the sync's is %s)", tm.Region, d.Region)
	case !strings.EqualFold(tm.PhoneFormat, d.PhoneFormat):
		return fmt.Sprintf("phone format %s (the sync's is %s)", tm.PhoneFormat, d.PhoneFormat)
	}
	return ""
}

// finishedUpload finds the newest upload job that sent exactly the files
// of manifest m (at mpath) into audience audID and finished, or refuses
// saying what it found instead.
func finishedUpload(ctx context.Context, uploads *upload.Store, mpath string, m *upload.Manifest, audID string) (*upload.Job, error) {
	jobs, err := uploads.Jobs(ctx) // newest first
	if err != nil {
		return nil, err
	}
	var other, unfinished *upload.Job
	for i := range jobs {
		j := &jobs[i]
		if !samePath(j.ManifestPath, mpath) {
			continue
		}
		md5s, err := uploads.FileMD5s(ctx, j.ID)
		if err != nil {
			return nil, err
		}
		if !sameFiles(md5s, m) {
			continue // an upload of what the folder held before
		}
		aud := ""
		if len(j.Targets) == 1 {
			aud = j.Targets[0].AudienceID
		}
		switch {
		case aud == audID && j.Step == upload.StepDone:
		case aud == audID || (aud == "" && j.Step != upload.StepDone):
			// Stopped before it finished (a create: before TikTok made the audience).
			if unfinished == nil {
				unfinished = j
			}
			continue
		default:
			if other == nil {
				other = j
			}
			continue
		}
		if j.Action != tiktok.ActionCreate && j.Action != tiktok.ActionReplace {
			return nil, refuse("the upload %s its rows to audience %s, which held other people before, so the audience's members are not known: the first run replaces its contents", strings.ToLower(j.Action)+"ed", audID)
		}
		return j, nil
	}
	switch {
	case unfinished != nil:
		why := unfinished.Error
		if why == "" {
			why = "it is still running or was interrupted"
		}
		return nil, refuse("the upload of this folder into audience %s has not finished (%s): finish it from History, then save the sync again to take it as the sync's record", audID, why)
	case other != nil:
		ids := strings.Join((&upload.Result{Targets: other.Targets}).AudienceIDs(), ", ")
		if ids == "" {
			ids = "a new audience that was not created"
		}
		return nil, refuse("this folder was uploaded into audience %s, not the sync's audience %s", ids, audID)
	}
	return nil, refuse("this app's upload history has no upload of %s, so what audience %s holds is not known", filepath.Dir(mpath), audID)
}

// sameFiles reports whether a job sent exactly the manifest's files.
func sameFiles(md5s map[int]string, m *upload.Manifest) bool {
	if len(md5s) != len(m.Files) {
		return false
	}
	for i, f := range m.Files {
		if md5s[i] != strings.ToLower(f.MD5) {
			return false
		}
	}
	return true
}

// apiEditor is the editor TikTok's history names for changes made through
// the Marketing API (as this app makes them); Ads Manager's are "web".
const apiEditor = "api"

// clockSlack is how far a history entry's time may lie outside the upload's
// own span (clocks differ; TikTok stamps a change when it applies it).
const clockSlack = 2 * time.Minute

// madeBy says why history entry e is not the one upload job made ("" when
// it is): it must be an API change, stamped while the job ran. TikTok does
// not say which zone opt_time is in (the advertiser's), so any whole
// quarter-hour offset up to 14 hours is allowed.
func madeBy(e tiktok.History, job *upload.Job) string {
	if !strings.EqualFold(e.Editor, apiEditor) {
		who := e.Editor
		if who == "" {
			who = "someone unnamed"
		}
		return fmt.Sprintf("made by %s at %s", who, e.OptTime)
	}
	at, err := time.ParseInLocation(tiktok.TimeLayout, e.OptTime, time.UTC)
	if err != nil {
		return fmt.Sprintf("at %q, a time that cannot be read", e.OptTime)
	}
	from, to := job.CreatedAt.Add(-clockSlack), job.UpdatedAt.Add(clockSlack)
	for off := -14 * time.Hour; off <= 14*time.Hour; off += 15 * time.Minute {
		if t := at.Add(-off); !t.Before(from) && !t.After(to) {
			return ""
		}
	}
	return fmt.Sprintf("at %s, while the upload ran from %s to %s (UTC)", e.OptTime, job.CreatedAt.UTC().Format(tiktok.TimeLayout), job.UpdatedAt.UTC().Format(tiktok.TimeLayout))
}

// newestEntry is the history entry with the latest time; among entries of
// the same second, the first listed (TikTok lists the newest first).
func newestEntry(h []tiktok.History) (tiktok.History, bool) {
	if len(h) == 0 {
		return tiktok.History{}, false
	}
	best := h[0]
	for _, e := range h[1:] {
		if e.OptTime > best.OptTime {
			best = e
		}
	}
	return best, true
}
