package metaupload

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/sqlitefile"
)

// Store is the journal: every job, its sessions and each batch's state,
// written before a batch is sent and after its answer, so a killed run
// resumes without sending a batch twice into a session.
type Store struct{ db *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS meta_jobs (
  id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  ad_account TEXT NOT NULL,
  audience_name TEXT NOT NULL,
  audience_id TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  schema_keys TEXT NOT NULL,
  total_rows INTEGER NOT NULL,
  create_started_at INTEGER NOT NULL DEFAULT 0,
  existing_ids TEXT NOT NULL DEFAULT '[]',
  replace_done INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0,
  done_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta_sessions (
  job_id TEXT NOT NULL,
  no INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  replace INTEGER NOT NULL,
  opened_at INTEGER NOT NULL,
  next_seq INTEGER NOT NULL DEFAULT 1,
  received INTEGER NOT NULL DEFAULT 0,
  closed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, no)
);
CREATE TABLE IF NOT EXISTS meta_batches (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  first_row INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  status TEXT NOT NULL,
  session_no INTEGER NOT NULL DEFAULT 0,
  batch_seq INTEGER NOT NULL DEFAULT 0,
  last_flag INTEGER NOT NULL DEFAULT 0,
  received_before INTEGER NOT NULL DEFAULT 0,
  received_after INTEGER NOT NULL DEFAULT 0,
  sent_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, idx)
);
`

// Batch statuses.
const (
	batchPending = "pending"
	batchSending = "sending" // sent or about to be: reconciled before anything else
	batchDone    = "done"
)

// OpenStore opens (creating) the journal at path.
func OpenStore(path string) (*Store, error) {
	db, err := sqlitefile.Open(context.Background(), path, "busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the Meta upload journal %s: %w", path, err)
	}
	if err := addDoneAt(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the Meta upload journal %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// addDoneAt adds meta_jobs.done_at to a journal written before it (a
// job's finish time: a sync taking an upload as its record compares it
// with the audience's time_content_updated). Jobs done before read 0.
func addDoneAt(db *sql.DB) error {
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('meta_jobs') WHERE name = 'done_at'`).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := db.Exec(`ALTER TABLE meta_jobs ADD COLUMN done_at INTEGER NOT NULL DEFAULT 0`)
	return err
}

// Close closes the journal.
func (s *Store) Close() error { return s.db.Close() }

type jobState struct {
	id, fingerprint, adAccount, name, audienceID, action string
	schema                                               []string
	totalRows                                            int
	createStartedAt                                      time.Time
	existing                                             []string
	replaceDone, done                                    bool
}

type sessionState struct {
	no        int
	sessionID int64
	replace   bool
	openedAt  time.Time
	nextSeq   int
	received  int
	closed    bool
}

type batchState struct {
	idx, firstRow, rows int
	status              string
	sessionNo, batchSeq int
	last                bool
	receivedBefore      int
	receivedAfter       int
	sentAt              time.Time
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnix(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (s *Store) job(ctx context.Context, id string) (*jobState, error) {
	var j jobState
	var schemaJSON, existingJSON string
	var started int64
	err := s.db.QueryRowContext(ctx, `SELECT id, fingerprint, ad_account, audience_name, audience_id, action, schema_keys,
		total_rows, create_started_at, existing_ids, replace_done, done FROM meta_jobs WHERE id = ?`, id).
		Scan(&j.id, &j.fingerprint, &j.adAccount, &j.name, &j.audienceID, &j.action, &schemaJSON, &j.totalRows, &started,
			&existingJSON, &j.replaceDone, &j.done)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Meta job %s: %w", id, err)
	}
	j.createStartedAt = fromUnix(started)
	if err := json.Unmarshal([]byte(schemaJSON), &j.schema); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(existingJSON), &j.existing); err != nil {
		return nil, err
	}
	return &j, nil
}

