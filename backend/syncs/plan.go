package syncs

import (
	"context"
	"github.com/audience-uploader/audience-uploader/backend/destination"

	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// What a run does, as a plan: its counts, action and reason, and the
// dry run (Plan) that computes it without sending anything.

// Actions a plan can take.
const (
	ActionCreate  = "create"  // first run of a new audience name
	ActionUpdate  = "update"  // REMOVE the rows of people who left, then APPEND the new rows
	ActionReplace = "replace" // REPLACE with the whole list
	ActionNone    = "none"    // nothing changed
	ActionStop    = "stop"    // TikTok would refuse any change: nothing is sent
)

// Plan is what a run does (or would do) and why.
type Plan struct {
	// ID names a prepared plan (Prepare): RunPlan sends exactly it.
	ID         string `json:"id,omitempty"`
	Sync       string `json:"sync"`
	Mode       string `json:"mode"`
	AudienceID string `json:"audience_id,omitempty"`
	RowsNow    int64  `json:"rows_now"`
	StateRows  int64  `json:"state_rows"`
	// People, not rows (people.go): identifiers that share a row, in the
	// state or in the list, are one person.
	PeopleNow int64 `json:"people_now"` // the people the audience holds after the run (exact up to exactPeopleRows rows; otherwise at most)
	// PeopleNowAtMost: PeopleNow is an upper bound (a longer list: a row
	// that joins two known people is not subtracted).
	PeopleNowAtMost bool `json:"people_now_at_most,omitempty"`
	// AudiencePeople is how many people the sync's record says the
	// audience holds before the run (0 without a trusted record).
	AudiencePeople int64 `json:"audience_people"`
	// AudienceMatched is TikTok's matched users (cover_num) of the audience
	// as the plan read it (0: unknown, or still calculating).
	AudienceMatched int64 `json:"audience_matched"`
	Added           int64 `json:"added"`     // new people
	Removed         int64 `json:"removed"`   // people none of whose identifiers is in the list any more
	Changed         int64 `json:"changed"`   // people still in the list whose rows changed (a new phone, a row gone)
	Unchanged       int64 `json:"unchanged"` // people whose rows did not change
	// RemovePeople is the people this run takes out of the audience (the
	// same as Removed; 0 when a REPLACE is made without a trusted record,
	// whose removals are not known): what a removal guard weighs against
	// AudiencePeople.
	RemovePeople int64     `json:"remove_people"`
	AppendRows   int64     `json:"append_rows"` // rows sent with APPEND
	RemoveRows   int64     `json:"remove_rows"` // rows sent with REMOVE
	Action       string    `json:"action"`
	Reason       string    `json:"reason"`
	Resumed      bool      `json:"resumed"`            // an interrupted run was finished first (Run) / will be (dry run)
	Removals     *Removals `json:"removals,omitempty"` // the removal guard (nil: nothing removed from a known audience)
	// Source says, for an input that names whatever is newest
	// (cleanrooms://M/latest), which result this run read (follow.go).
	Source    string              `json:"source,omitempty"`
	Transform *transform.Counters `json:"transform,omitempty"`
	// recordPeople is the people the sync's record (trusted or not) says
	// it put into this audience: the removal guard's basis without a trust.
	recordPeople int64
}

// Result is a finished run.
type Result struct {
	Plan
	Uploads []*upload.Result `json:"uploads"`
	// Deliveries are a sync to Meta's requests (one per REMOVE, APPEND or
	// REPLACE), in the order sent.
	Deliveries    []destination.Result `json:"deliveries,omitempty"`
	FilesUploaded int                  `json:"files_uploaded"`
	BytesUploaded int64                `json:"bytes_uploaded"`
	FullBytes     int64                `json:"full_bytes"` // what uploading the whole list would send
}

// Progress reports a run's stage.
type Progress struct {
	Stage     string              `json:"stage"` // transform, diff, upload, commit
	Transform *transform.Progress `json:"transform,omitempty"`
}

// exactPeopleRows is the largest list whose people are counted exactly,
// in a graph of all its rows (~0.5 s and 20 MB at this size); a larger
// list's count is the state's, less the people who left, plus the new.
const exactPeopleRows = 100_000

// StopError is a plan that stops: its reason says why and what to do.
type StopError struct{ Plan *Plan }

func (e *StopError) Error() string { return e.Plan.Reason }

// opened is a sync ready to plan or run: its definition, committed state
// and interrupted run (nil when none), and a TikTok connection, with the
// sync's lock held until unlock.
type opened struct {
	def     *Definition
	state   *stateMeta
	pending *pendingRun
	conn    *Conn
	unlock  func()
}

// openRun loads the definition, takes the lock, loads the state and any
// interrupted run, removes what killed runs left, and connects: the
// opening Plan and Run share.
func (s *Service) openRun(ctx context.Context, name string) (*opened, error) {
	d, err := s.loadDef(name)
	if err != nil {
		return nil, err
	}
	fl, err := s.lock(name)
	if err != nil {
		return nil, err
	}
	o := &opened{def: d, unlock: func() { fl.Unlock() }}
	if o.state, err = s.loadState(name); err == nil {
		if o.pending, err = s.loadPending(name); err == nil {
			if err = s.sweep(name, o.state, o.pending); err == nil {
				o.conn, err = s.connect(ctx, d)
			}
		}
	}
	if err != nil {
		o.unlock()
		return nil, err
	}
	return o, nil
}

// Plan computes what Run would do, without uploading: the dry run. It reads
// the audience (get, with its history) but changes nothing.
func (s *Service) Plan(ctx context.Context, name string, progress func(Progress)) (*Plan, error) {
	return s.PlanWith(ctx, name, RunOptions{}, progress)
}

// PlanWith is Plan with the run's options (its removal allowance).
func (s *Service) PlanWith(ctx context.Context, name string, opts RunOptions, progress func(Progress)) (*Plan, error) {
	o, err := s.openRun(ctx, name)
	if err != nil {
		return nil, err
	}
	defer o.unlock()
	base, p := o.state, o.pending
	if p != nil {
		// What the audience holds once the interrupted run is finished.
		ns := p.NewState
		base = &ns
	}
	w, err := s.compute(ctx, o.def, base, o.conn, progress, p != nil, true)
	if w != nil {
		defer osfile.RemoveDir(w.dir)
	}
	if err != nil {
		return nil, err
	}
	w.plan.Resumed = p != nil
	w.plan.guardRemovals(removalLimit(o.def, opts.AllowRemovals))
	return &w.plan, nil
}
