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

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/privatefs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Conn is a TikTok connection for one advertiser.
type Conn struct {
	AdvertiserID string
	Client       *tiktok.Client
	Uploader     *upload.Uploader
}

// Config configures a Service.
type Config struct {
	// Dir holds the syncs (default <data folder>/syncs).
	Dir string
	// OpenSource opens a sync's input (default: local files, folders and
	// globs; the CLI and the app pass one that also opens s3://).
	OpenSource func(input string) (transform.Source, error)
	// Connect builds a client and an uploader for an advertiser ("" means
	// the one in the settings).
	Connect func(ctx context.Context, advertiserID string) (*Conn, error)
	// MemoryBytes bounds the memory of a run's sort, which also removes
	// duplicate rows (default 160 MiB; half of it holds rows being sorted,
	// past which they spill to disk in sorted runs).
	MemoryBytes int64
	// MaxFileBytes caps each file sent (default 50 MiB, as the transform).
	MaxFileBytes int64
	// Workers is the transform's worker count (default: all cores).
	Workers int
}

// Service runs syncs. Every method is safe to call from several processes:
// a run (and a plan) holds the sync's OS lock.
type Service struct {
	cfg Config
	dir string
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Dir == "" {
		d, err := jobs.DataDir()
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
	return &Service{cfg: cfg, dir: cfg.Dir}, nil
}

// Actions a plan can take.
const (
	ActionCreate  = "create"  // first run of a new audience name
	ActionUpdate  = "update"  // APPEND the added rows, then REMOVE the removed ones
	ActionReplace = "replace" // REPLACE with the whole list
	ActionNone    = "none"    // nothing changed
	ActionStop    = "stop"    // TikTok would refuse any change: nothing is sent
)

// Plan is what a run does (or would do) and why.
type Plan struct {
	Sync       string              `json:"sync"`
	Mode       string              `json:"mode"`
	AudienceID string              `json:"audience_id,omitempty"`
	RowsNow    int64               `json:"rows_now"`
	StateRows  int64               `json:"state_rows"`
	Added      int64               `json:"added"`
	Removed    int64               `json:"removed"`
	Unchanged  int64               `json:"unchanged"`
	Action     string              `json:"action"`
	Reason     string              `json:"reason"`
	Resumed    bool                `json:"resumed"` // an interrupted run was finished first (Run) / will be (dry run)
	Transform  *transform.Counters `json:"transform,omitempty"`
}

// Result is a finished run.
type Result struct {
	Plan
	Uploads       []*upload.Result `json:"uploads"`
	FilesUploaded int              `json:"files_uploaded"`
	BytesUploaded int64            `json:"bytes_uploaded"`
	FullBytes     int64            `json:"full_bytes"` // what uploading the whole list would send
}

// Progress reports a run's stage.
type Progress struct {
	Stage     string              `json:"stage"` // transform, diff, upload, commit
	Transform *transform.Progress `json:"transform,omitempty"`
}

// minAudience is TikTok's floor: a change that leaves fewer users is refused.
const minAudience = 1000

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
	return &w.plan, nil
}

// Run brings the audience up to date with the list: it first finishes an
// interrupted run, then transforms, compares, uploads and commits the new
// state. A plan that stops is returned as a *StopError.
func (s *Service) Run(ctx context.Context, name string, progress func(Progress)) (*Result, error) {
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
	resumed := res.Resumed
	res.Plan = w.plan
	res.Resumed = resumed
	res.FullBytes = w.fullBytes
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
	pr := &pendingRun{RunID: w.runID, Steps: w.steps, NewState: w.newState, Plan: w.plan, Started: time.Now().UTC(), Record: w.record()}
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
	if s.cfg.Connect == nil {
		return nil, errors.New("syncs: no TikTok connection configured")
	}
	return s.cfg.Connect(ctx, d.AdvertiserID)
}

