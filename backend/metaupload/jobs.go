package metaupload

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// JobRecord is what the journal says of one job, for a reader outside the
// uploader (a sync taking a finished upload as its record).
type JobRecord struct {
	ID        string
	AdAccount string
	// AudienceID is the job's audience ("" while a create has not made it).
	AudienceID string
	Action     Action
	// Created: the job was asked to make a new audience (AudienceName).
	Created      bool
	AudienceName string
	Schema       []string
	Rows         int
	// RowsSHA256 is the Fingerprint of the rows file the job sends (a
	// resume must find it unchanged).
	RowsSHA256 string
	Done       bool
	// Started is when its first batch was sent; Finished when the job
	// ended (for a job done before the journal kept it: its last batch's
	// sending). Both zero when nothing was sent.
	Started, Finished time.Time
	// LastSent is when its latest batch was sent (zero: none was).
	LastSent time.Time
}

// Jobs lists the journal's jobs, newest first.
func (s *Store) Jobs(ctx context.Context) ([]JobRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT j.id, j.ad_account, j.audience_name, j.audience_id, j.action, j.schema_keys,
		j.total_rows, j.fingerprint, j.done, j.done_at, j.create_started_at,
		COALESCE((SELECT MIN(sent_at) FROM meta_batches b WHERE b.job_id = j.id AND b.sent_at > 0), 0),
		COALESCE((SELECT MAX(sent_at) FROM meta_batches b WHERE b.job_id = j.id), 0)
		FROM meta_jobs j ORDER BY j.rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("reading the Meta upload journal: %w", err)
	}
	defer rows.Close()
	var out []JobRecord
	for rows.Next() {
		var j JobRecord
		var action, schemaJSON string
		var doneAt, createStarted, firstSent, lastSent int64
		if err := rows.Scan(&j.ID, &j.AdAccount, &j.AudienceName, &j.AudienceID, &action, &schemaJSON, &j.Rows, &j.RowsSHA256,
			&j.Done, &doneAt, &createStarted, &firstSent, &lastSent); err != nil {
			return nil, fmt.Errorf("reading the Meta upload journal: %w", err)
		}
		if err := json.Unmarshal([]byte(schemaJSON), &j.Schema); err != nil {
			return nil, fmt.Errorf("reading the Meta upload journal: job %s: %w", j.ID, err)
		}
		j.Action = Action(action)
		j.Created = j.AudienceName != "" || createStarted != 0
		j.Started, j.LastSent = fromUnix(firstSent), fromUnix(lastSent)
		j.Finished = fromUnix(doneAt)
		if j.Done && doneAt == 0 {
			j.Finished = fromUnix(lastSent)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
