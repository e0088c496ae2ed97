package metaupload

import (
	"context"
	"errors"
	"fmt"
)

// A job continued from the journal alone, as the app's History offers it
// after a restart: the journal holds the rows file, schema, action and
// audience the job was started with.

// Resumable reports whether Resume can continue the job: not done, and its
// rows file recorded.
func (j JobRecord) Resumable() bool { return !j.Done && j.RowsPath != "" }

// Job reads one job of the journal; nil when it has none of that id.
func (s *Store) Job(ctx context.Context, id string) (*JobRecord, error) {
	all, err := s.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, nil
}

// What a Resume may refuse.
var (
	ErrUnknownJob   = errors.New("the Meta upload journal has no such job")
	ErrNoRowsPath   = errors.New("the job was recorded before the journal kept its rows file")
	ErrOtherAccount = errors.New("the job was started in another ad account")
	ErrJobDone      = errors.New("the job is done")
)

// Resume continues a job of the journal with the rows file, schema, action
// and audience it was started with, as Run does when asked the same job
// again: batches Meta has are not sent again and no second audience is
// made. The rows file must be unchanged (Run checks its fingerprint).
func (u *Uploader) Resume(ctx context.Context, jobID string) (Result, error) {
	st, err := u.cfg.Store.job(ctx, jobID)
	switch {
	case err != nil:
		return Result{}, err
	case st == nil:
		return Result{}, fmt.Errorf("job %s: %w", jobID, ErrUnknownJob)
	case st.done:
		return Result{}, fmt.Errorf("job %s: %w", jobID, ErrJobDone)
	case st.rowsPath == "":
		return Result{}, fmt.Errorf("job %s: %w", jobID, ErrNoRowsPath)
	case st.adAccount != u.cfg.Client.AdAccount():
		return Result{}, fmt.Errorf("job %s (%s, not %s): %w", jobID, st.adAccount, u.cfg.Client.AdAccount(), ErrOtherAccount)
	}
	return u.Run(ctx, Job{ID: st.id, AudienceName: st.name, AudienceID: st.audienceID, Action: Action(st.action),
		Schema: st.schema, RowsPath: st.rowsPath})
}
