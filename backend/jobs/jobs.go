// Package jobs keeps the history of transform runs in SQLite
// (modernc.org/sqlite, no cgo) in the user's data directory. A job records
// the input file's name, never its contents, nor any identifier.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/sqlitefile"
)

// Status is where a job stands.
type Status string

const (
	StatusRunning     Status = "running"
	StatusSucceeded   Status = "succeeded"
	StatusFailed      Status = "failed"
	StatusCancelled   Status = "cancelled"
	StatusInterrupted Status = "interrupted" // the app stopped while it ran
)

// Mapping is a source column and the identifier type it holds.
type Mapping struct {
	Column string `json:"column"`
	Type   string `json:"type"`
}

// Job is one run of the transform.
type Job struct {
	ID         int64      `json:"id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Audience   string     `json:"audience"`
	Input      string     `json:"input"` // file name or s3:// URL, never contents
	// Origin names where a remote input came from beyond its URL (an AWS
	// Clean Rooms collaboration and protected query); nil for files.
	Origin      *Origin         `json:"origin,omitempty"`
	InputBytes  int64           `json:"input_bytes"`
	Format      string          `json:"format"`
	Layout      string          `json:"layout"`
	Region      string          `json:"region"`
	PhoneFormat string          `json:"phone_format"`
	Mappings    []Mapping       `json:"mappings"`
	OutputDir   string          `json:"output_dir"`
	Status      Status          `json:"status"`
	Error       string          `json:"error,omitempty"`
	RowsRead    int64           `json:"rows_read"`
	RowsWritten int64           `json:"rows_written"`
	Counters    json.RawMessage `json:"counters,omitempty" ts_type:"any"` // the manifest's counters, no PII
	// Destination is the platform the run prepared the list for: "tiktok"
	// or "meta", "tiktok,meta" for a run that wrote both. Runs recorded
	// before Meta read "tiktok".
	Destination string `json:"destination"`
	// AdAccount is Meta's ad account ("act_<digits>") of a run for Meta,
	// when the caller knows it; "" otherwise.
	AdAccount string `json:"ad_account,omitempty"`
}

// The destinations a Job names.
const (
	DestinationTikTok = "tiktok"
	DestinationMeta   = "meta"
)

// Destinations splits Destination into its platforms.
func (j Job) Destinations() []string {
	if j.Destination == "" {
		return []string{DestinationTikTok}
	}
	return strings.Split(j.Destination, ",")
}

// checkDestination accepts "", one platform or a comma list of both.
func checkDestination(d string) (string, error) {
	if d == "" {
		return DestinationTikTok, nil
	}
	seen := map[string]bool{}
	for _, p := range strings.Split(d, ",") {
		if (p != DestinationTikTok && p != DestinationMeta) || seen[p] {
			return "", fmt.Errorf("recording the run: destination %q is not tiktok, meta or tiktok,meta", d)
		}
		seen[p] = true
	}
	return d, nil
}

// Origin is the AWS Clean Rooms collaboration and protected query a run
// read: ids and names, never data.
type Origin struct {
	Kind              string `json:"kind"` // "cleanrooms"
	CollaborationID   string `json:"collaboration_id,omitempty"`
	CollaborationName string `json:"collaboration_name,omitempty"`
	MembershipID      string `json:"membership_id,omitempty"`
	QueryID           string `json:"query_id,omitempty"`
	ResultURL         string `json:"result_url,omitempty"` // the s3:// prefix the result was read from
}

// ErrNotFound is returned for an unknown job id.
var ErrNotFound = errors.New("job not found")

// Store is the job history database.
type Store struct {
	db   *sql.DB
	path string
}

// OpenDefault opens history.db in the app's data folder (backend/datadir).
func OpenDefault(ctx context.Context) (*Store, error) {
	dir, err := datadir.Path()
	if err != nil {
		return nil, err
	}
	return Open(ctx, filepath.Join(dir, "history.db"))
}

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at   TEXT NOT NULL,
	finished_at  TEXT,
	audience     TEXT NOT NULL DEFAULT '',
	input        TEXT NOT NULL,
	input_bytes  INTEGER NOT NULL DEFAULT 0,
	format       TEXT NOT NULL DEFAULT '',
	layout       TEXT NOT NULL DEFAULT '',
	region       TEXT NOT NULL DEFAULT '',
	phone_format TEXT NOT NULL DEFAULT '',
	mappings     TEXT NOT NULL DEFAULT '[]',
	output_dir   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	error        TEXT NOT NULL DEFAULT '',
	rows_read    INTEGER NOT NULL DEFAULT 0,
	rows_written INTEGER NOT NULL DEFAULT 0,
	counters     TEXT,
	origin       TEXT,
	destination  TEXT NOT NULL DEFAULT 'tiktok',
	ad_account   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_started ON jobs(started_at);
`

// addColumns gives a history made before Origin, Destination and AdAccount
// existed their columns; its runs were all for TikTok (the column's default).
func addColumns(ctx context.Context, db *sql.DB) error {
	for _, c := range []struct{ name, def string }{
		{"origin", "TEXT"},
		{"destination", "TEXT NOT NULL DEFAULT 'tiktok'"},
		{"ad_account", "TEXT NOT NULL DEFAULT ''"},
	} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('jobs') WHERE name = ?`, c.name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE jobs ADD COLUMN `+c.name+` `+c.def); err != nil {
			return err
		}
	}
	return nil
}

