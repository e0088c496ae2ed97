// Package metaupload sends a prepared list to one Meta audience exactly
// once. Meta documents no idempotency for a batch sent again, so every
// batch is written to a journal (Store) before it is sent (its session id,
// batch_seq and rows) and after its answer (the session's num_received). A
// batch whose answer was lost, or whose run was killed, is reconciled from
// the session's num_received before anything else is sent: arrived, it is
// done; not arrived, it is sent again, so no batch is ever sent twice into a
// session. An audience is created once: the ids of same-named audiences are
// recorded before the create, and after an unclear create one is adopted
// only if it is new and ours (its description names the job).
//
// Sessions last at most 90 minutes from their first batch; the uploader
// closes each (last_batch_flag) after RotateAfter and sends nothing into
// one after its window (meta.SendBefore). A replace that cannot finish in
// its window ends with what it received and the rest is added through
// /users, as Meta's guide says.
package metaupload

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/meta"
)

// Action says what a job does to its audience.
type Action string

// The actions.
const (
	Add     Action = "ADD"
	Remove  Action = "REMOVE"
	Replace Action = "REPLACE"
)

// Job is one upload.
type Job struct {
	ID           string // unique in the journal; also named in a created audience's description
	AudienceName string // for a new audience
	AudienceID   string // an existing audience; "" creates one named AudienceName
	Action       Action
	// Schema is a single-key schema ("EMAIL_SHA256") or multi-key keys.
	Schema    []string
	RowsPath  string // see rows.go
	BatchRows int    // rows per request; default and most meta.MaxRowsPerRequest
}

// Config configures an Uploader.
type Config struct {
	Store  *Store
	Client *meta.Client
	// Now and Sleep are the clock (defaults: time.Now and a timer); tests
	// share one with the stand-in. The client must read the same clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Log receives one line per step: ids and counts, never a cell.
	Log func(level, msg string)
	// RotateAfter closes a session with its next batch once it is this old
	// (default 75 min); SendWindow is how long after opening a session
	// a batch may still be sent into it (default 85 min, inside Meta's 90).
	RotateAfter time.Duration
	SendWindow  time.Duration
}

// Result says what a finished job did.
type Result struct {
	AudienceID string
	Rows       int
	Batches    int
	Sessions   int
}

// Uploader runs jobs.
type Uploader struct{ cfg Config }

// New returns an uploader for cfg.
func New(cfg Config) (*Uploader, error) {
	if cfg.Store == nil || cfg.Client == nil {
		return nil, errors.New("metaupload: a Store and a Client are needed")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = meta.Sleep
	}
	if cfg.RotateAfter <= 0 {
		cfg.RotateAfter = 75 * time.Minute
	}
	if cfg.SendWindow <= 0 {
		cfg.SendWindow = 85 * time.Minute
	}
	if cfg.SendWindow >= meta.SessionWindow || cfg.RotateAfter >= cfg.SendWindow {
		return nil, fmt.Errorf("metaupload: RotateAfter %v must be below SendWindow %v, below Meta's %v", cfg.RotateAfter, cfg.SendWindow, meta.SessionWindow)
	}
	return &Uploader{cfg: cfg}, nil
}

func (u *Uploader) logf(level, format string, args ...any) {
	if u.cfg.Log != nil {
		u.cfg.Log(level, fmt.Sprintf(format, args...))
	}
}

// busyWait and maxBusyWaits: how long to wait when Meta says an update is
// in progress (1870145), and how often (ESQ waits 5 minutes; a replace
// ends within its 90).
const (
	busyWait     = 5 * time.Minute
	maxBusyWaits = 20
)

func isUpdateInProgress(err error) bool {
	var e *meta.APIError
	return errors.As(err, &e) && e.Subcode == meta.SubUpdateInProgress
}

// run is one Run's working state.
type run struct {
	u         *Uploader
	busyWaits int
	job       *jobState
	sessions  []sessionState
	batches   []batchState
	rows      *rowReader
}

