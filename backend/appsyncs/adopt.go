package appsyncs

import (
	"fmt"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
)

// Save as sync's adoption: the wizard's upload of the folder just saved
// from becomes the sync's record, through the platform's own upload
// history (TikTok's upload state, Meta's upload journal), so its first
// run sends only what changed since.

// adoptReplaces is what a sync that adopted nothing does on its first run.
const adoptReplaces = "its first run sends the whole list with REPLACE"

// adopt takes the upload of folder adoptFrom as saved's sync's record, or
// says in saved.NotAdopted why it did not.
func (s *Service) adopt(saved *Saved, adoptFrom string) {
	d := saved.Definition
	var a *syncs.Adoption
	var err error
	if d.Destination == destination.Meta {
		if s.cfg.MetaUploads == nil {
			saved.NotAdopted = fmt.Sprintf("The Meta upload journal could not be opened, so the upload was not taken as the sync's record: %s.", adoptReplaces)
			return
		}
		a, err = s.cfg.Syncs.AdoptMeta(s.ctx, d.Name, adoptFrom, s.cfg.MetaUploads)
	} else {
		if s.cfg.Uploads == nil {
			saved.NotAdopted = fmt.Sprintf("The upload history could not be opened, so the upload was not taken as the sync's record: %s.", adoptReplaces)
			return
		}
		a, err = s.cfg.Syncs.Adopt(s.ctx, d.Name, adoptFrom, s.cfg.Uploads)
	}
	switch {
	case syncs.IsAdoptRefusal(err):
		saved.NotAdopted = fmt.Sprintf("The upload was not taken as the sync's record: %v; %s.", err, adoptReplaces)
	case err != nil:
		saved.NotAdopted = fmt.Sprintf("The upload could not be taken as the sync's record (%v); %s. Save the sync again from the result screen to retry.", err, adoptReplaces)
	default:
		saved.Adopted = a
	}
}