func (s *Store) createJob(ctx context.Context, j *jobState, batches []batchState) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	schemaJSON, _ := json.Marshal(j.schema)
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta_jobs (id, fingerprint, ad_account, audience_name, audience_id, action,
		schema_keys, total_rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, j.id, j.fingerprint, j.adAccount, j.name, j.audienceID,
		j.action, string(schemaJSON), j.totalRows); err != nil {
		return fmt.Errorf("recording Meta job %s: %w", j.id, err)
	}
	for _, b := range batches {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta_batches (job_id, idx, first_row, rows, status) VALUES (?, ?, ?, ?, ?)`,
			j.id, b.idx, b.firstRow, b.rows, batchPending); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *Store) exec(ctx context.Context, q string, args ...any) error {
	// The journal is written even when ctx has just ended: what was sent
	// must be on disk before the process goes.
	_, err := s.db.ExecContext(context.WithoutCancel(ctx), q, args...)
	if err != nil {
		return fmt.Errorf("writing the Meta upload journal: %w", err)
	}
	return nil
}

func (s *Store) setCreateStarted(ctx context.Context, jobID string, at time.Time, existing []string) error {
	if existing == nil {
		existing = []string{}
	}
	b, _ := json.Marshal(existing)
	return s.exec(ctx, `UPDATE meta_jobs SET create_started_at = ?, existing_ids = ? WHERE id = ?`, unixOrZero(at), string(b), jobID)
}

func (s *Store) setAudienceID(ctx context.Context, jobID, id string) error {
	return s.exec(ctx, `UPDATE meta_jobs SET audience_id = ? WHERE id = ?`, id, jobID)
}

func (s *Store) setReplaceDone(ctx context.Context, jobID string) error {
	return s.exec(ctx, `UPDATE meta_jobs SET replace_done = 1 WHERE id = ?`, jobID)
}

func (s *Store) setDone(ctx context.Context, jobID string, at time.Time) error {
	return s.exec(ctx, `UPDATE meta_jobs SET done = 1, done_at = ? WHERE id = ? AND done = 0`, unixOrZero(at), jobID)
}

// claimed reports whether another job of the journal owns audience id.
func (s *Store) claimed(ctx context.Context, jobID, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM meta_jobs WHERE audience_id = ? AND id != ?`, id, jobID).Scan(&n)
	return n > 0, err
}

func (s *Store) sessions(ctx context.Context, jobID string) ([]sessionState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT no, session_id, replace, opened_at, next_seq, received, closed
		FROM meta_sessions WHERE job_id = ? ORDER BY no`, jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sessionState
	for rows.Next() {
		var se sessionState
		var opened int64
		if err := rows.Scan(&se.no, &se.sessionID, &se.replace, &opened, &se.nextSeq, &se.received, &se.closed); err != nil {
			return nil, err
		}
		se.openedAt = fromUnix(opened)
		out = append(out, se)
	}
	return out, rows.Err()
}

// sessionUpsert writes a session: its id, kind and opening time once,
// then the batch_seq it hands out next, its count and whether it closed.
const sessionUpsert = `INSERT INTO meta_sessions (job_id, no, session_id, replace, opened_at, next_seq, received, closed)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, no) DO UPDATE SET next_seq = excluded.next_seq,
	received = excluded.received, closed = excluded.closed`

func sessionArgs(jobID string, se *sessionState) []any {
	return []any{jobID, se.no, se.sessionID, se.replace, unixOrZero(se.openedAt), se.nextSeq, se.received, se.closed}
}

func (s *Store) putSession(ctx context.Context, jobID string, se sessionState) error {
	return s.exec(ctx, sessionUpsert, sessionArgs(jobID, &se)...)
}

func (s *Store) batches(ctx context.Context, jobID string) ([]batchState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idx, first_row, rows, status, session_no, batch_seq, last_flag,
		received_before, received_after, sent_at FROM meta_batches WHERE job_id = ? ORDER BY idx`, jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []batchState
	for rows.Next() {
		var b batchState
		var sent int64
		if err := rows.Scan(&b.idx, &b.firstRow, &b.rows, &b.status, &b.sessionNo, &b.batchSeq, &b.last,
			&b.receivedBefore, &b.receivedAfter, &sent); err != nil {
			return nil, err
		}
		b.sentAt = fromUnix(sent)
		out = append(out, b)
	}
	return out, rows.Err()
}

// putBatch writes a batch's state, and its session's in the same
// transaction (the batch_seq it took, the count Meta gave).
func (s *Store) putBatch(ctx context.Context, jobID string, b batchState, se *sessionState) error {
	ctx = context.WithoutCancel(ctx)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE meta_batches SET status = ?, session_no = ?, batch_seq = ?, last_flag = ?,
		received_before = ?, received_after = ?, sent_at = ? WHERE job_id = ? AND idx = ?`,
		b.status, b.sessionNo, b.batchSeq, b.last, b.receivedBefore, b.receivedAfter, unixOrZero(b.sentAt), jobID, b.idx); err != nil {
		return fmt.Errorf("writing the Meta upload journal: %w", err)
	}
	if se != nil {
		if _, err := tx.ExecContext(ctx, sessionUpsert, sessionArgs(jobID, se)...); err != nil {
			return fmt.Errorf("writing the Meta upload journal: %w", err)
		}
	}
	return tx.Commit()
}
