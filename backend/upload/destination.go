package upload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// Destination is a TikTok advertiser behind the destination seam: its
// deliveries are this package's resumable jobs over a transform's
// customer files.
type Destination struct {
	Conn     *tiktok.Connection
	Uploader *Uploader
}

var _ destination.Destination = (*Destination)(nil)

// TikTok's targeting minimum: an audience of fewer matched users cannot be
// targeted (files, not rows, bound a request).
const tiktokMinUsefulSize = 1000

// Capabilities: TikTok's identifier types and layouts.
func (d *Destination) Capabilities() destination.Capabilities {
	return destination.Capabilities{Platform: destination.TikTok,
		Keys:          []string{tiktok.EmailSHA256, tiktok.PhoneSHA256, tiktok.IDFASHA256, tiktok.GAIDSHA256},
		Layouts:       []destination.Layout{destination.OneKeyPerAudience, destination.SeveralKeysPerRow},
		MinUsefulSize: tiktokMinUsefulSize, RemovalsShrinkSize: true}
}

// Deliver uploads the manifest's TikTok files into one audience, as a job
// that resumes (the uploader keys it by the manifest's run and files, so
// Delivery.JobID is not needed). A separate layout of several identifier
// types makes one audience per type, which one delivery cannot name:
// refused before anything is sent.
func (d *Destination) Deliver(ctx context.Context, del destination.Delivery) (destination.Result, error) {
	if del.ManifestPath == "" {
		return destination.Result{}, errors.New("a TikTok delivery names the transform's manifest (its customer files)")
	}
	m, err := ReadManifest(del.ManifestPath)
	if err != nil {
		return destination.Result{}, err
	}
	types := map[string]bool{}
	for _, f := range m.Files {
		types[f.CalculateType] = true
	}
	if len(types) > 1 {
		return destination.Result{}, fmt.Errorf("%s holds %d kinds of TikTok files, one audience each: transform the list with the combined layout for one audience", del.ManifestPath, len(types))
	}
	action := map[destination.Action]string{destination.Add: "APPEND", destination.Remove: "REMOVE", destination.Replace: "REPLACE"}[del.Action]
	if action == "" {
		return destination.Result{}, fmt.Errorf("unknown action %q (ADD, REMOVE or REPLACE)", del.Action)
	}
	req := Request{ManifestPath: del.ManifestPath, AdvertiserID: d.Conn.AdvertiserID, AudienceName: del.AudienceName, AudienceID: del.AudienceID}
	if del.AudienceID != "" {
		req.Action = action
	} else if del.Action != destination.Add {
		return destination.Result{}, fmt.Errorf("a %s needs an existing audience", strings.ToLower(string(del.Action)))
	}
	res, err := d.Uploader.Run(ctx, req)
	if err != nil {
		return destination.Result{}, err
	}
	out := destination.Result{Rows: int(res.Rows)}
	if len(res.Targets) > 0 {
		out.AudienceID = res.Targets[0].AudienceID
	}
	return out, nil
}

// createTimeLayout is how TikTok writes create_time (UTC).
const createTimeLayout = "2006-01-02 15:04:05"

func listView(a tiktok.Audience) destination.Audience {
	v := destination.Audience{ID: a.AudienceID, Name: a.Name, SizeLower: int(a.CoverNum), SizeUpper: int(a.CoverNum), Ready: a.IsValid,
		Status: sentence(a.IsValid, a.IsExpiring, a.CoverNum, 0, 0, append([]string{a.ErrorMsg}, a.Msg))}
	if t, err := time.ParseInLocation(createTimeLayout, a.CreateTime, time.UTC); err == nil {
		v.Updated = t
	}
	return v
}

// sentence says in words where a TikTok audience stands.
func sentence(ready, expiring bool, matched, rows int64, rate float64, messages []string) string {
	var s string
	switch {
	case !ready:
		s = "TikTok is still matching it"
	case matched < tiktokMinUsefulSize:
		s = fmt.Sprintf("below TikTok's targeting minimum of %d matched users", tiktokMinUsefulSize)
	default:
		s = "ready for use"
	}
	if rate > 0 {
		s += fmt.Sprintf(", match rate %.1f%% of %d rows", rate*100, rows)
	}
	if expiring {
		s += "; expiring soon"
	}
	for _, m := range messages {
		if m != "" {
			s += "; TikTok: " + m
		}
	}
	return s
}

// List reads every audience of the advertiser.
func (d *Destination) List(ctx context.Context) ([]destination.Audience, error) {
	all, err := d.Conn.Client.ListAudiences(ctx, d.Conn.AdvertiserID)
	if err != nil {
		return nil, err
	}
	out := make([]destination.Audience, 0, len(all))
	for _, a := range all {
		out = append(out, listView(a))
	}
	return out, nil
}

// Status reads one audience, with the match rate of what this app uploaded.
func (d *Destination) Status(ctx context.Context, id string) (destination.Audience, error) {
	st, err := d.Uploader.Status(ctx, d.Conn.AdvertiserID, id, 0)
	if err != nil {
		return destination.Audience{}, err
	}
	return destination.Audience{ID: st.AudienceID, Name: st.Name, SizeLower: int(st.MatchedUsers), SizeUpper: int(st.MatchedUsers),
		Ready: st.Ready, Status: sentence(st.Ready, st.IsExpiring, st.MatchedUsers, st.RowsUploaded, st.MatchRate, st.Messages),
		Updated: st.CheckedAt.UTC()}, nil
}

// Rename renames an audience.
func (d *Destination) Rename(ctx context.Context, id, name string) error {
	return d.Conn.Client.RenameAudience(ctx, d.Conn.AdvertiserID, id, name)
}

// Delete deletes an audience for good; one another advertiser shared is
// never deleted.
func (d *Destination) Delete(ctx context.Context, id string) error {
	a, err := d.Conn.Client.GetAudience(ctx, d.Conn.AdvertiserID, id, 0)
	if err != nil {
		return err
	}
	if a.Audience.IsCreator != nil && !*a.Audience.IsCreator {
		return fmt.Errorf("audience %s was shared with this advertiser by another one: only its owner can delete it", id)
	}
	return d.Conn.Client.DeleteAudiences(ctx, d.Conn.AdvertiserID, []string{id})
}