// Run sends job, or resumes it from the journal: a job id seen before
// must name the same rows file (unchanged), schema and action.
func (u *Uploader) Run(ctx context.Context, job Job) (Result, error) {
	if job.BatchRows <= 0 || job.BatchRows > meta.MaxRowsPerRequest {
		job.BatchRows = meta.MaxRowsPerRequest
	}
	if job.Action != Add && job.Action != Remove && job.Action != Replace {
		return Result{}, fmt.Errorf("unknown action %q (ADD, REMOVE or REPLACE)", job.Action)
	}
	if job.Action == Remove && job.AudienceID == "" {
		return Result{}, errors.New("a removal needs an existing audience")
	}
	n, fingerprint, err := scanRows(job.RowsPath, len(job.Schema))
	if err != nil {
		return Result{}, err
	}
	st, err := u.cfg.Store.job(ctx, job.ID)
	if err != nil {
		return Result{}, err
	}
	if st == nil {
		st = &jobState{id: job.ID, fingerprint: fingerprint, adAccount: u.cfg.Client.AdAccount(), name: job.AudienceName,
			audienceID: job.AudienceID, action: string(job.Action), schema: job.Schema, totalRows: n}
		var plan []batchState
		for first, i := 0, 0; first < n; first, i = first+job.BatchRows, i+1 {
			plan = append(plan, batchState{idx: i, firstRow: first, rows: min(job.BatchRows, n-first), status: batchPending})
		}
		if err := u.cfg.Store.createJob(ctx, st, plan); err != nil {
			return Result{}, err
		}
		u.logf("info", "job %s: %d rows in %d batches to %s", job.ID, n, len(plan), st.adAccount)
	} else if st.fingerprint != fingerprint || st.action != string(job.Action) || fmt.Sprint(st.schema) != fmt.Sprint(job.Schema) {
		return Result{}, fmt.Errorf("job %s was started with other rows, schema or action; a resume must send the same rows file unchanged", job.ID)
	} else if st.adAccount != u.cfg.Client.AdAccount() {
		return Result{}, fmt.Errorf("job %s was started in ad account %s, not %s", job.ID, st.adAccount, u.cfg.Client.AdAccount())
	}
	r := &run{u: u, job: st}
	if r.sessions, err = u.cfg.Store.sessions(ctx, job.ID); err != nil {
		return Result{}, err
	}
	if r.batches, err = u.cfg.Store.batches(ctx, job.ID); err != nil {
		return Result{}, err
	}
	if st.audienceID == "" {
		if err := r.ensureAudience(ctx); err != nil {
			return Result{}, err
		}
	}
	if r.rows, err = openRows(job.RowsPath); err != nil {
		return Result{}, err
	}
	defer r.rows.Close()
	for i := range r.batches {
		if err := r.deliver(ctx, i); err != nil {
			return Result{}, err
		}
	}
	if err := u.cfg.Store.setDone(ctx, job.ID, u.cfg.Now()); err != nil {
		return Result{}, err
	}
	u.logf("info", "job %s: done, %d rows in %d batches over %d sessions into audience %s", job.ID, n, len(r.batches), len(r.sessions), st.audienceID)
	return Result{AudienceID: st.audienceID, Rows: n, Batches: len(r.batches), Sessions: len(r.sessions)}, nil
}

// deliver gets batch i to Meta exactly once.
func (r *run) deliver(ctx context.Context, i int) error {
	b := &r.batches[i]
	if b.status == batchDone {
		return nil
	}
	cells, err := r.rows.read(b.firstRow, b.rows)
	if err != nil {
		return fmt.Errorf("%s: %w", r.job.id, err)
	}
	for {
		if b.status == batchSending {
			if err := r.reconcile(ctx, b); err != nil {
				return err
			}
			if b.status == batchDone {
				return nil
			}
		}
		se, err := r.sessionFor(ctx, b)
		if err != nil {
			return err
		}
		sent, err := r.send(ctx, b, se, cells)
		if err != nil || sent {
			return err
		}
		// Not sent: its session's window came; the batch goes to a new one.
	}
}

// sessionFor picks the session b goes into (its recorded one while that
// is open and Meta has not seen b, else the open one, else a new one) and
// gives b its batch_seq.
func (r *run) sessionFor(ctx context.Context, b *batchState) (*sessionState, error) {
	now := r.u.cfg.Now()
	if b.sessionNo > 0 {
		if se := r.session(b.sessionNo); se != nil && !se.closed && now.Before(se.openedAt.Add(r.u.cfg.SendWindow)) {
			return se, nil // resend into the session that never got it, same batch_seq
		}
	}
	var se *sessionState
	if n := len(r.sessions); n > 0 && !r.sessions[n-1].closed && now.Before(r.sessions[n-1].openedAt.Add(r.u.cfg.SendWindow)) {
		se = &r.sessions[n-1]
	} else {
		if n > 0 && !r.sessions[n-1].closed {
			if err := r.abandon(ctx, &r.sessions[n-1]); err != nil {
				return nil, err
			}
		}
		id, err := newSessionID()
		if err != nil {
			return nil, err
		}
		replace := Action(r.job.action) == Replace && !r.job.replaceDone && !r.anyReplaceSession()
		r.sessions = append(r.sessions, sessionState{no: len(r.sessions) + 1, sessionID: id, replace: replace, openedAt: now, nextSeq: 1})
		se = &r.sessions[len(r.sessions)-1]
		if err := r.u.cfg.Store.putSession(ctx, r.job.id, *se); err != nil {
			return nil, err
		}
		r.u.logf("info", "job %s: session %d opened (replace %v)", r.job.id, se.sessionID, replace)
	}
	b.sessionNo, b.batchSeq = se.no, se.nextSeq
	se.nextSeq++
	return se, nil
}

