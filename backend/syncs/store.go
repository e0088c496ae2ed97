package syncs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/privatefs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// Files in a sync's folder (<Dir>/<name>/, 0700, files 0600):
//
//	sync.json      the Definition
//	state.json     stateMeta: which rows file is current, the audience, history marks, the last run
//	rows-<id>*.bin sorted binary rows (see rows.go): what this app has put into the audience,
//	               as a base and the deltas of the runs since (state_runs.go)
//	pending.json   a run whose uploads started but whose state is not committed yet
//	run-<id>/      that run's work: the transform output, the APPEND and REMOVE folders
//	run.lock       held by the process running (or planning) the sync
const (
	defFile     = "sync.json"
	stateFile   = "state.json"
	pendingFile = "pending.json"
	lockFile    = "run.lock"
)

// ErrNotFound means no sync has that name.
var ErrNotFound = errors.New("no such sync")

// ErrBusy means another run of the sync (in any process) holds its lock.
var ErrBusy = errors.New("the sync is running in another process")

// RunRecord is what the last run did.
type RunRecord struct {
	At         time.Time           `json:"at"`
	Action     string              `json:"action"` // create, update, replace, none
	Reason     string              `json:"reason"`
	AudienceID string              `json:"audience_id"`
	RowsNow    int64               `json:"rows_now"`
	Added      int64               `json:"added"`
	Removed    int64               `json:"removed"`
	Unchanged  int64               `json:"unchanged"`
	Counters   *transform.Counters `json:"transform,omitempty"` // the transform's counters (no data)
	Files      []transform.File    `json:"files,omitempty"`     // the files sent (the run's manifests)
}

// stateMeta is state.json.
type stateMeta struct {
	Version       int    `json:"version"`
	AdvertiserID  string `json:"advertiser_id"`
	AudienceID    string `json:"audience_id"`
	Fingerprint   string `json:"fingerprint"`
	CalculateType string `json:"calculate_type"`
	Header        string `json:"header"` // the files' first line ("" for one-type files)
	Columns       int    `json:"columns"`
	RowsFile      string `json:"rows_file"` // the base: sorted binary rows (rows.go)
	Rows          int64  `json:"rows"`
	Identifiers   int64  `json:"identifiers"`
	// LinksFile is a state of an earlier version's links (the rows now
	// counted by Links), which kept them in a file of their own: read as
	// the oldest delta, and made one by the next commit.
	LinksFile string `json:"links_file,omitempty"`
	// Deltas are the runs' changes since RowsFile was written, oldest
	// first (state_runs.go): the rows they added and removed.
	Deltas []deltaRun `json:"deltas,omitempty"`
	// Links counts the state's rows that are not in the list (rows sent
	// earlier whose people are still in it: an old phone of a person with
	// a new one). TikTok linked their identifiers, so removing the person
	// later must remove them too.
	Links   int64    `json:"links,omitempty"`
	People  int64    `json:"people,omitempty"` // the people of rows and links (see Plan.PeopleNow)
	History []string `json:"history"`          // the audience's history entries seen right after our last change
	// Unlisted are the actions of the last run's batches that TikTok's
	// history did not list yet when the run committed (a late entry): the
	// next run takes the first such entries (by Editor, the editor of the
	// run's listed entries) as its own, not as a change made elsewhere.
	Unlisted []string   `json:"unlisted,omitempty"`
	Editor   string     `json:"editor,omitempty"`
	LastRun  *RunRecord `json:"last_run,omitempty"`
	// Meta (meta.go): the rows' schema, and the audience's content time
	// right after our last change (Meta keeps no history to compare).
	Schema         []string  `json:"schema,omitempty"`
	ContentUpdated time.Time `json:"content_updated,omitempty"`
}

// step is one upload request of a pending run.
type step struct {
	Action   string `json:"action"`         // CREATE, APPEND, REMOVE, REPLACE
	Manifest string `json:"manifest"`       // relative to the sync's folder
	Rows     string `json:"rows,omitempty"` // Meta: the rows file sent instead, relative to the sync's folder
}

