package syncs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/privatefs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

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
			s.pinRead(d, w, res)
			return res, nil
		}
		if st != nil {
			rec := w.record()
			st.LastRun = rec
			if err := writeJSONFile(filepath.Join(s.syncDir(name), stateFile), st); err != nil {
				return nil, err
			}
		}
		s.pinRead(d, w, res)
		return res, nil
	}
	// Keep the new state's files beside the state (flushed here rather
	// than while planning: a dry run never needs them on disk for good),
	// then write pending.json: from here a killed run is finished by the
	// next one.
	if err := s.keepNewState(name, w); err != nil {
		return nil, err
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
	s.pinRead(d, w, res)
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
	if err := s.sweep(d.Name, &ns, nil); err != nil {
		return nil, err
	}
	// The committed state is whole either way: a compaction that fails
	// is tried again after the next commit.
	s.compact(d.Name, &ns)
	return &ns, nil
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
	// source and pin are the input's Resolved and Pin as the plan read it.
	source, pin string
	// delta is the run's change to a trusted state (nil: the new state is
	// a base of the list's rows); stateMoves its files to keep (keepNewState).
	delta      *deltaWriter
	stateMoves map[string]string
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
	one.Resolved, one.Pin = src.Resolved, src.Pin
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
	w.plan = Plan{Sync: d.Name, Mode: d.Mode, Transform: &w.counters, Source: planSource(src.Resolved, src.Pin)}
	w.source, w.pin = src.Resolved, src.Pin
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
	// The new state after the upload: the trusted state and a delta of
	// what changed, or else a new base of the list's rows. A dry run only
	// counts the rows.
	out := countRows()
	if !dryRun && trusted {
		if w.delta, err = newDeltaWriter(w.dir, keepRemoved); err != nil {
			return w, err
		}
		defer w.delta.abandon() // closed below; a second Close is harmless
	} else if !dryRun {
		if out, err = createRows(filepath.Join(w.dir, runRowsFile)); err != nil {
			return w, err
		}
		defer out.abandon()
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
			w.delta.added(a)
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
				w.delta.stateOnly(b)
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
		w.delta.removeAllGone()
	case len(changes.offs) > 0:
		diff, err := analyse(changes, s.scanState(d.Name, st))
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
				continue
			}
			w.delta.removed(r)
			if writeDiff {
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
		p.PeopleNowAtMost = true
	default:
		p.PeopleNow = p.RowsNow // at most one person per row
		p.PeopleNowAtMost = true
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
	meta.Links = int64(len(kept))
	meta.Rows, meta.Identifiers = out.rows, out.ids
	switch {
	case w.delta != nil:
		if w.stateMoves, err = w.delta.finish(&meta, st, w.runID); err != nil {
			return w, err
		}
	case !dryRun:
		meta.RowsFile = "rows-" + w.runID + ".bin"
		w.stateMoves = map[string]string{runRowsFile: meta.RowsFile}
	}
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
		list, closeList, err := w.listRows(sdir, st)
		if err != nil {
			return w, err
		}
		err = writeSetFromRows(ctx, full, list)
		closeList()
		if err != nil {
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

// writeSetFromRows writes every row of src into a file set.
func writeSetFromRows(ctx context.Context, set *fileSet, src rowSource) error {
	for n := 0; ; n++ {
		row, err := src.next()
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