// finish sends a pending run's steps (each resumes its upload job if an
// earlier process started it) and commits its state.
func (s *Service) finish(ctx context.Context, d *Definition, conn *Conn, p *pendingRun, res *Result, progress func(Progress)) (*stateMeta, error) {
	dir := s.syncDir(d.Name)
	audID := p.NewState.AudienceID
	progress(Progress{Stage: "upload"})
	for _, stp := range p.Steps {
		mpath := filepath.Join(dir, stp.Manifest)
		req := upload.Request{ManifestPath: mpath, AdvertiserID: conn.AdvertiserID, Action: stp.Action}
		if stp.Action == "CREATE" {
			req.AudienceName, req.Action = d.AudienceName, ""
		} else {
			req.AudienceID = audID
		}
		r, err := conn.Uploader.Run(ctx, req)
		if err != nil {
			return nil, err
		}
		if stp.Action == "CREATE" && len(r.Targets) > 0 {
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
	} else {
		return nil, fmt.Errorf("the changes were sent, but reading audience %s afterwards failed (%w); run the sync again to finish", audID, err)
	}
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
		out = append(out, historyKey(e))
	}
	return out
}

func historyKey(e tiktok.History) string {
	return strings.Join([]string{e.Action, e.ActionDetail, e.Editor, e.OptTime, e.Msg}, "|")
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
}

func (w *work) record() *RunRecord {
	c := w.counters
	return &RunRecord{At: time.Now().UTC(), Action: w.plan.Action, Reason: w.plan.Reason, AudienceID: w.plan.AudienceID,
		RowsNow: w.plan.RowsNow, Added: w.plan.Added, Removed: w.plan.Removed, Unchanged: w.plan.Unchanged,
		Counters: &c, Files: w.files}
}

