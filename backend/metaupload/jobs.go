package metaupload

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// JobInfo is a journal's job as a history shows it: ids and counts, never
// a cell.
type JobInfo struct {
	ID           string
	AdAccount    string
	AudienceName string // the name a new audience was given ("" for an existing one)
	AudienceID   string // "" until the audience is created
	Action       Action
	Schema       []string
	Rows         int // rows of the job
	RowsSent     int // rows of the batches Meta is known to have
	Batches      int
	BatchesDone  int
	RowsPath     string    // "" in jobs recorded before the journal kept it
	CreatedAt    time.Time // zero in jobs recorded before the journal kept it
	Done         bool
}

// Resumable reports whether Resume can continue the job: not done, and its
// rows file recorded.
func (j JobInfo) Resumable() bool { return !j.Done && j.RowsPath != "" }

// Jobs lists the journal's jobs, newest first.
func (s *Store) Jobs(ctx context.Context) ([]JobInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM meta_jobs ORDER BY created_at DESC, rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("reading the Meta upload journal: %w", err)
	}
	var jobs []*jobState
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading the Meta upload journal: %w", err)
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]JobInfo, 0, len(jobs))
	for _, j := range jobs {
		bs, err := s.batches(ctx, j.id)
		if err != nil {
			return nil, err
		}
		info := JobInfo{ID: j.id, AdAccount: j.adAccount, AudienceName: j.name, AudienceID: j.audienceID, Action: Action(j.action),
			Schema: j.schema, Rows: j.totalRows, Batches: len(bs), RowsPath: j.rowsPath, CreatedAt: j.createdAt, Done: j.done}
		for _, b := range bs {
			if b.status == batchDone {
				info.BatchesDone++
				info.RowsSent += b.rows
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// Job reads one job of the journal; nil when it has none of that id.
func (s *Store) Job(ctx context.Context, id string) (*JobInfo, error) {
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
// and audience it was started with, as Run would when asked the same job
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