func (r *run) anyReplaceSession() bool {
	for _, se := range r.sessions {
		if se.replace {
			return true
		}
	}
	return false
}

func (r *run) session(no int) *sessionState {
	if no < 1 || no > len(r.sessions) {
		return nil
	}
	return &r.sessions[no-1]
}

// abandon closes a session whose window passed without its last batch.
// Meta ends it 90 minutes after its first batch; a replace then takes
// what it received, and /users calls wait until it has.
func (r *run) abandon(ctx context.Context, se *sessionState) error {
	se.closed = true
	if err := r.u.cfg.Store.putSession(ctx, r.job.id, *se); err != nil {
		return err
	}
	if !se.replace {
		return nil
	}
	if err := r.u.cfg.Store.setReplaceDone(ctx, r.job.id); err != nil {
		return err
	}
	r.job.replaceDone = true
	end := se.openedAt.Add(meta.SessionWindow + time.Minute)
	if wait := end.Sub(r.u.cfg.Now()); wait > 0 {
		r.u.logf("warn", "job %s: the replace session %d could not finish in its 90 minutes; Meta keeps what it received, the rest is added after it ends (%v)", r.job.id, se.sessionID, wait.Round(time.Second))
		return r.u.cfg.Sleep(ctx, wait)
	}
	return nil
}

// send records b as sending, sends it and records the answer. sent is
// false when the session's window came first (b is pending again).
func (r *run) send(ctx context.Context, b *batchState, se *sessionState, cells [][]string) (bool, error) {
	now := r.u.cfg.Now()
	isFinal := b.idx == len(r.batches)-1
	b.last = isFinal || now.Sub(se.openedAt) >= r.u.cfg.RotateAfter
	b.status, b.receivedBefore, b.sentAt = batchSending, se.received, now
	if err := r.u.cfg.Store.putBatch(ctx, r.job.id, *b, se); err != nil {
		return false, err
	}
	batch := meta.Batch{Schema: r.job.schema, Rows: cells,
		Session: &meta.Session{ID: se.sessionID, BatchSeq: b.batchSeq, Last: b.last, EstimatedTotal: r.job.totalRows}}
	sendCtx := meta.SendBefore(ctx, se.openedAt.Add(r.u.cfg.SendWindow))
	var res meta.UsersResult
	var err error
	switch {
	case se.replace:
		res, err = r.u.cfg.Client.ReplaceUsers(sendCtx, r.job.audienceID, batch)
	case Action(r.job.action) == Remove:
		res, err = r.u.cfg.Client.RemoveUsers(sendCtx, r.job.audienceID, batch)
	default:
		res, err = r.u.cfg.Client.AddUsers(sendCtx, r.job.audienceID, batch)
	}
	var closed *meta.WindowClosedError
	var unknown *meta.UnknownOutcomeError
	switch {
	case err == nil:
		return true, r.arrived(ctx, b, se, res.NumReceived)
	case errors.As(err, &closed):
		b.status, b.sessionNo, b.batchSeq = batchPending, 0, 0
		if err := r.u.cfg.Store.putBatch(ctx, r.job.id, *b, nil); err != nil {
			return false, err
		}
		return false, r.abandon(ctx, se)
	case errors.As(err, &unknown), ctx.Err() != nil:
		// Left as sending: reconciled next (this run or the next).
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		r.u.logf("warn", "job %s: batch %d: %v; checking the session before anything else", r.job.id, b.idx+1, err)
		if err := r.reconcile(ctx, b); err != nil {
			return false, err
		}
		if b.status == batchDone {
			return true, nil
		}
		return false, nil
	case isUpdateInProgress(err) && r.busyWaits < maxBusyWaits:
		// Another replace (or our own abandoned one) still runs: Meta
		// refuses /users until it ends. Nothing was applied; wait and retry.
		r.busyWaits++
		b.status = batchPending
		if err := r.u.cfg.Store.putBatch(ctx, r.job.id, *b, nil); err != nil {
			return false, err
		}
		r.u.logf("warn", "job %s: batch %d: the audience is being updated (replace in progress); trying again in %v", r.job.id, b.idx+1, busyWait)
		return false, r.u.cfg.Sleep(ctx, busyWait)
	default:
		// A definite refusal: nothing was applied.
		b.status = batchPending
		if perr := r.u.cfg.Store.putBatch(ctx, r.job.id, *b, nil); perr != nil {
			return false, perr
		}
		return false, fmt.Errorf("job %s: batch %d of %d: %w", r.job.id, b.idx+1, len(r.batches), err)
	}
}

