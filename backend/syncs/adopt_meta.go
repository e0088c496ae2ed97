package syncs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// AdoptMeta is Adopt for a sync to Meta: it makes the upload of the
// transform folder outDir (its meta-rows.tsv) the state of sync name, as
// the sync's own run would have written it, so the next run sends only
// the difference instead of replacing the whole audience.
//
// The rows file must be the one the folder's manifest names (its size and
// MD5), and the newest upload of exactly those bytes in uploads (the Meta
// upload journal) must have finished, in the sync's ad account, into the
// sync's audience, by creating it or by REPLACE (an ADD or REMOVE leaves
// members the sync knows nothing of). The rows must be hashed as the sync
// hashes them (identifier types in order, so Meta's schema, and region),
// and neither Meta (the audience's time_content_updated) nor the journal
// (another job into the audience) may show a change since the upload.
// Otherwise an *AdoptRefusal says why and nothing changes.
func (s *Service) AdoptMeta(ctx context.Context, name, outDir string, uploads *metaupload.Store) (*Adoption, error) {
	if uploads == nil {
		return nil, errors.New("adopt an upload: no Meta upload journal was given")
	}
	d, unlock, err := s.beginAdopt(name, destination.Meta)
	if err != nil {
		return nil, err
	}
	defer unlock()

	// The rows file as the upload read it, and how it was hashed.
	rows, err := metaupload.ReadRows(outDir)
	if err != nil {
		return nil, refuse("the upload's folder cannot be taken as the sync's record (%v): the first run replaces the audience's contents", err)
	}
	var tm transform.Manifest
	if err := readJSON(filepath.Join(filepath.Dir(rows.Path), transform.ManifestName), &tm); err != nil {
		return nil, refuse("%v", err)
	}
	if why := metaHashedAlike(d, &tm, rows.Schema); why != "" {
		return nil, refuse("the upload's rows were hashed with %s, the sync's with another, so its rows could not be compared with the sync's: the first run replaces the audience's contents", why)
	}
	sum, err := metaupload.Fingerprint(rows.Path)
	if err != nil {
		return nil, err
	}

	conn, err := s.connect(ctx, d)
	if err != nil {
		return nil, err
	}
	job, err := finishedMetaUpload(ctx, uploads, sum, conn.AdvertiserID, d.AudienceID, filepath.Dir(rows.Path))
	if err != nil {
		return nil, err
	}
	if !slices.Equal(job.Schema, d.metaSchema()) {
		// An upload of an older version sent a one-key list as EMAIL_SHA256.
		return nil, refuse("the upload sent its rows to Meta in the schema %s, and this sync sends %s: Meta keeps one kind of schema per audience, so the upload is not taken as the sync's record, and Meta may refuse the sync's first run, which replaces the contents of audience %s (save the sync with a new audience instead)",
			strings.Join(job.Schema, ","), strings.Join(d.metaSchema(), ","), d.AudienceID)
	}
	a, err := conn.Meta.Destination.Status(ctx, d.AudienceID)
	if notFound(err) {
		return nil, refuse("audience %s no longer exists on Meta (%v), so the upload into it is not the sync's record: the sync's next run says so, and can start over with a new audience", d.AudienceID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read audience %s: %w", d.AudienceID, err)
	}
	// Meta keeps no history of changes: its content time is the one sign
	// of a change made elsewhere, in whole seconds (one made in the
	// upload's last second cannot be told apart, as for a sync's own run).
	switch {
	case a.Updated.IsZero():
		return nil, refuse("Meta does not say when audience %s's contents last changed, so it cannot be known that the upload is what it holds: the first run replaces its contents", d.AudienceID)
	case a.Updated.After(job.Finished):
		return nil, refuse("Meta shows audience %s's contents updated at %s, after the upload finished at %s: it changed since the upload, so the first run replaces its contents",
			d.AudienceID, a.Updated.UTC().Format(time.RFC3339), job.Finished.UTC().Format(time.RFC3339))
	}

	// The rows, sorted, as the sync's own run would have written them:
	// each cell's hex digest back to binary, in the schema's order.
	st := stateMeta{Version: 1, AdvertiserID: conn.AdvertiserID, AudienceID: d.AudienceID, Fingerprint: d.fingerprint(), ContentUpdated: a.Updated}
	metaState(d, &st)
	feed := func(so *sorter) error {
		// The file is read once more: it must still be the bytes the job sent.
		h := sha256.New()
		if err := readRows(rows.Path, h, false, st.Columns, '\t', so); err != nil {
			return err
		}
		if hex.EncodeToString(h.Sum(nil)) != sum {
			return refuse("%s changed while it was being read, so it cannot be taken as the sync's record", rows.Path)
		}
		return nil
	}
	counters := tm.Counters
	metaCounters(&counters, &tm)
	rec := &RunRecord{At: job.Finished.UTC(), Action: ActionAdopt, AudienceID: d.AudienceID, Counters: &counters, Files: tm.FilesFor(destination.Meta)}
	if err := s.keepAdopted(ctx, name, outDir, &st, feed, rec); err != nil {
		return nil, err
	}
	return &Adoption{Sync: name, AudienceID: d.AudienceID, JobID: job.ID, UploadedAt: job.Finished.UTC(), Rows: st.Rows}, nil
}

// metaHashedAlike names what differs between the sync's hashing and the
// Meta rows of manifest tm, of schema ("" when nothing does). Meta's rows
// depend on the identifier types, their order (the schema) and the
// region; not on TikTok's phone format or layout (Meta's own rules hash
// a phone the same way whatever they are).
func metaHashedAlike(d *Definition, tm *transform.Manifest, schema []string) string {
	if why := typesDiffer(d, tm); why != "" {
		return why
	}
	switch {
	case !slices.Equal(schema, d.metaSchema()):
		return fmt.Sprintf("Meta's schema %s (the sync's is %s)", strings.Join(schema, ","), strings.Join(d.metaSchema(), ","))
	case !strings.EqualFold(tm.Region, d.Region):
		return fmt.Sprintf("default region %s (the sync's is %s)", tm.Region, d.Region)
	}
	return ""
}

// finishedMetaUpload finds, in the Meta upload journal, the newest job
// that sent the rows file of SHA-256 sum (of folder dir) and finished
// into audience audID of ad account acct, or refuses saying what it found
// instead. Another job into the audience that sent a batch after the
// upload began is a change the sync does not know of.
func finishedMetaUpload(ctx context.Context, uploads *metaupload.Store, sum, acct, audID, dir string) (*metaupload.JobRecord, error) {
	jobs, err := uploads.Jobs(ctx) // newest first
	if err != nil {
		return nil, err
	}
	var found, other, unfinished *metaupload.JobRecord
	for i := range jobs {
		j := &jobs[i]
		if j.RowsSHA256 != sum {
			continue
		}
		into := j.AudienceID == audID && j.AdAccount == acct
		switch {
		case into && j.Done:
		case into || (j.AudienceID == "" && !j.Done):
			// Stopped before it finished (a create: before Meta made the audience).
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
		if !j.Created && j.Action != metaupload.Replace {
			how := "added its rows to"
			if j.Action == metaupload.Remove {
				how = "removed its rows from"
			}
			return nil, refuse("the upload %s audience %s, which held other people before, so the audience's members are not known: the first run replaces its contents", how, audID)
		}
		found = j
		break
	}
	switch {
	case found != nil:
	case unfinished != nil:
		return nil, refuse("the upload of this folder into audience %s has not finished (it is still running or was interrupted): upload it again to finish it (batches Meta already has are not sent again), then save the sync again to take it as the sync's record", audID)
	case other != nil && other.AdAccount != acct:
		return nil, refuse("this folder was uploaded into ad account %s, not the sync's ad account %s", other.AdAccount, acct)
	case other != nil:
		return nil, refuse("this folder was uploaded into audience %s, not the sync's audience %s", other.AudienceID, audID)
	default:
		return nil, refuse("the Meta upload journal has no upload of %s, so what audience %s holds is not known: the first run replaces its contents", dir, audID)
	}
	for i := range jobs {
		j := &jobs[i]
		if j.ID != found.ID && j.AudienceID == audID && j.AdAccount == acct && !j.LastSent.IsZero() && !j.LastSent.Before(found.Started) {
			return nil, refuse("the Meta upload journal shows another upload (job %s) into audience %s since this one began, so the audience's members are not known: the first run replaces its contents", j.ID, audID)
		}
	}
	return found, nil
}
