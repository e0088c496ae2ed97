package appupload

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
)

// History's uploads to Meta: the jobs of the Meta journal (the wizard's,
// and the command line's, which keeps the same one), so an upload the app
// was closed in the middle of is found after a restart and resumed
// (ResumeMetaUpload) through the same journal.

// MetaJob is one upload to Meta as History lists it: ids and counts, never
// a cell.
type MetaJob struct {
	ID           string               `json:"id"`
	Platform     destination.Platform `json:"platform"` // always "meta"
	AdAccount    string               `json:"ad_account"`
	AudienceName string               `json:"audience_name,omitempty"`
	AudienceID   string               `json:"audience_id,omitempty"` // "" until the audience is created
	Action       string               `json:"action"`                // ADD, REMOVE or REPLACE
	OutputDir    string               `json:"output_dir,omitempty"`  // the transform output it sends
	Rows         int                  `json:"rows"`
	RowsSent     int                  `json:"rows_sent"` // of the batches Meta is known to have
	Batches      int                  `json:"batches"`
	BatchesDone  int                  `json:"batches_done"`
	StartedAt    time.Time            `json:"started_at"`  // its first batch sent (zero: none yet)
	FinishedAt   time.Time            `json:"finished_at"` // zero until done
	Done         bool                 `json:"done"`
	Running      bool                 `json:"running"`
	// Resumable: not done, not running, and its rows file recorded.
	Resumable bool `json:"resumable"`
}

// MetaJobs lists the uploads to Meta, newest first.
func (s *Service) MetaJobs() ([]MetaJob, error) {
	if s.meta.openErr != nil {
		return nil, fmt.Errorf("The Meta upload journal could not be opened (%v). Check that the app's data folder is writable, then restart the app.", s.meta.openErr)
	}
	all, err := s.meta.store.Jobs(s.ctx)
	if err != nil {
		return nil, fmt.Errorf("The Meta upload journal could not be read (%v). Restart the app; if it stays, check that its data folder is readable.", err)
	}
	s.meta.mu.Lock()
	running := s.meta.jobID
	s.meta.mu.Unlock()
	out := make([]MetaJob, 0, len(all))
	for _, j := range all {
		m := MetaJob{ID: j.ID, Platform: destination.Meta, AdAccount: j.AdAccount, AudienceName: j.AudienceName, AudienceID: j.AudienceID,
			Action: string(j.Action), Rows: j.Rows, RowsSent: j.RowsSent, Batches: j.Batches, BatchesDone: j.BatchesDone,
			StartedAt: j.Started, FinishedAt: j.Finished, Done: j.Done, Running: j.ID == running}
		if j.RowsPath != "" {
			m.OutputDir = filepath.Dir(j.RowsPath)
		}
		m.Resumable = j.Resumable() && !m.Running
		out = append(out, m)
	}
	return out, nil
}