// Open opens (creating if needed) the history database at path, private to
// the user (sqlitefile: 0700 folder, 0600 files). Jobs left
// "running" by an earlier process are marked interrupted: nothing can
// finish them now.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitefile.Open(ctx, path, "busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("opening the run history: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; the history is small
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the run history %s: %w", path, err)
	}
	if err := addColumns(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the run history %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE jobs SET status = ?, error = ? WHERE status = ?`,
		StatusInterrupted, "The app stopped before this run finished; its output folder may be incomplete.", StatusRunning); err != nil {
		db.Close()
		return nil, fmt.Errorf("updating the run history %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

const timeLayout = time.RFC3339Nano

// safeMappings is the mapping as the history keeps it: a column whose name
// looks like a customer's identifier (a list without a header row) is not named.
func safeMappings(ms []Mapping) []Mapping {
	out := make([]Mapping, len(ms))
	for i, m := range ms {
		m.Column = records.SafeColumnName(m.Column)
		out[i] = m
	}
	return out
}

// Start records a new running job and returns its id.
func (s *Store) Start(ctx context.Context, j Job) (int64, error) {
	if j.StartedAt.IsZero() {
		j.StartedAt = time.Now()
	}
	if j.Mappings == nil {
		j.Mappings = []Mapping{}
	}
	m, err := json.Marshal(safeMappings(j.Mappings))
	if err != nil {
		return 0, fmt.Errorf("recording the run: %w", err)
	}
	dest, err := checkDestination(j.Destination)
	if err != nil {
		return 0, err
	}
	var origin sql.NullString
	if j.Origin != nil {
		b, err := json.Marshal(j.Origin)
		if err != nil {
			return 0, fmt.Errorf("recording the run: %w", err)
		}
		origin = sql.NullString{String: string(b), Valid: true}
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO jobs
		(started_at, audience, input, input_bytes, format, layout, region, phone_format, mappings, output_dir, status, origin,
		destination, ad_account)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.StartedAt.UTC().Format(timeLayout), j.Audience, j.Input, j.InputBytes, j.Format, j.Layout, j.Region, j.PhoneFormat,
		string(m), j.OutputDir, StatusRunning, origin, dest, j.AdAccount)
	if err != nil {
		return 0, fmt.Errorf("recording the run in the history: %w", err)
	}
	return res.LastInsertId()
}

// Result is how a job ended.
type Result struct {
	Status      Status
	Error       string // a sentence without PII
	Layout      string // the layout actually used ("auto" resolved)
	RowsRead    int64
	RowsWritten int64
	Counters    any // marshalled to JSON as is
}

// Finish records how job id ended.
func (s *Store) Finish(ctx context.Context, id int64, r Result) error {
	var counters sql.NullString
	if r.Counters != nil {
		b, err := json.Marshal(r.Counters)
		if err != nil {
			return fmt.Errorf("recording the run's counters: %w", err)
		}
		counters = sql.NullString{String: string(b), Valid: true}
	}
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET finished_at = ?, status = ?, error = ?,
		layout = CASE WHEN ? = '' THEN layout ELSE ? END,
		rows_read = ?, rows_written = ?, counters = ? WHERE id = ?`,
		time.Now().UTC().Format(timeLayout), r.Status, r.Error, r.Layout, r.Layout,
		r.RowsRead, r.RowsWritten, counters, id)
	if err != nil {
		return fmt.Errorf("recording the end of run %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("recording the end of run %d: %w", id, ErrNotFound)
	}
	return nil
}

