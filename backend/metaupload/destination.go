package metaupload

import (
	"context"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/meta"
)

// Destination is a Meta ad account behind the destination seam.
type Destination struct {
	Client   *meta.Client
	Uploader *Uploader
}

var _ destination.Destination = (*Destination)(nil)

// Capabilities: Meta's keys and limits (spec §2, §3, §5, §8, §9).
func (d *Destination) Capabilities() destination.Capabilities {
	keys := make([]string, 0, len(identifiers.MetaKeys))
	for _, k := range identifiers.MetaKeys {
		keys = append(keys, k.SchemaName())
	}
	return destination.Capabilities{Platform: destination.Meta, Keys: keys,
		Layouts:           []destination.Layout{destination.OneKeyPerAudience, destination.SeveralKeysPerRow},
		MaxRowsPerRequest: meta.MaxRowsPerRequest, MaxAudiences: 500, MinUsefulSize: 100,
		ReplaceWindow: meta.SessionWindow, RemovalsShrinkSize: false}
}

// Deliver runs the delivery as an exactly-once job.
func (d *Destination) Deliver(ctx context.Context, del destination.Delivery) (destination.Result, error) {
	res, err := d.Uploader.Run(ctx, Job{ID: del.JobID, AudienceName: del.AudienceName, AudienceID: del.AudienceID,
		Action: Action(del.Action), Schema: del.Schema, RowsPath: del.RowsPath})
	return destination.Result{AudienceID: res.AudienceID, Rows: res.Rows}, err
}

func view(a meta.Audience) destination.Audience {
	updated := a.ContentUpdated
	if updated.IsZero() {
		updated = a.Updated
	}
	return destination.Audience{ID: a.ID, Name: a.Name, SizeLower: a.LowerBound, SizeUpper: a.UpperBound,
		Ready: a.Ready(), Status: a.StatusSentence(), Updated: updated.In(time.UTC)}
}

// List reads every audience of the ad account.
func (d *Destination) List(ctx context.Context) ([]destination.Audience, error) {
	all, err := d.Client.ListAudiences(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]destination.Audience, 0, len(all))
	for _, a := range all {
		out = append(out, view(a))
	}
	return out, nil
}

// Status reads one audience.
func (d *Destination) Status(ctx context.Context, id string) (destination.Audience, error) {
	a, err := d.Client.Audience(ctx, id)
	return view(a), err
}

// Rename renames an audience.
func (d *Destination) Rename(ctx context.Context, id, name string) error {
	return d.Client.RenameAudience(ctx, id, name)
}

// Delete deletes an audience for good.
func (d *Destination) Delete(ctx context.Context, id string) error {
	return d.Client.DeleteAudience(ctx, id)
}
