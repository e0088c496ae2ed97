package syncs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/privatefs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Conn is a TikTok connection for one advertiser, or (Meta set) a Meta
// connection for the ad account AdvertiserID names.
type Conn struct {
	AdvertiserID string
	Client       *tiktok.Client
	Uploader     *upload.Uploader
	Meta         *MetaConn
}

// Config configures a Service.
type Config struct {
	// Dir holds the syncs (default <data folder>/syncs).
	Dir string
	// OpenSource opens a sync's input (default: local files, folders and
	// globs; the CLI and the app pass one that also opens s3://).
	OpenSource func(input string) (inputs.Source, error)
	// Connect builds a client and an uploader for an advertiser ("" means
	// the one in the settings).
	Connect func(ctx context.Context, advertiserID string) (*Conn, error)
	// ConnectMeta connects a sync to Meta to an ad account ("" means the
	// one in the settings).
	ConnectMeta func(ctx context.Context, adAccount string) (*MetaConn, error)
	// MemoryBytes bounds the memory of a run's sort, which also removes
	// duplicate rows (default 160 MiB; half of it holds rows being sorted,
	// past which they spill to disk in sorted runs).
	MemoryBytes int64
	// MaxFileBytes caps each file sent (default 50 MiB, as the transform).
	MaxFileBytes int64
	// Workers is the transform's worker count (default: all cores).
	Workers int
	// PollInterval is the first wait between reads of the audience while
	// the APPEND waits for TikTok to list the REMOVE (default 2s, doubling
	// up to 30s); ListedWait bounds that wait (default 15 min).
	PollInterval, ListedWait time.Duration
}