// arrived books b as received, with the session's count after it.
func (r *run) arrived(ctx context.Context, b *batchState, se *sessionState, received int) error {
	b.status, b.receivedAfter = batchDone, received
	se.received = received
	if b.last {
		se.closed = true
		if se.replace {
			r.job.replaceDone = true
			if err := r.u.cfg.Store.setReplaceDone(ctx, r.job.id); err != nil {
				return err
			}
		}
	}
	if err := r.u.cfg.Store.putBatch(ctx, r.job.id, *b, se); err != nil {
		return err
	}
	r.u.logf("info", "job %s: batch %d of %d (%d rows) in session %d as batch_seq %d; the session has %d",
		r.job.id, b.idx+1, len(r.batches), b.rows, se.sessionID, b.batchSeq, received)
	return nil
}

// reconcile decides whether a batch whose answer never came arrived: the
// session's num_received either grew by the batch (arrived) or stayed
// where it was before it (not arrived, b pending in the same session).
func (r *run) reconcile(ctx context.Context, b *batchState) error {
	se := r.session(b.sessionNo)
	if se == nil {
		b.status = batchPending
		return r.u.cfg.Store.putBatch(ctx, r.job.id, *b, nil)
	}
	info, found, err := r.u.cfg.Client.Session(ctx, r.job.audienceID, se.sessionID)
	if err != nil {
		return fmt.Errorf("job %s: checking whether batch %d arrived: %w", r.job.id, b.idx+1, err)
	}
	got := 0
	if found {
		got = info.NumReceived
	}
	switch {
	case got >= b.receivedBefore+b.rows:
		r.u.logf("info", "job %s: batch %d had arrived (session %d has %d)", r.job.id, b.idx+1, se.sessionID, got)
		return r.arrived(ctx, b, se, got)
	case got == b.receivedBefore:
		if !found {
			// Meta never saw this session, so its batch_seq may be reused.
			if err := r.unseenContentCheck(ctx, b); err != nil {
				return err
			}
		}
		r.u.logf("info", "job %s: batch %d had not arrived; sending it again into session %d", r.job.id, b.idx+1, se.sessionID)
		b.status = batchPending
		se.nextSeq = max(se.nextSeq, b.batchSeq) // keep the seq reserved for this batch
		return r.u.cfg.Store.putBatch(ctx, r.job.id, *b, se)
	default:
		return fmt.Errorf("job %s: session %d reports %d rows received, neither the %d before batch %d nor the %d after it; the journal stops here rather than guess",
			r.job.id, se.sessionID, got, b.receivedBefore, b.idx+1, b.receivedBefore+b.rows)
	}
}

// unseenContentCheck: the sessions edge does not know the session, so no
// batch of it arrived; the audience's time_content_updated must agree (no
// change since the batch was sent), else the edge is not trusted.
func (r *run) unseenContentCheck(ctx context.Context, b *batchState) error {
	a, err := r.u.cfg.Client.Audience(ctx, r.job.audienceID)
	if err != nil {
		return fmt.Errorf("job %s: checking the audience after a lost answer: %w", r.job.id, err)
	}
	if !a.ContentUpdated.IsZero() && !a.ContentUpdated.Before(b.sentAt.Truncate(time.Second)) && r.noBatchDone() {
		return fmt.Errorf("job %s: Meta does not know session %d of batch %d, yet the audience's content changed at %s, after the batch was sent; resume later or check the audience in Ads Manager",
			r.job.id, r.session(b.sessionNo).sessionID, b.idx+1, a.ContentUpdated.Format(time.RFC3339))
	}
	return nil
}

// noBatchDone: none of this job's batches arrived yet, so none of them can
// explain a content change (time_content_updated has whole seconds only).
func (r *run) noBatchDone() bool {
	for _, b := range r.batches {
		if b.status == batchDone {
			return false
		}
	}
	return true
}

func newSessionID() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b[:])>>2) + 1, nil
}