// source opens the input, narrowed to the newest matching part if asked.
func (s *Service) source(d *Definition) (transform.Source, error) {
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
	var best *transform.Source
	for i := range src.Parts {
		p := &src.Parts[i]
		if ok, _ := path.Match(d.Newest, path.Base(filepath.ToSlash(p.Name))); ok && (best == nil || p.Name > best.Name) {
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
		RowSink:  sink.add,
		Progress: func(p transform.Progress) { progress(Progress{Stage: "transform", Transform: &p}) },
	})
	if err != nil {
		sink.remove()
		return w, err
	}
	w.counters = tm.Counters
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
	trusted, why, err := s.trust(ctx, d, st, &meta, conn, audID, w, afterPending)
	if err != nil {
		return w, err
	}
	var old rowSource = emptyRows{}
	if trusted {
		f, err := os.Open(filepath.Join(sdir, st.RowsFile))
		if err != nil {
			return w, fmt.Errorf("the sync's state is damaged (%v): delete and save the sync again", err)
		}
		defer f.Close()
		stateRows := prefetch(&fileRows{rr: newRowReader(f)})
		defer stateRows.close()
		old = stateRows
		w.plan.StateRows = st.Rows
	}

	// One merge writes the new state and the APPEND and REMOVE files.
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
	var listBytes int64 // the list's lines as a full upload writes them, headers aside
	listRow := func(r []byte) { listBytes += int64(hashLen*2*((len(r)-2)/hashLen) + meta.Columns) }
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
		case c < 0: // only in the list: added
			w.plan.Added++
			out.add(a)
			listRow(a)
			if writeDiff || d.Mode == ModeAddOnly {
				if err := appendSet.add(a); err != nil {
					return w, err
				}
			}
			a, aerr = cur.next()
		case c > 0: // only in the state: removed
			if keepRemoved {
				out.add(b)
			} else {
				w.plan.Removed++
				if writeDiff {
					if err := removeSet.add(b); err != nil {
						return w, err
					}
				}
			}
			b, berr = old.next()
		default:
			w.plan.Unchanged++
			out.add(a)
			listRow(a)
			a, aerr = cur.next()
			b, berr = old.next()
		}
	}
	w.plan.RowsNow = w.plan.Added + w.plan.Unchanged
	if err := out.close(false); err != nil {
		return w, err
	}
	if err := appendSet.finish(); err != nil {
		return w, err
	}
	if err := removeSet.finish(); err != nil {
		return w, err
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

	s.decide(d, w, trusted, why, out.rows)
	switch w.plan.Action {
	case ActionCreate, ActionReplace:
		act := "REPLACE"
		if w.plan.Action == ActionCreate {
			act = "CREATE"
		}
		w.steps = []step{{Action: act, Manifest: filepath.Join("run-"+w.runID, "full", transform.ManifestName)}}
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
		if appendSet.rows > 0 {
			w.steps = append(w.steps, step{Action: "APPEND", Manifest: filepath.Join("run-"+w.runID, "append", transform.ManifestName)})
			w.files = append(w.files, appendSet.files...)
		}
		if removeSet.rows > 0 {
			w.steps = append(w.steps, step{Action: "REMOVE", Manifest: filepath.Join("run-"+w.runID, "remove", transform.ManifestName)})
			w.files = append(w.files, removeSet.files...)
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
	if audID == "" {
		return false, "", nil // a new audience: created with the whole list
	}
	det, err := conn.Client.GetAudience(ctx, conn.AdvertiserID, audID, 100)
	if err != nil {
		var api *tiktok.APIError
		if errors.As(err, &api) && api.Code == 40007 {
			return false, "", fmt.Errorf("audience %s no longer exists on TikTok (deleted?): save the sync with --audience NAME to create a new one", audID)
		}
		return false, "", fmt.Errorf("read audience %s: %w", audID, err)
	}
	if det.Audience.IsValid {
		w.matched = det.Audience.CoverNum
	}
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
	known := map[string]bool{}
	for _, k := range st.History {
		known[k] = true
	}
	var foreign []tiktok.History
	for _, e := range det.History {
		if !known[historyKey(e)] {
			foreign = append(foreign, e)
		}
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

// decide chooses the action; never one TikTok would refuse.
func (s *Service) decide(d *Definition, w *work, trusted bool, why string, after int64) {
	p := &w.plan
	now := p.RowsNow
	switch {
	case p.AudienceID == "":
		p.Action = ActionCreate
		p.Reason = fmt.Sprintf("the first run creates audience %q with the %d rows of the list", d.AudienceName, now)
		return
	case d.Mode == ModeReplace:
		p.Action = ActionReplace
		p.Reason = "the sync's mode is replace: the whole list replaces the audience's contents"
	case d.Mode == ModeAddOnly:
		p.Action = ActionUpdate
		p.Reason = fmt.Sprintf("add-only: %d new row(s) are appended; rows gone from the list stay in the audience", p.Added)
		if !trusted {
			p.Reason = "add-only without a record of earlier runs: every row of the list is appended (TikTok ignores rows it already has); nothing is removed"
			if why != "" {
				p.Reason = "add-only: " + why[:strings.Index(why+",", ",")] + "; every row of the list is appended and nothing is removed"
			}
		}
		if p.Added == 0 {
			p.Action, p.Reason = ActionNone, "add-only: no new rows since the last run"
		}
	case !trusted:
		p.Action, p.Reason = ActionReplace, why
		p.Removed = 0
	case p.Added == 0 && p.Removed == 0:
		p.Action, p.Reason = ActionNone, "the list has the same rows as the audience: nothing to send"
	case 2*(p.Added+p.Removed) > now:
		p.Action = ActionReplace
		p.Reason = fmt.Sprintf("%d added and %d removed rows are most of the list's %d: one REPLACE with the whole list is fewer rows to send and to match than APPEND plus REMOVE", p.Added, p.Removed, now)
	default:
		p.Action = ActionUpdate
		p.Reason = fmt.Sprintf("%d row(s) appended and %d removed; %d unchanged rows are not sent again", p.Added, p.Removed, p.Unchanged)
	}
	// TikTok refuses a change that leaves an audience under 1,000 users;
	// the uploader also refuses a REMOVE while fewer are matched.
	if p.Action == ActionUpdate && p.Removed > 0 && w.matched > 0 && w.matched < minAudience {
		p.Action = ActionStop
		p.Reason = fmt.Sprintf("audience %s has %d matched users, and TikTok refuses a REMOVE from an audience under %d, so nothing was sent; add rows to the list, or run again once more of it is matched",
			p.AudienceID, w.matched, minAudience)
		return
	}
	if (p.Action == ActionReplace || p.Action == ActionUpdate) && after < minAudience {
		p.Action = ActionStop
		p.Reason = fmt.Sprintf("audience %s would have %d users after this run, and TikTok refuses any change that leaves an audience with fewer than %d, so nothing was sent; add rows to the list (or use a new audience with --audience NAME) and run again",
			p.AudienceID, after, minAudience)
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