// Service runs syncs. Every method is safe to call from several processes:
// a run (and a plan) holds the sync's OS lock.
type Service struct {
	cfg      Config
	dir      string
	prepared preparedPlans // plans shown and not yet sent (Prepare, RunPlan)
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Dir == "" {
		d, err := datadir.Path()
		if err != nil {
			return nil, err
		}
		cfg.Dir = filepath.Join(d, "syncs")
	}
	if cfg.OpenSource == nil {
		cfg.OpenSource = inputs.Local
	}
	if cfg.MemoryBytes <= 0 {
		cfg.MemoryBytes = 160 << 20
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = transform.DefaultMaxFileBytes
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.ListedWait <= 0 {
		cfg.ListedWait = 15 * time.Minute
	}
	return &Service{cfg: cfg, dir: cfg.Dir}, nil
}

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
	PeopleNow int64 `json:"people_now"` // the people the audience holds after the run (exact for lists that fit the memory budget; otherwise at most)
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
	RemovePeople int64               `json:"remove_people"`
	AppendRows   int64               `json:"append_rows"` // rows sent with APPEND
	RemoveRows   int64               `json:"remove_rows"` // rows sent with REMOVE
	Action       string              `json:"action"`
	Reason       string              `json:"reason"`
	Resumed      bool                `json:"resumed"`            // an interrupted run was finished first (Run) / will be (dry run)
	Removals     *Removals           `json:"removals,omitempty"` // the removal guard (nil: nothing removed from a known audience)
	Transform    *transform.Counters `json:"transform,omitempty"`
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

// Run brings the audience up to date with the list: it first finishes an
// interrupted run, then transforms, compares, uploads and commits the new
// state. A plan that stops is returned as a *StopError.
func (s *Service) Run(ctx context.Context, name string, progress func(Progress)) (*Result, error) {
	return s.RunWith(ctx, name, RunOptions{}, progress)
}

// RunWith is Run with options. A run that would remove more of the
// audience than allowed sends nothing and returns a *RemovalError.
func (s *Service) RunWith(ctx context.Context, name string, opts RunOptions, progress func(Progress)) (*Result, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	o, err := s.openRun(ctx, name)
	if err != nil {
		return nil, err
	}
	defer o.unlock()
	d, st, p, conn := o.def, o.state, o.pending, o.conn
	res := &Result{}
	if p != nil {
		if st, err = s.finish(ctx, d, conn, p, res, progress); err != nil {
			if id := p.NewState.AudienceID; notFound(err) && id != "" {
				return nil, s.gone(name, id, err)
			}
			return nil, fmt.Errorf("finishing the interrupted run of sync %s: %w", name, err)
		}
		if d, err = s.loadDef(name); err != nil {
			return nil, err
		}
		res.Resumed = true
	}
	w, err := s.compute(ctx, d, st, conn, progress, false, false)
	if err != nil {
		if w != nil {
			osfile.RemoveDir(w.dir)
		}
		return nil, err
	}
	return s.apply(ctx, name, d, st, p, conn, w, res, opts, progress)
}

// apply sends a computed plan w and commits its state (or stops it: the
// removal guard, TikTok's floor); p is the interrupted run finished first.
func (s *Service) apply(ctx context.Context, name string, d *Definition, st *stateMeta, p *pendingRun, conn *Conn, w *work, res *Result, opts RunOptions, progress func(Progress)) (*Result, error) {
	resumed := res.Resumed
	res.Plan = w.plan
	res.Resumed = resumed
	res.FullBytes = w.fullBytes
	res.guardRemovals(removalLimit(d, opts.AllowRemovals))
	if res.Removals != nil && res.Removals.Over {
		os.RemoveAll(w.dir)
		return res, &RemovalError{Plan: &res.Plan}
	}
	switch w.plan.Action {
	case ActionStop:
		osfile.RemoveDir(w.dir)
		return res, &StopError{Plan: &res.Plan}
	case ActionNone:
		osfile.RemoveDir(w.dir)
		if resumed {
			// The interrupted run brought the audience up to date: it is
			// the run to report and to keep as the last one.
			res.Plan = p.Plan
			res.Resumed = true
			res.AudienceID = st.AudienceID
			return res, nil
		}
		if st != nil {
			rec := w.record()
			st.LastRun = rec
			if err := writeJSONFile(filepath.Join(s.syncDir(name), stateFile), st); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	// Keep the new rows beside the state, then write pending.json: from
	// here a killed run is finished by the next one.
	newRows := "rows-" + w.runID + ".bin"
	// Flushed to disk here rather than while planning: a dry run never
	// needs it on disk for good.
	if err := osfile.Flush(filepath.Join(w.dir, "rows.bin")); err != nil {
		return nil, err
	}
	if err := osfile.Replace(filepath.Join(w.dir, "rows.bin"), filepath.Join(s.syncDir(name), newRows)); err != nil {
		return nil, err
	}
	w.newState.RowsFile = newRows
	if w.newState.LinksFile != "" {
		links := filepath.Join(w.dir, "links.bin")
		if err := osfile.Flush(links); err != nil {
			return nil, err
		}
		if err := osfile.Replace(links, filepath.Join(s.syncDir(name), w.newState.LinksFile)); err != nil {
			return nil, err
		}
	}
	pr := &pendingRun{RunID: w.runID, Steps: w.steps, NewState: w.newState, Plan: w.plan, Started: time.Now().UTC(), Record: w.record(),
		BaseHistory: w.baseHistory}
	if err := writeJSONFile(filepath.Join(s.syncDir(name), pendingFile), pr); err != nil {
		return nil, err
	}
	if _, err := s.finish(ctx, d, conn, pr, res, progress); err != nil {
		return nil, err
	}
	if d, err := s.loadDef(name); err == nil && res.AudienceID == "" {
		res.AudienceID = d.AudienceID
	}
	return res, nil
}

func (s *Service) connect(ctx context.Context, d *Definition) (*Conn, error) {
	if d.isMeta() {
		return s.connectMeta(ctx, d)
	}
	if s.cfg.Connect == nil {
		return nil, errors.New("syncs: no TikTok connection configured")
	}
	return s.cfg.Connect(ctx, d.AdvertiserID)
}

// finish sends a pending run's steps (each resumes its upload job if an
// earlier process started it) and commits its state.
func (s *Service) finish(ctx context.Context, d *Definition, conn *Conn, p *pendingRun, res *Result, progress func(Progress)) (*stateMeta, error) {
	if d.isMeta() {
		return s.finishMeta(ctx, d, conn, p, res, progress)
	}
	dir := s.syncDir(d.Name)
	audID := p.NewState.AudienceID
	progress(Progress{Stage: "upload"})
	for i, stp := range p.Steps {
		mpath := filepath.Join(dir, stp.Manifest)
		if i > 0 && p.Steps[i-1].Action == tiktok.ActionRemove && p.BaseHistory != nil {
			// The APPEND only once TikTok lists the REMOVE as applied: sent
			// earlier, it could be processed first and its rows taken out.
			if err := s.waitListed(ctx, conn, dir, audID, p.BaseHistory, p.Steps[:i]); err != nil {
				return nil, err
			}
		}
		req := upload.Request{ManifestPath: mpath, AdvertiserID: conn.AdvertiserID, Action: stp.Action}
		if stp.Action == tiktok.ActionCreate {
			req.AudienceName, req.Action = d.AudienceName, ""
		} else {
			req.AudienceID = audID
		}
		r, err := conn.Uploader.Run(ctx, req)
		if err != nil {
			return nil, err
		}
		if stp.Action == tiktok.ActionCreate && len(r.Targets) > 0 {
			audID = r.Targets[0].AudienceID
		}
		res.Uploads = append(res.Uploads, r)
		res.FilesUploaded += r.Uploaded
		if m, err := upload.ReadManifest(mpath); err == nil {
			for _, f := range m.Files {
				res.BytesUploaded += f.Bytes
			}
		}
	}
	progress(Progress{Stage: "commit"})
	ns := p.NewState
	ns.AudienceID = audID
	ns.AdvertiserID = conn.AdvertiserID
	// The history as it stands after our changes: an entry not in it next
	// time was made elsewhere.
	if det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, audID, 100); err == nil {
		ns.History = historyMarks(det.History)
		ns.Unlisted, ns.Editor = unlisted(dir, p, det.History)
	} else {
		return nil, fmt.Errorf("the changes were sent, but reading audience %s afterwards failed (%w); run the sync again to finish", audID, err)
	}
	return s.commit(d, p, ns, res)
}

// commit makes ns, what a pending run p sent, the sync's state, fills in
// the definition's audience id after a create and removes pending.json.
func (s *Service) commit(d *Definition, p *pendingRun, ns stateMeta, res *Result) (*stateMeta, error) {
	dir := s.syncDir(d.Name)
	audID := ns.AudienceID
	rec := p.Record
	if rec != nil {
		rec.AudienceID = audID
		rec.At = time.Now().UTC()
	}
	ns.LastRun = rec
	if err := writeJSONFile(filepath.Join(dir, stateFile), &ns); err != nil {
		return nil, err
	}
	if d.AudienceID == "" {
		d.AudienceID = audID
		d.UpdatedAt = time.Now().UTC()
		if err := writeJSONFile(filepath.Join(dir, defFile), d); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(filepath.Join(dir, pendingFile)); err != nil {
		return nil, err
	}
	res.AudienceID = audID
	return &ns, s.sweep(d.Name, &ns, nil)
}

func historyMarks(h []tiktok.History) []string {
	out := make([]string, 0, len(h))
	for _, e := range h {
		out = append(out, e.Key())
	}
	return out
}

// work is one computed plan and the files it needs.
type work struct {
	dir       string
	runID     string
	plan      Plan
	steps     []step
	newState  stateMeta
	counters  transform.Counters
	files     []transform.File
	fullBytes int64
	matched   int64 // the audience's matched users when TikTok last reported them (0: unknown)
	overflow  bool  // more changed rows than the people analysis holds in memory
	// baseHistory is the audience's history as the plan read it.
	baseHistory []string
	seen        []string // the audience's history as the plan read it (nil: no audience yet)
	listPrint   string   // the list's parts as the plan read them (listPrint)
}

func (w *work) record() *RunRecord {
	c := w.counters
	return &RunRecord{At: time.Now().UTC(), Action: w.plan.Action, Reason: w.plan.Reason, AudienceID: w.plan.AudienceID,
		RowsNow: w.plan.RowsNow, Added: w.plan.Added, Removed: w.plan.Removed, Unchanged: w.plan.Unchanged,
		Counters: &c, Files: w.files}
}

// source opens the input, narrowed to the newest matching part if asked.
func (s *Service) source(d *Definition) (inputs.Source, error) {
	src, err := s.cfg.OpenSource(d.Input)
	if err != nil {
		return src, err
	}
	if d.Newest == "" {
		src.Sheet = d.Sheet
		return src, nil
	}
	if len(src.Parts) == 0 {
		return src, usagef("--newest needs a folder, glob or s3:// prefix as --input; %s is one file", d.Input)
	}
	var best *inputs.Source
	for i := range src.Parts {
		p := &src.Parts[i]
		if ok, _ := path.Match(d.Newest, path.Base(filepath.ToSlash(p.Name))); ok && (best == nil || naturalLess(best.Name, p.Name)) {
			best = p
		}
	}
	if best == nil {
		return src, usagef("no file in %s matches --newest %q", d.Input, d.Newest)
	}
	one := *best
	one.Sheet = d.Sheet
	return one, nil
}

// compute transforms the list straight into sorted binary rows (the
// transform hands each row's digests over; no hex files are written and
// read back), compares them with the state in one merge that writes the
// new rows file and the APPEND and REMOVE files, and writes the whole list
// as files only when the action sends it (create, replace) in a real run.
// With afterPending, st is what an interrupted run will commit: its own
// history entries are not known yet, so the history is not checked.
func (s *Service) compute(ctx context.Context, d *Definition, st *stateMeta, conn *Conn, progress func(Progress), afterPending, dryRun bool) (*work, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	sdir := s.syncDir(d.Name)
	w := &work{runID: newRunID()}
	w.dir = filepath.Join(sdir, "run-"+w.runID)
	if err := privatefs.MkdirAll(w.dir); err != nil {
		return nil, err
	}
	src, err := s.source(d)
	if err != nil {
		return w, err
	}
	w.listPrint = listPrint(src)
	format, _ := records.ParseFormat(d.Format)
	header, _ := records.ParseHeaderMode(d.Header)
	pf, _ := identifiers.ParsePhoneFormat(d.PhoneFormat)
	layout, _ := transform.ParseLayout(d.Layout)
	workers := s.cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	// The rows are sorted as they come, in runs that spill to the run
	// folder past the memory budget (the sort also removes duplicates).
	sink := newRowSink(w.dir, int(s.cfg.MemoryBytes/2), workers)
	progress(Progress{Stage: "transform"})
	tm, err := transform.Run(ctx, transform.Options{
		Source: src, Format: format, Header: header, Mappings: d.Mappings, Region: d.Region, PhoneFormat: pf,
		OutDir: filepath.Join(w.dir, "transform"), Layout: layout, MaxFileBytes: s.cfg.MaxFileBytes, Workers: workers,
		RowSink: sink.add, Destinations: d.transformDestinations(),
		Progress: func(p transform.Progress) { progress(Progress{Stage: "transform", Transform: &p}) },
	})
	if err != nil {
		sink.remove()
		return w, err
	}
	w.counters = tm.Counters
	if d.isMeta() {
		metaCounters(&w.counters, tm)
	}
	w.plan = Plan{Sync: d.Name, Mode: d.Mode, Transform: &w.counters}
	meta := stateMeta{Version: 1, Fingerprint: d.fingerprint(), Columns: 1}
	if tm.Layout == transform.LayoutCombined {
		names := make([]string, len(tm.Mappings))
		for i, m := range tm.Mappings {
			names[i] = m.Type.CombinedColumn()
		}
		meta.CalculateType, meta.Header, meta.Columns = "MULTIPLE_TYPES", strings.Join(names, ",")+"\n", len(names)
	} else {
		// normalize let a separate layout through with one identifier type only.
		meta.CalculateType = tm.Mappings[0].Type.CalculateType()
	}
	if d.isMeta() {
		metaState(d, &meta)
	}
	if sink.rows.Load() == 0 {
		sink.remove()
		return w, fmt.Errorf("the list %s has no valid identifiers: nothing to sync", d.Input)
	}

	progress(Progress{Stage: "diff"})
	sorted, closeSorted, err := sink.finish()
	if err != nil {
		return w, err
	}
	defer closeSorted()
	cur := prefetch(sorted)
	defer cur.close() // before closeSorted closes the runs it reads

	// Is the state trustworthy for this audience?
	audID := d.AudienceID
	if audID == "" && st != nil {
		audID = st.AudienceID
	}
	w.plan.AudienceID = audID
	if st != nil && st.AudienceID == audID {
		w.plan.StateRows = st.Rows // what the audience holds from this sync, trusted or not
		w.plan.recordPeople = st.People
		if st.People == 0 {
			w.plan.recordPeople = st.Rows // a state from before people were counted
		}
	}
	trusted, why, err := s.trust(ctx, d, st, &meta, conn, audID, w, afterPending)
	if err != nil {
		return w, err
	}
	var old rowSource = emptyRows{}
	if trusted {
		src, closeState, err := s.openState(d.Name, st)
		if err != nil {
			return w, err
		}
		defer closeState()
		stateRows := prefetch(src)
		defer stateRows.close()
		old = stateRows
	}

	// One merge writes the new state and the APPEND file, and keeps the
	// changed rows for the people analysis that decides the REMOVE file.
	base := *tm
	base.Files, base.Notes = nil, nil
	appendSet := newFileSet(filepath.Join(w.dir, "append"), "append", &meta, base, s.cfg.MaxFileBytes)
	removeSet := newFileSet(filepath.Join(w.dir, "remove"), "remove", &meta, base, s.cfg.MaxFileBytes)
	writeDiff := trusted && d.Mode != ModeReplace
	keepRemoved := d.Mode == ModeAddOnly
	// The new rows file becomes the state after the upload; a dry run
	// only counts its rows.
	out := countRows()
	if !dryRun {
		if out, err = createRows(filepath.Join(w.dir, "rows.bin")); err != nil {
			return w, err
		}
		defer out.abandon() // closed below; a second Close is harmless
	}
	// The changed rows, up to what the memory budget holds (about 160
	// bytes each with their graph); a small list is also kept whole, to
	// count its people exactly (a larger one's count adds the changes to
	// the state's).
	limit := int(max(s.cfg.MemoryBytes/160, 10000))
	changes := &changeSet{limit: limit}
	var whole *changeSet
	if sink.rows.Load() <= exactPeopleRows {
		whole = &changeSet{limit: exactPeopleRows}
	}
	var listBytes int64 // the list's lines as a full upload writes them, headers aside
	listRow := func(r []byte) {
		listBytes += int64(hashLen*2*((len(r)-2)/hashLen) + meta.Columns)
		if whole != nil {
			whole.add(r, true)
		}
	}
	var appendRows, stateOnlyRows, unchangedRows int64
	// In add-only mode without a state, nothing can be removed: the
	// audience keeps whatever it had, and everything is appended.
	a, aerr := cur.next()
	b, berr := old.next()
	for n := 0; aerr == nil || berr == nil; n++ {
		if aerr != nil && aerr != io.EOF {
			return w, aerr
		}
		if berr != nil && berr != io.EOF {
			return w, fmt.Errorf("the sync's state (%s) is damaged (%v): nothing was sent; delete the sync and save it again (its next run then replaces the audience's contents)", st.RowsFile, berr)
		}
		if n%65536 == 0 && ctx.Err() != nil {
			return w, ctx.Err()
		}
		c := 0
		switch {
		case aerr == io.EOF:
			c = 1
		case berr == io.EOF:
			c = -1
		default:
			c = bytes.Compare(a, b)
		}
		switch {
		case c < 0: // only in the list: sent with APPEND (it adds a person or teaches TikTok a new identifier)
			appendRows++
			out.add(a)
			listRow(a)
			if trusted {
				changes.add(a, true)
			}
			if writeDiff || d.Mode == ModeAddOnly {
				if err := appendSet.add(a); err != nil {
					return w, err
				}
			}
			a, aerr = cur.next()
		case c > 0: // only in the state: its person may still be in the list
			if keepRemoved {
				out.add(b)
			} else {
				stateOnlyRows++
			}
			changes.add(b, false)
			b, berr = old.next()
		default:
			unchangedRows++
			out.add(a)
			listRow(a)
			a, aerr = cur.next()
			b, berr = old.next()
		}
	}
	w.plan.RowsNow = appendRows + unchangedRows
	if err := appendSet.finish(); err != nil {
		return w, err
	}
	p := &w.plan
	if trusted {
		p.AudiencePeople = st.People
		if p.AudiencePeople == 0 {
			p.AudiencePeople = st.Rows // a state from before people were counted
		}
	}
	// Who left, who is new, whose rows changed.
	var kept [][]byte // state-only rows of people still in the list: kept as links
	switch {
	case !trusted:
	case changes.over:
		// Too many changes to follow person by person: the plan becomes a
		// REPLACE, and its counts are rows.
		w.overflow = true
		p.Added, p.Removed = appendRows, stateOnlyRows
	case len(changes.offs) > 0:
		files := []string{filepath.Join(sdir, st.RowsFile)}
		if st.LinksFile != "" {
			files = append(files, filepath.Join(sdir, st.LinksFile))
		}
		diff, err := analyse(changes, files)
		if err != nil {
			return w, fmt.Errorf("the sync's state (%s) is damaged (%v): nothing was sent; delete the sync and save it again (its next run then replaces the audience's contents)", st.RowsFile, err)
		}
		p.Added, p.Changed = diff.addedPeople, diff.changedPeople
		if !keepRemoved {
			p.Removed = diff.removedPeople
		}
		for i := range changes.offs {
			if changes.inList[i] || keepRemoved {
				continue
			}
			r := changes.row(i)
			if !diff.removed[i] {
				kept = append(kept, r)
			} else if writeDiff {
				if err := removeSet.add(r); err != nil {
					return w, err
				}
			}
		}
	}
	if err := removeSet.finish(); err != nil {
		return w, err
	}
	if err := out.close(false); err != nil {
		return w, err
	}
	p.AppendRows, p.RemoveRows = appendSet.rows, removeSet.rows
	switch {
	case whole != nil && !whole.over:
		var list [][]byte
		for i := range whole.offs {
			list = append(list, whole.row(i))
		}
		p.PeopleNow = countPeople(list, kept)
	case trusted && !w.overflow:
		p.PeopleNow = max(0, p.AudiencePeople-p.Removed+p.Added)
	default:
		p.PeopleNow = p.RowsNow // at most one person per row
	}
	if !trusted {
		p.Added = p.PeopleNow
	}
	p.Unchanged = max(0, p.PeopleNow-p.Added-p.Changed)
	if keepRemoved && trusted {
		p.PeopleNow = p.AudiencePeople + p.Added
	}
	p.RemovePeople = p.Removed
	meta.People = p.PeopleNow
	if len(kept) > 0 && !dryRun {
		lw, err := createRows(filepath.Join(w.dir, "links.bin"))
		if err != nil {
			return w, err
		}
		for _, r := range kept {
			lw.add(r)
		}
		if err := lw.close(true); err != nil {
			return w, err
		}
		meta.LinksFile, meta.Links = "rows-"+w.runID+"-links.bin", lw.rows
	}
	meta.Rows, meta.Identifiers = out.rows, out.ids
	meta.AudienceID = audID
	w.newState = meta
	// The transform left deduplication to the sort: its counters get the
	// rows written and the duplicates from here.
	w.counters.RowsWritten = w.plan.RowsNow
	if dup := sink.rows.Load() - w.plan.RowsNow; tm.Layout == transform.LayoutCombined {
		w.counters.DuplicateRows = dup
	} else if tc := w.counters.Types[tm.Mappings[0].Type.String()]; tc != nil {
		tc.Duplicate = dup
	}
	partBytes, err := fullPartBytes(listBytes, int64(len(meta.Header)), s.cfg.MaxFileBytes)
	if err != nil {
		return w, err
	}
	w.fullBytes = listBytes + int64(len(meta.Header))*((listBytes+partBytes-int64(len(meta.Header))-1)/(partBytes-int64(len(meta.Header))))

	s.decide(d, w, trusted, why)
	switch w.plan.Action {
	case ActionCreate, ActionReplace:
		act := tiktok.ActionReplace
		if w.plan.Action == ActionCreate {
			act = tiktok.ActionCreate
		}
		w.steps = []step{stepFor(d, w.runID, act, "full")}
		if dryRun {
			break // a dry run sends nothing: the whole list is not written out
		}
		// The new rows are the list's rows here (nothing is kept from a
		// state the list replaces): they are the files to send.
		full := newFileSet(filepath.Join(w.dir, "full"), "full", &meta, base, partBytes)
		full.counters = &w.counters
		if err := writeSetFromRows(ctx, full, filepath.Join(w.dir, "rows.bin")); err != nil {
			return w, err
		}
		w.files, w.fullBytes = full.files, uploadBytes(full.files)
	case ActionUpdate:
		// REMOVE first: an APPEND sent before it could teach TikTok a link
		// that makes the REMOVE take out someone still in the list.
		if removeSet.rows > 0 {
			w.steps = append(w.steps, stepFor(d, w.runID, tiktok.ActionRemove, "remove"))
			w.files = append(w.files, removeSet.files...)
		}
		if appendSet.rows > 0 {
			w.steps = append(w.steps, stepFor(d, w.runID, tiktok.ActionAppend, "append"))
			w.files = append(w.files, appendSet.files...)
		}
	}
	return w, nil
}

// fullPartBytes is the part size for a full upload of listBytes of lines:
// maxBytes, raised (up to TikTok's 250 MiB) when the list would otherwise
// take more than the 500 files TikTok accepts per audience.
func fullPartBytes(listBytes, headerBytes, maxBytes int64) (int64, error) {
	const maxParts = 500
	per := maxBytes - headerBytes
	if (listBytes+per-1)/per <= maxParts {
		return maxBytes, nil
	}
	need := (listBytes+maxParts-1)/maxParts + headerBytes
	need = (need + 1<<20 - 1) &^ (1<<20 - 1)
	if need > transform.MaxFileBytesLimit {
		return 0, usagef("the list comes to more than %d files of %d MiB, and TikTok accepts at most %d files per audience: split it into smaller lists, each synced into its own audience",
			maxParts, transform.MaxFileBytesLimit>>20, maxParts)
	}
	return need, nil
}

// writeSetFromRows writes every row of a rows file into a file set.
func writeSetFromRows(ctx context.Context, set *fileSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rr := newRowReader(f)
	for n := 0; ; n++ {
		row, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := set.add(row); err != nil {
			return err
		}
	}
	return set.finish()
}

// trust decides whether the state says exactly what the audience holds
// from this sync; why is the sentence when it does not.
func (s *Service) trust(ctx context.Context, d *Definition, st *stateMeta, meta *stateMeta, conn *Conn, audID string, w *work, skipHistory bool) (bool, string, error) {
	if d.isMeta() {
		return s.trustMeta(ctx, d, st, meta, conn, audID, w, skipHistory)
	}
	if audID == "" {
		return false, "", nil // a new audience: created with the whole list
	}
	det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, audID, 100)
	if err != nil {
		if notFound(err) {
			return false, "", s.gone(d.Name, audID, err)
		}
		return false, "", fmt.Errorf("read audience %s: %w", audID, err)
	}
	w.seen = historyMarks(det.History)
	if det.Audience.IsValid {
		w.matched = det.Audience.CoverNum
		w.plan.AudienceMatched = w.matched
	}
	w.baseHistory = historyMarks(det.History)
	if det.Audience.IsCreator != nil && !*det.Audience.IsCreator {
		return false, "", fmt.Errorf("audience %s was shared with this advertiser by another one, so it cannot be changed from here: choose an audience of your own", audID)
	}
	switch {
	case st == nil:
		return false, fmt.Sprintf("this sync has no record of what it put into audience %s (its first run into an existing audience, or its state was lost), so the whole list replaces the audience's contents", audID), nil
	case st.AudienceID != audID || (st.AdvertiserID != "" && st.AdvertiserID != conn.AdvertiserID):
		return false, fmt.Sprintf("this sync's record is about audience %s, not %s, so the whole list replaces the audience's contents", st.AudienceID, audID), nil
	case st.Fingerprint != meta.Fingerprint || st.Header != meta.Header || st.CalculateType != meta.CalculateType:
		return false, "the sync's identifier types, region, phone format or layout changed since its last run, so its earlier hashes cannot be compared: the whole list replaces the audience's contents", nil
	}
	if skipHistory {
		return true, "", nil
	}
	known := map[string]int{} // a multiset, as in newEntries
	for _, k := range st.History {
		known[k]++
	}
	// The last run's batches that TikTok listed only after it committed
	// are its own, oldest first.
	late := map[string]int{}
	for _, a := range st.Unlisted {
		late[a]++
	}
	var foreign []tiktok.History
	for i := len(det.History) - 1; i >= 0; i-- { // TikTok lists the newest first
		e := det.History[i]
		if k := e.Key(); known[k] > 0 {
			known[k]--
			continue
		}
		if late[e.Action] > 0 && (st.Editor == "" || e.Editor == st.Editor) {
			late[e.Action]--
			continue
		}
		foreign = append(foreign, e)
	}
	if len(foreign) > 0 {
		sort.Slice(foreign, func(i, j int) bool { return foreign[i].OptTime < foreign[j].OptTime })
		e := foreign[len(foreign)-1]
		who := e.Editor
		if who == "" {
			who = "someone"
		}
		return false, fmt.Sprintf("audience %s was changed outside this sync since its last run (TikTok's history shows %d change(s) it did not make, the latest a %s at %s by %s), so its members are no longer known: the whole list replaces the audience's contents",
			audID, len(foreign), e.Action, e.OptTime, who), nil
	}
	return true, "", nil
}

// decide chooses the action; never one TikTok would refuse. The counts it
// weighs are people.
func (s *Service) decide(d *Definition, w *work, trusted bool, why string) {
	p := &w.plan
	now := p.PeopleNow
	switch {
	case p.AudienceID == "":
		p.Action = ActionCreate
		p.Reason = fmt.Sprintf("the first run creates audience %q with the %d people of the list (%d rows)", d.AudienceName, now, p.RowsNow)
		return
	case d.Mode == ModeReplace:
		p.Action = ActionReplace
		p.Reason = "the sync's mode is replace: the whole list replaces the audience's contents"
	case d.Mode == ModeAddOnly:
		p.Action = ActionUpdate
		p.Reason = fmt.Sprintf("add-only: %d new people are appended (%d rows); people gone from the list stay in the audience", p.Added, p.AppendRows)
		if !trusted {
			p.Reason = "add-only without a record of earlier runs: every row of the list is appended (TikTok ignores rows it already has); nothing is removed"
			if why != "" {
				p.Reason = "add-only: " + why[:strings.Index(why+",", ",")] + "; every row of the list is appended and nothing is removed"
			}
		}
		if p.AppendRows == 0 {
			p.Action, p.Reason = ActionNone, "add-only: no new rows since the last run"
		}
	case !trusted:
		p.Action, p.Reason = ActionReplace, why
		p.Removed, p.RemovePeople = 0, 0
	case w.overflow:
		p.Action = ActionReplace
		p.Reason = fmt.Sprintf("more than %d rows changed, more than this sync follows person by person in its memory: one REPLACE with the whole list", max(s.cfg.MemoryBytes/160, 10000))
	case p.AppendRows == 0 && p.RemoveRows == 0:
		p.Action, p.Reason = ActionNone, "the list has the same people as the audience: nothing to send"
	case 2*(p.Added+p.Removed) > now:
		p.Action = ActionReplace
		p.Reason = fmt.Sprintf("%d added and %d removed people are most of the list's %d: one REPLACE with the whole list is fewer rows to send and to match than REMOVE plus APPEND", p.Added, p.Removed, now)
	default:
		p.Action = ActionUpdate
		p.Reason = fmt.Sprintf("%d people who left are removed (%d rows), %d new people and %d people's changed identifiers are appended (%d rows); %d unchanged people are not sent again",
			p.Removed, p.RemoveRows, p.Added, p.Changed, p.AppendRows, p.Unchanged)
	}
	if d.isMeta() {
		return // Meta sets no floor: its removals never make it refuse a change
	}
	// TikTok refuses a change that leaves an audience under 1,000 users;
	// the uploader also refuses a REMOVE while fewer are matched.
	if p.Action == ActionUpdate && p.RemoveRows > 0 && w.matched > 0 && w.matched < tiktok.MinAudienceUsers {
		p.Action = ActionStop
		p.Reason = fmt.Sprintf("audience %s has %d matched users, and TikTok refuses a REMOVE from an audience under %d, so nothing was sent; add rows to the list, or run again once more of it is matched",
			p.AudienceID, w.matched, tiktok.MinAudienceUsers)
		return
	}
	// REMOVE goes before APPEND (a person's identifiers must not be taken
	// out after they were added back), so the audience passes through its
	// size less the people who left. When that dips under TikTok's floor
	// although the result does not, one REPLACE sets the list instead.
	if p.Action == ActionUpdate && p.RemoveRows > 0 && now >= tiktok.MinAudienceUsers {
		between := p.AudiencePeople - p.RemovePeople
		if w.matched > 0 {
			between = min(between, w.matched-p.RemovePeople)
		}
		if between < tiktok.MinAudienceUsers {
			p.Action = ActionReplace
			p.Reason = fmt.Sprintf("removing the %d people who left before appending the %d new ones would leave the audience with %d users for a moment, and TikTok refuses any change that leaves fewer than %d: one REPLACE with the whole list instead",
				p.RemovePeople, p.Added, max(between, 0), tiktok.MinAudienceUsers)
			return
		}
	}
	if (p.Action == ActionReplace || p.Action == ActionUpdate) && now < tiktok.MinAudienceUsers {
		p.Action = ActionStop
		p.Reason = fmt.Sprintf("audience %s would have %d users after this run, and TikTok refuses any change that leaves an audience with fewer than %d, so nothing was sent; add rows to the list (or use a new audience with --audience NAME) and run again",
			p.AudienceID, now, tiktok.MinAudienceUsers)
	}
}

// readRows turns each line of a transform output file into a binary row.
func readRows(path string, hasHeader bool, cols int, so *sorter) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == io.EOF && len(line) == 0 {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", filepath.Base(path), err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if n == 1 && hasHeader {
			continue
		}
		if err := so.addLine(line, cols); err != nil {
			return fmt.Errorf("%s line %d: %v", filepath.Base(path), n, err)
		}
	}
}