// pendingRun is pending.json: written before the first upload of a run, so
// a killed run is finished (the upload's job identity resumes each step)
// before anything new is planned.
type pendingRun struct {
	RunID    string     `json:"run_id"`
	Steps    []step     `json:"steps"`
	NewState stateMeta  `json:"new_state"`
	Plan     Plan       `json:"plan"`
	Started  time.Time  `json:"started"`
	Sent     int64      `json:"bytes"`
	Record   *RunRecord `json:"record"`
	// BaseHistory is the audience's history as the plan read it: an entry
	// not in it is this run's (or made elsewhere meanwhile).
	BaseHistory []string `json:"base_history,omitempty"`
}

func (s *Service) syncDir(name string) string { return filepath.Join(s.dir, name) }

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is damaged (%v)", path, err)
	}
	return nil
}

func (s *Service) loadDef(name string) (*Definition, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	var d Definition
	if err := readJSON(filepath.Join(s.syncDir(name), defFile), &d); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &UsageError{fmt.Errorf("%w %q: see 'sync list'", ErrNotFound, name)}
		}
		return nil, err
	}
	if err := d.normalize(); err != nil {
		return nil, err
	}
	return &d, nil
}

// loadState returns the committed state, nil if there is none.
func (s *Service) loadState(name string) (*stateMeta, error) {
	var m stateMeta
	err := readJSON(filepath.Join(s.syncDir(name), stateFile), &m)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (s *Service) loadPending(name string) (*pendingRun, error) {
	var p pendingRun
	err := readJSON(filepath.Join(s.syncDir(name), pendingFile), &p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// sameButCase names a saved sync whose name differs from name only in letter
// case, or "": its folder would be name's on Windows and macOS.
func (s *Service) sameButCase(name string) string {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if n := e.Name(); n != name && strings.EqualFold(n, name) && e.IsDir() {
			if _, err := os.Stat(filepath.Join(s.dir, n, defFile)); err == nil {
				return n
			}
		}
	}
	return ""
}

// lock takes the sync's run lock without waiting.
func (s *Service) lock(name string) (*flock.Flock, error) {
	dir := s.syncDir(name)
	if err := privatefs.MkdirAll(dir); err != nil {
		return nil, err
	}
	fl := flock.New(filepath.Join(dir, lockFile), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock sync %s: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("sync %s is already running (%w); this run stops without changing anything: wait for that one to finish", name, ErrBusy)
	}
	return fl, nil
}

// Save creates or replaces a sync. The state is kept only when the new
// definition feeds the same audience; otherwise the next run starts over.
func (s *Service) Save(d Definition) (*Definition, error) {
	if err := d.normalize(); err != nil {
		return nil, err
	}
	// A scheduler starts in another folder: keep the path it names now.
	if !strings.Contains(d.Input, "://") && !filepath.IsAbs(d.Input) {
		abs, err := filepath.Abs(d.Input)
		if err != nil {
			return nil, fmt.Errorf("save sync %s: the input %s cannot be made an absolute path: %w", d.Name, d.Input, err)
		}
		d.Input = abs
	}
	dir := s.syncDir(d.Name)
	if err := privatefs.MkdirAll(s.dir); err != nil {
		return nil, err
	}
	if other := s.sameButCase(d.Name); other != "" {
		return nil, &UsageError{fmt.Errorf("a sync named %s exists; Windows and macOS treat %s as the same name, so choose one that differs in more than letter case (or save %s)", other, d.Name, other)}
	}
	fl, err := s.lock(d.Name)
	if err != nil {
		return nil, err
	}
	defer fl.Unlock()
	now := time.Now().UTC()
	d.CreatedAt, d.UpdatedAt = now, now
	if old, err := s.loadDef(d.Name); err == nil {
		d.CreatedAt = old.CreatedAt
		// Saving again with the same audience name keeps the audience the
		// first run created, rather than creating another.
		// Never an audience TikTok said is gone: the next run creates a new one.
		if d.AudienceID == "" && d.AudienceName == old.AudienceName && d.AdvertiserID == old.AdvertiserID && old.AudienceID != old.AudienceGone &&
			d.platform() == old.platform() && d.AdAccount == old.AdAccount {
			d.AudienceID = old.AudienceID
		}
		if d.AudienceGone == "" {
			d.AudienceGone = old.AudienceGone
		}
		if d.AudienceID != "" && d.AudienceID == d.AudienceGone {
			return nil, usagef("audience %s no longer exists on TikTok (it was deleted), so sync %s cannot feed it: give --audience NAME for a new audience, or the id of another one", d.AudienceID, d.Name)
		}
		if !sameTarget(old, &d) {
			if err := s.dropState(d.Name); err != nil {
				return nil, err
			}
		}
	}
	if err := writeJSONFile(filepath.Join(dir, defFile), d); err != nil {
		return nil, fmt.Errorf("save sync %s: %w", d.Name, err)
	}
	return &d, nil
}

// dropState forgets what the sync put into its audience (pending runs too).
func (s *Service) dropState(name string) error {
	dir := s.syncDir(name)
	for _, f := range []string{stateFile, pendingFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return s.sweep(name, nil, nil)
}

// sweep removes rows files and run folders that neither the state nor a
// pending run refers to (left by a killed run). Caller holds the lock.
func (s *Service) sweep(name string, st *stateMeta, p *pendingRun) error {
	dir := s.syncDir(name)
	keep := map[string]bool{}
	if st != nil {
		for _, f := range st.files() {
			keep[f] = true
		}
	}
	if p != nil {
		for _, f := range p.NewState.files() {
			keep[f] = true
		}
		keep["run-"+p.RunID] = true
	}
	if d := s.prepared.dir(name); d != "" {
		keep[d] = true // a plan shown in this process, not yet sent
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if keep[n] || !(strings.HasPrefix(n, "rows-") || strings.HasPrefix(n, "run-") || strings.HasPrefix(n, ".tmp-")) {
			continue
		}
		if err := osfile.RemoveDir(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

// Summary is a sync as the list and show commands (and the app) see it.
type Summary struct {
	Definition
	LastRun   *RunRecord `json:"last_run,omitempty"`
	StateRows int64      `json:"state_rows"`
	Pending   bool       `json:"pending"` // an interrupted run is finished first by the next run
}

// Get returns one sync.
func (s *Service) Get(name string) (*Summary, error) {
	d, err := s.loadDef(name)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Definition: *d}
	st, err := s.loadState(name)
	if err != nil {
		return nil, err
	}
	if st != nil {
		sum.LastRun, sum.StateRows = st.LastRun, st.Rows
		if sum.AudienceID == "" {
			sum.AudienceID = st.AudienceID
		}
	}
	if p, _ := s.loadPending(name); p != nil {
		sum.Pending = true
	}
	return sum, nil
}

// List returns every sync, by name.
func (s *Service) List() ([]Summary, error) {
	out := []Summary{}
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || checkName(e.Name()) != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.syncDir(e.Name()), defFile)); err != nil {
			continue
		}
		sum, err := s.Get(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, *sum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes a sync and its state; the audience itself stays on TikTok.
func (s *Service) Delete(name string) error {
	if _, err := s.loadDef(name); err != nil {
		return err
	}
	fl, err := s.lock(name)
	if err != nil {
		return err
	}
	dir := s.syncDir(name)
	// The definition goes first, so a crash halfway leaves no half sync;
	// then everything but the lock, while it is held.
	err = os.Remove(filepath.Join(dir, defFile))
	if err == nil {
		var entries []os.DirEntry
		entries, err = os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != lockFile && err == nil {
				err = osfile.RemoveDir(filepath.Join(dir, e.Name()))
			}
		}
	}
	// Windows removes no file that is open: close the lock first. A sync
	// saved again meanwhile keeps its folder (Remove fails on it).
	fl.Close()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, defFile)); err == nil {
		return nil // saved again by another process just now: its lock stays
	}
	return osfile.RemoveDir(dir) // the lock file and the folder
}