const columns = `id, started_at, finished_at, audience, input, input_bytes, format, layout, region, phone_format,
	mappings, output_dir, status, error, rows_read, rows_written, counters, origin, destination, ad_account`

// List returns the newest jobs first, at most limit (all if limit <= 0).
func (s *Store) List(ctx context.Context, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM jobs ORDER BY started_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the run history: %w", err)
	}
	defer rows.Close()
	out := []Job{}
	for rows.Next() {
		j, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the run history: %w", err)
	}
	return out, nil
}

// Get returns one job.
func (s *Store) Get(ctx context.Context, id int64) (Job, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM jobs WHERE id = ?`, id)
	j, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("reading run %d: %w", id, ErrNotFound)
	}
	return j, err
}

// Delete removes a job from the history (its output folder stays).
func (s *Store) Delete(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM jobs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("deleting run %d from the history: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("deleting run %d from the history: %w", id, ErrNotFound)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scan(r scanner) (Job, error) {
	var (
		j                 Job
		started, mappings string
		finished          sql.NullString
		counters, origin  sql.NullString
		status            string
	)
	if err := r.Scan(&j.ID, &started, &finished, &j.Audience, &j.Input, &j.InputBytes, &j.Format, &j.Layout, &j.Region,
		&j.PhoneFormat, &mappings, &j.OutputDir, &status, &j.Error, &j.RowsRead, &j.RowsWritten, &counters, &origin,
		&j.Destination, &j.AdAccount); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Job{}, err
		}
		return Job{}, fmt.Errorf("reading the run history: %w", err)
	}
	j.Status = Status(status)
	t, err := time.Parse(timeLayout, started)
	if err != nil {
		return Job{}, fmt.Errorf("reading the run history: bad start time %q: %w", started, err)
	}
	j.StartedAt = t
	if finished.Valid {
		ft, err := time.Parse(timeLayout, finished.String)
		if err != nil {
			return Job{}, fmt.Errorf("reading the run history: bad finish time %q: %w", finished.String, err)
		}
		j.FinishedAt = &ft
	}
	if err := json.Unmarshal([]byte(mappings), &j.Mappings); err != nil {
		return Job{}, fmt.Errorf("reading the run history: bad mappings of run %d: %w", j.ID, err)
	}
	j.Mappings = safeMappings(j.Mappings) // rows written before column names were checked
	if counters.Valid {
		j.Counters = json.RawMessage(counters.String)
	}
	if origin.Valid && origin.String != "" {
		j.Origin = &Origin{}
		if err := json.Unmarshal([]byte(origin.String), j.Origin); err != nil {
			return Job{}, fmt.Errorf("reading the run history: bad origin of run %d: %w", j.ID, err)
		}
	}
	return j, nil
}