// firstLine returns a file's first line, newline included.
func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return line, nil
}

// batchActions lists the history entries the steps make: one per batch of
// upload.BatchSize files; a CREATE's or REPLACE's later batches are APPENDs.
func batchActions(dir string, steps []step) []string {
	var out []string
	for _, stp := range steps {
		files := 1
		if m, err := upload.ReadManifest(filepath.Join(dir, stp.Manifest)); err == nil && len(m.Files) > 0 {
			files = len(m.Files)
		}
		for b := 0; b*upload.BatchSize < files; b++ {
			a := stp.Action
			if b > 0 && (a == tiktok.ActionCreate || a == tiktok.ActionReplace) {
				a = tiktok.ActionAppend
			}
			out = append(out, a)
		}
	}
	return out
}

// newEntries counts the history entries not in base, by action, and
// returns the editor of the newest one.
func newEntries(base []string, h []tiktok.History) (map[string]int, string) {
	known := map[string]int{} // a multiset: two batches alike in one second make equal entries
	for _, k := range base {
		known[k]++
	}
	n, editor := map[string]int{}, ""
	for i := len(h) - 1; i >= 0; i-- { // oldest first: the known entries are the older ones
		e := h[i]
		if k := e.Key(); known[k] > 0 {
			known[k]--
			continue
		}
		n[e.Action]++
		editor = e.Editor
	}
	return n, editor
}

// unlisted is the actions of the run's batches that h does not list yet.
func unlisted(dir string, p *pendingRun, h []tiktok.History) ([]string, string) {
	if p.BaseHistory == nil && p.NewState.AudienceID != "" && len(p.Steps) > 0 && p.Steps[0].Action != tiktok.ActionCreate {
		return nil, "" // a pending run from before base histories were kept
	}
	seen, editor := newEntries(p.BaseHistory, h)
	var out []string
	for _, a := range batchActions(dir, p.Steps) {
		if seen[a] > 0 {
			seen[a]--
		} else {
			out = append(out, a)
		}
	}
	return out, editor
}

// waitListed waits until the audience's history lists every batch of
// steps (entries not in base), polling with backoff; after
// Config.ListedWait it stops with an error that a rerun resolves (the
// interrupted run then goes on from here).
func (s *Service) waitListed(ctx context.Context, conn *Conn, dir, audID string, base []string, steps []step) error {
	deadline := time.Now().Add(s.cfg.ListedWait)
	wait := s.cfg.PollInterval
	for {
		det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, audID, 100)
		if err != nil {
			return fmt.Errorf("the REMOVE was sent, but reading audience %s afterwards failed (%w); run the sync again to finish", audID, err)
		}
		seen, _ := newEntries(base, det.History)
		done := true
		for _, a := range batchActions(dir, steps) {
			if seen[a] == 0 {
				done = false
				break
			}
			seen[a]--
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the REMOVE was sent to audience %s, but TikTok has not listed it in the audience's history within %s, and the APPEND waits for it; run the sync again later to finish", audID, s.cfg.ListedWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}
